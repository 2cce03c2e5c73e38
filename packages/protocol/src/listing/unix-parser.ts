/**
 * Unix `ls -l` LIST lines, in the variants servers actually send:
 *
 * ```text
 * vsftpd      -rw-r--r--    1 0        0              12 Jan 01 12:00 a.txt
 * pure-ftpd   -rw-r--r--    1 1000       1000             12 Jan  1 12:00 a.txt
 * proftpd     -rw-r--r--   1 ftp      ftp            12 Jan  1 12:00 a.txt
 * FileZilla   -rw-r--r-- 1 ftp ftp             12 Jan 01 12:00 a.txt      (FileZilla Server 0.9)
 * busybox     crw-r--r--    1 root     root        1,   3 Sep  1 07:05 null
 * macOS       drwxr-xr-x@  5 alice  staff   160 Jan 31 14:15 Folder
 * no group    dr-xr-xr-x   2 root                  512 Apr  8  1994 etc
 * long-iso    -rw-r--r-- 1 ftp ftp 12 2024-01-31 12:00 a.txt     (ls --time-style=long-iso)
 * full-iso    -rw-r--r-- 1 0 0 12 2024-01-31 12:00:00.000000000 +0000 a.txt
 * BSD ls -T   -rw-r--r--  1 root  wheel  12 Jan 31 12:00:05 2024 a.txt
 * German ls   -rw-r--r-- 1 ftp ftp 12 31. Jan 12:00 a.txt
 * ```
 *
 * Grammar, informally (whitespace = runs of SP or HTAB between header columns):
 *
 * ```text
 * line   = *WSP mode [marker] 1*WSP [links 1*WSP] [owner 1*WSP [group 1*WSP]] size 1*WSP date SP name
 * mode   = type 9perm            ; type = "-" / "d" / "l" / "b" / "c" / "p" / "s" / "D" / "n" / "w" / "?"
 * marker = "+" / "@" / "."       ; ACL (Linux, macOS), extended attributes (macOS), SELinux context (GNU)
 * size   = 1*DIGIT / major "," *WSP minor   ; device files show major, minor
 * date   = month day (time / year) / day month (time / year) / iso-date time [tz] / month day time-s year
 * name   = everything after the single SP that ends the date, exactly (leading spaces included);
 *          for symlinks "name -> target", split at the first " -> "
 * ```
 *
 * The columns between the mode and the size vary (links, owner, group; group missing on some
 * BSD and NAS servers), so the parser finds the date first and reads the size just before it.
 */

import type { FileInfo, FileType } from "./file-info.js";
import { inferYear, monthNumber, utcDate } from "./internal/calendar.js";
import { permissionBits, typeBitsOfLetter } from "./internal/unix-mode.js";
import type { LineParseOptions } from "./line-options.js";

/** Enough header tokens for mode, links, owner, group, two size tokens and a 4-token date, plus slack. */
const MAX_TOKENS = 14;
/** The date starts at token 8 at the latest (mode, links, owner, group, a split group, major, minor). */
const MAX_DATE_START = 8;

/**
 * Type letter, then nine permission letters checked slot by slot, then an optional marker.
 * The ninth letter may be missing: an embedded server in basic-ftp issue #193 sends
 * `drw-r--rw`. `l`/`L` in the group execute slot is System V mandatory locking.
 */
const MODE = /^([-bcdlpsDnw?])([r-][w-][xsS-][r-][w-][xsSlL-][r-][w-][xtT-]?)([+@.]?)$/;
/** `^\d+$` without a regular expression (the size and link columns of every line). */
function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}
const DEVICE_MAJOR = /^\d+,$/;
const DEVICE_PAIR = /^\d+,\d+$/;
const DAY = /^(\d{1,2})$/;
/** German `ls` writes the day with a dot: `31. Jan`. */
const DAY_FIRST = /^(\d{1,2})\.?$/;
const YEAR = /^(\d{4})$/;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;
const TZ_OFFSET = /^([+-])(\d{2})(\d{2})$/;

interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

interface DateMatch {
  /** Index of the last token of the date. */
  readonly last: number;
  readonly modifiedAt: Date | undefined;
}

/**
 * Parses one Unix `ls -l` style LIST line.
 *
 * @param line - one line, without its line terminator (a trailing CR is tolerated and dropped).
 * @param options - `now` for the year of `HH:MM` dates (see {@link FileInfo.modifiedAt}).
 * @returns the entry, or `undefined` when the line is not a Unix listing line (including the
 *   `total N` line, which is therefore ignored). Never throws.
 */
export function parseUnixLine(line: string, options: LineParseOptions = {}): FileInfo | undefined {
  const raw = line.endsWith("\r") ? line.slice(0, -1) : line;
  const tokens = tokenize(raw);
  const modeToken = tokens[0];
  if (modeToken === undefined) return undefined;
  const mode = MODE.exec(modeToken.text);
  if (mode === null) return undefined;
  const typeLetter = mode[1] ?? "?";
  const permissions = mode[2] ?? "";

  const lastStart = Math.min(MAX_DATE_START, tokens.length - 2);
  for (let start = 2; start <= lastStart; start++) {
    const size = sizeBefore(tokens, start);
    if (size === undefined) continue;
    const date = matchDate(tokens, start, options.now);
    if (date === undefined) continue;

    const dateEnd = tokens[date.last]?.end ?? raw.length;
    // The name starts after exactly one separator: `ls` pads columns before the name, never
    // inside it, so leading spaces belong to the name (vsftpd, pure-ftpd, proftpd, GNU ls).
    if (dateEnd + 1 >= raw.length) return undefined;
    let name = raw.slice(dateEnd + 1);
    let target: string | undefined;
    if (typeLetter === "l") {
      const arrow = name.indexOf(" -> ");
      if (arrow > 0) {
        target = name.slice(arrow + 4);
        name = name.slice(0, arrow);
      }
    }

    const info: FileInfo = { name, type: typeOfLetter(typeLetter), raw };
    if (size.value !== undefined) info.size = size.value;
    if (date.modifiedAt !== undefined) info.modifiedAt = date.modifiedAt;
    info.rawModifiedAt = intern(raw.slice(tokens[start]?.start ?? 0, dateEnd));
    info.permissions = intern(permissions);
    info.unixMode = typeBitsOfLetter(typeLetter) | permissionBits(permissions);
    assignColumns(info, raw, tokens, size.first);
    if (target !== undefined) info.target = target;
    return info;
  }
  return undefined;
}

/** Bound of the {@link intern} table; it starts over when full. */
const INTERN_LIMIT = 4096;
const internTable = new Map<string, string>();

/**
 * One shared copy of a short column text (permissions, owner, group, time). A big listing
 * repeats a few of them on every line: sharing them makes the entries it returns smaller
 * and leaves the garbage collector far less to copy (measured: a 10,000-line vsftpd
 * listing spent a third of its parse time in GC). Returns an equal string, so the result
 * is the same with or without it.
 */
function intern(text: string): string {
  const known = internTable.get(text);
  if (known !== undefined) return known;
  if (internTable.size >= INTERN_LIMIT) internTable.clear();
  internTable.set(text, text);
  return text;
}

function typeOfLetter(letter: string): FileType {
  if (letter === "-") return "file";
  if (letter === "d") return "directory";
  if (letter === "l") return "symlink";
  return "unknown";
}

/** Splits the header into at most {@link MAX_TOKENS} blank-separated tokens with their offsets. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  const n = line.length;
  let i = 0;
  while (tokens.length < MAX_TOKENS) {
    while (i < n && isBlank(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isBlank(line.charCodeAt(i))) i++;
    tokens.push({ text: line.slice(start, i), start, end: i });
  }
  return tokens;
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * The size column just before the date at `dateStart`: digits, or a device's `major, minor`
 * (GNU `ls`: `1, 3`; busybox: `1,   3`; some servers `1,3`). `first` is the size's first token.
 */
function sizeBefore(tokens: readonly Token[], dateStart: number): { first: number; value?: number } | undefined {
  const last = tokens[dateStart - 1]?.text;
  if (last === undefined) return undefined;
  if (isDigits(last)) {
    const major = tokens[dateStart - 2]?.text;
    if (dateStart - 2 >= 1 && major !== undefined && DEVICE_MAJOR.test(major)) return { first: dateStart - 2 };
    const value = Number(last);
    return Number.isSafeInteger(value) ? { first: dateStart - 1, value } : { first: dateStart - 1 };
  }
  if (DEVICE_PAIR.test(last)) return { first: dateStart - 1 };
  return undefined;
}

/** Links, owner and group: whatever columns sit between the mode and the size. */
function assignColumns(info: FileInfo, line: string, tokens: readonly Token[], sizeFirst: number): void {
  const columns = tokens.slice(1, sizeFirst);
  const [first, second] = columns;
  if (first === undefined) return;
  const firstIsCount = isDigits(first.text);
  if (columns.length === 1) {
    // A lone column: a link count if numeric, else an owner.
    if (firstIsCount) info.hardLinks = Number(first.text);
    else info.owner = intern(first.text);
    return;
  }
  if (columns.length === 2 && second !== undefined) {
    if (firstIsCount) {
      // Group column missing (BSD variants, some NAS boxes): links, owner.
      info.hardLinks = Number(first.text);
      info.owner = intern(second.text);
    } else {
      // Link count missing: owner, group.
      info.owner = intern(first.text);
      info.group = intern(second.text);
    }
    return;
  }
  // links owner group; a group with spaces (Windows servers faking ls: "Domain Users") keeps them.
  const owner = columns[1];
  const groupFirst = columns[2];
  const groupLast = columns[columns.length - 1];
  if (firstIsCount) info.hardLinks = Number(first.text);
  if (owner !== undefined) info.owner = intern(owner.text);
  if (groupFirst !== undefined && groupLast !== undefined) {
    info.group = intern(line.slice(groupFirst.start, groupLast.end));
  }
}

/** Tries every date form at token `start`. */
function matchDate(tokens: readonly Token[], start: number, now: Date | undefined): DateMatch | undefined {
  const a = tokens[start]?.text;
  const b = tokens[start + 1]?.text;
  const c = tokens[start + 2]?.text;
  if (a === undefined || b === undefined) return undefined;

  // ISO: 2024-01-31 12:00 (long-iso) or 2024-01-31 12:00:00.000000000 +0000 (full-iso).
  const iso = ISO_DATE.exec(a);
  if (iso !== null) {
    const time = ISO_TIME.exec(b);
    if (time === null) return undefined;
    const fraction = time[4] ?? "";
    const millisecond = fraction === "" ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
    const local = utcDate(
      Number(iso[1]),
      Number(iso[2]),
      Number(iso[3]),
      Number(time[1]),
      Number(time[2]),
      Number(time[3] ?? 0),
      millisecond,
    );
    const tz = time[3] !== undefined && c !== undefined ? TZ_OFFSET.exec(c) : null;
    if (tz === null) return { last: start + 1, modifiedAt: local };
    // full-iso carries the one zone offset in any LIST format: convert to UTC.
    const offsetMinutes = (tz[1] === "-" ? -1 : 1) * (Number(tz[2]) * 60 + Number(tz[3]));
    const modifiedAt = local === undefined ? undefined : new Date(local.getTime() - offsetMinutes * 60_000);
    return { last: start + 2, modifiedAt };
  }

  if (c === undefined) return undefined;
  // Mon DD (HH:MM | YYYY | HH:MM:SS YYYY)
  const month = monthNumber(a);
  const day = DAY.exec(b);
  if (month !== undefined && day !== null) {
    return dayMonthRest(tokens, start + 2, month, Number(day[1]), now, true);
  }
  // DD Mon (HH:MM | YYYY): French, German ("31. Jan") and other day-first locales.
  const dayFirst = DAY_FIRST.exec(a);
  const monthSecond = monthNumber(b);
  if (dayFirst !== null && monthSecond !== undefined) {
    return dayMonthRest(tokens, start + 2, monthSecond, Number(dayFirst[1]), now, false);
  }
  return undefined;
}

/** The time-or-year token(s) after a month and day. */
function dayMonthRest(
  tokens: readonly Token[],
  at: number,
  month: number,
  day: number,
  now: Date | undefined,
  allowBsdYear: boolean,
): DateMatch | undefined {
  const text = tokens[at]?.text ?? "";
  const year = YEAR.exec(text);
  if (year !== null) {
    return { last: at, modifiedAt: utcDate(Number(year[1]), month, day) };
  }
  const time = TIME.exec(text);
  if (time === null) return undefined;
  const hour = Number(time[1]);
  const minute = Number(time[2]);
  const second = Number(time[3] ?? 0);
  if (day < 1 || day > 31) return undefined;
  // BSD `ls -lT`: Jan 31 12:00:05 2024 (seconds, then the year).
  const bsdYear = allowBsdYear && time[3] !== undefined ? YEAR.exec(tokens[at + 1]?.text ?? "") : null;
  if (bsdYear !== null) {
    return { last: at + 1, modifiedAt: utcDate(Number(bsdYear[1]), month, day, hour, minute, second) };
  }
  const modifiedAt = now === undefined ? undefined : inferYear(month, day, hour, minute, second, now);
  return { last: at, modifiedAt };
}
