/**
 * A throwaway self-signed certificate for local development, built in-process.
 *
 * Node 20 can make keys and signatures (node:crypto) and parse certificates
 * (X509Certificate) but has no X.509 builder. The choices were to shell out to
 * `openssl req -x509` or to encode the few DER structures of one certificate here. This
 * module does the latter (RFC 5280 §4.1, X.690 DER), because:
 * - nothing outside Node is needed: no `openssl` binary (absent from Windows, slim and
 *   distroless images), no PATH lookup, no child process at start;
 * - the private key never touches the disk (openssl would need a temp file or a pipe);
 * - it takes about a millisecond (a P-256 key), and its output is checked: the tests parse it
 *   with X509Certificate and handshake with it against OpenSSL (curl, Python) and GnuTLS (lftp).
 *
 * The certificate: ECDSA P-256 with SHA-256, version 3, a random 128-bit serial, subject =
 * issuer = "ftpkit self-signed (local development only)", valid from an hour ago for 365
 * days, subjectAltName for localhost, 127.0.0.1, ::1 and any extra names given, and the
 * basicConstraints/key identifiers `openssl req -x509` puts in (clients that verify against
 * the file then accept it as its own trust anchor).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";
import { isIP } from "node:net";

/** The PEM of a generated certificate and its private key. @internal */
export interface SelfSignedCertificate {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint, `AA:BB:...` as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprint256: string;
  readonly validTo: Date;
}

export const SELF_SIGNED_SUBJECT = "ftpkit self-signed (local development only)";

// ---- DER (X.690) ----------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const octetString = (bytes: Buffer) => tlv(0x04, bytes);
const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));
const bitString = (bytes: Buffer) => tlv(0x03, Buffer.from([0]), bytes);
const explicit = (n: number, content: Buffer) => tlv(0xa0 | n, content);
const TRUE = tlv(0x01, Buffer.from([0xff]));

/** A non-negative INTEGER from big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1] as number) < 0x80) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0] as number) >= 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out: number[] = [40 * (parts[0] as number) + (parts[1] as number)];
  for (const part of parts.slice(2)) {
    const base128: number[] = [];
    let v = part;
    do {
      base128.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < base128.length - 1; i++) base128[i] = (base128[i] as number) | 0x80;
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const year = date.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const name = (commonName: string) => sequence(set(sequence(oid("2.5.4.3"), utf8String(commonName))));
const extension = (id: string, value: Buffer, critical = false) =>
  sequence(oid(id), ...(critical ? [TRUE] : []), octetString(value));

/** GeneralNames (RFC 5280 §4.2.1.6): dNSName [2] and iPAddress [7], both IMPLICIT. */
function subjectAltNames(hosts: readonly string[]): Buffer {
  const names = hosts.map((host) => {
    const family = isIP(host);
    if (family === 4) return tlv(0x87, Buffer.from(host.split(".").map(Number)));
    if (family === 6) return tlv(0x87, ipv6Bytes(host));
    return tlv(0x82, Buffer.from(host, "ascii"));
  });
  return sequence(...names);
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  // An IPv4 tail (::ffff:192.0.2.1) becomes two hex groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail = ""] = text.includes("::") ? text.split("::") : [text, ""];
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  for (const [i, g] of all.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

/** Names a development certificate should hold: loopback, plus what the server was told. */
function hostNames(extra: readonly string[]): string[] {
  const out = ["localhost", "127.0.0.1", "::1"];
  for (const host of extra) {
    const h = host.replace(/^\[|\]$/g, "");
    if (h === "" || h === "0.0.0.0" || h === "::" || h.includes("%")) continue;
    if (isIP(h) === 0 && !/^[A-Za-z0-9.-]{1,253}$/.test(h)) continue;
    if (!out.includes(h.toLowerCase())) out.push(isIP(h) === 0 ? h.toLowerCase() : h);
  }
  return out;
}

/**
 * Generates a new key and self-signed certificate. For local development only: no client
 * can tell it from an attacker's without being given its fingerprint or file out of band.
 * @internal
 */
export function generateSelfSignedCertificate(
  options: { hosts?: readonly string[]; now?: Date; days?: number } = {},
): SelfSignedCertificate {
  const now = options.now ?? new Date();
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  // The subjectPublicKey BIT STRING is the SPKI's last element; its key identifier is the
  // SHA-1 of those bits (RFC 5280 §4.2.1.2, method 1). For P-256 they are the last 65 bytes.
  const keyId = createHash("sha1")
    .update(spki.subarray(spki.length - 65))
    .digest();
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01; // positive, 16 bytes long
  const ecdsaWithSha256 = sequence(oid("1.2.840.10045.4.3.2"));
  const subject = name(SELF_SIGNED_SUBJECT);
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + (options.days ?? 365) * 86_400_000);
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ecdsaWithSha256,
    subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    spki,
    explicit(
      3,
      sequence(
        extension("2.5.29.14", octetString(keyId)), // subjectKeyIdentifier
        extension("2.5.29.35", sequence(tlv(0x80, keyId))), // authorityKeyIdentifier (keyIdentifier [0])
        extension("2.5.29.19", sequence(TRUE), true), // basicConstraints: CA (its own trust anchor)
        extension("2.5.29.17", subjectAltNames(hostNames(options.hosts ?? []))),
      ),
    ),
  );
  const signature = sign("sha256", tbs, privateKey); // DER ECDSA-Sig-Value
  const der = sequence(tbs, ecdsaWithSha256, bitString(signature));
  const cert = `-----BEGIN CERTIFICATE-----\n${der
    .toString("base64")
    .replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE-----\n`;
  const parsed = new X509Certificate(cert);
  if (!parsed.verify(publicKey)) throw new Error("generated self-signed certificate does not verify");
  return {
    cert,
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    fingerprint256: parsed.fingerprint256,
    validTo: new Date(parsed.validTo),
  };
}
