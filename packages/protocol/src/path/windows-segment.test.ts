import { describe, expect, it } from "vitest";
import { isWindowsSafeSegment } from "./windows-segment.js";

describe("isWindowsSafeSegment", () => {
  it.each([
    "a",
    "file.txt",
    ".hidden",
    "..a",
    "a..b",
    "~root",
    "%2e%2e",
    "ünï",
    "😀",
    "CONSOLE",
    "COM10",
    "LPT",
    "a b",
  ])("accepts %j", (segment) => {
    expect(isWindowsSafeSegment(segment)).toBe(true);
  });

  it.each([
    "",
    ".",
    "..",
    "...",
    ".. ",
    " ..",
    "a.",
    "a ",
    "CON",
    "con",
    "Con.txt",
    "NUL",
    "nul.tar.gz",
    "PRN",
    "AUX",
    "COM1",
    "com9.log",
    "LPT1",
    "COM¹",
    "CONIN$",
    "a:b",
    "a::$DATA",
    "C:",
    "a<b",
    "a>b",
    'a"b',
    "a|b",
    "a?b",
    "a*b",
    "a\tb",
    "a\\b",
    "a/b",
    "a\0b",
  ])("refuses %j", (segment) => {
    expect(isWindowsSafeSegment(segment)).toBe(false);
  });
});
