import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { LocalProtocolError } from "../errors/index.js";
import { formatMfmtArgument } from "./arguments.js";
import { parseCommand } from "./command.js";

describe("formatMfmtArgument", () => {
  it("formats a UTC time-val and keeps the pathname exactly", () => {
    expect(formatMfmtArgument(new Date("2024-01-31T14:15:09.999Z"), " -a b.txt")).toBe("20240131141509  -a b.txt");
  });

  it("refuses an empty pathname and an invalid date", () => {
    expect(() => formatMfmtArgument(new Date(0), "")).toThrow(LocalProtocolError);
    expect(() => formatMfmtArgument(new Date(Number.NaN), "f")).toThrow(LocalProtocolError);
  });

  test.prop([
    fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
    fc.string({ minLength: 1 }).filter((s) => !/[\r\n\0]/.test(s)),
  ])("parses back through the MFMT grammar", (date, path) => {
    const command = parseCommand(`MFMT ${formatMfmtArgument(date, path)}`);
    expect(command.value).toEqual({ time: new Date(Math.floor(date.getTime() / 1000) * 1000), path });
  });
});
