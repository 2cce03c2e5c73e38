/**
 * A one-line progress bar on stderr for a transfer: bytes, percentage and bar when the size
 * is known, rate and ETA. Drawn only on a terminal and without `--quiet` (the caller
 * decides); redrawn at most every 100 ms (the client's onProgress pace), erased at the end.
 */
import type { TransferProgress } from "@ftpkit/client";
import { formatBytes, formatDuration } from "./format.js";
import type { TerminalWritable } from "./io.js";

export class ProgressBar {
  private drawn = false;

  constructor(
    private readonly stream: TerminalWritable,
    private readonly label: string,
  ) {}

  /** The line for `progress` at `columns` wide (pure; tested on its own). */
  static render(label: string, progress: TransferProgress, columns: number): string {
    const { bytes, total, rate } = progress;
    const rateText = `${formatBytes(rate)}/s`;
    if (total === undefined || total === 0) {
      const line = `${label}  ${formatBytes(bytes)}  ${rateText}`;
      return line.slice(0, columns - 1);
    }
    const fraction = Math.min(1, bytes / total);
    const eta = rate > 0 ? formatDuration((total - bytes) / rate) : "--:--";
    const right = ` ${String(Math.floor(fraction * 100)).padStart(3)}% ${formatBytes(bytes)}/${formatBytes(total)} ${rateText} ETA ${eta}`;
    const room = columns - 1 - right.length;
    const barWidth = Math.max(0, Math.min(40, room - Math.min(label.length, 30) - 3));
    const name = label.length > room - barWidth - 3 ? label.slice(0, Math.max(0, room - barWidth - 3)) : label;
    if (barWidth < 5) return `${name}${right}`.slice(0, columns - 1);
    const full = Math.round(fraction * barWidth);
    const bar = `[${"=".repeat(Math.max(0, full - 1))}${full > 0 ? (fraction >= 1 ? "=" : ">") : ""}${" ".repeat(barWidth - full)}]`;
    return `${name} ${bar}${right}`;
  }

  update = (progress: TransferProgress): void => {
    const columns = this.stream.columns ?? 80;
    this.stream.write(`\r${ProgressBar.render(this.label, progress, columns)}\u001b[K`);
    this.drawn = true;
  };

  /** Erases the bar (the summary line, if any, is printed by the caller). */
  done(): void {
    if (this.drawn) this.stream.write("\r\u001b[K");
    this.drawn = false;
  }
}
