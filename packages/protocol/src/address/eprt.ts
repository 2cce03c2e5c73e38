/**
 * The EPRT command argument (RFC 2428 §2).
 *
 * RFC 2428 §2: "The EPRT command allows for the specification of an extended address for
 * the data connection. ... The format of EPRT is: `EPRT<space><d><net-prt><d><net-addr><d><tcp-port><d>`
 * The EPRT command keyword MUST be followed by a single space (ASCII 32). Following the
 * space, a delimiter character (<d>) MUST be specified. The delimiter character MUST be one
 * of the ASCII characters in range 33-126 inclusive. The character '|' (ASCII 124) is
 * recommended unless it coincides with a character needed to encode the network address."
 * `<net-prt>` is an address family number: 1 for IPv4, 2 for IPv6. "If the server does not
 * understand the network protocol ... it MUST respond with a 522 reply."
 */

import { type ParseResult, safeParse } from "../errors/index.js";
import { ADDRESS_ERROR_CODES, addressError, assertPort, parseDecimal, quote, trimSpaceTab } from "./address-errors.js";
import type { HostPort } from "./host-port.js";
import { formatIp, parseIPv4, parseIPv6, parseIp } from "./ip.js";

/** A decoded EPRT argument: the address family number as sent, the host and the port. */
export type EprtTarget = { readonly family: 1 | 2; readonly host: string; readonly port: number };

/**
 * Encodes an endpoint as an EPRT argument with the `|` delimiter (RFC 2428 §2).
 * The host is normalised first, so `::ffff:1.2.3.4` (a dual-stack Node socket's view of an
 * IPv4 address) is sent as family 1, `1.2.3.4`. A zone id (`fe80::1%eth0`) is dropped:
 * it names an interface of the sending host and means nothing to the peer (RFC 4007 §11).
 *
 * @param hp - `host` is an IPv4 or IPv6 address; `port` is an integer 1..65535.
 * @returns `"|1|132.235.1.2|6275|"` or `"|2|1080::8:800:200c:417a|5282|"`.
 * @throws {LocalProtocolError} `replyHint` 501 with code `FTP_ERR_BAD_ADDRESS` (not an IP
 *   address) or `FTP_ERR_BAD_PORT` (not an integer in 1..65535).
 */
export function encodeEprtArgument(hp: HostPort): string {
  assertPort(hp.port, 1, "EPRT");
  const ip = typeof hp.host === "string" ? parseIp(hp.host) : undefined;
  if (ip === undefined) {
    throw addressError(`EPRT: not an IP address: ${quote(String(hp.host))}`, ADDRESS_ERROR_CODES.badAddress);
  }
  const host = formatIp(ip.family === 6 ? { family: 6, groups: ip.groups, zone: undefined } : ip);
  const family = parseIPv4(host) === undefined ? 2 : 1;
  return `|${family}|${host}|${hp.port}|`;
}

/**
 * Decodes an EPRT argument (RFC 2428 §2). The first character is the delimiter and may be
 * any ASCII 33..126 (`|` by recommendation; some clients use `!`). The argument must split
 * on it into exactly `<d>net-prt<d>net-addr<d>tcp-port<d>`, so a delimiter that also
 * occurs in the address is a syntax error rather than a guess. Spaces and tabs around the
 * whole argument are ignored (the delimiter itself can never be one).
 *
 * The address must match its family: family 1 takes a strict IPv4 dotted quad, family 2
 * takes IPv6 text without a zone id. The returned host is normalised with the rules of
 * {@link normalizeIp}, so `|2|::ffff:1.2.3.4|p|` comes back as `{ family: 2, host: "1.2.3.4" }`:
 * `family` always reports what the peer sent.
 *
 * This function checks syntax only. A server must still refuse a target that is not the
 * control connection's peer or that is a privileged port (RFC 2577 §3): see
 * {@link checkActiveDataTarget}.
 *
 * @param argument - Everything after `EPRT `.
 * @returns The {@link EprtTarget}.
 * @throws {LocalProtocolError} `replyHint` 501 with code
 *   - `FTP_ERR_EPRT_PROTO` when `net-prt` is a number other than 1 or 2. RFC 2428 §2 says
 *     the server "MUST respond with a 522 reply": map this code to
 *     `522 Network protocol not supported, use (1,2)`.
 *   - `FTP_ERR_EPRT_SYNTAX` for a bad shape or delimiter,
 *   - `FTP_ERR_ADDRESS_FAMILY` / `FTP_ERR_BAD_ADDRESS` when the address is not of the family,
 *   - `FTP_ERR_BAD_PORT` when the port is not a decimal 1..65535.
 */
export function decodeEprtArgument(argument: string): EprtTarget {
  const text = trimSpaceTab(argument);
  const delimiter = text.charAt(0);
  const code = delimiter.charCodeAt(0);
  if (!(code >= 33 && code <= 126)) {
    throw addressError(
      `EPRT delimiter must be an ASCII character 33..126 (RFC 2428 §2): ${quote(text)}`,
      ADDRESS_ERROR_CODES.eprtSyntax,
    );
  }
  const fields = text.split(delimiter);
  const [before, netPrt = "", netAddr = "", tcpPort = "", after] = fields;
  if (fields.length !== 5 || before !== "" || after !== "") {
    throw addressError(
      `EPRT argument is not <d>net-prt<d>net-addr<d>tcp-port<d> (RFC 2428 §2): ${quote(text)}`,
      ADDRESS_ERROR_CODES.eprtSyntax,
    );
  }
  const family = parseDecimal(netPrt);
  if (family === undefined) {
    throw addressError(`EPRT net-prt is not a number (RFC 2428 §2): ${quote(netPrt)}`, ADDRESS_ERROR_CODES.eprtSyntax);
  }
  if (family !== 1 && family !== 2) {
    throw addressError(
      `Network protocol not supported, use (1,2): EPRT net-prt ${quote(netPrt)}`,
      ADDRESS_ERROR_CODES.eprtProtocol,
    );
  }
  const host = decodeFamilyAddress(family, netAddr);
  const port = parseDecimal(tcpPort);
  if (port === undefined) {
    throw addressError(
      `EPRT tcp-port is not a decimal number (RFC 2428 §2): ${quote(tcpPort)}`,
      ADDRESS_ERROR_CODES.badPort,
    );
  }
  assertPort(port, 1, "EPRT");
  return { family, host, port };
}

/**
 * Non-throwing twin of {@link decodeEprtArgument} (STYLE E5).
 *
 * @returns `{ success: true, value }` or `{ success: false, error }`.
 */
export function safeDecodeEprtArgument(argument: string): ParseResult<EprtTarget> {
  return safeParse(() => decodeEprtArgument(argument));
}

function decodeFamilyAddress(family: 1 | 2, netAddr: string): string {
  if (family === 1) {
    const v4 = parseIPv4(netAddr);
    if (v4 !== undefined) return v4.join(".");
  } else {
    const v6 = parseIPv6(netAddr);
    if (v6 !== undefined && v6.zone === undefined) return formatIp({ family: 6, groups: v6.groups, zone: undefined });
  }
  const other = parseIp(netAddr);
  if (other !== undefined) {
    throw addressError(
      `EPRT net-addr ${quote(netAddr)} does not match net-prt ${family} (${family === 1 ? "IPv4" : "IPv6 without zone id"}, RFC 2428 §2)`,
      ADDRESS_ERROR_CODES.addressFamily,
    );
  }
  throw addressError(
    `EPRT net-addr is not an IP address (RFC 2428 §2): ${quote(netAddr)}`,
    ADDRESS_ERROR_CODES.badAddress,
  );
}
