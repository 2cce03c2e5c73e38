import type { ReplyHint } from "../errors/index.js";
import { LocalProtocolError } from "../errors/index.js";

/**
 * The stable `code` strings carried by the {@link LocalProtocolError}s that the address
 * codecs throw. Every one of them has `replyHint` 501 (RFC 959 §4.2.1 "Syntax error in
 * parameters or arguments") except the two bounce checks of {@link checkActiveDataTarget}.
 *
 * Two codes need a different reply than their hint, because {@link ReplyHint} stops at 504:
 * - `epsvProtocol` / `eprtProtocol`: RFC 2428 §2 and §3 say an unsupported network protocol
 *   is answered with `522 Network protocol not supported, use (1,2)`. The server maps these
 *   two codes to 522; a client treats them as a 501.
 */
export const ADDRESS_ERROR_CODES = {
  /** The text is not an IPv4 or IPv6 address that this package accepts. */
  badAddress: "FTP_ERR_BAD_ADDRESS",
  /** A port is not an integer in range (0..65535 for PORT/PASV, 1..65535 for EPRT/EPSV). */
  badPort: "FTP_ERR_BAD_PORT",
  /** The address family does not fit: IPv6 in PORT/PASV, or an EPRT address that does not match its `net-prt`. */
  addressFamily: "FTP_ERR_ADDRESS_FAMILY",
  /** A PORT argument is not six comma-separated decimal numbers 0..255 (RFC 959 §4.1.2). */
  portSyntax: "FTP_ERR_PORT_SYNTAX",
  /** No `h1,h2,h3,h4,p1,p2` group in a 227 reply (RFC 959 §4.1.2, PASV). */
  pasvReply: "FTP_ERR_PASV_REPLY",
  /** No `(<d><d><d>port<d>)` group in a 229 reply (RFC 2428 §3). */
  epsvReply: "FTP_ERR_EPSV_REPLY",
  /** An EPSV argument that is neither empty, `ALL`, nor a number (RFC 2428 §3). */
  epsvSyntax: "FTP_ERR_EPSV_SYNTAX",
  /** EPSV with a protocol number other than 1 or 2: the server answers 522 (RFC 2428 §3). */
  epsvProtocol: "FTP_ERR_EPSV_PROTO",
  /** An EPRT argument that is not `<d>net-prt<d>net-addr<d>tcp-port<d>` (RFC 2428 §2). */
  eprtSyntax: "FTP_ERR_EPRT_SYNTAX",
  /** EPRT with a protocol number other than 1 or 2: the server answers 522 (RFC 2428 §2). */
  eprtProtocol: "FTP_ERR_EPRT_PROTO",
  /** PORT/EPRT names a host other than the control connection's peer (RFC 2577 §3, bounce attack). */
  bounceHost: "FTP_ERR_BOUNCE_HOST",
  /** PORT/EPRT names a privileged port below 1024 (RFC 2577 §3). */
  bouncePort: "FTP_ERR_BOUNCE_PORT",
} as const;

/** One of the {@link ADDRESS_ERROR_CODES} values. */
export type AddressErrorCode = (typeof ADDRESS_ERROR_CODES)[keyof typeof ADDRESS_ERROR_CODES];

/** @internal Builds the error every address codec throws. */
export function addressError(message: string, code: AddressErrorCode, replyHint: ReplyHint = 501): LocalProtocolError {
  return new LocalProtocolError(message, { replyHint, code });
}

/** @internal Quotes untrusted text for an error message, cut short so a hostile peer cannot flood logs. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

/**
 * @internal Strips spaces and tabs at both ends. A loop, not `/^[ \t]+|[ \t]+$/`: that
 * regex is quadratic on a long run of spaces in the middle of hostile input.
 */
export function trimSpaceTab(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === " " || text[start] === "\t")) start++;
  while (end > start && (text[end - 1] === " " || text[end - 1] === "\t")) end--;
  return text.slice(start, end);
}

/**
 * @internal Parses an unsigned decimal integer made of ASCII digits only. Leading zeros are
 * decimal, never octal. Returns `undefined` when `text` is not all digits. Very long digit
 * strings come back as a huge number (or `Infinity`), which every range check then rejects,
 * so nothing wraps around (the basic-ftp `& 255` bug).
 */
export function parseDecimal(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  return Number(text);
}

/**
 * @internal Throws unless `port` is an integer in `min..65535` (TCP port numbers are 16 bits).
 */
export function assertPort(port: unknown, min: 0 | 1, what: string): asserts port is number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < min || port > 65535) {
    throw addressError(
      `${what}: port ${typeof port === "number" ? String(port) : typeof port} is not an integer in ${min}..65535`,
      ADDRESS_ERROR_CODES.badPort,
    );
  }
}
