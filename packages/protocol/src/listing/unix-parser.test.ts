import { describe, expect, it } from "vitest";
import { parseUnixLine } from "./unix-parser.js";

const now = new Date("2026-11-26T10:00:00Z");

describe("parseUnixLine", () => {
  it("reads every column of a vsftpd line", () => {
    const line = "-rw-r--r--    1 0        0              12 Jan 01 12:00 a.txt";
    expect(parseUnixLine(line, { now })).toEqual({
      name: "a.txt",
      type: "file",
      size: 12,
      modifiedAt: new Date("2026-01-01T12:00:00Z"),
      rawModifiedAt: "Jan 01 12:00",
      permissions: "rw-r--r--",
      unixMode: 0o100644,
      owner: "0",
      group: "0",
      hardLinks: 1,
      raw: line,
    });
  });

  it.each([
    ["pure-ftpd", "-rw-r--r--    1 1000       1000             12 Jan  1 12:00 a.txt", "1000", "1000"],
    ["proftpd", "-rw-r--r--   1 ftp      ftp            12 Jan  1 12:00 a.txt", "ftp", "ftp"],
    ["pyftpdlib", "-rw-r--r--   1 user     user           12 Jan 01 12:00 a.txt", "user", "user"],
    ["FileZilla Server", "-rw-r--r-- 1 ftp ftp             12 Jan 01 12:00 a.txt", "ftp", "ftp"],
  ])("reads the %s layout", (_server, line, owner, group) => {
    expect(parseUnixLine(line, { now })).toMatchObject({ name: "a.txt", size: 12, owner, group, hardLinks: 1 });
  });

  it("leaves modifiedAt unset for HH:MM without now (time is an input)", () => {
    const info = parseUnixLine("-rw-r--r-- 1 ftp ftp 12 Jan 01 12:00 a.txt");
    expect(info?.modifiedAt).toBeUndefined();
    expect(info?.rawModifiedAt).toBe("Jan 01 12:00");
  });

  describe("year inference", () => {
    const at = (date: string, nowIso: string) =>
      parseUnixLine(`-rw-r--r-- 1 ftp ftp 1 ${date} f`, { now: new Date(nowIso) })?.modifiedAt?.toISOString();

    it("puts a past month/day in now's year", () => {
      expect(at("Oct 15 14:15", "2026-11-26T10:00:00Z")).toBe("2026-10-15T14:15:00.000Z");
    });
    it("puts a month/day more than 6 days ahead in the previous year", () => {
      expect(at("Dec 24 09:30", "2026-11-26T10:00:00Z")).toBe("2025-12-24T09:30:00.000Z");
      expect(at("Dec 31 23:59", "2027-01-01T00:10:00Z")).toBe("2026-12-31T23:59:00.000Z");
    });
    it("tolerates a few days of clock skew or time-zone offset", () => {
      expect(at("Nov 27 08:00", "2026-11-26T10:00:00Z")).toBe("2026-11-27T08:00:00.000Z");
    });
    it("handles 29 February", () => {
      expect(at("Feb 29 12:00", "2024-03-10T00:00:00Z")).toBe("2024-02-29T12:00:00.000Z");
      expect(at("Feb 29 12:00", "2026-03-10T00:00:00Z")).toBeUndefined();
    });
    it("reads a shown year as midnight UTC of that day", () => {
      expect(at("Jan 31  2020", "2026-11-26T10:00:00Z")).toBe("2020-01-31T00:00:00.000Z");
    });
  });

  it("reads device files (major, minor instead of a size)", () => {
    expect(parseUnixLine("crw-rw-rw- 1 root root 1, 3 Jan 1 2020 null", { now })).toMatchObject({
      name: "null",
      type: "unknown",
      unixMode: 0o020666,
      owner: "root",
      group: "root",
      modifiedAt: new Date("2020-01-01T00:00:00Z"),
    });
    expect(parseUnixLine("brw-r--r--    1 root     disk        7,   0 Sep  1 07:05 loop0", { now })).toMatchObject({
      name: "loop0",
      unixMode: 0o060644,
      group: "disk",
    });
    const compact = parseUnixLine("crw-rw-rw- 1 root root 1,3 Jan 1 2020 null");
    expect(compact?.name).toBe("null");
    expect(compact?.size).toBeUndefined();
  });

  it("splits symlinks at the first ' -> '", () => {
    expect(parseUnixLine("lrwxrwxrwx 1 root root 7 Jan 25 00:17 bin -> usr/bin", { now })).toMatchObject({
      name: "bin",
      type: "symlink",
      target: "usr/bin",
      unixMode: 0o120777,
    });
    expect(parseUnixLine("lrwxrwxrwx 1 u g 7 Jan 25 00:17 a -> b -> c")).toMatchObject({ name: "a", target: "b -> c" });
    // Only symlinks have targets: an arrow in a file name is part of the name.
    expect(parseUnixLine("-rw-r--r-- 1 u g 7 Jan 25 00:17 a -> b")?.name).toBe("a -> b");
  });

  it.each([
    ["+", "-rw-r--r--+ 1 alice staff 12 Oct 15 14:15 acl.txt"],
    ["@", "drwxr-xr-x@ 5 alice staff 160 Oct 15 14:15 acl.txt"],
    [".", "-rw-r--r--. 1 root root 12 Oct 15 14:15 acl.txt"],
  ])("accepts the %s marker after the mode", (_marker, line) => {
    expect(parseUnixLine(line)?.name).toBe("acl.txt");
  });

  it.each([
    ["rwsr-xr-x", 0o4755],
    ["rwSr--r--", 0o4644],
    ["rwxr-sr-x", 0o2755],
    ["rw-r-Sr--", 0o2644],
    ["rw-r-lr--", 0o2644],
    ["rwxrwxrwt", 0o1777],
    ["rwxrwxrwT", 0o1776],
  ])("reads special bits in %s", (permissions, bits) => {
    const info = parseUnixLine(`-${permissions} 1 u g 1 Jan 1 2020 f`);
    expect(info?.permissions).toBe(permissions);
    expect((info?.unixMode ?? 0) & 0o7777).toBe(bits);
  });

  it("keeps names with leading, inner and trailing spaces, and names starting with '-'", () => {
    expect(parseUnixLine("-rw-r--r-- 1 u g 1 Jan 1 2020   three leading")?.name).toBe("  three leading");
    expect(parseUnixLine("-rw-r--r-- 1 u g 1 Jan 1 12:00 trailing  ")?.name).toBe("trailing  ");
    expect(parseUnixLine("-rw-r--r-- 1 u g 1 Jan 1 12:00 -rf")?.name).toBe("-rf");
    expect(parseUnixLine("-rw-r--r-- 1 u g 1 Jan 1 12:00 Jan 1 12:00 x")?.name).toBe("Jan 1 12:00 x");
  });

  it("reads lines without a group column or without a link count", () => {
    expect(parseUnixLine("dr-xr-xr-x   2 root                  512 Apr  8  1994 etc")).toMatchObject({
      hardLinks: 2,
      owner: "root",
      size: 512,
    });
    const noLinks = parseUnixLine("-rw-r--r-- owner group 12 Jan 1 2020 f");
    expect(noLinks).toMatchObject({ owner: "owner", group: "group" });
    expect(noLinks?.hardLinks).toBeUndefined();
    expect(parseUnixLine("-rw-r--r-- 12 Jan 1 2020 bare")).toMatchObject({ name: "bare", size: 12 });
  });

  it("keeps a group with spaces whole", () => {
    expect(parseUnixLine("-rw-r--r-- 1 john Domain Users 12 Jan 1 2020 f")).toMatchObject({
      owner: "john",
      group: "Domain Users",
    });
  });

  it("reads ISO dates: long-iso, full-iso with zone, BSD -T", () => {
    expect(parseUnixLine("-rw-r--r-- 1 u g 12 2024-01-31 12:00 a.txt")).toMatchObject({
      name: "a.txt",
      modifiedAt: new Date("2024-01-31T12:00:00Z"),
      rawModifiedAt: "2024-01-31 12:00",
    });
    expect(parseUnixLine("-rw-r--r-- 1 0 0 12 2024-01-31 12:00:05.250000000 +0130 a b")).toMatchObject({
      name: "a b",
      modifiedAt: new Date("2024-01-31T10:30:05.250Z"),
      rawModifiedAt: "2024-01-31 12:00:05.250000000 +0130",
    });
    expect(parseUnixLine("-rw-r--r--  1 root  wheel  12 Jan 31 12:00:05 2024 a.txt")).toMatchObject({
      name: "a.txt",
      modifiedAt: new Date("2024-01-31T12:00:05Z"),
    });
  });

  it("accepts English month names in any case and German, French and CJK forms", () => {
    const month = (date: string) =>
      parseUnixLine(`-rw-r--r-- 1 u g 1 ${date} f`, { now })?.modifiedAt?.toISOString().slice(0, 10);
    expect(month("JAN 5 2020")).toBe("2020-01-05");
    expect(month("mär 5 2020")).toBe("2020-03-05");
    expect(month("Okt 5 2020")).toBe("2020-10-05");
    expect(month("déc. 5 2020")).toBe("2020-12-05");
    expect(month("5 févr. 2020")).toBe("2020-02-05");
    expect(month("31. Dez 2020")).toBe("2020-12-31");
    expect(month("1月 31 2020")).toBe("2020-01-31");
  });

  it("reads basic-ftp #193's eight-letter mode", () => {
    expect(parseUnixLine("drw-r--rw   1     root     root         0 Apr 21 19:31 Directory1")).toMatchObject({
      name: "Directory1",
      type: "directory",
      permissions: "rw-r--rw",
      unixMode: 0o040646,
    });
  });

  it.each([
    ["total 12"],
    ["insgesamt 12"],
    [""],
    ["drwxr-xr-x"],
    ["-rw-r--r-- 1 u g 12 Jan 1 12:00"],
    ["-rw-r--r-- 1 u g 12 Jan 1 12:00 "],
    ["-rw-r--r-- 1 u g twelve Jan 1 12:00 f"],
    ["-rwxr-xr-q 1 u g 12 Jan 1 12:00 f"],
    ["01-31-24  02:15PM       <DIR>          Folder"],
    ["type=file;size=1; a"],
  ])("rejects %j", (line) => {
    expect(parseUnixLine(line, { now })).toBeUndefined();
  });

  it("drops a trailing CR and keeps raw without it", () => {
    const info = parseUnixLine("-rw-r--r-- 1 u g 1 Jan 1 2020 f\r");
    expect(info?.name).toBe("f");
    expect(info?.raw).toBe("-rw-r--r-- 1 u g 1 Jan 1 2020 f");
  });
});
