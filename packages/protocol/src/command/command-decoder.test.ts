import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { NEED_DATA } from "../sentinels.js";
import { CommandDecoder, type DecodedLine } from "./command-decoder.js";

function decode(bytes: Uint8Array, splits: number[] = [], max?: number): DecodedLine[] {
  const d = new CommandDecoder(max === undefined ? {} : { maxLineLength: max });
  const out: DecodedLine[] = [];
  let start = 0;
  for (const cut of [...splits.filter((s) => s > 0 && s < bytes.length).sort((a, b) => a - b), bytes.length]) {
    d.receiveData(bytes.subarray(start, cut));
    start = cut;
    for (let l = d.nextLine(); l !== NEED_DATA; l = d.nextLine()) out.push(l);
  }
  return out;
}

const bytesOf = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...new TextEncoder().encode(p)] : p)));

const summary = (lines: DecodedLine[]) =>
  lines.map((l) => (l.ok ? `${l.command.verb}:${l.command.argument ?? ""}` : `!${l.error.replyHint}`));

describe("CommandDecoder", () => {
  it("splits CRLF and bare LF lines", () => {
    expect(summary(decode(bytesOf("USER a\r\nPASS b\nNOOP\r\n")))).toEqual(["USER:a", "PASS:b", "NOOP:"]);
  });
  it("strips Telnet IAC IP / IAC DM before ABOR (RFC 959 §4.1.3) and counts the interrupts", () => {
    const d = new CommandDecoder();
    d.receiveData(bytesOf([255, 244, 255, 242], "ABOR\r\n"));
    const line = d.nextLine();
    expect(line !== NEED_DATA && line.ok && line.command.verb).toBe("ABOR");
    expect(d.interruptCount).toBe(2);
  });
  it("completes ABOR whose LF was taken out of the stream as urgent data (ftplib sends ABOR with MSG_OOB)", () => {
    const d = new CommandDecoder();
    d.receiveData(bytesOf("ABOR\r"));
    const line = d.nextLine();
    expect(line !== NEED_DATA && line.ok && line.command.verb).toBe("ABOR");
    // If the LF does arrive after all, it is swallowed rather than read as an empty command.
    d.receiveData(bytesOf("\nNOOP\r\n"));
    expect(summary([d.nextLine() as DecodedLine])).toEqual(["NOOP:"]);
    expect(d.nextLine()).toBe(NEED_DATA);
    // Other partial lines ending in CR still wait for their LF.
    d.receiveData(bytesOf("RETR a\r"));
    expect(d.nextLine()).toBe(NEED_DATA);
  });
  it("keeps the byte after a dangling IAC whose DM was taken out as urgent data", () => {
    expect(summary(decode(bytesOf([255, 244, 255], "ABOR\r\n")))).toEqual(["ABOR:"]);
  });
  it("drops option negotiation and subnegotiation, keeps IAC IAC as 0xFF", () => {
    const lines = decode(
      bytesOf([255, 251, 1], "NO", [255, 250, 24, 1, 255, 240], "OP\r\n", "CWD a", [255, 255], "b\r\n"),
    );
    expect(lines[0]?.ok && lines[0].command.verb).toBe("NOOP");
    // 0xFF alone is not UTF-8: the Latin-1 fallback keeps it as U+00FF.
    expect(lines[1]?.ok && lines[1].command.argument).toBe("a\u00ffb");
  });
  it("reports an over-long line once with 500 and recovers at the next line", () => {
    const lines = decode(bytesOf(`STOR ${"x".repeat(5000)}\r\nNOOP\r\n`), [100, 3000, 4000], 1000);
    expect(summary(lines)).toEqual(["!500", "NOOP:"]);
  });
  it("does not buffer beyond the limit while a long line is still arriving", () => {
    const d = new CommandDecoder({ maxLineLength: 100 });
    d.receiveData(new Uint8Array(150).fill(0x41));
    expect(d.nextLine()).not.toBe(NEED_DATA);
    for (let i = 0; i < 100; i++) d.receiveData(new Uint8Array(1000).fill(0x41));
    expect(d.nextLine()).toBe(NEED_DATA);
    expect(d.bufferedLength).toBe(0);
  });
  it("answers unknown verbs and bad arguments without failing the stream", () => {
    expect(summary(decode(bytesOf("HELO x\r\nREST x\r\nNOOP\r\n")))).toEqual(["!500", "!501", "NOOP:"]);
  });

  const lineArb = fc.constantFrom(
    "USER a b",
    "PASS",
    "CWD /x y",
    "RETR é€",
    "LIST -la",
    "TYPE I",
    "NOOP",
    "FOO",
    "REST 10",
  );
  test.prop([fc.array(lineArb, { maxLength: 8 }), fc.array(fc.nat(200), { maxLength: 10 })], { numRuns: 10_000 })(
    "gives the same lines however the input is split",
    (lines, splits) => {
      const bytes = new TextEncoder().encode(lines.map((l) => `${l}\r\n`).join(""));
      expect(summary(decode(bytes, splits))).toEqual(summary(decode(bytes)));
      expect(decode(bytes).length).toBe(lines.length);
    },
  );
  test.prop([fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(400), { maxLength: 6 })], { numRuns: 10_000 })(
    "never throws on arbitrary bytes",
    (bytes, splits) => {
      expect(() => decode(bytes, splits, 64)).not.toThrow();
    },
  );
});
