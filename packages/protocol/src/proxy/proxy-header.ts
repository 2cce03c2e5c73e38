/**
 * The PROXY protocol (HAProxy's doc/proxy-protocol.txt, versions 1 and 2): the header a TCP
 * load balancer puts in front of a relayed connection so that the server learns the client's
 * real address. Decoded and encoded here, sans-IO: bytes in, a header (or "need more", or
 * "invalid") out. Who is allowed to send one is the server's business, not this module's.
 *
 * Theory of operation:
 * - Rule 1: the header is the very first thing on the connection and is read before anything
 *   else (spec §1: "the receiver must ... not start to parse anything before the header is
 *   complete"). The decoder never looks past the header: `consumed` is the header's length and
 *   every byte after it belongs to the application protocol (FTP, or TLS for implicit FTPS).
 * - Rule 2: bytes that cannot start a header are refused as soon as they are seen (spec §2.1/§2.2:
 *   a receiver "must not try to guess" and must drop a connection whose header is invalid), so
 *   a client that sends plain FTP to a PROXY-expecting port is refused at once, not after a timeout.
 * - Rule 3: a header that says "use the real endpoints" (v1 `UNKNOWN`, v2 `LOCAL`, v2 `AF_UNSPEC`,
 *   and the v2 combinations this receiver does not implement, AF_UNIX and DGRAM, which spec
 *   §2.2 says fall back to UNSPEC) is a valid header with `addresses: undefined`.
 * - Rule 4: decoding is stateless over the whole prefix received so far: feeding the bytes in any
 *   chunking gives the same answer ({@link ProxyHeaderDecoder} only accumulates).
 */

import { asIPv4, formatIp, parseIPv4, parseIPv6 } from "../address/ip.js";
import { LocalProtocolError } from "../errors/index.js";
import { NEED_DATA } from "../sentinels.js";

/** The endpoints carried by a PROXY header: the client (source) and the address it reached (destination). */
export interface ProxyAddresses {
  /** 4 for TCP over IPv4 (v1 `TCP4`, v2 `\x11`), 6 for TCP over IPv6 (v1 `TCP6`, v2 `\x21`). */
  readonly family: 4 | 6;
  /** Canonical text (an IPv4-mapped IPv6 source prints as its dotted quad, as elsewhere in this package). */
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
}

/** A decoded PROXY header. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * `proxy`: a relayed connection. `local`: the proxy's own connection (v2 LOCAL, e.g. a health
   * check); a v1 header is always `proxy`.
   */
  readonly command: "proxy" | "local";
  /** The relayed endpoints, or `undefined`: use the real connection's endpoints (Rule 3). */
  readonly addresses: ProxyAddresses | undefined;
}

/** A complete header: `consumed` bytes from the start of the input are the header, the rest is not. */
export interface ProxyHeaderDecoded {
  readonly type: "header";
  readonly header: ProxyHeader;
  readonly consumed: number;
}

/** Not a PROXY header: the connection must be closed without an answer (spec §2.1, §2.2). */
export interface ProxyHeaderInvalid {
  readonly type: "invalid";
  readonly reason: string;
}

export type ProxyDecodeResult = ProxyHeaderDecoded | ProxyHeaderInvalid | NEED_DATA;

/** Spec §2.1: "a receiver ... only has to read up to 107 characters" (CRLF included). */
export const PROXY_V1_MAX_LENGTH = 107;
/** Spec §2.2: the 12-byte signature of a version 2 header. */
export const PROXY_V2_SIGNATURE: Uint8Array = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);
/** The longest possible v2 header: 16 fixed bytes and a 16-bit length. */
export const PROXY_V2_MAX_LENGTH = 16 + 0xffff;

const V1_PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]; // "PROXY "
const CR = 0x0d;
const LF = 0x0a;

function invalid(reason: string): ProxyHeaderInvalid {
  return { type: "invalid", reason };
}

/**
 * Decodes the PROXY header (v1 or v2) at the start of `bytes`, all bytes received so far.
 *
 * @returns `NEED_DATA` while `bytes` is a proper prefix of a possible header; a
 *   {@link ProxyHeaderDecoded} whose `consumed` bytes are the header (never more); or a
 *   {@link ProxyHeaderInvalid} as soon as the bytes cannot be a header.
 *   Never throws, whatever the bytes.
 */
export function decodeProxyHeader(bytes: Uint8Array): ProxyDecodeResult {
  if (bytes.length === 0) return NEED_DATA;
  const first = bytes[0];
  if (first === V1_PREFIX[0]) return decodeV1(bytes);
  if (first === PROXY_V2_SIGNATURE[0]) return decodeV2(bytes);
  return invalid("not a PROXY protocol header");
}

// ---- version 1 (spec §2.1) ------------------------------------------------------------
//
//   header  = "PROXY" SP ( tcp / unknown ) CRLF        ; at most 107 bytes with the CRLF
//   tcp     = ( "TCP4" / "TCP6" ) SP src-addr SP dst-addr SP src-port SP dst-port
//   unknown = "UNKNOWN" *( %x20-7E )                     ; "the receiver must ignore anything
//                                                        ;  presented before the CRLF"
//   port    = "0" / %x31-39 0*4DIGIT                     ; 0..65535, no leading zero

const V1_PORT = /^(?:0|[1-9][0-9]{0,4})$/;

function decodeV1(bytes: Uint8Array): ProxyDecodeResult {
  const prefix = Math.min(bytes.length, V1_PREFIX.length);
  for (let i = 0; i < prefix; i++) {
    if (bytes[i] !== V1_PREFIX[i]) return invalid("not a PROXY protocol header");
  }
  const limit = Math.min(bytes.length, PROXY_V1_MAX_LENGTH);
  let end = -1;
  for (let i = 0; i < limit; i++) {
    const b = bytes[i] ?? 0;
    if (b === LF) return invalid("v1 header: LF without CR");
    if (b === CR) {
      // The LF must be byte 107 at the latest.
      if (i + 1 >= PROXY_V1_MAX_LENGTH) return invalid("v1 header: longer than 107 bytes");
      if (i + 1 >= bytes.length) return NEED_DATA;
      if (bytes[i + 1] !== LF) return invalid("v1 header: CR without LF");
      end = i;
      break;
    }
    if (b < 0x20 || b > 0x7e) return invalid("v1 header: a byte that is not printable US-ASCII");
  }
  if (end < 0) return bytes.length >= PROXY_V1_MAX_LENGTH ? invalid("v1 header: longer than 107 bytes") : NEED_DATA;
  // Printable US-ASCII only (checked above), so one char per byte.
  let line = "";
  for (let i = V1_PREFIX.length; i < end; i++) line += String.fromCharCode(bytes[i] ?? 0);
  const consumed = end + 2;
  const words = line.split(" ");
  const protocol = words[0];
  if (protocol === "UNKNOWN") {
    return { type: "header", header: { version: 1, command: "proxy", addresses: undefined }, consumed };
  }
  if (protocol !== "TCP4" && protocol !== "TCP6") return invalid("v1 header: protocol is not TCP4, TCP6 or UNKNOWN");
  // Exactly one space between fields (spec §2.1: "a single space").
  if (words.length !== 5) return invalid("v1 header: not five fields after PROXY");
  const [, src, dst, sport, dport] = words as [string, string, string, string, string];
  const family = protocol === "TCP4" ? 4 : 6;
  const source = v1Address(src, family);
  const destination = v1Address(dst, family);
  if (source === undefined || destination === undefined) {
    return invalid(`v1 header: an address that is not ${family === 4 ? "IPv4" : "IPv6"}`);
  }
  if (!V1_PORT.test(sport) || !V1_PORT.test(dport)) return invalid("v1 header: a port that is not 0..65535");
  const sourcePort = Number(sport);
  const destinationPort = Number(dport);
  if (sourcePort > 0xffff || destinationPort > 0xffff) return invalid("v1 header: a port that is not 0..65535");
  return {
    type: "header",
    header: {
      version: 1,
      command: "proxy",
      addresses: { family, sourceAddress: source, sourcePort, destinationAddress: destination, destinationPort },
    },
    consumed,
  };
}

function v1Address(text: string, family: 4 | 6): string | undefined {
  if (family === 4) {
    const octets = parseIPv4(text);
    return octets === undefined ? undefined : octets.join(".");
  }
  const v6 = parseIPv6(text);
  // A zone id is local to one host and has no place in a header.
  if (v6 === undefined || v6.zone !== undefined) return undefined;
  return formatIp({ family: 6, groups: v6.groups, zone: undefined });
}

// ---- version 2 (spec §2.2) ------------------------------------------------------------
//
//   sig(12) ver_cmd(1) fam(1) len(2, network order) addr(len)
//   ver_cmd: high nibble 0x2; low nibble 0x0 LOCAL, 0x1 PROXY; anything else is invalid.
//   fam:     high nibble 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX; low nibble 0 UNSPEC, 1 STREAM, 2 DGRAM.
//   INET:  src(4) dst(4) sport(2) dport(2)      = 12 bytes, then TLVs to the end of len
//   INET6: src(16) dst(16) sport(2) dport(2)    = 36 bytes
//   UNIX:  src(108) dst(108)                    = 216 bytes
//   TLVs are skipped: nothing here needs them (SSL, ALPN, unique id, ...).

function decodeV2(bytes: Uint8Array): ProxyDecodeResult {
  const signature = Math.min(bytes.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < signature; i++) {
    if (bytes[i] !== PROXY_V2_SIGNATURE[i]) return invalid("not a PROXY protocol header");
  }
  if (bytes.length < 13) return NEED_DATA;
  const verCmd = bytes[12] ?? 0;
  if (verCmd >> 4 !== 2) return invalid("v2 header: version is not 2");
  const command = verCmd & 0x0f;
  if (command > 1) return invalid("v2 header: command is neither LOCAL nor PROXY");
  if (bytes.length < 14) return NEED_DATA;
  const fam = bytes[13] ?? 0;
  const af = fam >> 4;
  const transport = fam & 0x0f;
  // LOCAL: "the receiver must accept this connection as valid and must use the real connection
  // endpoints and discard the protocol block including the family which is ignored".
  if (command === 1) {
    if (af > 3 || transport > 2) return invalid("v2 header: unknown address family or transport");
    // The spec lists \x00 and \x11..\x32: UNSPEC transport with a real family (or the reverse) is
    // not one of them ("other values ... must be rejected as invalid by receivers").
    if ((af === 0) !== (transport === 0)) return invalid("v2 header: address family and transport do not match");
  }
  if (bytes.length < 16) return NEED_DATA;
  const length = ((bytes[14] ?? 0) << 8) | (bytes[15] ?? 0);
  const needed = af === 1 ? 12 : af === 2 ? 36 : af === 3 ? 216 : 0;
  if (command === 1 && length < needed) return invalid("v2 header: address block shorter than its family needs");
  const consumed = 16 + length;
  if (bytes.length < consumed) return NEED_DATA;
  if (command === 0)
    return { type: "header", header: { version: 2, command: "local", addresses: undefined }, consumed };
  // Rule 3: UNSPEC, UNIX and DGRAM are used as "the real endpoints".
  if ((af !== 1 && af !== 2) || transport !== 1) {
    return { type: "header", header: { version: 2, command: "proxy", addresses: undefined }, consumed };
  }
  const size = af === 1 ? 4 : 16;
  const src = bytes.subarray(16, 16 + size);
  const dst = bytes.subarray(16 + size, 16 + 2 * size);
  const ports = 16 + 2 * size;
  const sourcePort = ((bytes[ports] ?? 0) << 8) | (bytes[ports + 1] ?? 0);
  const destinationPort = ((bytes[ports + 2] ?? 0) << 8) | (bytes[ports + 3] ?? 0);
  return {
    type: "header",
    header: {
      version: 2,
      command: "proxy",
      addresses: {
        family: af === 1 ? 4 : 6,
        sourceAddress: binaryAddress(src),
        sourcePort,
        destinationAddress: binaryAddress(dst),
        destinationPort,
      },
    },
    consumed,
  };
}

function binaryAddress(raw: Uint8Array): string {
  if (raw.length === 4) return Array.from(raw).join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((raw[i] ?? 0) << 8) | (raw[i + 1] ?? 0));
  return formatIp({ family: 6, groups, zone: undefined });
}

// ---- the incremental decoder ----------------------------------------------------------

/**
 * Accumulates a connection's first bytes until they hold a PROXY header (or cannot).
 *
 * Call order: `receiveData(chunk)` for each chunk, then `nextEvent()`. After a `header` result,
 * `rest()` holds the bytes received after the header (the start of the application stream),
 * untouched. After `header` or `invalid` the result stays the same and further data is refused.
 */
export class ProxyHeaderDecoder {
  private buffer: Uint8Array = new Uint8Array(0);
  private result: ProxyHeaderDecoded | ProxyHeaderInvalid | undefined;

  /** @throws LocalProtocolError after the decoder has its result (the caller must stop feeding it). */
  receiveData(bytes: Uint8Array): void {
    if (this.result !== undefined) throw new LocalProtocolError("PROXY header decoder already has its result");
    if (bytes.length === 0) return;
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer, 0);
    joined.set(bytes, this.buffer.length);
    this.buffer = joined;
  }

  /** @returns `NEED_DATA`, the header, or why the bytes are not one. */
  nextEvent(): ProxyDecodeResult {
    if (this.result !== undefined) return this.result;
    const r = decodeProxyHeader(this.buffer);
    if (r === NEED_DATA) return r;
    this.result = r;
    return r;
  }

  /** The bytes after the header (empty before a `header` result). */
  rest(): Uint8Array {
    return this.result?.type === "header" ? this.buffer.subarray(this.result.consumed) : new Uint8Array(0);
  }
}

// ---- encoding (for proxies written on this package, and for tests) ----------------------

function checkAddresses(a: ProxyAddresses): { src: Uint8Array; dst: Uint8Array; srcText: string; dstText: string } {
  for (const port of [a.sourcePort, a.destinationPort]) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new LocalProtocolError(`PROXY header: port ${port} is not 0..65535`, { code: "FTP_ERR_BAD_PORT" });
    }
  }
  const src = addressBytes(a.sourceAddress, a.family);
  const dst = addressBytes(a.destinationAddress, a.family);
  return { src: src.bytes, dst: dst.bytes, srcText: src.text, dstText: dst.text };
}

function addressBytes(text: string, family: 4 | 6): { bytes: Uint8Array; text: string } {
  if (family === 4) {
    const octets = parseIPv4(text);
    if (octets === undefined) {
      throw new LocalProtocolError(`PROXY header: ${JSON.stringify(text)} is not IPv4`, {
        code: "FTP_ERR_BAD_ADDRESS",
      });
    }
    return { bytes: Uint8Array.from(octets), text: octets.join(".") };
  }
  let groups: readonly number[] | undefined;
  const v6 = parseIPv6(text);
  if (v6 !== undefined && v6.zone === undefined) groups = v6.groups;
  // A dotted quad in a TCP6 header is sent IPv4-mapped (RFC 4291 §2.5.5.2), as a dual-stack proxy does.
  const v4 = parseIPv4(text);
  if (v4 !== undefined) groups = [0, 0, 0, 0, 0, 0xffff, (v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
  if (groups === undefined) {
    throw new LocalProtocolError(`PROXY header: ${JSON.stringify(text)} is not IPv6`, { code: "FTP_ERR_BAD_ADDRESS" });
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  // v1 text of a mapped address: `::ffff:a.b.c.d`, as inet_ntop(3) prints it (formatIp would
  // print the bare dotted quad, which is not IPv6 text).
  const mapped = asIPv4({ family: 6, groups, zone: undefined });
  const out = mapped !== undefined ? `::ffff:${mapped.join(".")}` : formatIp({ family: 6, groups, zone: undefined });
  return { bytes, text: out };
}

/**
 * Encodes a version 1 header (spec §2.1): `PROXY TCP4|TCP6 src dst sport dport\r\n`, or
 * `PROXY UNKNOWN\r\n` when `addresses` is undefined.
 * @throws LocalProtocolError for a port outside 0..65535 or an address not of `family`.
 */
export function formatProxyHeaderV1(addresses: ProxyAddresses | undefined): Uint8Array {
  let line = "PROXY UNKNOWN\r\n";
  if (addresses !== undefined) {
    const a = checkAddresses(addresses);
    const protocol = addresses.family === 4 ? "TCP4" : "TCP6";
    line = `PROXY ${protocol} ${a.srcText} ${a.dstText} ${addresses.sourcePort} ${addresses.destinationPort}\r\n`;
  }
  const bytes = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) bytes[i] = line.charCodeAt(i);
  return bytes;
}

/** A v2 TLV (spec §2.2.1): skipped by the decoder, written by {@link formatProxyHeaderV2} for tests. */
export interface ProxyTlv {
  readonly type: number;
  readonly value: Uint8Array;
}

/**
 * Encodes a version 2 header (spec §2.2): `PROXY` over TCP with `addresses`, `PROXY` with
 * AF_UNSPEC when `addresses` is undefined, or `LOCAL` for `command: "local"`.
 * @throws LocalProtocolError for a bad port or address, a TLV type outside 0..255, or a header
 *   longer than 65551 bytes.
 */
export function formatProxyHeaderV2(
  header: { readonly command: "proxy" | "local"; readonly addresses: ProxyAddresses | undefined },
  options: { readonly tlvs?: readonly ProxyTlv[] } = {},
): Uint8Array {
  const parts: Uint8Array[] = [];
  let fam = 0x00;
  const a = header.command === "proxy" ? header.addresses : undefined;
  if (a !== undefined) {
    const c = checkAddresses(a);
    fam = a.family === 4 ? 0x11 : 0x21;
    const ports = Uint8Array.of(
      a.sourcePort >> 8,
      a.sourcePort & 0xff,
      a.destinationPort >> 8,
      a.destinationPort & 0xff,
    );
    parts.push(c.src, c.dst, ports);
  }
  for (const tlv of options.tlvs ?? []) {
    if (!Number.isInteger(tlv.type) || tlv.type < 0 || tlv.type > 0xff || tlv.value.length > 0xffff) {
      throw new LocalProtocolError("PROXY header: a TLV type outside 0..255 or a value over 65535 bytes");
    }
    parts.push(Uint8Array.of(tlv.type, tlv.value.length >> 8, tlv.value.length & 0xff), tlv.value);
  }
  const length = parts.reduce((n, p) => n + p.length, 0);
  if (length > 0xffff) throw new LocalProtocolError("PROXY header: longer than 65551 bytes");
  const out = new Uint8Array(16 + length);
  out.set(PROXY_V2_SIGNATURE, 0);
  out[12] = header.command === "proxy" ? 0x21 : 0x20;
  out[13] = fam;
  out[14] = length >> 8;
  out[15] = length & 0xff;
  let at = 16;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
