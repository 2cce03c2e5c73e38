import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { FtpProtocolError, LocalProtocolError } from "../errors/index.js";
import {
  formatEpsvReplyText,
  parseEpsvArgument,
  parseEpsvReply,
  safeParseEpsvArgument,
  safeParseEpsvReply,
} from "./epsv.js";

const RUNS = { numRuns: 10_000 };
const port = fc.integer({ min: 1, max: 65535 });
/** RFC 2428: any ASCII 33..126; digits excluded, since they would make the port ambiguous. */
const delimiter = fc
  .integer({ min: 33, max: 126 })
  .filter((c) => c < 0x30 || c > 0x39)
  .map((c) => String.fromCharCode(c));

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

describe("formatEpsvReplyText / parseEpsvReply", { timeout: 60_000 }, () => {
  test.prop([port], RUNS)("round-trip any port 1..65535", (p) => {
    const text = formatEpsvReplyText(p);
    expect(text).toBe(`Entering Extended Passive Mode (|||${p}|)`);
    expect(parseEpsvReply(text)).toBe(p);
    expect(parseEpsvReply(`229 ${text}`)).toBe(p);
  });

  test.prop([port, delimiter, fc.boolean(), fc.stringMatching(/^[A-Za-z ]{0,20}$/)], RUNS)(
    "any delimiter 33..126, with or without parentheses",
    (p, d, parens, words) => {
      const group = `${d}${d}${d}${p}${d}`;
      expect(parseEpsvReply(`229 ${words} ${parens ? `(${group})` : group}.`)).toBe(p);
    },
  );

  it.each([
    ["229 Entering Extended Passive Mode (|||6446|)", 6446, "RFC 2428 §3, vsftpd, proftpd"],
    ["229 Entering Extended Passive Mode (|||6446|).", 6446, "trailing period (pure-ftpd)"],
    ["229 Entering Extended Passive Mode (!!!6446!)", 6446, "IBM i (OS/400) uses !"],
    ["229 Extended Passive Mode Entered (|||6446|)", 6446, "Microsoft IIS wording"],
    ["229 |||6446|", 6446, "no parentheses"],
    ["Entering Extended Passive Mode (|||6446|)", 6446, "no code"],
    ["229 Entering Extended Passive Mode (|||1|)", 1, "lowest port"],
    ["229 Entering Extended Passive Mode (|||65535|)", 65535, "highest port"],
    ["229 Entering Extended Passive Mode (|||006446|)", 6446, "zero-padded"],
    ["229 (|||1|) then (|||2|)", 1, "first group wins"],
    ["229 |||9| but (|||2|)", 2, "parenthesised group wins"],
    ["229-Extended\r\n229 Entering Extended Passive Mode (###50000#)\r\n", 50000, "multi-line, # delimiter"],
  ])("parses %j → %d (%s)", (text, expected) => {
    expect(parseEpsvReply(text)).toBe(expected);
    expect(safeParseEpsvReply(text)).toEqual({ success: true, value: expected });
  });

  it.each([
    ["", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode ()", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode (||6446|)", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode (|||6446)", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode (|!|6446|)", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode (|||6446!)", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode (|||-1|)", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode (|||abc|)", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode (|||64 46|)", "FTP_ERR_EPSV_REPLY"],
    ["229 Entering Extended Passive Mode (|1|127.0.0.1|6446|)", "FTP_ERR_EPSV_REPLY"], // net-addr must be empty
    ["229 Entering Extended Passive Mode (   6446 )", "FTP_ERR_EPSV_REPLY"], // space is not a delimiter
    ["229 Entering Extended Passive Mode (|||0|)", "FTP_ERR_BAD_PORT"],
    ["229 Entering Extended Passive Mode (|||65536|)", "FTP_ERR_BAD_PORT"],
    ["229 Entering Extended Passive Mode (|||99999999999|)", "FTP_ERR_BAD_PORT"],
    ["229 Entering Extended Passive Mode (|||999999999999999999999999999999|)", "FTP_ERR_BAD_PORT"],
  ])("rejects %j (%s)", (text, code) => {
    expectCode(() => parseEpsvReply(text), code);
  });

  it("refuses to format a bad port", () => {
    for (const bad of [0, -1, 65536, 1.5, Number.NaN]) expectCode(() => formatEpsvReplyText(bad), "FTP_ERR_BAD_PORT");
  });

  test.prop([fc.string({ unit: "binary", maxLength: 60 })], RUNS)(
    "any string: a value or an FtpProtocolError",
    (text) => {
      try {
        const value = parseEpsvReply(text);
        expect(Number.isInteger(value) && value >= 1 && value <= 65535).toBe(true);
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );

  test.prop([fc.stringMatching(/^[|!0-9()]{0,20}$/)], RUNS)(
    "EPSV-alphabet strings: a value or an FtpProtocolError",
    (text) => {
      try {
        parseEpsvReply(text);
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );
});

describe("parseEpsvArgument", { timeout: 60_000 }, () => {
  it.each([
    [undefined, { kind: "any" }],
    ["", { kind: "any" }],
    ["  ", { kind: "any" }],
    ["ALL", { kind: "all" }],
    ["all", { kind: "all" }],
    [" All ", { kind: "all" }],
    ["1", { kind: "family", family: 1 }],
    ["2", { kind: "family", family: 2 }],
    ["01", { kind: "family", family: 1 }],
  ])("%j → %j", (arg, expected) => {
    expect(parseEpsvArgument(arg)).toEqual(expected);
    expect(safeParseEpsvArgument(arg)).toEqual({ success: true, value: expected });
  });

  it.each([
    ["0", "FTP_ERR_EPSV_PROTO"],
    ["3", "FTP_ERR_EPSV_PROTO"],
    ["6", "FTP_ERR_EPSV_PROTO"],
    ["99999999999", "FTP_ERR_EPSV_PROTO"],
    ["ALLX", "FTP_ERR_EPSV_SYNTAX"],
    ["AL L", "FTP_ERR_EPSV_SYNTAX"],
    ["-1", "FTP_ERR_EPSV_SYNTAX"],
    ["1 2", "FTP_ERR_EPSV_SYNTAX"],
    ["1.0", "FTP_ERR_EPSV_SYNTAX"],
    ["|||", "FTP_ERR_EPSV_SYNTAX"],
    ["ALL\r\n", "FTP_ERR_EPSV_SYNTAX"],
  ])("rejects %j (%s)", (arg, code) => {
    expectCode(() => parseEpsvArgument(arg), code);
  });

  test.prop([fc.string({ unit: "binary", maxLength: 20 })], RUNS)(
    "any string: a value or an FtpProtocolError",
    (text) => {
      try {
        expect(["any", "all", "family"]).toContain(parseEpsvArgument(text).kind);
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );
});
