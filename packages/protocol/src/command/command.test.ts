import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { encodeHostPort } from "../address/index.js";
import { LocalProtocolError } from "../errors/index.js";
import { buildCommand, encodeCommand, formatCommand, parseCommand, redactCommand } from "./command.js";
import { COMMANDS, canonicalVerb, VERBS } from "./commands.js";

function hint(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    if (LocalProtocolError.isInstance(error)) return error.replyHint;
    throw error;
  }
  return undefined;
}

describe("parseCommand (RFC 959 §5.3)", () => {
  const CASES: [string, string, unknown][] = [
    ["USER alice", "USER", "alice"],
    ["user alice", "USER", "alice"],
    ["PASS", "PASS", ""],
    ["PASS  two  spaces ", "PASS", " two  spaces "],
    ["RETR my file.txt", "RETR", "my file.txt"],
    ["RETR -rf", "RETR", "-rf"],
    ["STOR  leading space", "STOR", " leading space"],
    ["CWD /ünï/€", "CWD", "/ünï/€"],
    ["TYPE A", "TYPE", { type: "A", format: "N" }],
    ["TYPE A N", "TYPE", { type: "A", format: "N" }],
    ["type i", "TYPE", { type: "I" }],
    ["TYPE L 8", "TYPE", { type: "L", byteSize: 8 }],
    ["TYPE E T", "TYPE", { type: "E", format: "T" }],
    ["MODE S", "MODE", "S"],
    ["STRU f", "STRU", "F"],
    ["REST 0", "REST", 0],
    ["REST 9007199254740991", "REST", 9007199254740991],
    ["ALLO 1024", "ALLO", { size: 1024 }],
    ["ALLO 1024 R 128", "ALLO", { size: 1024, recordSize: 128 }],
    ["PORT 127,0,0,1,4,1", "PORT", { host: "127.0.0.1", port: 1025 }],
    ["EPRT |2|::1|5282|", "EPRT", { family: 2, host: "::1", port: 5282 }],
    ["EPSV", "EPSV", { kind: "any" }],
    ["EPSV ALL", "EPSV", { kind: "all" }],
    ["EPSV 2", "EPSV", { kind: "family", family: 2 }],
    ["LIST", "LIST", { options: "", path: undefined }],
    ["LIST -la", "LIST", { options: "la", path: undefined }],
    ["LIST -a -l /pub dir", "LIST", { options: "al", path: "/pub dir" }],
    ["NLST ./-odd", "NLST", { options: "", path: "./-odd" }],
    ["OPTS UTF8 ON", "OPTS", { name: "UTF8", value: "ON" }],
    ["OPTS MLST type;size;", "OPTS", { name: "MLST", value: "type;size;" }],
    ["SITE CHMOD 644 a b.txt", "SITE", { command: "CHMOD", argument: "644 a b.txt" }],
    ["AUTH tls", "AUTH", "TLS"],
    ["PBSZ 0", "PBSZ", 0],
    ["PROT p", "PROT", "P"],
    ["HOST ftp.example.com", "HOST", "ftp.example.com"],
    ["HOST [::1]", "HOST", "[::1]"],
    ["LANG en", "LANG", "EN"],
    ["HELP retr", "HELP", "RETR"],
    ["MLSD", "MLSD", undefined],
    ["XMKD new dir", "XMKD", "new dir"],
  ];
  it.each(CASES)("%j", (line, verb, value) => {
    const command = parseCommand(line);
    expect(command.verb).toBe(verb);
    expect(command.value).toEqual(value);
  });

  it("parses MFMT times as UTC", () => {
    const c = parseCommand("MFMT 20240131141500 a b.txt");
    expect(c.verb === "MFMT" && c.value.time.toISOString()).toBe("2024-01-31T14:15:00.000Z");
    expect(c.verb === "MFMT" && c.value.path).toBe("a b.txt");
  });

  it.each([
    ["", 500],
    ["FOO bar", 500],
    ["NOOPX", 500],
    ["CWD", 501],
    ["RETR", 501],
    ["CDUP now", 501],
    ["PASV x", 501],
    ["REST -1", 501],
    ["REST abc", 501],
    ["REST 99999999999999999", 501],
    ["TYPE X", 504],
    ["TYPE A Q", 504],
    ["TYPE L", 501],
    ["MODE Z", 501],
    ["PORT 127,0,0,1,256,1", 501],
    ["PORT 1,2,3", 501],
    ["EPRT |3|x|1|", 501],
    ["EPSV 7", 501],
    ["PROT X", 501],
    ["MFMT 20241340000000 f", 501],
    ["MFMT nodate", 501],
    ["HOST bad host!", 501],
    ["RETR a\0b", 501],
  ])("refuses %j with %i", (line, code) => {
    expect(hint(() => parseCommand(line))).toBe(code);
  });

  it("keeps the EPSV/EPRT protocol error codes so the server can answer 522 (RFC 2428)", () => {
    try {
      parseCommand("EPSV 7");
    } catch (error) {
      expect((error as LocalProtocolError).code).toBe("FTP_ERR_EPSV_PROTO");
    }
  });

  it("knows every verb the RFCs name", () => {
    const expected =
      "USER PASS ACCT CWD CDUP SMNT REIN QUIT PORT PASV TYPE STRU MODE RETR STOR STOU APPE ALLO REST RNFR RNTO ABOR DELE RMD MKD PWD LIST NLST SITE SYST STAT HELP NOOP AUTH PBSZ PROT CCC FEAT OPTS EPRT EPSV LANG MDTM SIZE MLST MLSD HOST MFMT HASH XPWD XMKD XRMD XCWD XCUP";
    for (const verb of expected.split(" ")) expect(VERBS).toContain(verb);
    expect(canonicalVerb("XPWD")).toBe("PWD");
    expect(canonicalVerb("XCUP")).toBe("CDUP");
    expect(COMMANDS.RETR.usesDataConnection).toBe(true);
    expect(COMMANDS.USER.needsLogin).toBe(false);
    expect(COMMANDS.AUTH.allowedBeforeSecure).toBe(true);
    expect(COMMANDS.ABOR.allowedDuringTransfer).toBe(true);
  });
});

describe("formatCommand / encodeCommand", () => {
  it("refuses CR, LF and NUL (command injection)", () => {
    expect(() => formatCommand({ verb: "RETR", argument: "a\r\nDELE b" })).toThrow(LocalProtocolError);
    expect(() => encodeCommand({ verb: "CWD", argument: "x\ny" })).toThrow(LocalProtocolError);
    expect(() => buildCommand("STOR", "a\0")).toThrow(LocalProtocolError);
  });
  it("encodes UTF-8 with CRLF", () => {
    expect([...encodeCommand({ verb: "CWD", argument: "é" })]).toEqual([
      0x43, 0x57, 0x44, 0x20, 0xc3, 0xa9, 0x0d, 0x0a,
    ]);
  });
  it("masks PASS when redacted for logs", () => {
    expect(redactCommand({ verb: "PASS", argument: "secret" })).toBe("PASS ****");
    expect(redactCommand({ verb: "USER", argument: "bob" })).toBe("USER bob");
  });
  it("builds typed commands from argument text", () => {
    const port = buildCommand("PORT", encodeHostPort({ host: "10.0.0.1", port: 2000 }));
    expect(port.value).toEqual({ host: "10.0.0.1", port: 2000 });
  });
});

const safeText = fc.string({
  unit: fc.constantFrom("a", "Z", " ", "-", "/", ".", "é", "€", "😀", '"', ";", "=", "1"),
  minLength: 1,
  maxLength: 30,
});
const commandArb = fc.oneof(
  fc.tuple(
    fc.constantFrom(
      "RETR",
      "STOR",
      "APPE",
      "CWD",
      "MKD",
      "RMD",
      "DELE",
      "RNFR",
      "RNTO",
      "SIZE",
      "MDTM",
      "HASH",
      "USER",
    ),
    safeText,
  ),
  fc.tuple(fc.constant("REST"), fc.nat().map(String)),
  fc.tuple(
    fc.constant("PORT"),
    fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([h, p]) => encodeHostPort({ host: h, port: p })),
  ),
  fc.tuple(
    fc.constantFrom("PASV", "PWD", "CDUP", "QUIT", "NOOP", "FEAT", "SYST", "ABOR", "REIN", "CCC"),
    fc.constant(undefined),
  ),
  fc.tuple(fc.constantFrom("TYPE"), fc.constantFrom("A", "A N", "I", "L 8", "E C")),
);

describe("properties", () => {
  test.prop([commandArb], { numRuns: 10_000 })("parse(format(command)) is the command", ([verb, argument]) => {
    const built = buildCommand(verb as never, argument);
    const reparsed = parseCommand(formatCommand(built));
    expect(reparsed).toEqual(built);
  });
  test.prop([fc.string({ maxLength: 80 })], { numRuns: 10_000 })(
    "parseCommand throws only LocalProtocolError",
    (line) => {
      try {
        parseCommand(line);
      } catch (error) {
        expect(LocalProtocolError.isInstance(error)).toBe(true);
      }
    },
  );
});
