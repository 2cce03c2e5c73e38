import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { FtpProtocolError, LocalProtocolError } from "../errors/index.js";
import { decodeHostPort, encodeHostPort, safeDecodeHostPort } from "./host-port.js";

const RUNS = { numRuns: 10_000 };
const port = fc.integer({ min: 0, max: 65535 });

function expectError(run: () => unknown, code: string): void {
  try {
    run();
  } catch (error) {
    expect(LocalProtocolError.isInstance(error)).toBe(true);
    expect((error as LocalProtocolError).replyHint).toBe(501);
    expect((error as LocalProtocolError).code).toBe(code);
    return;
  }
  expect.fail("expected a LocalProtocolError");
}

describe("encodeHostPort / decodeHostPort", { timeout: 60_000 }, () => {
  test.prop([fc.ipV4(), port], RUNS)("round-trip any IPv4 address and port 0..65535", (host, p) => {
    const text = encodeHostPort({ host, port: p });
    expect(text).toMatch(/^\d{1,3}(,\d{1,3}){5}$/);
    expect(decodeHostPort(text)).toEqual({ host, port: p });
  });

  test.prop([fc.ipV4(), port], RUNS)("IPv4-mapped IPv6 encodes as its IPv4 address", (host, p) => {
    expect(encodeHostPort({ host: `::ffff:${host}`, port: p })).toBe(encodeHostPort({ host, port: p }));
  });

  it.each([
    [{ host: "192.0.2.1", port: 1025 }, "192,0,2,1,4,1"],
    [{ host: "127.0.0.1", port: 0 }, "127,0,0,1,0,0"],
    [{ host: "0.0.0.0", port: 65535 }, "0,0,0,0,255,255"],
    [{ host: "10.0.0.1", port: 256 }, "10,0,0,1,1,0"],
    [{ host: "::FFFF:10.0.0.1", port: 21 }, "10,0,0,1,0,21"],
  ])("encodes %j as %j", (hp, text) => {
    expect(encodeHostPort(hp)).toBe(text);
  });

  it.each([
    [{ host: "::1", port: 21 }, "FTP_ERR_ADDRESS_FAMILY"],
    [{ host: "2001:db8::1", port: 21 }, "FTP_ERR_ADDRESS_FAMILY"],
    [{ host: "example.com", port: 21 }, "FTP_ERR_BAD_ADDRESS"],
    [{ host: "01.2.3.4", port: 21 }, "FTP_ERR_BAD_ADDRESS"],
    [{ host: "1.2.3.4", port: -1 }, "FTP_ERR_BAD_PORT"],
    [{ host: "1.2.3.4", port: 65536 }, "FTP_ERR_BAD_PORT"],
    [{ host: "1.2.3.4", port: 1.5 }, "FTP_ERR_BAD_PORT"],
    [{ host: "1.2.3.4", port: Number.NaN }, "FTP_ERR_BAD_PORT"],
    [{ host: "1.2.3.4", port: Number.POSITIVE_INFINITY }, "FTP_ERR_BAD_PORT"],
  ])("refuses to encode %j (%s)", (hp, code) => {
    expectError(() => encodeHostPort(hp), code);
  });

  it.each([
    ["127,0,0,1,4,1", { host: "127.0.0.1", port: 1025 }],
    [" 127 , 0 ,0, 1,4 ,1 ", { host: "127.0.0.1", port: 1025 }],
    ["127,\t0,0,1,4,1", { host: "127.0.0.1", port: 1025 }],
    ["0,0,0,0,0,0", { host: "0.0.0.0", port: 0 }],
    ["255,255,255,255,255,255", { host: "255.255.255.255", port: 65535 }],
    ["010,000,000,001,004,001", { host: "10.0.0.1", port: 1025 }], // zero-padded is decimal, never octal
  ])("decodes %j", (text, expected) => {
    expect(decodeHostPort(text)).toEqual(expected);
    expect(safeDecodeHostPort(text)).toEqual({ success: true, value: expected });
  });

  it.each([
    "",
    "127,0,0,1,4",
    "127,0,0,1,4,1,",
    "127,0,0,1,4,1,7",
    ",127,0,0,1,4",
    "127,0,0,,4,1",
    "256,0,0,1,4,1",
    "127,0,0,1,256,1",
    "127,0,0,1,4,256",
    "127,0,0,1,4,-1",
    "-127,0,0,1,4,1",
    "127,0,0,1,4,+1",
    "127,0,0,1,4,1.0",
    "127,0,0,1,4,0x1",
    "127,0,0,1,4,1e2",
    "127,0,0,1,4,a",
    "a,b,c,d,e,f",
    "127.0.0.1,4,1",
    "127,0,0,1,99999999999,1",
    "127,0,0,1,4,99999999999999999999999999",
    "127,0,0,1,4,1\r\n",
    "127 0 0 1 4 1",
    "(127,0,0,1,4,1)",
    "127,0,0,1,4,1 extra",
    "127,0,0,1,4,１", // fullwidth digit
    "1,2,3,4,5,6\u00a0", // NBSP is not tolerated whitespace
  ])("rejects %j with 501 FTP_ERR_PORT_SYNTAX", (text) => {
    expectError(() => decodeHostPort(text), "FTP_ERR_PORT_SYNTAX");
    const result = safeDecodeHostPort(text);
    expect(result.success).toBe(false);
  });

  test.prop([fc.array(fc.integer({ min: -300, max: 70_000 }), { minLength: 5, maxLength: 7 })], RUNS)(
    "near-miss number lists: decoded only when exactly six values 0..255, never wrapped",
    (numbers) => {
      const text = numbers.join(",");
      const valid = numbers.length === 6 && numbers.every((n) => n >= 0 && n <= 255);
      const result = safeDecodeHostPort(text);
      expect(result.success).toBe(valid);
      if (result.success) {
        const [h1, h2, h3, h4, p1 = 0, p2 = 0] = numbers;
        expect(result.value).toEqual({ host: `${h1}.${h2}.${h3}.${h4}`, port: p1 * 256 + p2 });
      }
    },
  );

  test.prop([fc.string({ unit: "binary", maxLength: 40 })], RUNS)(
    "any string: a value or an FtpProtocolError",
    (text) => {
      try {
        const value = decodeHostPort(text);
        expect(decodeHostPort(encodeHostPort(value))).toEqual(value);
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );

  test.prop([fc.stringMatching(/^[0-9, \t-]{0,30}$/)], RUNS)(
    "PORT-alphabet strings: a value or an FtpProtocolError",
    (text) => {
      try {
        const value = decodeHostPort(text);
        expect(value.port).toBeGreaterThanOrEqual(0);
        expect(value.port).toBeLessThanOrEqual(65535);
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );
});
