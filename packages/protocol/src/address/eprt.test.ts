import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { FtpProtocolError, LocalProtocolError } from "../errors/index.js";
import { decodeEprtArgument, encodeEprtArgument, safeDecodeEprtArgument } from "./eprt.js";
import { isIPv4, normalizeIp } from "./ip.js";

const RUNS = { numRuns: 10_000 };
const port = fc.integer({ min: 1, max: 65535 });

function expectCode(run: () => unknown, code: string): void {
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

describe("encodeEprtArgument / decodeEprtArgument", { timeout: 60_000 }, () => {
  test.prop([fc.ipV4(), port], RUNS)("round-trip any IPv4 address", (host, p) => {
    const text = encodeEprtArgument({ host, port: p });
    expect(text).toBe(`|1|${host}|${p}|`);
    expect(decodeEprtArgument(text)).toEqual({ family: 1, host, port: p });
  });

  test.prop([fc.ipV6(), port], RUNS)("round-trip any IPv6 address (compared after normalizeIp)", (host, p) => {
    const decoded = decodeEprtArgument(encodeEprtArgument({ host, port: p }));
    expect(decoded.host).toBe(normalizeIp(host));
    expect(decoded.port).toBe(p);
    // IPv4-mapped addresses travel as family 1 (the data connection is IPv4 anyway).
    expect(decoded.family).toBe(isIPv4(normalizeIp(host)) ? 1 : 2);
  });

  test.prop([fc.ipV6(), port], RUNS)("decodes what the peer sent as family 2, whatever its spelling", (host, p) => {
    const decoded = decodeEprtArgument(`|2|${host}|${p}|`);
    expect(decoded).toEqual({ family: 2, host: normalizeIp(host), port: p });
  });

  test.prop(
    [fc.oneof(fc.ipV4(), fc.ipV6()), port, fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c))],
    RUNS,
  )("any delimiter 33..126 that does not occur in the fields", (host, p, d) => {
    const family = isIPv4(host) ? 1 : 2;
    const fields = [String(family), host, String(p)];
    const text = `${d}${fields.join(d)}${d}`;
    const result = safeDecodeEprtArgument(text);
    if (fields.some((f) => f.includes(d))) {
      expect(result.success).toBe(false);
    } else {
      expect(result).toEqual({ success: true, value: { family, host: normalizeIp(host), port: p } });
    }
  });

  it.each([
    [{ host: "132.235.1.2", port: 6275 }, "|1|132.235.1.2|6275|"], // RFC 2428 §2 example
    [{ host: "1080::8:800:200C:417A", port: 5282 }, "|2|1080::8:800:200c:417a|5282|"], // RFC 2428 §2 example
    [{ host: "::ffff:132.235.1.2", port: 6275 }, "|1|132.235.1.2|6275|"],
    [{ host: "fe80::1%eth0", port: 6275 }, "|2|fe80::1|6275|"], // zone ids stay home
    [{ host: "::1", port: 65535 }, "|2|::1|65535|"],
  ])("encodes %j as %j", (hp, text) => {
    expect(encodeEprtArgument(hp)).toBe(text);
  });

  it.each([
    [{ host: "132.235.1.2", port: 0 }, "FTP_ERR_BAD_PORT"],
    [{ host: "132.235.1.2", port: 65536 }, "FTP_ERR_BAD_PORT"],
    [{ host: "132.235.1.2", port: 2.5 }, "FTP_ERR_BAD_PORT"],
    [{ host: "ftp.example.com", port: 21 }, "FTP_ERR_BAD_ADDRESS"],
    [{ host: "[::1]", port: 21 }, "FTP_ERR_BAD_ADDRESS"],
  ])("refuses to encode %j (%s)", (hp, code) => {
    expectCode(() => encodeEprtArgument(hp), code);
  });

  it.each([
    ["|1|132.235.1.2|6275|", { family: 1, host: "132.235.1.2", port: 6275 }],
    ["|2|1080::8:800:200C:417A|5282|", { family: 2, host: "1080::8:800:200c:417a", port: 5282 }],
    ["!1!132.235.1.2!6275!", { family: 1, host: "132.235.1.2", port: 6275 }],
    ["#2#::1#21#", { family: 2, host: "::1", port: 21 }],
    ["a1a1.2.3.4a1024a", { family: 1, host: "1.2.3.4", port: 1024 }], // a letter delimiter is legal for IPv4
    ["~2~::ffff:1.2.3.4~1024~", { family: 2, host: "1.2.3.4", port: 1024 }],
    [" |1|132.235.1.2|6275| ", { family: 1, host: "132.235.1.2", port: 6275 }],
    ["|1|132.235.1.2|06275|", { family: 1, host: "132.235.1.2", port: 6275 }],
    ["|01|132.235.1.2|6275|", { family: 1, host: "132.235.1.2", port: 6275 }],
  ])("decodes %j", (text, expected) => {
    expect(decodeEprtArgument(text)).toEqual(expected);
  });

  it.each([
    ["", "FTP_ERR_EPRT_SYNTAX"],
    [" ", "FTP_ERR_EPRT_SYNTAX"],
    ["1|132.235.1.2|6275|", "FTP_ERR_EPRT_SYNTAX"], // missing leading delimiter: "1" is taken as delimiter
    ["|1|132.235.1.2|6275", "FTP_ERR_EPRT_SYNTAX"],
    ["|1|132.235.1.2|6275||", "FTP_ERR_EPRT_SYNTAX"],
    ["|1|132.235.1.2|", "FTP_ERR_EPRT_SYNTAX"],
    ["|1|132.235.1.2|6275|x", "FTP_ERR_EPRT_SYNTAX"],
    ["\u007f1\u007f1.2.3.4\u007f21\u007f", "FTP_ERR_EPRT_SYNTAX"], // DEL is outside 33..126
    ["\t1\t1.2.3.4\t21\t", "FTP_ERR_EPRT_SYNTAX"],
    ["é1é1.2.3.4é21é", "FTP_ERR_EPRT_SYNTAX"],
    [":2:::1:21:", "FTP_ERR_EPRT_SYNTAX"], // delimiter collides with the address
    [".1.1.2.3.4.21.", "FTP_ERR_EPRT_SYNTAX"],
    ["||132.235.1.2|6275|", "FTP_ERR_EPRT_SYNTAX"],
    ["|x|132.235.1.2|6275|", "FTP_ERR_EPRT_SYNTAX"],
    ["|-1|132.235.1.2|6275|", "FTP_ERR_EPRT_SYNTAX"],
    ["|0|132.235.1.2|6275|", "FTP_ERR_EPRT_PROTO"],
    ["|3|132.235.1.2|6275|", "FTP_ERR_EPRT_PROTO"],
    ["|99999999999|132.235.1.2|6275|", "FTP_ERR_EPRT_PROTO"],
    ["|1|::1|6275|", "FTP_ERR_ADDRESS_FAMILY"],
    ["|1|::ffff:1.2.3.4|6275|", "FTP_ERR_ADDRESS_FAMILY"],
    ["|2|132.235.1.2|6275|", "FTP_ERR_ADDRESS_FAMILY"],
    ["|2|fe80::1%eth0|6275|", "FTP_ERR_ADDRESS_FAMILY"], // zone ids mean nothing to the server
    ["|1|01.2.3.4|6275|", "FTP_ERR_BAD_ADDRESS"],
    ["|1|256.1.1.1|6275|", "FTP_ERR_BAD_ADDRESS"],
    ["|1|ftp.example.com|6275|", "FTP_ERR_BAD_ADDRESS"],
    ["|1||6275|", "FTP_ERR_BAD_ADDRESS"],
    ["|2|[::1]|6275|", "FTP_ERR_BAD_ADDRESS"],
    ["|1|1.2.3.4|0|", "FTP_ERR_BAD_PORT"],
    ["|1|1.2.3.4|65536|", "FTP_ERR_BAD_PORT"],
    ["|1|1.2.3.4|-1|", "FTP_ERR_BAD_PORT"],
    ["|1|1.2.3.4|99999999999|", "FTP_ERR_BAD_PORT"],
    ["|1|1.2.3.4||", "FTP_ERR_BAD_PORT"],
    ["|1|1.2.3.4|0x15|", "FTP_ERR_BAD_PORT"],
    ["|1|1.2.3.4| 21|", "FTP_ERR_BAD_PORT"],
    ["|1|1.2.3.4|21\r\n|", "FTP_ERR_BAD_PORT"],
  ])("rejects %j (%s)", (text, code) => {
    expectCode(() => decodeEprtArgument(text), code);
    expect(safeDecodeEprtArgument(text).success).toBe(false);
  });

  test.prop([fc.string({ unit: "binary", maxLength: 60 })], RUNS)(
    "any string: a value or an FtpProtocolError",
    (text) => {
      try {
        const value = decodeEprtArgument(text);
        expect(decodeEprtArgument(encodeEprtArgument(value)).host).toBe(value.host);
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );

  test.prop([fc.stringMatching(/^[|!12:.0-9a-f%]{0,40}$/)], RUNS)(
    "EPRT-alphabet strings: a value or an FtpProtocolError",
    (text) => {
      try {
        const value = decodeEprtArgument(text);
        expect(value.port).toBeGreaterThanOrEqual(1);
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );
});
