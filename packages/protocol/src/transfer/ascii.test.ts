import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../text/utf8.js";
import { AsciiDecoder, AsciiEncoder } from "./ascii.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

function run(convert: (c: Uint8Array) => Uint8Array, data: Uint8Array, splits: number[], flush?: () => Uint8Array) {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...splits.filter((s) => s > 0 && s < data.length).sort((a, b) => a - b), data.length]) {
    parts.push(convert(data.subarray(start, cut)));
    start = cut;
  }
  if (flush) parts.push(flush());
  return concatBytes(parts);
}

describe("TYPE A conversion (RFC 959 §3.1.1.1)", () => {
  it("encodes LF as CRLF and keeps existing CRLF", () => {
    const e = new AsciiEncoder();
    expect(dec.decode(e.encode(enc.encode("a\nb\r\nc\n")))).toBe("a\r\nb\r\nc\r\n");
  });
  it("decodes CRLF to LF and keeps a lone CR", () => {
    const d = new AsciiDecoder();
    expect(dec.decode(concatBytes([d.decode(enc.encode("a\r\nb\rc\r")), d.flush()]))).toBe("a\nb\rc\r");
  });
  const textArb = fc
    .string({ unit: fc.constantFrom("a", "\n", "\r", "é", " "), maxLength: 200 })
    .map((s) => enc.encode(s));
  test.prop([textArb, fc.array(fc.nat(200), { maxLength: 10 })], { numRuns: 10_000 })(
    "gives the same bytes however the data is split",
    (data, splits) => {
      const whole = run((c) => new AsciiEncoder().encode(c), data, []);
      const e = new AsciiEncoder();
      expect(run((c) => e.encode(c), data, splits)).toEqual(whole);
      const d1 = new AsciiDecoder();
      const d2 = new AsciiDecoder();
      expect(
        run(
          (c) => d2.decode(c),
          data,
          splits,
          () => d2.flush(),
        ),
      ).toEqual(
        run(
          (c) => d1.decode(c),
          data,
          [],
          () => d1.flush(),
        ),
      );
    },
  );
  test.prop(
    [
      fc.string({ unit: fc.constantFrom("a", "\n", "é", " "), maxLength: 200 }).map((s) => enc.encode(s)),
      fc.array(fc.nat(300)),
    ],
    {
      numRuns: 10_000,
    },
  )("decode(encode(text)) is the text for LF-only text", (data, splits) => {
    const wire = run((c) => new AsciiEncoder().encode(c), data, []);
    const d = new AsciiDecoder();
    expect(
      run(
        (c) => d.decode(c),
        wire,
        splits,
        () => d.flush(),
      ),
    ).toEqual(data);
  });
});
