import { LocalProtocolError } from "../errors/index.js";
import { formatMlsxTime } from "../listing/index.js";

/**
 * The argument of `MFMT` (draft-somers-ftp-mfxx §3: `MFMT <SP> time-val <SP> pathname`), also
 * what vsftpd's two-argument `MDTM time-val pathname` takes to set a time. The time is the
 * RFC 3659 §2.3 `time-val` in UTC, truncated to the second.
 *
 * @example formatMfmtArgument(new Date("2024-01-31T14:15:00Z"), "a b.txt") === "20240131141500 a b.txt"
 * @returns the argument text; the pathname is kept exactly.
 * @throws LocalProtocolError `FTP_ERR_TIME_VAL` for an invalid date or a year outside 0000-9999,
 *   `FTP_ERR_SYNTAX` for an empty pathname (CR, LF and NUL are refused when the command is built).
 */
export function formatMfmtArgument(date: Date, path: string): string {
  if (path === "")
    throw new LocalProtocolError("MFMT: a pathname is required", { replyHint: 501, code: "FTP_ERR_SYNTAX" });
  return `${formatMlsxTime(date)} ${path}`;
}
