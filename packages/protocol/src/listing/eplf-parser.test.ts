import { describe, expect, it } from "vitest";
import { parseEplfLine } from "./eplf-parser.js";

describe("parseEplfLine", () => {
  it("reads the directory example of the EPLF page", () => {
    const line = "+i8388621.29609,m824255902,/,\tdev";
    expect(parseEplfLine(line)).toEqual({
      name: "dev",
      type: "directory",
      modifiedAt: new Date(824255902 * 1000),
      rawModifiedAt: "824255902",
      raw: line,
    });
  });

  it("reads a file with size, permissions and a name with spaces", () => {
    expect(parseEplfLine("+i8388621.44468,m839956783,r,s10376,up644,\tfile name")).toMatchObject({
      name: "file name",
      type: "file",
      size: 10376,
      unixMode: 0o644,
      permissions: "rw-r--r--",
    });
  });

  it("ignores unknown facts and types entries without r or / as unknown", () => {
    expect(parseEplfLine("+x42,,m1,\tthing")).toMatchObject({ name: "thing", type: "unknown" });
  });

  it.each([["+i1,m1,r,s1, no tab"], ["i1,m1,r,\tno plus"], ["+r,\t"], ["total 12"]])("rejects %j", (line) => {
    expect(parseEplfLine(line)).toBeUndefined();
  });
});
