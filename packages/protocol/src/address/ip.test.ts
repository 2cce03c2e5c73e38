import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { FtpProtocolError, LocalProtocolError } from "../errors/index.js";
import {
  ipFamily,
  isIPv4,
  isIPv6,
  isLoopback,
  isPrivateOrReservedIPv4,
  isUnspecified,
  normalizeIp,
  parseIPv6,
  safeNormalizeIp,
  sameHost,
} from "./ip.js";

const RUNS = { numRuns: 10_000 };

/** WHATWG URL host serialisation compresses IPv6 exactly as RFC 5952 §4 does: an independent oracle. */
function whatwgIPv6(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

describe("isIPv4", { timeout: 60_000 }, () => {
  it.each(["0.0.0.0", "1.2.3.4", "127.0.0.1", "192.168.1.254", "255.255.255.255", "10.0.0.0"])("accepts %j", (text) => {
    expect(isIPv4(text)).toBe(true);
    expect(ipFamily(text)).toBe(4);
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "1.2.3.256",
    "01.2.3.4", // leading zero: octal to inet_aton(3), decimal to others; refused
    "1.2.3.04",
    "00.0.0.0",
    "127.1",
    "0x7f.0.0.1",
    "1.2.3.-1",
    "1..3.4",
    "1.2.3.4.",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4\n",
    "１.2.3.4", // fullwidth digit
    "1.2.3.4/24",
    "99999999999.0.0.0",
    "a.b.c.d",
  ])("rejects %j", (text) => {
    expect(isIPv4(text)).toBe(false);
  });
});

describe("isIPv6", { timeout: 60_000 }, () => {
  it.each([
    "::",
    "::1",
    "1::",
    "2001:db8::1",
    "2001:DB8::1",
    "2001:0db8:0000:0000:0000:0000:0000:0001",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "::ffff:1.2.3.4",
    "::1.2.3.4",
    "1:2:3:4:5:6:1.2.3.4",
    "fe80::1%eth0",
    "fe80::1%25",
    "fe80::1%en0.1_x~y-z",
  ])("accepts %j", (text) => {
    expect(isIPv6(text)).toBe(true);
    expect(ipFamily(text)).toBe(6);
  });

  it.each([
    "",
    ":",
    ":::",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8::", // "::" must stand for at least one group
    "::1:2:3:4:5:6:7:8",
    ":1::",
    "::1:",
    "1:",
    "12345::",
    "g::",
    "[::1]",
    "::1%",
    "::1%eth 0",
    "::1%eth0%1",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "::01.2.3.4",
    "::256.1.1.1",
    "1:2:3:4:5:6:7:1.2.3.4",
    " ::1",
    "::1\r\n",
  ])("rejects %j", (text) => {
    expect(isIPv6(text)).toBe(false);
  });

  test.prop([fc.ipV6()], RUNS)("accepts every fc.ipV6()", (text) => {
    expect(isIPv6(text)).toBe(true);
    expect(isIPv4(text)).toBe(false);
  });

  const piece = fc.oneof(
    fc.stringMatching(/^[0-9a-fA-F]{1,5}$/),
    fc.constant(""),
    fc.ipV4(),
    fc.constantFrom("01.2.3.4", "1.2.3", "ffff"),
  );
  test.prop([fc.array(piece, { minLength: 1, maxLength: 10 })], RUNS)(
    "agrees with the WHATWG URL IPv6 parser on near-IPv6 text",
    (pieces) => {
      const text = pieces.join(":");
      let whatwg = true;
      try {
        new URL(`http://[${text}]/`);
      } catch {
        whatwg = false;
      }
      expect(isIPv6(text)).toBe(whatwg);
    },
  );

  test.prop([fc.ipV4()], RUNS)("accepts every fc.ipV4() as IPv4 only", (text) => {
    expect(isIPv4(text)).toBe(true);
    expect(isIPv6(text)).toBe(false);
    expect(normalizeIp(text)).toBe(text);
  });
});

describe("normalizeIp", { timeout: 60_000 }, () => {
  it.each([
    // RFC 5952 §4 examples
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:0db8::0001", "2001:db8::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // §4.2.2: never compress a single group
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // §4.2.3: first of equal runs
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // §4.2.3: longest run
    ["2001:DB8::AbCd", "2001:db8::abcd"], // §4.3: lower case
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["::1.2.3.4", "::102:304"], // IPv4-compatible (deprecated) is not IPv4-mapped
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    // IPv4-mapped becomes IPv4
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:0102:0304", "1.2.3.4"],
    ["0:0:0:0:0:ffff:7f00:1", "127.0.0.1"],
    ["::ffff:1.2.3.4%eth0", "1.2.3.4"],
    // zone ids are kept verbatim
    ["FE80::0001%Eth0", "fe80::1%Eth0"],
    ["1.2.3.4", "1.2.3.4"],
  ])("%j → %j", (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
    expect(normalizeIp(expected)).toBe(expected);
  });

  it("throws a 501 LocalProtocolError for non-addresses", () => {
    for (const bad of ["", "localhost", "01.2.3.4", "1::2::3", "::1%"]) {
      expect(() => normalizeIp(bad)).toThrow(LocalProtocolError);
      const result = safeNormalizeIp(bad);
      expect(result.success).toBe(false);
      if (!result.success) {
        expect(result.error.replyHint).toBe(501);
        expect(result.error.code).toBe("FTP_ERR_BAD_ADDRESS");
      }
    }
    expect(safeNormalizeIp("::1")).toEqual({ success: true, value: "::1" });
  });

  test.prop([fc.ipV6()], RUNS)("matches the WHATWG URL serialiser (RFC 5952) and is idempotent", (text) => {
    const normal = normalizeIp(text);
    expect(normalizeIp(normal)).toBe(normal);
    const reference = whatwgIPv6(text);
    if (reference.startsWith("::ffff:") && isIPv4(normal)) {
      // IPv4-mapped: we print dotted, WHATWG prints hex; same 128 bits.
      expect(whatwgIPv6(`::ffff:${normal}`)).toBe(reference);
    } else {
      expect(normal).toBe(reference);
    }
    expect(sameHost(text, normal)).toBe(true);
  });

  test.prop([fc.ipV6(), fc.stringMatching(/^[0-9A-Za-z._~-]{1,8}$/)], RUNS)("keeps a zone id", (text, zone) => {
    const normal = normalizeIp(`${text}%${zone}`);
    if (isIPv4(normalizeIp(text))) expect(normal).toBe(normalizeIp(text));
    else expect(normal).toBe(`${normalizeIp(text)}%${zone}`);
    expect(sameHost(normal, text)).toBe(true);
  });

  test.prop([fc.ipV4()], RUNS)("::ffff:<ipv4> normalises to the IPv4 address, in both spellings", (v4) => {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split(".").map(Number);
    const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    expect(normalizeIp(`::ffff:${v4}`)).toBe(v4);
    expect(normalizeIp(hex.toUpperCase())).toBe(v4);
    expect(sameHost(hex, v4)).toBe(true);
    expect(parseIPv6(`::ffff:${v4}`)?.groups).toHaveLength(8);
  });

  test.prop([fc.string({ unit: "binary", maxLength: 60 })], RUNS)(
    "returns or throws FtpProtocolError on any string",
    (text) => {
      try {
        const value = normalizeIp(text);
        expect(ipFamily(value)).toBeDefined();
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );

  test.prop([fc.stringMatching(/^[0-9a-fA-F:.%]{0,45}$/)], RUNS)(
    "IPv6-alphabet strings: agree with WHATWG URL whenever both accept",
    (text) => {
      try {
        const value = normalizeIp(text);
        expect(ipFamily(value)).toBeDefined();
        if (isIPv6(text) && !text.includes("%") && isIPv6(value)) expect(value).toBe(whatwgIPv6(text));
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );
});

describe("sameHost", { timeout: 60_000 }, () => {
  it.each([
    ["127.0.0.1", "127.0.0.1", true],
    ["::ffff:127.0.0.1", "127.0.0.1", true],
    ["127.0.0.1", "::FFFF:7F00:1", true],
    ["2001:DB8::1", "2001:db8:0:0::1", true],
    ["fe80::1%eth0", "fe80::1", true],
    ["fe80::1%eth0", "fe80::1%eth1", true],
    ["127.0.0.1", "127.0.0.2", false],
    ["::1", "127.0.0.1", false],
    ["::127.0.0.1", "127.0.0.1", false], // IPv4-compatible is a different address
    ["localhost", "localhost", false], // names are never compared (resolving them is I/O)
    ["", "", false],
    ["01.2.3.4", "1.2.3.4", false],
  ])("%j vs %j → %j", (a, b, expected) => {
    expect(sameHost(a, b)).toBe(expected);
    expect(sameHost(b, a)).toBe(expected);
  });
});

describe("address classes", { timeout: 60_000 }, () => {
  it.each([
    ["127.0.0.1", true],
    ["127.255.255.254", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["128.0.0.1", false],
    ["::", false],
    ["::2", false],
    ["1::", false],
    ["localhost", false],
  ])("isLoopback(%j) → %j", (text, expected) => {
    expect(isLoopback(text)).toBe(expected);
  });

  it.each([
    ["0.0.0.0", true],
    ["::", true],
    ["::ffff:0.0.0.0", true],
    ["0.0.0.1", false],
    ["::1", false],
    ["", false],
  ])("isUnspecified(%j) → %j", (text, expected) => {
    expect(isUnspecified(text)).toBe(expected);
  });

  it.each([
    ["10.1.2.3", true],
    ["172.16.0.1", true],
    ["172.31.255.255", true],
    ["172.32.0.1", false],
    ["172.15.255.255", false],
    ["192.168.0.1", true],
    ["100.64.0.1", true],
    ["100.128.0.1", false],
    ["127.0.0.1", true],
    ["169.254.1.1", true],
    ["0.0.0.0", true],
    ["192.0.2.1", true],
    ["198.51.100.7", true],
    ["203.0.113.9", true],
    ["198.18.0.1", true],
    ["198.19.255.255", true],
    ["198.20.0.1", false],
    ["224.0.0.1", true],
    ["239.255.255.255", true],
    ["255.255.255.255", true],
    ["240.0.0.1", true],
    ["8.8.8.8", false],
    ["1.1.1.1", false],
    ["223.255.255.255", false],
    ["::ffff:10.0.0.1", true],
    ["::ffff:8.8.8.8", false],
    ["fd00::1", false], // IPv6 is never reported by this IPv4 helper
    ["not an ip", false],
  ])("isPrivateOrReservedIPv4(%j) → %j", (text, expected) => {
    expect(isPrivateOrReservedIPv4(text)).toBe(expected);
  });
});
