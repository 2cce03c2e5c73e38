/**
 * The text of a `227` reply to PASV (RFC 959 §4.1.2 and §4.2.2).
 *
 * RFC 959 §4.1.2, PASV: "This command requests the server-DTP to 'listen' on a data port
 * ... The response to this command includes the host and port address this server is
 * listening on." The reply is `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
 * RFC 1123 §4.1.2.6 warns that the text around the numbers varies, and tells clients to
 * scan for them: "User-FTP ... MUST scan the reply for the first digit of the host and
 * port numbers". So the parser here is tolerant about everything except the numbers.
 */

import { type ParseResult, safeParse } from "../errors/index.js";
import { ADDRESS_ERROR_CODES, addressError, quote } from "./address-errors.js";
import { fromSix, type HostPort, hostPortOctets } from "./host-port.js";

/**
 * Six comma-separated numbers, not preceded by a digit, a minus sign or another `number,`
 * and not followed by a digit or another `,number`: a seventh number, or a negative one,
 * makes the group ambiguous, and the parser refuses to guess. Spaces and tabs may sit
 * around the commas. Never crosses a line.
 */
const SIX_NUMBERS =
  /(?<![0-9-]|[0-9][ \t]*,[ \t]*)([0-9]+)[ \t]*,[ \t]*([0-9]+)[ \t]*,[ \t]*([0-9]+)[ \t]*,[ \t]*([0-9]+)[ \t]*,[ \t]*([0-9]+)[ \t]*,[ \t]*([0-9]+)(?![0-9]|[ \t]*,[ \t]*-?[0-9])/;

/**
 * Formats the text of a 227 reply (without the code), as vsftpd, proftpd and pure-ftpd do.
 *
 * @param hp - `host` is IPv4 (or IPv4-mapped IPv6); `port` is an integer 0..65535.
 * @returns `"Entering Passive Mode (h1,h2,h3,h4,p1,p2)."`
 * @throws {LocalProtocolError} `replyHint` 501 with code `FTP_ERR_BAD_ADDRESS`,
 *   `FTP_ERR_ADDRESS_FAMILY` (IPv6: PASV cannot carry it, the client must use EPSV) or
 *   `FTP_ERR_BAD_PORT`.
 */
export function formatPasvReplyText(hp: HostPort): string {
  return `Entering Passive Mode (${hostPortOctets(hp, "PASV").join(",")}).`;
}

/**
 * Finds the `h1,h2,h3,h4,p1,p2` group in a 227 reply, wherever it is (RFC 1123 §4.1.2.6).
 * Accepted shapes include `Entering Passive Mode (127,0,0,1,4,1).` (vsftpd, proftpd),
 * `=127,0,0,1,4,1` (some IBM and Windows NT servers), `Entering Passive Mode 127,0,0,1,4,1`
 * with no parentheses (old wu-ftpd variants), spaces after the commas, and a leading
 * `227 ` code. Each number must be 0..255: an out-of-range value is an error, never masked
 * with `& 255` as basic-ftp's `parsePasvResponse` does.
 *
 * The host is returned as the server sent it. A server behind NAT often sends its private
 * address (vsftpd without `pasv_address`) or `0,0,0,0`; use {@link isPrivateOrReservedIPv4}
 * and {@link isUnspecified} to decide whether to connect to the control host instead, as
 * basic-ftp and FileZilla do.
 *
 * @param text - The reply text (one line or several; the group must sit on one line).
 * @returns `{ host: "h1.h2.h3.h4", port: p1 * 256 + p2 }`, host printed canonically.
 * @throws {LocalProtocolError} `replyHint` 501, code `FTP_ERR_PASV_REPLY`, when no single
 *   unambiguous group of six numbers 0..255 is found. A client reading the peer's reply
 *   re-raises it as a `RemoteProtocolError`.
 */
export function parsePasvReply(text: string): HostPort {
  const match = SIX_NUMBERS.exec(text);
  if (match === null) {
    throw addressError(
      `227 reply has no h1,h2,h3,h4,p1,p2 group (RFC 959 §4.1.2): ${quote(text)}`,
      ADDRESS_ERROR_CODES.pasvReply,
    );
  }
  const numbers = match.slice(1, 7).map(Number);
  if (numbers.some((n) => n > 255)) {
    throw addressError(
      `227 reply has a number outside 0..255 (RFC 959 §4.1.2): ${quote(match[0])}`,
      ADDRESS_ERROR_CODES.pasvReply,
    );
  }
  return fromSix(numbers);
}

/**
 * Non-throwing twin of {@link parsePasvReply} (STYLE E5).
 *
 * @returns `{ success: true, value }` or `{ success: false, error }`.
 */
export function safeParsePasvReply(text: string): ParseResult<HostPort> {
  return safeParse(() => parsePasvReply(text));
}
