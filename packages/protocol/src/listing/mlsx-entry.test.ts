import { describe, expect, it } from "vitest";
import { LocalProtocolError } from "../errors/index.js";
import { parseMlsxLine } from "./mlsx.js";
import { formatMlsxEntry, formatMlsxPerm, MLSX_SUPPORTED_FACTS } from "./mlsx-entry.js";

const modifiedAt = new Date("2024-01-31T14:15:00.789Z");

describe("formatMlsxPerm (RFC 3659 §7.5.5)", () => {
  const all = {
    append: true,
    createFile: true,
    delete: true,
    enter: true,
    rename: true,
    list: true,
    makeDirectory: true,
    purge: true,
    read: true,
    write: true,
  };
  it("keeps the letters defined for files", () => {
    expect(formatMlsxPerm("file", all)).toBe("adfrw");
  });
  it("keeps the letters defined for directories", () => {
    expect(formatMlsxPerm("directory", all)).toBe("cdeflmp");
  });
  it("writes only what is allowed", () => {
    expect(formatMlsxPerm("file", { read: true })).toBe("r");
    expect(formatMlsxPerm("directory", { enter: true, list: true, read: true })).toBe("el");
    expect(formatMlsxPerm("file", {})).toBe("");
  });
});

describe("formatMlsxEntry", () => {
  it("writes the default facts for a file", () => {
    expect(
      formatMlsxEntry({
        name: "a b.txt",
        type: "file",
        size: 12,
        modifiedAt,
        unixMode: 0o100644,
        unique: "803U1A2B",
        perm: { read: true, write: true },
      }),
    ).toBe("type=file;size=12;modify=20240131141500;perm=rw;unique=803U1A2B;unix.mode=0644; a b.txt");
  });

  it("writes directories with dir/cdir/pdir and no size unless sizd is asked", () => {
    const dir = { name: "pub", type: "directory", size: 4096, modifiedAt, unixMode: 0o1777 } as const;
    expect(formatMlsxEntry(dir)).toBe("type=dir;modify=20240131141500;unix.mode=01777; pub");
    expect(formatMlsxEntry({ ...dir, directoryKind: "cdir" }, ["type", "sizd"])).toBe("type=cdir;sizd=4096; pub");
  });

  it("writes symlinks as OS.unix=slink:<target>, or OS.unix=symlink when the target cannot be a value", () => {
    expect(formatMlsxEntry({ name: "l", type: "symlink", target: "/usr/bin" }, ["type"])).toBe(
      "type=OS.unix=slink:/usr/bin; l",
    );
    expect(formatMlsxEntry({ name: "l", type: "symlink", target: "a b" }, ["type"])).toBe("type=OS.unix=symlink; l");
  });

  it("names device and FIFO types from the mode's S_IFMT bits", () => {
    expect(formatMlsxEntry({ name: "null", type: "unknown", unixMode: 0o020666 }, ["type"])).toBe(
      "type=OS.unix=chr; null",
    );
    expect(formatMlsxEntry({ name: "x", type: "unknown" }, ["type", "unix.mode"])).toBe(" x");
  });

  it("honours the requested facts, case-insensitively, and ignores unknown ones", () => {
    const entry = { name: "f", type: "file", size: 1, modifiedAt, createdAt: modifiedAt } as const;
    expect(formatMlsxEntry(entry, ["SIZE", "Create", "x.unknown"])).toBe("size=1;create=20240131141500; f");
    expect(formatMlsxEntry(entry, [])).toBe(" f");
  });

  it("parses back", () => {
    const line = formatMlsxEntry(
      { name: " odd;name=1 ", type: "file", size: 99, modifiedAt, unixMode: 0o4755, unique: "u1" },
      MLSX_SUPPORTED_FACTS,
    );
    expect(parseMlsxLine(line)).toMatchObject({
      name: " odd;name=1 ",
      type: "file",
      size: 99,
      modifiedAt: new Date("2024-01-31T14:15:00Z"),
      unixMode: 0o4755,
      permissions: "rwsr-xr-x",
      facts: { unique: "u1" },
    });
  });

  it.each([
    [{ name: "a\r\nb", type: "file" }],
    [{ name: "a\nb", type: "file" }],
    [{ name: "", type: "file" }],
    [{ name: "f", type: "file", size: -1 }],
    [{ name: "f", type: "file", size: 1.5 }],
    [{ name: "f", type: "file", unique: "a;b" }],
    [{ name: "f", type: "file", modifiedAt: new Date(Number.NaN) }],
  ] as const)("refuses %j", (entry) => {
    expect(() => formatMlsxEntry(entry)).toThrow(LocalProtocolError);
  });
});
