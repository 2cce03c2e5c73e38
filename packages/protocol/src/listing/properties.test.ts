/**
 * Property tests of the listing module, in one file: importing fast-check is the slow part of
 * a test file here (about 3 s), so the properties share one import.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { parseDosLine } from "./dos-parser.js";
import { parseEplfLine } from "./eplf-parser.js";
import type { FileInfo, FileType } from "./file-info.js";
import { formatMlsxLine, parseMlsxLine } from "./mlsx.js";
import { formatMlsxTime, parseMlsxTime } from "./mlsx-time.js";
import { parseNetwareLine } from "./netware-parser.js";
import { parseListing } from "./parse-listing.js";
import { formatUnixListingLine, type UnixListingEntry } from "./unix-format.js";
import { parseUnixLine } from "./unix-parser.js";

describe("MLSx round trips", () => {
  const factName = fc.stringMatching(/^[a-z0-9.\-_]{1,12}$/);
  const factValue = fc.string().filter((v) => !/[; \r\n\0]/.test(v));
  const listableName = fc
    .oneof(fc.string({ minLength: 1 }), fc.string({ minLength: 1, unit: "grapheme" }), fc.constant("  lead; =x "))
    .filter((n) => !/[\r\n\0]/.test(n));

  test.prop([fc.dictionary(factName, factValue, { maxKeys: 8 }), listableName], { numRuns: 2000 })(
    "parseMlsxLine(formatMlsxLine(facts, name)) gives back the facts and the name",
    (facts, name) => {
      const info = parseMlsxLine(formatMlsxLine(facts, name));
      expect(info?.name).toBe(name);
      expect({ ...info?.facts }).toEqual({ ...facts });
    },
  );

  test.prop(
    [
      fc.date({
        min: new Date("0000-01-01T00:00:00Z"),
        max: new Date("9999-12-31T23:59:59.999Z"),
        noInvalidDate: true,
      }),
    ],
    {
      numRuns: 2000,
    },
  )("round-trips any date in years 0000-9999", (date) => {
    expect(parseMlsxTime(formatMlsxTime(date, { milliseconds: true })).getTime()).toBe(date.getTime());
    expect(parseMlsxTime(formatMlsxTime(date)).getTime()).toBe(date.getTime() - date.getUTCMilliseconds());
  });
});

describe("Unix LIST round trip", () => {
  const types: readonly FileType[] = ["file", "directory", "symlink", "unknown"];
  const name = fc
    .oneof(
      fc.string({ minLength: 1 }),
      fc.string({ minLength: 1, unit: "grapheme" }),
      fc.constantFrom(" lead", "trail ", "-rf", " "),
    )
    .filter((n) => !/[\r\n\0]/.test(n));
  const entry = fc.record({
    name,
    type: fc.constantFrom(...types),
    size: fc.maxSafeNat(),
    modifiedAt: fc.date({
      min: new Date("1000-01-01T00:00:00Z"),
      max: new Date("9999-12-31T23:59:59Z"),
      noInvalidDate: true,
    }),
    unixMode: fc.option(fc.integer({ min: 0, max: 0o177777 }), { nil: undefined }),
    owner: fc.constantFrom("ftp", "0", "1000", "nobody", "www-data"),
    group: fc.constantFrom("ftp", "0", "1000", "nogroup", "staff"),
    hardLinks: fc.option(fc.nat({ max: 100_000 }), { nil: undefined }),
    target: fc.option(name, { nil: undefined }),
  });
  const nowArb = fc.date({
    min: new Date("1971-01-01T00:00:00Z"),
    max: new Date("2200-01-01T00:00:00Z"),
    noInvalidDate: true,
  });
  const recent = fc.tuple(nowArb, fc.integer({ min: 0, max: 182 * 86_400_000 }));

  const checkRoundTrip = (e: UnixListingEntry, at: Date) => {
    const line = formatUnixListingLine(e, at);
    const info = parseUnixLine(line, { now: at });
    // Readers split a symlink at the first " -> ": a name that contains one (or ends in " ->",
    // which with the separator makes one) is ambiguous, in ls too.
    if (e.type === "symlink") {
      const shown = e.target === undefined ? e.name : `${e.name} -> `;
      const firstArrow = shown.indexOf(" -> ");
      if (firstArrow !== (e.target === undefined ? -1 : e.name.length)) return;
    }
    expect(info?.name).toBe(e.name);
    expect(info?.type).toBe(e.type);
    expect(info?.size).toBe(e.size);
    expect(info?.target).toBe(e.type === "symlink" ? e.target : undefined);
    expect(info?.owner).toBe(e.owner);
    expect(info?.group).toBe(e.group);
    const age = at.getTime() - e.modifiedAt.getTime();
    const precision = age >= 0 && age <= 182 * 86_400_000 ? 60_000 : 86_400_000;
    const expected = e.modifiedAt.getTime() - (((e.modifiedAt.getTime() % precision) + precision) % precision);
    expect(info?.modifiedAt?.getTime()).toBe(expected);
  };

  test.prop([entry, nowArb], { numRuns: 1000 })(
    "parseUnixLine(formatUnixListingLine(e, now), { now }) gives back name, type, size, target and the day",
    checkRoundTrip,
  );

  test.prop([entry, recent], { numRuns: 1000 })("gives back recent dates to the minute", (e, [at, age]) => {
    checkRoundTrip({ ...e, modifiedAt: new Date(at.getTime() - age) }, at);
  });
});

describe("never throws", () => {
  /** Pieces of real listing lines, so that generated lines get deep into every parser. */
  const piece = fc.constantFrom(
    "-rw-r--r--",
    "drwxr-xr-x+",
    "lrwxrwxrwx",
    "crw-rw-rw-",
    "1",
    "1,",
    "0",
    "ftp",
    "Jan",
    "févr.",
    "31.",
    "29",
    "Feb",
    "12:00",
    "99:99",
    "12:00:60",
    "2024",
    "2024-02-30",
    "2024-01-31",
    "12:00:00.123456789",
    "+0130",
    "->",
    "01-31-24",
    "02:15PM",
    "<DIR>",
    "[RWCEAFMS]",
    "d",
    "+i1,m99999999999999999,/,up777,s1,",
    "type=OS.unix=slink:",
    "modify=20240229120000.5;",
    "size=99999999999999999999;",
    "unix.mode=7777777;",
    "\t",
    "",
    " ",
    "\r",
  );
  const listingish = fc.array(piece, { maxLength: 14 }).map((parts) => parts.join(" "));
  const anyLine = fc.oneof(fc.string(), fc.string({ unit: "binary" }), listingish);
  const options = fc.record({ now: fc.option(fc.date(), { nil: undefined }) });

  const isFileInfoOrUndefined = (info: FileInfo | undefined) => {
    if (info === undefined) return;
    expect(typeof info.name).toBe("string");
    expect(info.name).not.toBe("");
    expect(["file", "directory", "symlink", "unknown"]).toContain(info.type);
    if (info.size !== undefined) expect(Number.isSafeInteger(info.size)).toBe(true);
    if (info.modifiedAt !== undefined) expect(Number.isFinite(info.modifiedAt.getTime())).toBe(true);
  };

  test.prop([fc.array(anyLine, { maxLength: 30 }).map((lines) => lines.join("\r\n")), options], { numRuns: 10_000 })(
    "parseListing on arbitrary listings",
    (text, { now }) => {
      for (const info of parseListing(text, { now })) isFileInfoOrUndefined(info);
    },
  );

  test.prop([fc.oneof(fc.string(), fc.string({ unit: "binary" }))], { numRuns: 10_000 })(
    "parseListing on arbitrary strings",
    (text) => {
      expect(Array.isArray(parseListing(text))).toBe(true);
    },
  );

  test.prop([anyLine, options], { numRuns: 10_000 })("every line parser", (line, { now }) => {
    isFileInfoOrUndefined(parseUnixLine(line, { now }));
    isFileInfoOrUndefined(parseDosLine(line));
    isFileInfoOrUndefined(parseEplfLine(line));
    isFileInfoOrUndefined(parseNetwareLine(line, { now }));
    isFileInfoOrUndefined(parseMlsxLine(line));
  });
});
