/** Formatting for people and for `--json`: sizes, rates, durations, listing lines. */
import type { FileInfo } from "@ftpkit/client";
import type { Style } from "./style.js";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `1.5 MiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(bytes)} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** `1:05`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** One human line about a finished transfer. */
export function transferSummary(verb: string, what: string, bytes: number, seconds: number): string {
  const rate = seconds > 0 ? ` (${formatBytes(bytes / seconds)}/s)` : "";
  return `${verb} ${what}: ${formatBytes(bytes)} in ${seconds.toFixed(seconds < 10 ? 2 : 1)} s${rate}`;
}

const TYPE_LETTER: Readonly<Record<string, string>> = { file: "-", directory: "d", symlink: "l", unknown: "?" };

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** `2024-01-31 14:15` (UTC, as listings are read), or the raw text when the date was not understood. */
export function formatDate(info: Pick<FileInfo, "modifiedAt" | "rawModifiedAt">): string {
  const d = info.modifiedAt;
  if (d === undefined) return (info.rawModifiedAt ?? "").padEnd(16);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

/** `ls -l` lines: type and permissions, size, date, name (`-> target` for links). Columns aligned. */
export function formatLong(entries: readonly FileInfo[], style: Style): string[] {
  const sizes = entries.map((e) => (e.size === undefined ? "-" : String(e.size)));
  const width = Math.max(0, ...sizes.map((s) => s.length));
  return entries.map((e, i) => {
    const mode = `${TYPE_LETTER[e.type] ?? "?"}${(e.permissions ?? "").padEnd(9, e.permissions === undefined ? "?" : " ")}`;
    const name = e.type === "directory" ? style.bold(style.blue(e.name)) : e.name;
    const target = e.target === undefined ? "" : ` -> ${e.target}`;
    return `${mode} ${(sizes[i] as string).padStart(width)} ${formatDate(e)} ${name}${target}`;
  });
}

/** The `--json` form of a listing entry (stable keys; dates as ISO 8601 UTC). */
export function entryJson(e: FileInfo): Record<string, unknown> {
  return {
    name: e.name,
    type: e.type,
    size: e.size ?? null,
    modifiedAt: e.modifiedAt?.toISOString() ?? null,
    ...(e.permissions === undefined ? {} : { permissions: e.permissions }),
    ...(e.owner === undefined ? {} : { owner: e.owner }),
    ...(e.group === undefined ? {} : { group: e.group }),
    ...(e.target === undefined ? {} : { target: e.target }),
  };
}

/** Entries sorted by name (code point order, as `LC_ALL=C ls`). */
export function sortByName(entries: readonly FileInfo[]): FileInfo[] {
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
