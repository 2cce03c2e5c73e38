import { describe, expect, it } from "vitest";
import { parseNetwareLine } from "./netware-parser.js";

describe("parseNetwareLine", () => {
  it("reads a directory with a year", () => {
    const line = "d [RWCEAFMS] ftpadmin 512 Jan 29  2004 pub";
    expect(parseNetwareLine(line)).toEqual({
      name: "pub",
      type: "directory",
      size: 512,
      modifiedAt: new Date("2004-01-29T00:00:00Z"),
      rawModifiedAt: "Jan 29  2004",
      permissions: "RWCEAFMS",
      owner: "ftpadmin",
      raw: line,
    });
  });

  it("reads a file with a time and infers the year from now", () => {
    expect(
      parseNetwareLine("- [RWCEAFMS] dpearce                         2767 Jun 22 06:22 about.html", {
        now: new Date("2026-11-26T10:00:00Z"),
      }),
    ).toMatchObject({ name: "about.html", type: "file", size: 2767, modifiedAt: new Date("2026-06-22T06:22:00Z") });
  });

  it("drops the padding before the name", () => {
    expect(parseNetwareLine("d [R----F--] supervisor            512       Jan 16 18:53    login")).toMatchObject({
      name: "login",
      permissions: "R----F--",
    });
  });

  it.each([["total 0"], ["d [RWCEAFMX] x 512 Jan 29 2004 pub"], ["d [RWCEAFMS] x 512 Foo 29 2004 pub"]])(
    "rejects %j",
    (line) => {
      expect(parseNetwareLine(line)).toBeUndefined();
    },
  );
});
