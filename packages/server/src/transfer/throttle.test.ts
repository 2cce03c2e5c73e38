import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sliceSize, ThrottleTransform } from "./throttle.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ThrottleTransform", () => {
  it("lets bytes through at the rate, unchanged, with about ten timers a second", async () => {
    const data = randomBytes(300 * 1024);
    const rate = 400 * 1024;
    const timers = vi.spyOn(globalThis, "setTimeout");
    const chunks: Buffer[] = [];
    const started = performance.now();
    await pipeline(
      Readable.from([data.subarray(0, 200_000), data.subarray(200_000)]),
      new ThrottleTransform(rate),
      new Writable({
        write(chunk: Buffer, _e, cb) {
          chunks.push(chunk);
          cb();
        },
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    // One slice (a tenth of a second's worth) may pass at once; the rest at the rate.
    expect(seconds).toBeGreaterThanOrEqual((data.length - sliceSize(rate)) / rate - 0.05);
    expect(seconds).toBeLessThan((2 * data.length) / rate + 1);
    expect(timers.mock.calls.length).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 5);
  });

  it("holds the writer back instead of buffering: write() returns false and waits", async () => {
    const throttle = new ThrottleTransform(64 * 1024, 64 * 1024);
    let accepted = 0;
    for (let i = 0; i < 64; i++) {
      accepted++;
      if (!throttle.write(Buffer.alloc(64 * 1024))) break;
    }
    // Nobody reads: after the first chunks it refuses more, whatever the source has.
    expect(accepted).toBeLessThanOrEqual(3);
    expect(throttle.readableLength + throttle.writableLength).toBeLessThanOrEqual(4 * 64 * 1024);
    throttle.destroy();
  });

  it("sizes slices between one byte and 1 MiB", () => {
    expect(sliceSize(5)).toBe(1);
    expect(sliceSize(100_000)).toBe(10_000);
    expect(sliceSize(1e12)).toBe(1024 * 1024);
  });
});
