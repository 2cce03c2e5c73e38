/**
 * The calendar helpers' fast paths (issue 9: listing parse time) give exactly what the
 * general path gives: `utcDate` through `Date.UTC` against the `setUTC*` construction with
 * its round-trip check, and `monthNumber` for `Jan`..`Dec` against the lower-case table.
 */
import { describe, expect, it } from "vitest";
import { monthNumber, utcDate } from "./calendar.js";

/** The reference: what utcDate returned before its fast path. */
function reference(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0) {
  if (!Number.isInteger(year) || year < 0 || year > 9999) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (ms < 0 || ms > 999) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return date;
}

describe("utcDate", () => {
  it("equals the setUTC* construction over every month and day of sample years", () => {
    // Exhaustive over the fields a listing parser passes, no fast-check: importing it costs
    // about 3 s per test file here (see properties.test.ts).
    const years = [-1, 0, 1, 99, 100, 1900, 1970, 1999, 2000, 2023, 2024, 2100, 9999, 10_000];
    const times = [
      [0, 0, 0, 0],
      [23, 59, 59, 999],
      [12, 30, 5, 7],
      [-1, 0, 0, 0],
      [24, 0, 0, 0],
      [0, 60, 0, 0],
      [0, 0, 60, 0],
      [0, 0, 0, 1000],
    ] as const;
    let checked = 0;
    for (const year of years) {
      for (let month = -1; month <= 14; month++) {
        for (let day = -1; day <= 33; day++) {
          for (const [hour, minute, second, ms] of times) {
            const got = utcDate(year, month, day, hour, minute, second, ms)?.getTime();
            const want = reference(year, month, day, hour, minute, second, ms)?.getTime();
            if (got !== want) expect({ year, month, day, hour, minute, second, ms, got }).toEqual({ want });
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(years.length * 16 * 35 * times.length);
  });

  it("knows leap years and month lengths", () => {
    expect(utcDate(2024, 2, 29)?.toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(utcDate(2023, 2, 29)).toBeUndefined();
    expect(utcDate(1900, 2, 29)).toBeUndefined();
    expect(utcDate(2000, 2, 29)?.toISOString()).toBe("2000-02-29T00:00:00.000Z");
    expect(utcDate(2024, 4, 31)).toBeUndefined();
    expect(utcDate(2024, 1.5, 1)).toBeUndefined();
    expect(utcDate(2024, 1, 1.5)).toBeUndefined();
    expect(utcDate(99, 12, 31)?.getUTCFullYear()).toBe(99);
  });
});

describe("monthNumber", () => {
  it("reads English abbreviations in any case, full names, locales and CJK forms", () => {
    expect(
      ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map(monthNumber),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(["jan", "JAN", "jan.", "January", "Mär", "déc", "12月"].map(monthNumber)).toEqual([1, 1, 1, 1, 3, 12, 12]);
    expect(monthNumber("Foo")).toBeUndefined();
  });
});
