/**
 * Novell NetWare LIST lines (also sent by NetWare-emulating servers):
 *
 * ```text
 * d [RWCEAFMS] ftpadmin 512 Jan 29  2004 pub
 * - [RWCEAFMS] dpearce                         2767 Jun 22 06:22 about.html
 * d [R----F--] supervisor            512       Jan 16 18:53    login
 * ```
 *
 * Grammar: type (`d` or `-`), the eight trustee rights in brackets (`R`ead `W`rite `C`reate
 * `E`rase `A`ccess-control `F`ile-scan `M`odify `S`upervisor, `-` when absent), the owner, the
 * size, `Mon DD` and a time or year, then the name. NetWare pads before the name, so the
 * name's leading spaces cannot be told from padding and are dropped.
 */

import type { FileInfo } from "./file-info.js";
import { inferYear, monthNumber, utcDate } from "./internal/calendar.js";
import type { LineParseOptions } from "./line-options.js";

const HEADER = /^([d-]) +\[([RWCEAFMS-]{8})\] +(\S+) +(\d+) +((\S+) +(\d{1,2}) +(?:(\d{1,2}):(\d{2})|(\d{4}))) /;

/**
 * Parses one NetWare LIST line.
 *
 * @param line - one line, without its line terminator (a trailing CR is tolerated and dropped).
 * @param options - `now` for the year of `HH:MM` dates.
 * @returns the entry (`permissions` holds the rights inside the brackets), or `undefined` when
 *   the line is not a NetWare listing line. Never throws.
 */
export function parseNetwareLine(line: string, options: LineParseOptions = {}): FileInfo | undefined {
  const raw = line.endsWith("\r") ? line.slice(0, -1) : line;
  const m = HEADER.exec(raw);
  if (m === null) return undefined;
  const month = monthNumber(m[6] ?? "");
  if (month === undefined) return undefined;
  const name = raw.slice(m[0].length).replace(/^ +/, "");
  if (name === "") return undefined;

  const info: FileInfo = { name, type: m[1] === "d" ? "directory" : "file", raw };
  const size = Number(m[4]);
  if (Number.isSafeInteger(size)) info.size = size;
  const day = Number(m[7]);
  const modifiedAt =
    m[10] !== undefined
      ? utcDate(Number(m[10]), month, day)
      : options.now === undefined
        ? undefined
        : inferYear(month, day, Number(m[8]), Number(m[9]), 0, options.now);
  if (modifiedAt !== undefined) info.modifiedAt = modifiedAt;
  info.rawModifiedAt = m[5] ?? "";
  info.permissions = m[2] ?? "";
  info.owner = m[3] ?? "";
  return info;
}
