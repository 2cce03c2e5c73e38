/**
 * The `h1,h2,h3,h4,p1,p2` host-port encoding of RFC 959 §4.1.2 (PORT argument, PASV reply).
 *
 * RFC 959 §4.1.2, PORT: "The argument is a HOST-PORT specification for the data port to be
 * used in data connection. ... The fields are separated by commas. A port command would be:
 * PORT h1,h2,h3,h4,p1,p2 where h1 is the high order 8 bits of the internet host address."
 * RFC 959 §5.3.2 grammar: `<host-port> ::= <host-number>,<port-number>`,
 * `<host-number> ::= <number>,<number>,<number>,<number>`, `<port-number> ::= <number>,<number>`,
 * `<number> ::= any decimal integer 1 through 255` (0 is allowed in practice: `0,0,0,0` and
 * ports below 256 need it, and every server accepts it).
 *
 * Unlike ftp-srv (`parseInt` with no range check, then 425 instead of 501) and basic-ftp
 * (`& 255`, which silently wraps 256 to 0), an out-of-range field is a 501 here.
 */

import { type ParseResult, safeParse } from "../errors/index.js";
import { ADDRESS_ERROR_CODES, addressError, assertPort, parseDecimal, quote, trimSpaceTab } from "./address-errors.js";
import { asIPv4, parseIp } from "./ip.js";

/** A TCP endpoint: an IP address in text form and a port number. */
export type HostPort = { readonly host: string; readonly port: number };

/**
 * @internal Checks `hp` and returns its IPv4 octets and port. Accepts IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`), which is how a dual-stack Node socket reports an IPv4 address.
 */
export function hostPortOctets(hp: HostPort, what: string): [number, number, number, number, number, number] {
  assertPort(hp.port, 0, what);
  const ip = typeof hp.host === "string" ? parseIp(hp.host) : undefined;
  if (ip === undefined) {
    throw addressError(`${what}: not an IP address: ${quote(String(hp.host))}`, ADDRESS_ERROR_CODES.badAddress);
  }
  const v4 = asIPv4(ip);
  if (v4 === undefined) {
    throw addressError(
      `${what}: ${quote(hp.host)} is IPv6; PORT and PASV carry IPv4 only (RFC 959 §4.1.2), use EPRT/EPSV (RFC 2428)`,
      ADDRESS_ERROR_CODES.addressFamily,
    );
  }
  return [...v4, hp.port >> 8, hp.port & 0xff];
}

/**
 * Encodes an IPv4 endpoint as the RFC 959 §4.1.2 PORT argument `h1,h2,h3,h4,p1,p2`,
 * where `port = p1 * 256 + p2`.
 *
 * @param hp - `host` is IPv4 (or IPv4-mapped IPv6, printed as IPv4); `port` is an integer 0..65535.
 * @returns For example `"192,0,2,1,4,1"` for `{ host: "192.0.2.1", port: 1025 }`.
 * @throws {LocalProtocolError} `replyHint` 501 with code `FTP_ERR_BAD_ADDRESS` (not an IP),
 *   `FTP_ERR_ADDRESS_FAMILY` (IPv6) or `FTP_ERR_BAD_PORT` (not an integer in 0..65535).
 */
export function encodeHostPort(hp: HostPort): string {
  return hostPortOctets(hp, "PORT").join(",");
}

/**
 * Decodes a PORT argument strictly: exactly six comma-separated decimal numbers, each
 * 0..255. Spaces and tabs around a number are tolerated; nothing else is. Leading zeros are
 * decimal (`010` is ten), and numbers of any length are range-checked, never truncated or
 * wrapped.
 *
 * @returns `{ host: "h1.h2.h3.h4", port: p1 * 256 + p2 }`, host printed canonically.
 * @throws {LocalProtocolError} `replyHint` 501, code `FTP_ERR_PORT_SYNTAX`, for any other
 *   input: a server answers `501 Syntax error in parameters or arguments` (RFC 959 §4.1.2).
 */
export function decodeHostPort(text: string): HostPort {
  const numbers = splitSix(text, ",");
  if (numbers === undefined) {
    throw addressError(
      `PORT argument is not six comma-separated numbers 0..255 (RFC 959 §4.1.2): ${quote(text)}`,
      ADDRESS_ERROR_CODES.portSyntax,
    );
  }
  return fromSix(numbers);
}

/**
 * Non-throwing twin of {@link decodeHostPort} (STYLE E5).
 *
 * @returns `{ success: true, value }` or `{ success: false, error }`.
 */
export function safeDecodeHostPort(text: string): ParseResult<HostPort> {
  return safeParse(() => decodeHostPort(text));
}

/** @internal Splits `text` on `separator` into exactly six decimal numbers, each 0..255. */
function splitSix(text: string, separator: string): number[] | undefined {
  const parts = text.split(separator);
  if (parts.length !== 6) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseDecimal(trimSpaceTab(part));
    if (value === undefined || value > 255) return undefined;
    numbers.push(value);
  }
  return numbers;
}

/** @internal Builds a {@link HostPort} from six numbers already checked to be 0..255. */
export function fromSix(numbers: readonly number[]): HostPort {
  const [h1 = 0, h2 = 0, h3 = 0, h4 = 0, p1 = 0, p2 = 0] = numbers;
  return { host: `${h1}.${h2}.${h3}.${h4}`, port: p1 * 256 + p2 };
}
