import { describe, expect, it } from "vitest";
import { parseDosLine } from "./dos-parser.js";

describe("parseDosLine", () => {
  it("reads an IIS directory line", () => {
    const line = "01-31-24  02:15PM       <DIR>          Folder Name";
    expect(parseDosLine(line)).toEqual({
      name: "Folder Name",
      type: "directory",
      modifiedAt: new Date("2024-01-31T14:15:00Z"),
      rawModifiedAt: "01-31-24  02:15PM",
      raw: line,
    });
  });

  it("reads a 24-hour line with a four-digit year", () => {
    expect(parseDosLine("01-31-2024  14:15       1234 file.txt")).toMatchObject({
      name: "file.txt",
      type: "file",
      size: 1234,
      modifiedAt: new Date("2024-01-31T14:15:00Z"),
    });
  });

  it.each([
    ["12:00AM", "00:00"],
    ["12:30PM", "12:30"],
    ["01:05am", "01:05"],
    ["11:59PM", "23:59"],
    ["02:15 PM", "14:15"],
  ])("reads %s as %s", (time, expected) => {
    const info = parseDosLine(`06-01-24  ${time}                 1 f`);
    expect(info?.modifiedAt?.toISOString().slice(11, 16)).toBe(expected);
  });

  it("maps two-digit years like POSIX %y", () => {
    const year = (yy: string) => parseDosLine(`01-01-${yy}  01:00AM  1 f`)?.modifiedAt?.getUTCFullYear();
    expect(year("68")).toBe(2068);
    expect(year("69")).toBe(1969);
    expect(year("99")).toBe(1999);
    expect(year("00")).toBe(2000);
  });

  it("keeps leading spaces of names in IIS's fixed layout", () => {
    expect(parseDosLine("10-15-26  02:15PM       <DIR>            two spaces")?.name).toBe("  two spaces");
    expect(parseDosLine("10-15-26  12:45PM                    4  one space")?.name).toBe(" one space");
  });

  it("drops padding after <DIR> outside IIS's layout", () => {
    expect(parseDosLine("01-31-2024  14:15  <DIR>   Folder")?.name).toBe("Folder");
  });

  it("accepts slashes and thousands separators (Windows dir style)", () => {
    expect(parseDosLine("01/31/2024  02:15 PM         1,234,567 big.bin")).toMatchObject({ size: 1234567 });
  });

  it("leaves modifiedAt unset for impossible dates but keeps the entry", () => {
    const info = parseDosLine("02-30-24  02:15PM                 1 f");
    expect(info?.name).toBe("f");
    expect(info?.modifiedAt).toBeUndefined();
    expect(parseDosLine("02-01-24  13:15PM                 1 f")?.modifiedAt).toBeUndefined();
  });

  it.each([
    ["total 12"],
    ["01-31-24  02:15PM       <DIR>"],
    ["01-31-24  02:15PM       <DIR>          "],
    ["01-31-24  02:15PM                 12 "],
    ["31.01.2024  14:15       1234 file.txt"],
    ["-rw-r--r-- 1 u g 12 Jan 1 12:00 f"],
  ])("rejects %j", (line) => {
    expect(parseDosLine(line)).toBeUndefined();
  });
});
