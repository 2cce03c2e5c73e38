import { describe, expect, it } from "vitest";
import { decodeUtf8, decodeUtf8OrLatin1, encodeUtf8, isValidUtf8 } from "./utf8.js";

describe("utf8", () => {
  it("round-trips text", () => {
    expect(decodeUtf8(encodeUtf8("ünï €"))).toBe("ünï €");
  });
  it("never throws on invalid bytes", () => {
    const bad = new Uint8Array([0x66, 0xff, 0xfe, 0x6f]);
    expect(isValidUtf8(bad)).toBe(false);
    expect(decodeUtf8(bad)).toBe("f\uFFFD\uFFFDo");
    expect(decodeUtf8OrLatin1(bad)).toBe("f\u00ff\u00feo");
  });
});
