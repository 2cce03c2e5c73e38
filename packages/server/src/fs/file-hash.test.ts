import { randomBytes } from "node:crypto";
import type { HashAlgorithm } from "@ftpkit/protocol";
import { describe, expect, it } from "vitest";
import { crc32, crc32Portable } from "./crc32.js";
import { createFileHash } from "./file-hash.js";

const ABC = new TextEncoder().encode("abc");

const VECTORS: [HashAlgorithm, string, string][] = [
  ["SHA-256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  ["SHA-256", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ["SHA-1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"],
  ["MD5", "abc", "900150983cd24fb0d6963f7d28e17f72"],
  ["CRC32", "abc", "352441c2"],
  ["CRC32", "123456789", "cbf43926"],
  ["CRC32", "", "00000000"],
  // A CRC with leading zero digits keeps all 8 (value from Python's zlib.crc32).
  ["CRC32", "x31", "001685f0"],
];

describe("createFileHash", () => {
  it.each(VECTORS)("%s(%j) = %s", (algorithm, input, digest) => {
    const hash = createFileHash(algorithm);
    hash.update(new TextEncoder().encode(input));
    expect(hash.digest()).toBe(digest);
  });

  it.each(["SHA-256", "SHA-1", "MD5", "CRC32"] as const)(
    "%s gives the same digest however the input is split",
    (algorithm) => {
      const data = randomBytes(10_000);
      const whole = createFileHash(algorithm);
      whole.update(data);
      const pieces = createFileHash(algorithm);
      for (let i = 0; i < data.length; i += 777) pieces.update(data.subarray(i, i + 777));
      expect(pieces.digest()).toBe(whole.digest());
    },
  );
});

describe("crc32", () => {
  it("native and portable implementations agree, whole and incrementally", () => {
    expect(crc32Portable(ABC)).toBe(0x352441c2);
    for (const size of [0, 1, 7, 64, 4099]) {
      const data = randomBytes(size);
      expect(crc32Portable(data)).toBe(crc32(data));
      const half = Math.floor(size / 2);
      expect(crc32Portable(data.subarray(half), crc32Portable(data.subarray(0, half)))).toBe(crc32(data));
    }
  });
});
