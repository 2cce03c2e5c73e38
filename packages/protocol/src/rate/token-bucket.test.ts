import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket.js";

const RUNS = { numRuns: 2000 };

describe("TokenBucket", () => {
  it("starts full, refills at its rate, never above capacity", () => {
    const b = new TokenBucket(10, 5, 0);
    expect(b.available(0)).toBe(5);
    for (let i = 0; i < 5; i++) expect(b.tryTake(1, 0)).toBe(true);
    expect(b.tryTake(1, 0)).toBe(false);
    expect(b.waitFor(1, 0)).toBe(100);
    expect(b.tryTake(1, 99)).toBe(false);
    expect(b.tryTake(1, 100)).toBe(true);
    expect(b.available(60_000)).toBe(5);
  });

  it("take() goes into debt and says how long it lasts", () => {
    const b = new TokenBucket(1000, 100, 0);
    expect(b.take(100, 0)).toBe(0);
    expect(b.take(500, 0)).toBe(500);
    expect(b.available(250)).toBe(-250);
    expect(b.available(500)).toBe(0);
  });

  it("ignores a clock that goes backwards and refuses bad parameters", () => {
    const b = new TokenBucket(10, 2, 1000);
    b.take(2, 1000);
    expect(b.available(500)).toBe(0);
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0.5, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 1, 0)).toThrow(RangeError);
  });

  const schedule = fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 20 })), {
    maxLength: 200,
  });

  test.prop([fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 1000 }), schedule], RUNS)(
    "tryTake never grants more than capacity + rate × elapsed",
    (rate, capacity, steps) => {
      const b = new TokenBucket(rate, capacity, 0);
      let now = 0;
      let granted = 0;
      for (const [dt, n] of steps) {
        now += dt;
        if (b.tryTake(n, now)) granted += n;
        expect(granted).toBeLessThanOrEqual(capacity + (rate * now) / 1000 + 1e-6);
      }
    },
  );

  test.prop([fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 1000 }), schedule], RUNS)(
    "after the wait take() or waitFor() names, the balance allows the next step",
    (rate, capacity, steps) => {
      const b = new TokenBucket(rate, capacity, 0);
      let now = 0;
      for (const [dt, n] of steps) {
        now += dt;
        const wait = b.take(n, now);
        expect(b.available(now + wait)).toBeGreaterThanOrEqual(-1e-9);
        const need = b.waitFor(1, now + wait);
        expect(b.tryTake(1, now + wait + need)).toBe(true);
        now += wait + need;
      }
    },
  );
});
