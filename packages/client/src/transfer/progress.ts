import { performance } from "node:perf_hooks";

/** What `onProgress` receives. */
export interface TransferProgress {
  /** Bytes of the file done so far, counting a resume offset (so `bytes === total` at the end). */
  readonly bytes: number;
  /** The file's size when known (SIZE for downloads, the source's size for uploads). */
  readonly total: number | undefined;
  /** Average rate of this call so far, in bytes per second. */
  readonly rate: number;
}

export type ProgressListener = (progress: TransferProgress) => void;

/** How often `onProgress` is called at most, in ms (plus once at the end). */
const INTERVAL = 100;

/** Counts bytes and calls the listener at most every {@link INTERVAL} ms. */
export class ProgressMeter {
  private readonly listener: ProgressListener | undefined;
  private readonly started = performance.now();
  private last = 0;
  private moved = 0;
  total: number | undefined;
  bytes: number;

  constructor(listener: ProgressListener | undefined, bytes: number, total: number | undefined) {
    this.listener = listener;
    this.bytes = bytes;
    this.total = total;
  }

  add(count: number): void {
    this.bytes += count;
    this.moved += count;
    if (this.listener === undefined) return;
    const now = performance.now();
    if (now - this.last < INTERVAL) return;
    this.last = now;
    this.emit(now);
  }

  /** Sets the position after a resume (progress restarts from there). */
  reset(bytes: number): void {
    this.bytes = bytes;
  }

  finish(): void {
    if (this.listener !== undefined) this.emit(performance.now());
  }

  private emit(now: number): void {
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? this.moved / seconds : 0;
    this.listener?.({ bytes: this.bytes, total: this.total, rate });
  }
}
