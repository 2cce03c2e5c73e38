import { describe, expect, it } from "vitest";
import { LocalProtocolError } from "../errors/index.js";
import { formatMlsxLine, parseMlsxLine } from "./mlsx.js";
import { formatMlsxTime, parseMlsxTime, safeParseMlsxTime } from "./mlsx-time.js";

describe("parseMlsxLine", () => {
  it("reads the standard facts", () => {
    const line = "type=file;size=1234;modify=20240131141500;perm=adfrw;unique=FE00U20C1BD; file.txt";
    expect(parseMlsxLine(line)).toEqual({
      name: "file.txt",
      type: "file",
      size: 1234,
      modifiedAt: new Date("2024-01-31T14:15:00Z"),
      rawModifiedAt: "20240131141500",
      facts: { type: "file", size: "1234", modify: "20240131141500", perm: "adfrw", unique: "FE00U20C1BD" },
      raw: line,
    });
  });

  it("takes everything after the first space as the name (RFC 3659 §7.2)", () => {
    expect(parseMlsxLine("type=file; a;b=c d ")?.name).toBe("a;b=c d ");
    expect(parseMlsxLine("type=file;   leading")?.name).toBe("  leading");
    expect(parseMlsxLine(" no facts")).toMatchObject({ name: "no facts", type: "unknown", facts: {} });
  });

  it("compares fact names and type values case-insensitively (RFC 3659 §7.1)", () => {
    expect(parseMlsxLine("Type=DIR;SiZe=11;UNIX.mode=0755; d")).toMatchObject({
      type: "directory",
      size: 11,
      unixMode: 0o755,
      permissions: "rwxr-xr-x",
      facts: { type: "DIR", size: "11", "unix.mode": "0755" },
    });
  });

  it.each([
    ["type=cdir; .", "directory", "cdir"],
    ["type=pdir; ..", "directory", "pdir"],
    ["type=OS.unix=symlink; l", "symlink", "OS.unix=symlink"],
    ["type=OS.unix=slink:; l", "symlink", "OS.unix=slink:"],
    ["type=unknown; p", "unknown", "unknown"],
    ["type=OS.unix=chr; c", "unknown", "OS.unix=chr"],
  ])("types %j", (line, type, fact) => {
    expect(parseMlsxLine(line)).toMatchObject({ type, facts: { type: fact } });
  });

  it("reads symlink targets from OS.unix=slink", () => {
    expect(parseMlsxLine("type=OS.unix=slink:/actual/target; l")).toMatchObject({
      type: "symlink",
      target: "/actual/target",
    });
    expect(parseMlsxLine("type=OS.unix=slink:; l")?.target).toBeUndefined();
  });

  it("reads sizd and the unix owner facts in proftpd's and pure-ftpd's spellings", () => {
    expect(parseMlsxLine("sizd=4096; d")?.size).toBe(4096);
    expect(parseMlsxLine("UNIX.owner=11;UNIX.ownername=me;UNIX.group=22;UNIX.groupname=us; f")).toMatchObject({
      owner: "me",
      group: "us",
    });
    expect(parseMlsxLine("UNIX.uid=11;UNIX.gid=22; f")).toMatchObject({ owner: "11", group: "22" });
  });

  it("keeps the first of duplicate facts and a fact named __proto__", () => {
    const info = parseMlsxLine("size=1;SIZE=2;__proto__=x; f");
    expect(info?.size).toBe(1);
    expect(Object.keys(info?.facts ?? {})).toEqual(["size", "__proto__"]);
  });

  it("keeps a bad modify fact raw", () => {
    expect(parseMlsxLine("modify=2024; f")).toMatchObject({ rawModifiedAt: "2024" });
    expect(parseMlsxLine("modify=2024; f")?.modifiedAt).toBeUndefined();
  });

  it.each([
    ["type=file;size=1 missing-semicolon"],
    ["type=file;"],
    ["type=file; "],
    ["noequals; f"],
    ["=value; f"],
    ["-rw-r--r-- 1 u g 1 Jan 1 2020 f"],
    ["total 12"],
  ])("rejects %j", (line) => {
    expect(parseMlsxLine(line)).toBeUndefined();
  });

  it("can require facts, for format detection", () => {
    expect(parseMlsxLine(" name", { requireFacts: true })).toBeUndefined();
  });
});

describe("formatMlsxLine", () => {
  it("writes facts in order, one space, the name", () => {
    expect(formatMlsxLine({ type: "file", size: "12" }, "a b.txt")).toBe("type=file;size=12; a b.txt");
    expect(formatMlsxLine([["Type", "dir"]], " lead")).toBe("Type=dir;  lead");
    expect(formatMlsxLine({}, "x")).toBe(" x");
  });

  it.each([["a\r\nb"], ["a\nb"], ["a\rb"], ["a\0b"], [""]])("refuses the name %j", (name) => {
    expect(() => formatMlsxLine({ type: "file" }, name)).toThrow(LocalProtocolError);
  });

  it.each([
    [{ type: "a;b" }],
    [{ type: "a b" }],
    [{ "ty=pe": "file" }],
    [{ "": "file" }],
    [
      [
        ["size", "1"],
        ["SIZE", "2"],
      ] as const,
    ],
  ])("refuses the facts %j", (facts) => {
    expect(() => formatMlsxLine(facts, "f")).toThrow(LocalProtocolError);
  });
});

describe("MLSx time-val (RFC 3659 §2.3)", () => {
  it.each([
    ["19991005213102", "1999-10-05T21:31:02.000Z"],
    ["19991005213102.014", "1999-10-05T21:31:02.014Z"],
    ["20240229000000.5", "2024-02-29T00:00:00.500Z"],
    ["20161231235960", "2016-12-31T23:59:59.999Z"],
    ["00010101000000", "0001-01-01T00:00:00.000Z"],
  ])("parses %s", (text, iso) => {
    expect(parseMlsxTime(text).toISOString()).toBe(iso);
  });

  it.each([["2024013114150"], ["20230229000000"], ["20241301000000"], [" 20240131141500"], ["20240131141500."]])(
    "refuses %j with a 501 hint",
    (text) => {
      expect(() => parseMlsxTime(text)).toThrow(LocalProtocolError);
      const result = safeParseMlsxTime(text);
      expect(result.success).toBe(false);
      if (!result.success) expect(result.error.replyHint).toBe(501);
    },
  );

  it("formats UTC, with milliseconds on request", () => {
    const date = new Date("2024-01-31T14:15:00.123Z");
    expect(formatMlsxTime(date)).toBe("20240131141500");
    expect(formatMlsxTime(date, { milliseconds: true })).toBe("20240131141500.123");
    expect(formatMlsxTime(new Date("0099-01-01T00:00:00Z"))).toBe("00990101000000");
    expect(() => formatMlsxTime(new Date(Number.NaN))).toThrow(LocalProtocolError);
    expect(() => formatMlsxTime(new Date("+010000-01-01T00:00:00Z"))).toThrow(LocalProtocolError);
  });
});
