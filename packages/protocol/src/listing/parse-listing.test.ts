import { describe, expect, it } from "vitest";
import { detectListingFormat, parseListing, parseMlsdListing } from "./parse-listing.js";

const now = new Date("2026-11-26T10:00:00Z");

describe("detectListingFormat", () => {
  it.each([
    [["total 2", "-rw-r--r-- 1 u g 1 Jan 1 2020 a"], "unix"],
    [["01-31-24  02:15PM       <DIR>          Folder"], "dos"],
    [["+i1,m1,/,\tdev"], "eplf"],
    [["d [RWCEAFMS] ftpadmin 512 Jan 29  2004 pub"], "netware"],
    [["type=cdir; .", "type=file;size=1; a"], "mlsx"],
    [["", "total 0", "  "], undefined],
    [[" just a name"], undefined],
    [[], undefined],
  ] as const)("detects %j as %s", (lines, format) => {
    expect(detectListingFormat(lines)).toBe(format);
  });

  it("goes by the majority of the first lines", () => {
    expect(detectListingFormat(["type=file; -rw-r--r-- 1 u g 1 Jan 1 2020 a", "type=file; b", "type=file; c"])).toBe(
      "mlsx",
    );
  });
});

describe("parseListing", () => {
  it("splits CRLF and LF lines, skips blank and total lines, drops . and ..", () => {
    const text =
      "total 8\r\ndrwxr-xr-x 2 u g 4096 Jan 1 2020 .\r\ndrwxr-xr-x 2 u g 4096 Jan 1 2020 ..\n\n-rw-r--r-- 1 u g 1 Jan 1 2020 a \r\n";
    expect(parseListing(text).map((e) => [e.name, e.raw])).toEqual([["a ", "-rw-r--r-- 1 u g 1 Jan 1 2020 a "]]);
  });

  it("accepts Unix lines indented by some servers (basic-ftp's macOS sample)", () => {
    const text =
      "total 112\n drwxr-xr-x+  11 patrick  staff    374 Dec 11 21:24 .\n    -rw-r--r--+   1 patrick  staff   1057 Dec 11 14:35 LICENSE.txt\n";
    expect(parseListing(text).map((e) => [e.name, e.owner, e.group, e.size])).toEqual([
      ["LICENSE.txt", "patrick", "staff", 1057],
    ]);
  });

  it("drops cdir and pdir whatever their names (RFC 3659 §7.5.1)", () => {
    expect(parseMlsdListing("type=cdir; /pub\r\ntype=pdir; /\r\ntype=dir; x\r\n").map((e) => e.name)).toEqual(["x"]);
  });

  it("passes now on for the year of HH:MM dates", () => {
    expect(parseListing("-rw-r--r-- 1 u g 1 Oct 15 14:15 a", { now })[0]?.modifiedAt).toEqual(
      new Date("2026-10-15T14:15:00Z"),
    );
  });

  it("falls back per line to any parser that accepts it", () => {
    const mixed = ["-rw-r--r-- 1 u g 1 Jan 1 2020 unix", "01-31-24  02:15PM                 1 dos", "type=file; mlsx"];
    expect(parseListing(mixed.join("\r\n")).map((e) => e.name)).toEqual(["unix", "dos", "mlsx"]);
  });

  it("uses only the forced format when one is given", () => {
    const text = "-rw-r--r-- 1 u g 1 Jan 1 2020 unix\r\n type=file; x";
    expect(parseListing(text, { format: "mlsx" }).map((e) => e.name)).toEqual(["type=file; x"]);
  });

  it("reads a MLSD listing with a facts-less entry", () => {
    expect(parseMlsdListing(" filename").map((e) => [e.name, e.type])).toEqual([["filename", "unknown"]]);
  });

  it("ignores a leading BOM and returns [] for unknown formats", () => {
    expect(parseListing("\uFEFFtype=file; a")[0]?.name).toBe("a");
    expect(parseListing("aaa")).toEqual([]);
    expect(parseListing("SAVE01 3390   2004/06/23  1    1  FB     128  6144  PO    INCOMING.RPTBM024.D061704")).toEqual(
      [],
    );
  });

  it("is linear: 50,000 lines and a 1 MB line parse quickly", () => {
    const many = "-rw-r--r--    1 0        0              12 Jan 01 12:00 a.txt\r\n".repeat(50_000);
    const long = `-rw-r--r-- 1 ${"x ".repeat(500_000)}`;
    const started = performance.now();
    expect(parseListing(many, { now })).toHaveLength(50_000);
    expect(parseListing(long)).toEqual([]);
    expect(parseListing(`type=file;${"a=b;".repeat(250_000)} f`)).toHaveLength(1);
    expect(parseListing(" ".repeat(1_000_000))).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
