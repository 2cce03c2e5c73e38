/**
 * The server side of LIST: one `ls -l` line per entry, in vsftpd's layout, which every
 * client parser (FileZilla, lftp, curl, basic-ftp, ours) reads:
 *
 * ```text
 * drwxr-xr-x    2 ftp      ftp          4096 Jan 31 14:15 name
 * -rw-r--r--    1 ftp      ftp       1234567 Jan 31  2020 old.tar.gz
 * lrwxrwxrwx    1 ftp      ftp             5 Jan 31 14:15 link -> target
 * ```
 *
 * vsftpd (ls.c): mode, link count right-aligned in 4, owner and group left-aligned in 8, size
 * right-aligned in 8, then `%b %d %H:%M` (day zero-padded) for files modified in the last 182
 * days, `%b %d  %Y` for older and future ones, all in UTC, then the name.
 */

import { LocalProtocolError } from "../errors/index.js";
import type { FileType } from "./file-info.js";
import { englishMonth, pad, RECENT_WINDOW_MS } from "./internal/calendar.js";
import { letterOfTypeBits, permissionLetters } from "./internal/unix-mode.js";
import { assertListableName } from "./mlsx.js";

/** The information {@link formatUnixListingLine} needs about one entry. */
export interface UnixListingEntry {
  name: string;
  type: FileType;
  /** Size in bytes (directories: whatever the file system says, e.g. 4096). */
  size: number;
  modifiedAt: Date;
  /**
   * Permission bits (`0o7777`, setuid/setgid/sticky shown as `s`/`S`/`t`/`T`). For `"unknown"`
   * entries the `S_IFMT` bits pick the type letter (`b`, `c`, `p`, `s`; else `?`, as GNU ls).
   * Default: `0o755` for directories, `0o777` for symlinks, `0o644` otherwise.
   */
  unixMode?: number;
  /** Default `ftp`. Whitespace becomes `_`, since the columns are whitespace-separated. */
  owner?: string;
  /** Default `ftp`. Whitespace becomes `_`. */
  group?: string;
  /** Default 2 for directories, 1 otherwise. */
  hardLinks?: number;
  /** A symlink's target, shown as `name -> target`. */
  target?: string;
}

const BAD_VALUE = { replyHint: 501, code: "FTP_ERR_LISTING_FACT" } as const;

/**
 * Formats one LIST line in vsftpd's `ls -l` layout.
 *
 * A name containing ` -> ` is written as is; for a symlink, readers split at the first
 * ` -> `, so such a name does not read back (the same ambiguity as `ls` itself).
 *
 * @param entry - the entry.
 * @param now - the current time (time is an input): decides between `HH:MM` (modified within
 *   the last 182 days) and the year (older, or in the future).
 * @returns the line, without a line terminator.
 * @throws LocalProtocolError (code `FTP_ERR_LISTING_NAME`) when the name or symlink target is
 *   empty or contains CR, LF or NUL: a listing line must not be able to inject another line.
 * @throws LocalProtocolError (code `FTP_ERR_LISTING_FACT`) when `size` or `hardLinks` is not a
 *   non-negative safe integer, or `modifiedAt`/`now` is invalid or `modifiedAt` falls outside
 *   years 0000-9999.
 */
export function formatUnixListingLine(entry: UnixListingEntry, now: Date): string {
  assertListableName(entry.name);
  if (entry.target !== undefined && entry.type === "symlink") assertListableName(entry.target, "symlink target");
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
    throw new LocalProtocolError(`size must be a non-negative safe integer, got ${entry.size}`, BAD_VALUE);
  }
  const hardLinks = entry.hardLinks ?? (entry.type === "directory" ? 2 : 1);
  if (!Number.isSafeInteger(hardLinks) || hardLinks < 0) {
    throw new LocalProtocolError(`hardLinks must be a non-negative safe integer, got ${hardLinks}`, BAD_VALUE);
  }
  const mode = entry.unixMode ?? defaultMode(entry.type);
  const owner = column(entry.owner);
  const group = column(entry.group);
  const name = entry.type === "symlink" && entry.target !== undefined ? `${entry.name} -> ${entry.target}` : entry.name;
  return (
    `${typeLetter(entry.type, mode)}${permissionLetters(mode)} ${String(hardLinks).padStart(4)} ` +
    `${owner.padEnd(8)} ${group.padEnd(8)} ${String(entry.size).padStart(8)} ` +
    `${listingDate(entry.modifiedAt, now)} ${name}`
  );
}

function defaultMode(type: FileType): number {
  if (type === "directory") return 0o755;
  if (type === "symlink") return 0o777;
  return 0o644;
}

function typeLetter(type: FileType, mode: number): string {
  if (type === "file") return "-";
  if (type === "directory") return "d";
  if (type === "symlink") return "l";
  const letter = letterOfTypeBits(mode);
  // Type bits that contradict "unknown" (a regular file's, a directory's) say nothing more.
  return letter === undefined || letter === "-" || letter === "d" || letter === "l" ? "?" : letter;
}

function column(value: string | undefined): string {
  if (value === undefined || value === "") return "ftp";
  return value.replace(/\s/g, "_");
}

/** vsftpd's date column: `Jan 31 14:15` when recent, `Jan 31  2020` when old or in the future. */
function listingDate(date: Date, now: Date): string {
  const time = date.getTime();
  const nowTime = now.getTime();
  if (!Number.isFinite(time) || !Number.isFinite(nowTime)) {
    throw new LocalProtocolError("modifiedAt and now must be valid Dates", BAD_VALUE);
  }
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new LocalProtocolError(`year ${year} does not fit a listing`, BAD_VALUE);
  const head = `${englishMonth(date)} ${pad(date.getUTCDate(), 2)}`;
  const recent = time <= nowTime && nowTime - time <= RECENT_WINDOW_MS;
  if (recent) return `${head} ${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}`;
  return `${head} ${pad(year, 4).padStart(5)}`;
}
