import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { normalizeIp } from "../address/ip.js";
import { NEED_DATA } from "../sentinels.js";
import {
  decodeProxyHeader,
  formatProxyHeaderV1,
  formatProxyHeaderV2,
  PROXY_V2_SIGNATURE,
  type ProxyAddresses,
  type ProxyDecodeResult,
  type ProxyHeader,
  ProxyHeaderDecoder,
} from "./proxy-header.js";

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const v2 = (verCmd: number, fam: number, body: number[]) =>
  concat(PROXY_V2_SIGNATURE, Uint8Array.of(verCmd, fam, body.length >> 8, body.length & 0xff, ...body));

const TCP4: ProxyAddresses = {
  family: 4,
  sourceAddress: "192.0.2.10",
  sourcePort: 56324,
  destinationAddress: "198.51.100.1",
  destinationPort: 21,
};

// [name, input bytes, expected header or invalid, consumed]
const VALID: [string, Uint8Array, ProxyHeader, number][] = [
  [
    "v1 TCP4 (spec §2.1 example)",
    ascii("PROXY TCP4 192.0.2.10 198.51.100.1 56324 21\r\n"),
    { version: 1, command: "proxy", addresses: TCP4 },
    45,
  ],
  [
    "v1 TCP6, canonical output",
    ascii("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 65535 0\r\n"),
    {
      version: 1,
      command: "proxy",
      addresses: {
        family: 6,
        sourceAddress: "2001:db8::1",
        sourcePort: 65535,
        destinationAddress: "::1",
        destinationPort: 0,
      },
    },
    45,
  ],
  ["v1 UNKNOWN", ascii("PROXY UNKNOWN\r\n"), { version: 1, command: "proxy", addresses: undefined }, 15],
  [
    "v1 UNKNOWN with addresses, ignored (spec §2.1)",
    ascii("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"),
    { version: 1, command: "proxy", addresses: undefined },
    59,
  ],
  [
    "v2 PROXY TCP4",
    v2(0x21, 0x11, [192, 0, 2, 10, 198, 51, 100, 1, 0xdc, 0x04, 0, 21]),
    { version: 2, command: "proxy", addresses: TCP4 },
    28,
  ],
  [
    "v2 PROXY TCP6",
    v2(0x21, 0x21, [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1, ...new Array(15).fill(0), 1, 0, 80, 0, 21]),
    {
      version: 2,
      command: "proxy",
      addresses: {
        family: 6,
        sourceAddress: "2001:db8::1",
        sourcePort: 80,
        destinationAddress: "::1",
        destinationPort: 21,
      },
    },
    52,
  ],
  [
    "v2 PROXY TCP4 with TLVs (skipped)",
    v2(0x21, 0x11, [192, 0, 2, 10, 198, 51, 100, 1, 0xdc, 0x04, 0, 21, 0x01, 0, 2, 0x68, 0x32, 0x04, 0, 0]),
    { version: 2, command: "proxy", addresses: TCP4 },
    36,
  ],
  ["v2 LOCAL (a health check)", v2(0x20, 0x00, []), { version: 2, command: "local", addresses: undefined }, 16],
  [
    "v2 LOCAL ignores the family and the block",
    v2(0x20, 0xff, [1, 2, 3]),
    { version: 2, command: "local", addresses: undefined },
    19,
  ],
  ["v2 PROXY UNSPEC", v2(0x21, 0x00, []), { version: 2, command: "proxy", addresses: undefined }, 16],
  [
    "v2 PROXY over UDP falls back to UNSPEC",
    v2(0x21, 0x12, [192, 0, 2, 10, 198, 51, 100, 1, 0, 53, 0, 53]),
    { version: 2, command: "proxy", addresses: undefined },
    28,
  ],
  [
    "v2 PROXY AF_UNIX falls back to UNSPEC",
    v2(0x21, 0x31, new Array(216).fill(0)),
    { version: 2, command: "proxy", addresses: undefined },
    232,
  ],
];

const INVALID: [string, Uint8Array][] = [
  ["an FTP command", ascii("USER anonymous\r\n")],
  ["a TLS ClientHello", Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00)],
  ["lower-case proxy", ascii("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n")],
  ["PROXY without a space", ascii("PROXYTCP4")],
  ["TCP5", ascii("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n")],
  ["IPv6 in TCP4", ascii("PROXY TCP4 ::1 ::1 1 2\r\n")],
  ["IPv4 in TCP6", ascii("PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n")],
  ["a leading zero in an address", ascii("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n")],
  ["a leading zero in a port", ascii("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n")],
  ["a port over 65535", ascii("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n")],
  ["two spaces", ascii("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n")],
  ["a missing port", ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n")],
  ["a zone id", ascii("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n")],
  ["LF without CR", ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n")],
  ["CR without LF", ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r")],
  ["a control byte", ascii("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n")],
  ["108 bytes without CRLF", ascii(`PROXY UNKNOWN ${"x".repeat(94)}`)],
  ["CRLF as bytes 107-108", ascii(`PROXY UNKNOWN ${"x".repeat(92)}\r\n`)],
  ["a wrong v2 signature", concat(PROXY_V2_SIGNATURE.subarray(0, 11), Uint8Array.of(0x0b))],
  ["v2 version 1", v2(0x11, 0x11, new Array(12).fill(0))],
  ["v2 command 2", v2(0x22, 0x11, new Array(12).fill(0))],
  ["v2 family 4", v2(0x21, 0x41, new Array(12).fill(0))],
  ["v2 transport 3", v2(0x21, 0x13, new Array(12).fill(0))],
  ["v2 INET with UNSPEC transport", v2(0x21, 0x10, new Array(12).fill(0))],
  ["v2 INET block too short", v2(0x21, 0x11, new Array(11).fill(0))],
  ["v2 INET6 block too short", v2(0x21, 0x21, new Array(35).fill(0))],
];

function whole(bytes: Uint8Array): ProxyDecodeResult {
  return decodeProxyHeader(bytes);
}

function byteByByte(bytes: Uint8Array): { result: ProxyDecodeResult; rest: Uint8Array } {
  const d = new ProxyHeaderDecoder();
  let result: ProxyDecodeResult = NEED_DATA;
  for (let i = 0; i < bytes.length && result === NEED_DATA; i++) {
    d.receiveData(bytes.subarray(i, i + 1));
    result = d.nextEvent();
  }
  return { result, rest: d.rest() };
}

describe("decodeProxyHeader", () => {
  it.each(VALID)("%s", (_name, bytes, header, consumed) => {
    const trailing = ascii("220 not part of it\r\n");
    for (const input of [bytes, concat(bytes, trailing)]) {
      expect(whole(input)).toEqual({ type: "header", header, consumed });
    }
    expect(consumed).toBe(bytes.length);
    // Byte by byte, the header appears exactly when its last byte arrives; the rest is untouched.
    const split = byteByByte(concat(bytes, trailing));
    expect(split.result).toEqual({ type: "header", header, consumed });
    for (let n = 0; n < bytes.length; n++) expect(whole(bytes.subarray(0, n))).toBe(NEED_DATA);
  });

  it.each(INVALID)("refuses %s", (_name, bytes) => {
    const r = whole(bytes);
    expect(r).toMatchObject({ type: "invalid" });
    expect(byteByByte(bytes).result).toEqual(r);
  });

  it("refuses bytes that cannot start a header at the first byte, without waiting", () => {
    expect(whole(ascii("U"))).toMatchObject({ type: "invalid" });
    expect(whole(ascii("PROXX"))).toMatchObject({ type: "invalid" });
    expect(whole(Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0b))).toMatchObject({ type: "invalid" });
    expect(whole(ascii("PROX"))).toBe(NEED_DATA);
    expect(whole(new Uint8Array(0))).toBe(NEED_DATA);
  });

  it("the decoder keeps its result and refuses more data", () => {
    const d = new ProxyHeaderDecoder();
    d.receiveData(concat(formatProxyHeaderV1(TCP4), ascii("USER x\r\n")));
    expect(d.nextEvent()).toMatchObject({ type: "header" });
    expect(String.fromCharCode(...d.rest())).toBe("USER x\r\n");
    expect(d.nextEvent()).toMatchObject({ type: "header" });
    expect(() => d.receiveData(ascii("more"))).toThrow(/already has its result/);
  });

  it("formats the spec's examples", () => {
    expect(String.fromCharCode(...formatProxyHeaderV1(TCP4))).toBe("PROXY TCP4 192.0.2.10 198.51.100.1 56324 21\r\n");
    expect(String.fromCharCode(...formatProxyHeaderV1(undefined))).toBe("PROXY UNKNOWN\r\n");
    expect(
      String.fromCharCode(
        ...formatProxyHeaderV1({ ...TCP4, family: 6, sourceAddress: "192.0.2.10", destinationAddress: "2001:db8::1" }),
      ),
    ).toBe("PROXY TCP6 ::ffff:192.0.2.10 2001:db8::1 56324 21\r\n");
    expect(Array.from(formatProxyHeaderV2({ command: "local", addresses: TCP4 }))).toEqual(
      Array.from(v2(0x20, 0x00, [])),
    );
    expect(() => formatProxyHeaderV1({ ...TCP4, sourcePort: 65536 })).toThrow(/port/);
    expect(() => formatProxyHeaderV2({ command: "proxy", addresses: { ...TCP4, sourceAddress: "::1" } })).toThrow(
      /IPv4/,
    );
  });
});

// ---- properties (fixed seed: tools/fast-check-seed.ts) --------------------------------------

const ipv4 = fc.ipV4();
const ipv6 = fc.oneof(
  fc.ipV6(),
  ipv4.map((a) => `::ffff:${a}`),
);
const port = fc.integer({ min: 0, max: 0xffff });
const addresses: fc.Arbitrary<ProxyAddresses> = fc.oneof(
  fc.record({
    family: fc.constant(4 as const),
    sourceAddress: ipv4,
    sourcePort: port,
    destinationAddress: ipv4,
    destinationPort: port,
  }),
  fc.record({
    family: fc.constant(6 as const),
    sourceAddress: ipv6,
    sourcePort: port,
    destinationAddress: ipv6,
    destinationPort: port,
  }),
);
const canonical = (a: ProxyAddresses): ProxyAddresses => ({
  ...a,
  sourceAddress: normalizeIp(a.sourceAddress),
  destinationAddress: normalizeIp(a.destinationAddress),
});
const tlvs = fc.array(fc.record({ type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 40 }) }), {
  maxLength: 4,
});
/** Any header the encoders can write, with what decoding it must give. */
const encoded: fc.Arbitrary<{ bytes: Uint8Array; header: ProxyHeader }> = fc.oneof(
  fc.option(addresses, { nil: undefined }).map((a) => ({
    bytes: formatProxyHeaderV1(a),
    header: { version: 1 as const, command: "proxy" as const, addresses: a === undefined ? undefined : canonical(a) },
  })),
  fc
    .tuple(fc.constantFrom("proxy" as const, "local" as const), fc.option(addresses, { nil: undefined }), tlvs)
    .map(([command, a, t]) => ({
      bytes: formatProxyHeaderV2({ command, addresses: a }, { tlvs: t }),
      header: {
        version: 2 as const,
        command,
        addresses: command === "local" || a === undefined ? undefined : canonical(a),
      },
    })),
);

describe("decodeProxyHeader properties", () => {
  test.prop([encoded, fc.uint8Array({ maxLength: 64 })], { numRuns: 10_000 })(
    "format then parse is the identity (v1 and v2), trailing bytes untouched",
    ({ bytes, header }, trailing) => {
      const input = concat(bytes, trailing);
      expect(decodeProxyHeader(input)).toEqual({ type: "header", header, consumed: bytes.length });
    },
  );

  test.prop([encoded, fc.uint8Array({ maxLength: 16 }), fc.array(fc.nat(200), { maxLength: 8 })], { numRuns: 5_000 })(
    "the same result for any split points",
    ({ bytes }, trailing, cuts) => {
      const input = concat(bytes, trailing);
      const expected = decodeProxyHeader(input);
      const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
      const d = new ProxyHeaderDecoder();
      let at = 0;
      let result: ProxyDecodeResult = NEED_DATA;
      for (const p of [...points, input.length]) {
        if (result !== NEED_DATA) break;
        d.receiveData(input.subarray(at, p));
        at = p;
        result = d.nextEvent();
      }
      expect(result).toEqual(expected);
      expect(Array.from(d.rest())).toEqual(Array.from(input.subarray(bytes.length, at)));
    },
  );

  test.prop([encoded], { numRuns: 500 })("split at every byte boundary gives the same result", ({ bytes }) => {
    const expected = decodeProxyHeader(bytes);
    for (let i = 0; i <= bytes.length; i++) {
      const d = new ProxyHeaderDecoder();
      d.receiveData(bytes.subarray(0, i));
      const first = d.nextEvent();
      if (first !== NEED_DATA) {
        expect(i).toBe(bytes.length);
        expect(first).toEqual(expected);
        continue;
      }
      d.receiveData(bytes.subarray(i));
      expect(d.nextEvent()).toEqual(expected);
    }
  });

  const arbitrary = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    // Bytes that start like a header, to reach past the first checks.
    fc.uint8Array({ maxLength: 120 }).map((b) => concat(ascii("PROXY "), b)),
    fc.uint8Array({ maxLength: 120 }).map((b) => concat(ascii("PROXY TCP4 "), b)),
    fc.uint8Array({ maxLength: 300 }).map((b) => concat(PROXY_V2_SIGNATURE, b)),
    fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 }))
      .map(([vc, fam, b]) => concat(PROXY_V2_SIGNATURE, Uint8Array.of(vc, fam, b.length >> 8, b.length & 0xff), b)),
    fc.string({ unit: fc.constantFrom(..."PROXY TCP46UNKNOW0123456789.:abcdef \r\n"), maxLength: 120 }).map(ascii),
  );

  test.prop([arbitrary], { numRuns: 10_000 })(
    "arbitrary bytes: never throws, never consumes past the header, and agrees with every prefix",
    (bytes) => {
      const r = decodeProxyHeader(bytes);
      if (r === NEED_DATA) return;
      if (r.type === "invalid") {
        expect(r.reason.length).toBeGreaterThan(0);
        // More bytes never turn an invalid start into a header.
        expect(decodeProxyHeader(concat(bytes, ascii("\r\n")))).toMatchObject({ type: "invalid" });
        return;
      }
      expect(r.consumed).toBeGreaterThan(0);
      expect(r.consumed).toBeLessThanOrEqual(bytes.length);
      // The header alone decodes the same: nothing after `consumed` was looked at.
      expect(decodeProxyHeader(bytes.subarray(0, r.consumed))).toEqual(r);
      expect(decodeProxyHeader(bytes.subarray(0, r.consumed - 1))).toBe(NEED_DATA);
    },
  );
});
