/**
 * IP address text, parsed and printed without `node:net` so the core runs in a browser.
 *
 * Choices, all deliberate:
 * - IPv4 is the strict dotted quad: four decimal octets 0..255, no leading zeros. `01.2.3.4`
 *   is rejected, because inet_aton(3) reads `010` as octal 8 while others read decimal 10;
 *   refusing the ambiguous form is the only answer that means the same thing to every peer
 *   (Node's `net.isIPv4` rejects it too). Shorthands such as `127.1` and hex `0x7f.0.0.1`
 *   are rejected.
 * - IPv6 is RFC 4291 §2.2 text: up to eight 1-4 digit hex groups, at most one `::` standing
 *   for one or more zero groups, an optional trailing dotted quad (same strict IPv4 rules).
 * - A zone id (`fe80::1%eth0`, RFC 4007 §11) is accepted after an IPv6 address and kept,
 *   case and all, by {@link normalizeIp}: Node reports link-local peers that way. Zone ids
 *   are local to one host, so {@link sameHost} ignores them and EPRT refuses to carry them.
 *   Allowed zone characters are RFC 3986 "unreserved" (`A-Z a-z 0-9 - . _ ~`).
 * - Printing follows RFC 5952 §4 (lower case, no leading zeros, the longest run of two or
 *   more zero groups compressed, the first one on a tie). An IPv4-mapped address
 *   `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2) prints as plain `a.b.c.d`: a dual-stack Node socket
 *   reports IPv4 peers in that form, and it is the same host.
 */

import { type ParseResult, safeParse } from "../errors/index.js";
import { ADDRESS_ERROR_CODES, addressError, quote } from "./address-errors.js";

/** @internal A parsed address: 4 octets for IPv4, 8 16-bit groups for IPv6. */
export type ParsedIp =
  | { readonly family: 4; readonly octets: readonly [number, number, number, number] }
  | { readonly family: 6; readonly groups: readonly number[]; readonly zone: string | undefined };

const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const ZONE_ID = /^[0-9A-Za-z._~-]+$/;

/** @internal Parses a strict dotted quad; `undefined` if it is not one. */
export function parseIPv4(text: string): [number, number, number, number] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    // ABNF (RFC 3986 §3.2.2): dec-octet = DIGIT / %x31-39 DIGIT / "1" 2DIGIT / "2" %x30-34 DIGIT / "25" %x30-35
    if (!DECIMAL_OCTET.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    octets.push(value);
  }
  return octets as [number, number, number, number];
}

/** @internal Parses IPv6 text (RFC 4291 §2.2) with an optional `%zone`; `undefined` if it is not one. */
export function parseIPv6(text: string): { groups: number[]; zone: string | undefined } | undefined {
  let address = text;
  let zone: string | undefined;
  const percent = text.indexOf("%");
  if (percent >= 0) {
    zone = text.slice(percent + 1);
    address = text.slice(0, percent);
    if (!ZONE_ID.test(zone)) return undefined;
  }
  const gap = address.indexOf("::");
  if (gap >= 0 && address.indexOf("::", gap + 1) >= 0) return undefined; // "::" at most once (RFC 4291 §2.2 item 2)
  const head = gap >= 0 ? address.slice(0, gap) : address;
  const tail = gap >= 0 ? address.slice(gap + 2) : "";
  const headPieces = head === "" ? [] : head.split(":");
  const tailPieces = tail === "" ? [] : tail.split(":");
  if (gap < 0 && headPieces.length === 0) return undefined;
  // An embedded dotted quad may only be the very last piece (RFC 4291 §2.2 item 3).
  const headGroups = toGroups(headPieces, gap < 0);
  const tailGroups = toGroups(tailPieces, true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  const explicit = headGroups.length + tailGroups.length;
  if (gap < 0) {
    if (explicit !== 8) return undefined;
    return { groups: headGroups, zone };
  }
  // "::" stands for ONE or more zero groups, so at most 7 explicit ones.
  if (explicit > 7) return undefined;
  const zeros = new Array<number>(8 - explicit).fill(0);
  return { groups: [...headGroups, ...zeros, ...tailGroups], zone };
}

function toGroups(pieces: readonly string[], ipv4AllowedLast: boolean): number[] | undefined {
  const groups: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] ?? "";
    if (HEX_GROUP.test(piece)) {
      groups.push(Number.parseInt(piece, 16));
      continue;
    }
    if (ipv4AllowedLast && i === pieces.length - 1) {
      const v4 = parseIPv4(piece);
      if (v4 === undefined) return undefined;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      continue;
    }
    return undefined;
  }
  return groups;
}

/** @internal Parses either family; `undefined` for anything else (host names included). */
export function parseIp(text: string): ParsedIp | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, octets: v4 };
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return { family: 6, groups: v6.groups, zone: v6.zone };
  return undefined;
}

/** @internal The IPv4 address inside `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2), if that is what `groups` holds. */
export function unmapIPv4(groups: readonly number[]): [number, number, number, number] | undefined {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return undefined;
  if (groups[5] !== 0xffff) return undefined;
  const hi = groups[6] ?? 0;
  const lo = groups[7] ?? 0;
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
}

/**
 * @internal Collapses a parsed address to IPv4 octets when it is IPv4 or IPv4-mapped IPv6,
 * `undefined` otherwise.
 */
export function asIPv4(ip: ParsedIp): [number, number, number, number] | undefined {
  return ip.family === 4 ? [...ip.octets] : unmapIPv4(ip.groups);
}

function formatIPv6Groups(groups: readonly number[]): string {
  // RFC 5952 §4.2.1-§4.2.3: compress the longest run (length >= 2) of zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  // RFC 5952 §4.1 (no leading zeros) and §4.3 (lower case).
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** @internal Prints a parsed address canonically (see {@link normalizeIp}). */
export function formatIp(ip: ParsedIp): string {
  const v4 = asIPv4(ip);
  if (v4 !== undefined) return v4.join(".");
  if (ip.family === 4) return ip.octets.join(".");
  const text = formatIPv6Groups(ip.groups);
  return ip.zone === undefined ? text : `${text}%${ip.zone}`;
}

/**
 * Tells whether `text` is a strict IPv4 dotted quad (`a.b.c.d`, each 0..255, no leading zeros).
 *
 * @returns `true` for `192.0.2.1`; `false` for `01.2.3.4`, `127.1`, `1.2.3.256`, `" 1.2.3.4"`.
 */
export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== undefined;
}

/**
 * Tells whether `text` is IPv6 text per RFC 4291 §2.2, optionally with a `%zone` suffix.
 *
 * @returns `true` for `::1`, `2001:db8::1`, `::ffff:192.0.2.1`, `fe80::1%eth0`; `false` for
 *   `1::2::3`, `[::1]` (brackets belong to URLs, not to FTP), `1:2:3:4:5:6:7:8::`.
 */
export function isIPv6(text: string): boolean {
  return parseIPv6(text) !== undefined;
}

/**
 * The address family of `text`, judged on its syntax (an IPv4-mapped IPv6 address is 6).
 *
 * @returns `4`, `6`, or `undefined` when `text` is not an IP address (a host name, say).
 */
export function ipFamily(text: string): 4 | 6 | undefined {
  return parseIp(text)?.family;
}

/**
 * Prints an IP address in its canonical form: IPv4 as a strict dotted quad; IPv6 per
 * RFC 5952 §4 (lower case, shortest, longest zero run compressed), with any `%zone` kept
 * verbatim; an IPv4-mapped address (`::ffff:1.2.3.4`, `::FFFF:0102:0304`) as plain `1.2.3.4`,
 * dropping its zone id if it had one (IPv4 has no zones).
 *
 * @returns The canonical text; `normalizeIp(normalizeIp(x)) === normalizeIp(x)`.
 * @throws {LocalProtocolError} `replyHint` 501, code `FTP_ERR_BAD_ADDRESS`, when `text` is
 *   not an address that {@link ipFamily} recognises.
 */
export function normalizeIp(text: string): string {
  const ip = parseIp(text);
  if (ip === undefined) throw addressError(`not an IP address: ${quote(text)}`, ADDRESS_ERROR_CODES.badAddress);
  return formatIp(ip);
}

/**
 * Non-throwing twin of {@link normalizeIp} (STYLE E5).
 *
 * @returns `{ success: true, value }` or `{ success: false, error }`.
 */
export function safeNormalizeIp(text: string): ParseResult<string> {
  return safeParse(() => normalizeIp(text));
}

/**
 * Tells whether two address texts name the same host: both are normalised first, so
 * `::ffff:127.0.0.1` equals `127.0.0.1` and `2001:DB8::1` equals `2001:db8:0:0::1`.
 * Zone ids are ignored (`fe80::1%eth0` equals `fe80::1`): an EPRT argument can never carry
 * one, while Node reports a link-local control peer with one. This is the comparison a
 * server needs for the RFC 2577 §3 bounce check (see {@link checkActiveDataTarget}).
 *
 * @returns `false` when either side is not an IP address (host names are never equal here:
 *   resolving them is I/O, which this package does not do).
 */
export function sameHost(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  if (x === undefined || y === undefined) return false;
  return withoutZone(x) === withoutZone(y);
}

function withoutZone(ip: ParsedIp): string {
  return formatIp(ip.family === 6 ? { family: 6, groups: ip.groups, zone: undefined } : ip);
}

/**
 * Tells whether `text` is a loopback address: `127.0.0.0/8` (RFC 1122 §3.2.1.3), `::1`
 * (RFC 4291 §2.5.3), or `::ffff:127.x.y.z`.
 *
 * @returns `false` for anything that is not an IP address.
 */
export function isLoopback(text: string): boolean {
  const ip = parseIp(text);
  if (ip === undefined) return false;
  const v4 = asIPv4(ip);
  if (v4 !== undefined) return v4[0] === 127;
  return ip.family === 6 && ip.groups.every((g, i) => g === (i === 7 ? 1 : 0));
}

/**
 * Tells whether `text` is the unspecified address: `0.0.0.0`, `::`, or `::ffff:0.0.0.0`.
 * Some servers behind NAT (older FileZilla Server, misconfigured vsftpd with `listen_ipv6`)
 * answer PASV with `0,0,0,0,p1,p2`; a client should then connect to the control host instead.
 *
 * @returns `false` for anything that is not an IP address.
 */
export function isUnspecified(text: string): boolean {
  const ip = parseIp(text);
  if (ip === undefined) return false;
  const v4 = asIPv4(ip);
  if (v4 !== undefined) return v4.every((o) => o === 0);
  return ip.family === 6 && ip.groups.every((g) => g === 0);
}

/** IPv4 special-purpose blocks (IANA registry, RFC 6890 and successors) as [first octets, prefix length]. */
const SPECIAL_IPV4: readonly (readonly [number, number, number, number, number])[] = [
  [0, 0, 0, 0, 8], // "this network" (RFC 791, RFC 1122 §3.2.1.3)
  [10, 0, 0, 0, 8], // private (RFC 1918)
  [100, 64, 0, 0, 10], // shared address space, carrier-grade NAT (RFC 6598)
  [127, 0, 0, 0, 8], // loopback (RFC 1122)
  [169, 254, 0, 0, 16], // link local (RFC 3927)
  [172, 16, 0, 0, 12], // private (RFC 1918)
  [192, 0, 0, 0, 24], // IETF protocol assignments (RFC 6890)
  [192, 0, 2, 0, 24], // TEST-NET-1 documentation (RFC 5737)
  [192, 88, 99, 0, 24], // deprecated 6to4 relay anycast (RFC 7526)
  [192, 168, 0, 0, 16], // private (RFC 1918)
  [198, 18, 0, 0, 15], // benchmarking (RFC 2544)
  [198, 51, 100, 0, 24], // TEST-NET-2 (RFC 5737)
  [203, 0, 113, 0, 24], // TEST-NET-3 (RFC 5737)
  [224, 0, 0, 0, 4], // multicast (RFC 5771)
  [240, 0, 0, 0, 4], // reserved, and 255.255.255.255 limited broadcast (RFC 1112, RFC 919)
];

/**
 * Tells whether `text` is an IPv4 address (or IPv4-mapped IPv6) in a private, shared, loopback,
 * link-local, documentation, multicast or otherwise reserved block (IANA special-purpose
 * registry, RFC 6890). Clients use it for the NAT quirk: a server behind NAT (vsftpd without
 * `pasv_address`, IIS, FileZilla Server) often answers PASV with its private address, and
 * basic-ftp, FileZilla and curl (`--ftp-skip-pasv-ip`) then connect to the control host.
 *
 * @returns `false` for public IPv4, for every non-mapped IPv6 address, and for non-addresses.
 */
export function isPrivateOrReservedIPv4(text: string): boolean {
  const ip = parseIp(text);
  if (ip === undefined) return false;
  const v4 = asIPv4(ip);
  if (v4 === undefined) return false;
  const value = ((v4[0] << 24) | (v4[1] << 16) | (v4[2] << 8) | v4[3]) >>> 0;
  return SPECIAL_IPV4.some(([a, b, c, d, prefix]) => {
    const base = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return (value & mask) >>> 0 === base;
  });
}
