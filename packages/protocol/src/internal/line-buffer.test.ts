import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { LineBuffer } from "./line-buffer.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

function readAll(buffer: LineBuffer): string[] {
  const out: string[] = [];
  for (let r = buffer.next(); r !== undefined; r = buffer.next())
    out.push(r.kind === "line" ? dec.decode(r.bytes) : `!${r.kind}`);
  return out;
}

describe("LineBuffer", () => {
  it("reads lines from many chunks pushed before reading (regression: stopped after one chunk)", () => {
    const b = new LineBuffer(100);
    for (const byte of enc.encode("220 hi\r\n331 x\n")) b.push(new Uint8Array([byte]));
    expect(readAll(b)).toEqual(["220 hi", "331 x"]);
    expect(b.bufferedLength).toBe(0);
  });
  test.prop(
    [fc.array(fc.string({ unit: fc.constantFrom("a", "b", " ", "\n", "\r"), maxLength: 40 }), { maxLength: 10 })],
    {
      numRuns: 10_000,
    },
  )("gives the same lines whether chunks are read one by one or all at once", (chunks) => {
    const eager = new LineBuffer(30);
    const eagerLines: string[] = [];
    const lazy = new LineBuffer(30);
    for (const c of chunks) {
      eager.push(enc.encode(c));
      eagerLines.push(...readAll(eager));
      lazy.push(enc.encode(c));
    }
    expect(readAll(lazy)).toEqual(eagerLines);
  });
});
