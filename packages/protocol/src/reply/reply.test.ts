import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { FtpProtocolError, RemoteProtocolError } from "../errors/index.js";
import { NEED_DATA } from "../sentinels.js";
import { parseQuotedPathname, quotePathname } from "./pathname-reply.js";
import { createReply, formatReply, type Reply } from "./reply.js";
import { parseReply, ReplyDecoder } from "./reply-decoder.js";
import { parseFeatReply, parseMdtmReply, parseSizeReply } from "./reply-values.js";

const enc = new TextEncoder();

function decodeAll(bytes: Uint8Array, splits: number[] = []): Reply[] {
  const decoder = new ReplyDecoder();
  const out: Reply[] = [];
  let start = 0;
  for (const cut of [...splits.filter((s) => s > 0 && s < bytes.length).sort((a, b) => a - b), bytes.length]) {
    decoder.receiveData(bytes.subarray(start, cut));
    start = cut;
    for (let r = decoder.nextReply(); r !== NEED_DATA; r = decoder.nextReply()) out.push(r);
  }
  return out;
}

// Lines a reply may hold: anything without CR, LF or NUL.
const lineArb = fc.string({ unit: fc.constantFrom("a", " ", "1", "2", "-", "é", "€", "\t", "x", '"'), maxLength: 20 });
const replyArb = fc.record({
  code: fc.integer({ min: 100, max: 599 }).filter((c) => Math.floor(c / 10) % 10 <= 5),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 6 }),
});

describe("formatReply (RFC 959 §4.2)", () => {
  it("formats single and multi-line replies", () => {
    expect(formatReply(200, "OK")).toBe("200 OK\r\n");
    expect(formatReply(211, ["Features:", " MDTM", " SIZE", "End"])).toBe(
      "211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n",
    );
  });
  it("pads a middle line that starts with digits", () => {
    expect(formatReply(250, ["first", "250 looks like an end", "last"])).toBe(
      "250-first\r\n 250 looks like an end\r\n250 last\r\n",
    );
  });
  it("refuses CR, LF and NUL in text (reply injection)", () => {
    expect(() => formatReply(200, "a\r\n500 fake")).toThrow(FtpProtocolError);
    expect(() => createReply(200, ["ok", "b\0"])).toThrow(FtpProtocolError);
    expect(() => formatReply(999, "x")).toThrow(FtpProtocolError);
  });
});

describe("ReplyDecoder", () => {
  const CASES: [string, Reply[]][] = [
    ["220 ready\r\n", [{ code: 220, lines: ["ready"] }]],
    ["220 ready\n", [{ code: 220, lines: ["ready"] }]],
    ["226\r\n", [{ code: 226, lines: [""] }]],
    ["230-Welcome\r\n  to ftpkit\r\n230 Login ok\r\n", [{ code: 230, lines: ["Welcome", "  to ftpkit", "Login ok"] }]],
    // vsftpd banners repeat the code with a dash on every line; those are middle lines.
    ["220-a\r\n220-b\r\n220 c\r\n", [{ code: 220, lines: ["a", "220-b", "c"] }]],
    // A middle line starting with another code is not an end (RFC 959 §4.2).
    ["211-x\r\n200 not the end\r\n211 End\r\n", [{ code: 211, lines: ["x", "200 not the end", "End"] }]],
    [
      "150 a\r\n226 b\r\n",
      [
        { code: 150, lines: ["a"] },
        { code: 226, lines: ["b"] },
      ],
    ],
    ["\r\n200 padded\r\n", [{ code: 200, lines: ["padded"] }]],
  ];
  it.each(CASES)("decodes %j whole, byte by byte and in two pieces", (text, expected) => {
    const bytes = enc.encode(text);
    expect(decodeAll(bytes)).toEqual(expected);
    expect(decodeAll(bytes, [...bytes.keys()])).toEqual(expected);
    expect(decodeAll(bytes, [Math.floor(bytes.length / 2)])).toEqual(expected);
  });

  it("leaves trailing partial bytes unread", () => {
    const decoder = new ReplyDecoder();
    decoder.receiveData(enc.encode("200 a\r\n331 part"));
    expect(decoder.nextReply()).toEqual({ code: 200, lines: ["a"] });
    expect(decoder.nextReply()).toBe(NEED_DATA);
    expect(decoder.hasPartialReply).toBe(true);
  });

  it("rejects garbage and over-long lines with a RemoteProtocolError", () => {
    const garbage = new ReplyDecoder();
    garbage.receiveData(enc.encode("HTTP/1.1 200 OK\r\n"));
    expect(() => garbage.nextReply()).toThrow(RemoteProtocolError);
    expect(() => garbage.nextReply()).toThrow(RemoteProtocolError);
    const long = new ReplyDecoder({ maxLineLength: 100 });
    long.receiveData(enc.encode(`200 ${"x".repeat(200)}`));
    expect(() => long.nextReply()).toThrow(/longer than the limit/);
    const huge = new ReplyDecoder({ maxReplyLength: 1000 });
    huge.receiveData(enc.encode(`211-start\r\n${" line\r\n".repeat(300)}`));
    expect(() => huge.nextReply()).toThrow(/reply longer/);
  });

  it("decodes invalid UTF-8 as Latin-1 instead of failing", () => {
    const decoder = new ReplyDecoder();
    decoder.receiveData(new Uint8Array([0x32, 0x35, 0x37, 0x20, 0x22, 0xe9, 0x22, 0x0d, 0x0a]));
    expect(decoder.nextReply()).toEqual({ code: 257, lines: ['"é"'] });
  });

  test.prop([replyArb], { numRuns: 10_000 })("parseReply(formatReply(r)) is r", (r) => {
    expect(parseReply(formatReply(r.code, r.lines))).toEqual(r);
  });

  test.prop([fc.array(replyArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(400), { maxLength: 12 })], {
    numRuns: 10_000,
  })("gives the same replies however the stream is split", (replies, splits) => {
    const bytes = enc.encode(replies.map((r) => formatReply(r.code, r.lines)).join(""));
    expect(decodeAll(bytes, splits)).toEqual(replies);
  });

  test.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 10_000 })(
    "returns replies or NEED_DATA, or throws RemoteProtocolError, for any bytes",
    (bytes) => {
      const decoder = new ReplyDecoder({ maxLineLength: 64 });
      decoder.receiveData(bytes);
      try {
        for (let i = 0; i < 400 && decoder.nextReply() !== NEED_DATA; i++);
      } catch (error) {
        expect(RemoteProtocolError.isInstance(error)).toBe(true);
      }
    },
  );
});

describe("pathname replies (RFC 959 Appendix II)", () => {
  it("doubles embedded quotes and reads them back", () => {
    expect(quotePathname('/a "b" c')).toBe('"/a ""b"" c"');
    expect(parseQuotedPathname('"/a ""b"" c" is the current directory')).toBe('/a "b" c');
    expect(parseQuotedPathname('"/tmp" created')).toBe("/tmp");
    // A server that forgot to double the quote: the last quote ends the name.
    expect(parseQuotedPathname('"/x"y" is current')).toBe('/x"y');
    expect(() => parseQuotedPathname("no quotes")).toThrow(RemoteProtocolError);
  });
  test.prop([fc.string().filter((s) => !/[\r\n\0]/.test(s))], { numRuns: 10_000 })("round-trips any pathname", (p) => {
    expect(parseQuotedPathname(`${quotePathname(p)} is the current directory.`)).toBe(p);
  });
});

describe("reply values", () => {
  it("parses FEAT (RFC 2389 §3.2)", () => {
    const f = parseFeatReply({ code: 211, lines: ["Features:", " MLST type*;size*;", " UTF8", " REST STREAM", "End"] });
    expect(f.get("MLST")).toBe("type*;size*;");
    expect(f.get("UTF8")).toBe("");
    expect(f.get("REST")).toBe("STREAM");
    expect(parseFeatReply({ code: 500, lines: ["unknown"] }).size).toBe(0);
  });
  it("parses SIZE and MDTM (RFC 3659 §3-4)", () => {
    expect(parseSizeReply({ code: 213, lines: ["1234"] })).toBe(1234);
    expect(parseMdtmReply({ code: 213, lines: ["20240131141500"] }).toISOString()).toBe("2024-01-31T14:15:00.000Z");
    expect(() => parseSizeReply({ code: 213, lines: ["12a"] })).toThrow(RemoteProtocolError);
    expect(() => parseMdtmReply({ code: 550, lines: ["nope"] })).toThrow(RemoteProtocolError);
  });
});
