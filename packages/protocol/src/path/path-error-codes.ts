import { LocalProtocolError } from "../errors/index.js";

/**
 * The stable `code` strings of the {@link LocalProtocolError}s that the virtual-path
 * functions throw. All carry `replyHint` 501 (RFC 959 §4.2.1 "Syntax error in parameters or
 * arguments"), the closest hint the core can give. A server may answer differently:
 * - `tooLong`: answer `553 Requested action not taken. File name not allowed.` (RFC 959
 *   §4.2.2) for STOR/MKD/RNTO, or 550 for the others; vsftpd and proftpd do the same.
 * - `nul` and `lineBreak`: 501 is right; both are refused rather than truncated, because a
 *   NUL ends the name at the C layer (a classic truncation attack) and a CR or LF would
 *   inject a forged reply line when the path is echoed back in 257/550 replies.
 */
export const PATH_ERROR_CODES = {
  /** The path contains a NUL (U+0000). */
  nul: "FTP_ERR_PATH_NUL",
  /** The path contains a CR (U+000D) or LF (U+000A). */
  lineBreak: "FTP_ERR_PATH_CRLF",
  /** The path, or one of its segments, is longer than the configured limit. */
  tooLong: "FTP_ERR_PATH_TOO_LONG",
} as const;

/** One of the {@link PATH_ERROR_CODES} values. */
export type PathErrorCode = (typeof PATH_ERROR_CODES)[keyof typeof PATH_ERROR_CODES];

/** @internal Builds the error every path function throws. */
export function pathError(message: string, code: PathErrorCode): LocalProtocolError {
  return new LocalProtocolError(message, { replyHint: 501, code });
}
