/**
 * DOS-style LIST lines, as sent by Microsoft IIS ("MS-DOS" directory listing style, its
 * default) and by other Windows servers:
 *
 * ```text
 * IIS          01-31-24  02:15PM       <DIR>          Folder Name
 * IIS          01-31-24  02:15PM                 1234 file.txt
 * IIS (4-digit years option)  01-31-2024  02:15PM       <DIR>          Folder Name
 * 24-hour      01-31-2024  14:15       1234 file.txt
 * ```
 *
 * Grammar:
 *
 * ```text
 * line = date 1*SP time 1*SP ("<DIR>" / size) 1*SP name
 * date = MM ("-" / "/") DD ("-" / "/") (YY / YYYY)      ; month first, as IIS writes it
 * time = HH ":" MM [":" SS] [[SP] ("AM" / "PM")]         ; 12-hour with AM/PM, or 24-hour
 * size = DIGIT *(DIGIT / ",")                            ; Windows `dir` groups thousands
 * ```
 */

import type { FileInfo } from "./file-info.js";
import { utcDate } from "./internal/calendar.js";

const HEADER =
  /^((\d{1,2})([-/])(\d{1,2})\3(\d{4}|\d{2}))( +)((\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp])[Mm])?)( +)(<DIR>|\d[\d,]*) /;

/**
 * IIS lays the columns out at fixed offsets from the end of the time: `<DIR>` ends 12 columns
 * after it and the name starts 22 columns after it, both for `<DIR>` and for sizes
 * (right-aligned in 20 columns, then one space).
 */
const IIS_DIR_END = 12;
const IIS_NAME_START = 22;

/**
 * Parses one DOS/IIS style LIST line. Times carry no zone (IIS prints server-local time); they
 * are read as UTC. Two-digit years follow POSIX `%y`: 69-99 are 19xx, 00-68 are 20xx.
 *
 * The name keeps leading spaces when the line follows IIS's fixed layout, or after a size
 * (which is followed by exactly one space); after `<DIR>` in any other layout the padding
 * cannot be told from the name, and leading spaces are dropped.
 *
 * @param line - one line, without its line terminator (a trailing CR is tolerated and dropped).
 * @returns the entry, or `undefined` when the line is not a DOS listing line. Never throws.
 */
export function parseDosLine(line: string): FileInfo | undefined {
  const raw = line.endsWith("\r") ? line.slice(0, -1) : line;
  const m = HEADER.exec(raw);
  if (m === null) return undefined;
  const dateText = m[1] ?? "";
  const timeText = m[7] ?? "";
  const token = m[13] ?? "";
  const timeEnd = dateText.length + (m[6] ?? "").length + timeText.length;
  const tokenEnd = timeEnd + (m[12] ?? "").length + token.length;

  let name: string;
  if (token === "<DIR>") {
    const iisLayout =
      tokenEnd === timeEnd + IIS_DIR_END &&
      raw.length > timeEnd + IIS_NAME_START &&
      raw.slice(tokenEnd, timeEnd + IIS_NAME_START).trim() === "";
    name = iisLayout ? raw.slice(timeEnd + IIS_NAME_START) : raw.slice(tokenEnd).replace(/^ +/, "");
  } else {
    name = raw.slice(tokenEnd + 1);
  }
  if (name === "") return undefined;

  const info: FileInfo = { name, type: token === "<DIR>" ? "directory" : "file", raw };
  if (token !== "<DIR>") {
    const size = Number(token.replaceAll(",", ""));
    if (Number.isSafeInteger(size)) info.size = size;
  }
  const modifiedAt = dosDate(m);
  if (modifiedAt !== undefined) info.modifiedAt = modifiedAt;
  info.rawModifiedAt = raw.slice(0, timeEnd);
  return info;
}

function dosDate(m: RegExpExecArray): Date | undefined {
  const yearText = m[5] ?? "";
  let year = Number(yearText);
  if (yearText.length === 2) year += year < 69 ? 2000 : 1900;
  let hour = Number(m[8]);
  const meridiem = m[11]?.toLowerCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === "p" ? 12 : 0);
  }
  return utcDate(year, Number(m[2]), Number(m[4]), hour, Number(m[9]), Number(m[10] ?? 0));
}
