import { describe, expect, it } from "vitest";
import { LocalProtocolError } from "../errors/index.js";
import { formatUnixListingLine, type UnixListingEntry } from "./unix-format.js";
import { parseUnixLine } from "./unix-parser.js";

const now = new Date("2024-03-10T12:00:00Z");

describe("formatUnixListingLine", () => {
  it("writes vsftpd's layout with HH:MM for recent files", () => {
    expect(
      formatUnixListingLine(
        { name: "name", type: "directory", size: 4096, modifiedAt: new Date("2024-01-31T14:15:59Z") },
        now,
      ),
    ).toBe("drwxr-xr-x    2 ftp      ftp          4096 Jan 31 14:15 name");
  });

  it("writes the year for files older than 182 days and for future files", () => {
    const line = (iso: string) =>
      formatUnixListingLine(
        { name: "f", type: "file", size: 12, modifiedAt: new Date(iso), owner: "0", group: "0" },
        now,
      );
    expect(line("2020-01-01T12:00:00Z")).toBe("-rw-r--r--    1 0        0              12 Jan 01  2020 f");
    expect(line("2024-03-10T12:00:01Z")).toBe("-rw-r--r--    1 0        0              12 Mar 10  2024 f");
    expect(line("2023-09-10T12:00:00Z")).toBe("-rw-r--r--    1 0        0              12 Sep 10 12:00 f");
    expect(line("2023-09-10T11:59:59Z")).toBe("-rw-r--r--    1 0        0              12 Sep 10  2023 f");
  });

  it("writes symlinks, special bits, device types and long columns", () => {
    const modifiedAt = new Date("2024-03-01T08:00:00Z");
    expect(formatUnixListingLine({ name: "l", type: "symlink", size: 5, modifiedAt, target: "a b" }, now)).toBe(
      "lrwxrwxrwx    1 ftp      ftp             5 Mar 01 08:00 l -> a b",
    );
    expect(
      formatUnixListingLine(
        { name: "t", type: "directory", size: 0, modifiedAt, unixMode: 0o41777, hardLinks: 12 },
        now,
      ),
    ).toBe("drwxrwxrwt   12 ftp      ftp             0 Mar 01 08:00 t");
    expect(formatUnixListingLine({ name: "n", type: "unknown", size: 0, modifiedAt, unixMode: 0o020666 }, now)).toMatch(
      /^crw-rw-rw- /,
    );
    expect(formatUnixListingLine({ name: "?", type: "unknown", size: 0, modifiedAt, unixMode: 0o6640 }, now)).toMatch(
      /^\?rwSr-S--- /,
    );
    expect(
      formatUnixListingLine(
        { name: "x", type: "file", size: 123456789012, modifiedAt, owner: "Jane Doe", group: "domain users" },
        now,
      ),
    ).toBe("-rw-r--r--    1 Jane_Doe domain_users 123456789012 Mar 01 08:00 x");
  });

  it("leaves a symlink name ending in ' ->' ambiguous, as ls does", () => {
    const line = formatUnixListingLine({ name: "a ->", type: "symlink", size: 1, modifiedAt: now, target: "b" }, now);
    expect(parseUnixLine(line, { now })).toMatchObject({ name: "a", target: "-> b" });
  });

  it.each([
    [{ name: "a\r\nb" }],
    [{ name: "a\nb" }],
    [{ name: "a\rb" }],
    [{ name: "a\0b" }],
    [{ name: "" }],
    [{ type: "symlink", target: "x\ny" }],
    [{ size: -1 }],
    [{ size: Number.NaN }],
    [{ hardLinks: 0.5 }],
    [{ modifiedAt: new Date(Number.NaN) }],
    [{ modifiedAt: new Date("+010000-01-01T00:00:00Z") }],
  ] as const)("refuses %j (a listing line must not inject a line)", (override) => {
    const entry = { name: "f", type: "file", size: 1, modifiedAt: now, ...override } as UnixListingEntry;
    expect(() => formatUnixListingLine(entry, now)).toThrow(LocalProtocolError);
  });
});
