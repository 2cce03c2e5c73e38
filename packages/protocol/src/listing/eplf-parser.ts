/**
 * EPLF, the Easily Parsed LIST Format (D. J. Bernstein, https://cr.yp.to/ftp/list/eplf.html),
 * sent by publicfile and anonftpd:
 *
 * ```text
 * +i8388621.29609,m824255902,/,\tdev
 * +i8388621.44468,m839956783,r,s10376,\tRFCEPLF
 * ```
 *
 * Grammar (from the EPLF page): a plus sign, then facts each followed by a comma, then a TAB,
 * then the name, which is everything up to the end of the line. Facts: `r` (RETR may work:
 * a file), `/` (CWD may work: a directory), `s` size in bytes, `m` modification time in UTC
 * seconds since 1970, `i` a unique identifier, `up` Unix permissions in octal. Unknown facts
 * are ignored, as the format requires.
 */

import type { FileInfo } from "./file-info.js";
import { permissionLetters } from "./internal/unix-mode.js";

const DIGITS = /^\d+$/;
const OCTAL = /^[0-7]{1,6}$/;

/**
 * Parses one EPLF line.
 *
 * @param line - one line, without its line terminator (a trailing CR is tolerated and dropped).
 * @returns the entry (a directory when the `/` fact is present, else a file when `r` is, else
 *   unknown), or `undefined` when the line is not EPLF. Never throws.
 */
export function parseEplfLine(line: string): FileInfo | undefined {
  const raw = line.endsWith("\r") ? line.slice(0, -1) : line;
  if (!raw.startsWith("+")) return undefined;
  const tab = raw.indexOf("\t");
  if (tab < 0) return undefined;
  const name = raw.slice(tab + 1);
  if (name === "") return undefined;

  let directory = false;
  let retrievable = false;
  const info: FileInfo = { name, type: "unknown", raw };
  for (const fact of raw.slice(1, tab).split(",")) {
    const kind = fact.charAt(0);
    const value = fact.slice(1);
    if (fact === "/") directory = true;
    else if (fact === "r") retrievable = true;
    else if (kind === "s" && DIGITS.test(value)) {
      const size = Number(value);
      if (Number.isSafeInteger(size)) info.size = size;
    } else if (kind === "m" && DIGITS.test(value)) {
      const modifiedAt = new Date(Number(value) * 1000);
      info.rawModifiedAt = value;
      if (Number.isFinite(modifiedAt.getTime())) info.modifiedAt = modifiedAt;
    } else if (kind === "u" && value.startsWith("p") && OCTAL.test(value.slice(1))) {
      info.unixMode = Number.parseInt(value.slice(1), 8);
      info.permissions = permissionLetters(info.unixMode);
    }
  }
  info.type = directory ? "directory" : retrievable ? "file" : "unknown";
  return info;
}
