/// <reference types="vite/client" />
/**
 * The real-server corpus (see __fixtures__/README.md for how each file was obtained): each
 * fixture file against its expected entries, written by hand. Fixtures are named after the
 * server, and after the bug report for those that reproduce one.
 */
import { describe, expect, it } from "vitest";
import type { FileInfo, FileType } from "./file-info.js";
import { detectListingFormat, type ListingFormat, parseListing, splitListingLines } from "./parse-listing.js";

const FIXTURES = import.meta.glob<string>("./__fixtures__/*.txt", { query: "?raw", import: "default", eager: true });

function fixture(file: string): string {
  const text = FIXTURES[`./__fixtures__/${file}`];
  if (text === undefined) throw new Error(`no fixture ${file}`);
  return text;
}

/** The capture time of the live fixtures. */
const NOW = new Date("2026-11-26T10:00:00Z");
const SIZD = "sizd";

/** The fields compared: every one the parser sets except raw, rawModifiedAt and facts (checked separately). */
interface Expected {
  name: string;
  type: FileType;
  size?: number;
  modifiedAt?: string;
  permissions?: string;
  unixMode?: number;
  owner?: string;
  group?: string;
  hardLinks?: number;
  target?: string;
}

function project(info: FileInfo): Expected {
  const out: Expected = { name: info.name, type: info.type };
  if (info.size !== undefined) out.size = info.size;
  if (info.modifiedAt !== undefined) out.modifiedAt = info.modifiedAt.toISOString();
  if (info.permissions !== undefined) out.permissions = info.permissions;
  if (info.unixMode !== undefined) out.unixMode = info.unixMode;
  if (info.owner !== undefined) out.owner = info.owner;
  if (info.group !== undefined) out.group = info.group;
  if (info.hardLinks !== undefined) out.hardLinks = info.hardLinks;
  if (info.target !== undefined) out.target = info.target;
  return out;
}

const with_ = (rows: readonly Expected[], columns: Partial<Expected>): Expected[] =>
  rows.map((row) => ({ ...row, ...columns }));
const patch = (rows: readonly Expected[], name: string, change: Partial<Expected>): Expected[] =>
  rows.map((row) => (row.name === name ? { ...row, ...change } : row));
const without = (rows: readonly Expected[], name: string): Expected[] => rows.filter((row) => row.name !== name);

// The captured directory, as `ls -l` shows it (C-locale order). Recent: 2026-10-15 14:15 UTC.
const R = "2026-10-15T14:15:00.000Z";
const FILE = { permissions: "rw-r--r--", unixMode: 0o100644, hardLinks: 1 } as const;
const DIR = { permissions: "rwxr-xr-x", unixMode: 0o040755, hardLinks: 2 } as const;
const LINK = { permissions: "rwxrwxrwx", unixMode: 0o120777, hardLinks: 1 } as const;
const CAPTURED_LS: readonly Expected[] = [
  { name: " leading space.txt", type: "file", size: 4, modifiedAt: R, ...FILE },
  { name: "-dash-start.txt", type: "file", size: 4, modifiedAt: R, ...FILE },
  { name: "Dir With Spaces", type: "directory", size: 4096, modifiedAt: "2025-12-24T00:00:00.000Z", ...DIR },
  { name: "Folder", type: "directory", size: 4096, modifiedAt: R, ...DIR },
  { name: "a.txt", type: "file", size: 12, modifiedAt: R, ...FILE },
  { name: "future.txt", type: "file", size: 1, modifiedAt: "2030-06-01T00:00:00.000Z", ...FILE },
  { name: "link to dir", type: "symlink", size: 15, modifiedAt: R, target: "Dir With Spaces", ...LINK },
  { name: "link-to-a", type: "symlink", size: 5, modifiedAt: R, target: "a.txt", ...LINK },
  { name: "name with spaces.txt", type: "file", size: 1234, modifiedAt: R, ...FILE },
  { name: "old.tar.gz", type: "file", size: 1234567, modifiedAt: "2020-01-31T00:00:00.000Z", ...FILE },
  { name: "pipe", type: "unknown", size: 0, modifiedAt: R, permissions: "rw-r--r--", unixMode: 0o010644, hardLinks: 1 },
  { name: "semi;colon=eq.txt", type: "file", size: 4, modifiedAt: R, ...FILE },
  { name: "sgid-file", type: "file", size: 1, modifiedAt: R, ...FILE, permissions: "rw-r-Sr--", unixMode: 0o102644 },
  { name: "suid-bin", type: "file", size: 10, modifiedAt: R, ...FILE, permissions: "rwsr-xr-x", unixMode: 0o104755 },
  { name: "tmp", type: "directory", size: 4096, modifiedAt: R, ...DIR, permissions: "rwxrwxrwt", unixMode: 0o041777 },
  { name: "trailing space ", type: "file", size: 5, modifiedAt: R, ...FILE },
  { name: "ünïcödé.txt", type: "file", size: 3, modifiedAt: R, ...FILE },
];
// pyftpdlib, pure-ftpd and proftpd print the 2030 file as "Jun 01 00:00" (HH:MM for a future
// date), so its year is lost and inferred as this year's June.
const FUTURE_AS_TIME = "2026-06-01T00:00:00.000Z";
// ls --time-style=long-iso/full-iso shows the full time even for old files.
const CAPTURED_ISO = patch(
  patch(CAPTURED_LS, "Dir With Spaces", { modifiedAt: "2025-12-24T09:30:00.000Z" }),
  "old.tar.gz",
  { modifiedAt: "2020-01-31T08:00:00.000Z" },
);

// The captured directory as MLSD lists it, in directory order (not sorted).
const M = { modifiedAt: R } as const;
const PUREFTPD_MLSD: readonly Expected[] = with_(
  [
    { name: "name with spaces.txt", type: "file", size: 1234, ...M, permissions: "rw-r--r--", unixMode: 0o644 },
    { name: "pipe", type: "unknown", size: 0, ...M, permissions: "rw-r--r--", unixMode: 0o644 },
    { name: "link-to-a", type: "symlink", size: 5, ...M, permissions: "rwxrwxrwx", unixMode: 0o777 },
    { name: "-dash-start.txt", type: "file", size: 4, ...M, permissions: "rw-r--r--", unixMode: 0o644 },
    { name: "trailing space ", type: "file", size: 5, ...M, permissions: "rw-r--r--", unixMode: 0o644 },
    { name: "Folder", type: "directory", size: 4096, ...M, permissions: "rwxr-xr-x", unixMode: 0o755 },
    { name: "link to dir", type: "symlink", size: 15, ...M, permissions: "rwxrwxrwx", unixMode: 0o777 },
    { name: "tmp", type: "directory", size: 4096, ...M, permissions: "rwxrwxrwt", unixMode: 0o1777 },
    {
      name: "Dir With Spaces",
      type: "directory",
      size: 4096,
      modifiedAt: "2025-12-24T09:30:00.000Z",
      permissions: "rwxr-xr-x",
      unixMode: 0o755,
    },
    { name: "semi;colon=eq.txt", type: "file", size: 4, ...M, permissions: "rw-r--r--", unixMode: 0o644 },
    { name: " leading space.txt", type: "file", size: 4, ...M, permissions: "rw-r--r--", unixMode: 0o644 },
    { name: "ünïcödé.txt", type: "file", size: 3, ...M, permissions: "rw-r--r--", unixMode: 0o644 },
    { name: "suid-bin", type: "file", size: 10, ...M, permissions: "rwsr-xr-x", unixMode: 0o4755 },
    { name: "a.txt", type: "file", size: 12, ...M, permissions: "rw-r--r--", unixMode: 0o644 },
    {
      name: "old.tar.gz",
      type: "file",
      size: 1234567,
      modifiedAt: "2020-01-31T08:00:00.000Z",
      permissions: "rw-r--r--",
      unixMode: 0o644,
    },
    { name: "sgid-file", type: "file", size: 1, ...M, permissions: "rw-r-Sr--", unixMode: 0o2644 },
    {
      name: "future.txt",
      type: "file",
      size: 1,
      modifiedAt: "2030-06-01T00:00:00.000Z",
      permissions: "rw-r--r--",
      unixMode: 0o644,
    },
  ],
  { owner: "65534", group: "65534" },
);
// proftpd: no size for directories, "pipe" as a file, owner from UNIX.ownername.
const PROFTPD_MLSD: Expected[] = with_(
  patch(
    PUREFTPD_MLSD.map(({ size, ...row }) => (row.type === "directory" ? row : { ...row, size: size ?? 0 })),
    "pipe",
    { type: "file" },
  ),
  { owner: "peer", group: "nogroup" },
);
// pyftpdlib: symlinks reported as their targets (type, size, time), no unix facts.
const PYFTPDLIB_MLSD: Expected[] = [
  { name: "name with spaces.txt", type: "file", size: 1234, ...M },
  { name: "pipe", type: "file", size: 0, ...M },
  { name: "link-to-a", type: "file", size: 12, ...M },
  { name: "-dash-start.txt", type: "file", size: 4, ...M },
  { name: "trailing space ", type: "file", size: 5, ...M },
  { name: "Folder", type: "directory", size: 4096, ...M },
  { name: "link to dir", type: "directory", size: 4096, modifiedAt: "2025-12-24T09:30:00.000Z" },
  { name: "tmp", type: "directory", size: 4096, ...M },
  { name: "Dir With Spaces", type: "directory", size: 4096, modifiedAt: "2025-12-24T09:30:00.000Z" },
  { name: "semi;colon=eq.txt", type: "file", size: 4, ...M },
  { name: " leading space.txt", type: "file", size: 4, ...M },
  { name: "ünïcödé.txt", type: "file", size: 3, ...M },
  { name: "suid-bin", type: "file", size: 10, ...M },
  { name: "a.txt", type: "file", size: 12, ...M },
  { name: "old.tar.gz", type: "file", size: 1234567, modifiedAt: "2020-01-31T08:00:00.000Z" },
  { name: "sgid-file", type: "file", size: 1, ...M },
  { name: "future.txt", type: "file", size: 1, modifiedAt: "2030-06-01T00:00:00.000Z" },
];

const DEVICES: readonly Expected[] = [
  { name: "fifo", type: "unknown", size: 0, permissions: "rw-r--r--", unixMode: 0o010644, group: "root" },
  { name: "loop0", type: "unknown", permissions: "rw-r--r--", unixMode: 0o060644, group: "disk" },
  { name: "null", type: "unknown", permissions: "rw-r--r--", unixMode: 0o020644, group: "root" },
  { name: "sock", type: "unknown", size: 0, permissions: "rwxr-xr-x", unixMode: 0o140755, group: "root" },
].map((row) => ({ ...row, modifiedAt: "2026-09-01T07:05:00.000Z", owner: "root", hardLinks: 1 }) as Expected);

const CASES: readonly [file: string, format: ListingFormat, expected: readonly Expected[]][] = [
  ["vsftpd-3.0.3.list.txt", "unix", with_(CAPTURED_LS, { owner: "65534", group: "65534" })],
  [
    "pyftpdlib-1.5.7.list.txt",
    "unix",
    patch(with_(CAPTURED_LS, { owner: "nobody", group: "nogroup" }), "future.txt", { modifiedAt: FUTURE_AS_TIME }),
  ],
  [
    "pure-ftpd-1.0.50.list.txt",
    "unix",
    // pure-ftpd leaves the FIFO out of LIST.
    without(
      patch(with_(CAPTURED_LS, { owner: "65534", group: "nogroup" }), "future.txt", { modifiedAt: FUTURE_AS_TIME }),
      "pipe",
    ),
  ],
  [
    "proftpd-1.3.8.list.txt",
    "unix",
    patch(with_(CAPTURED_LS, { owner: "peer", group: "nogroup" }), "future.txt", { modifiedAt: FUTURE_AS_TIME }),
  ],
  [
    "proftpd-1.3.8.list-a.txt",
    "unix",
    patch(with_(CAPTURED_LS, { owner: "peer", group: "nogroup" }), "future.txt", { modifiedAt: FUTURE_AS_TIME }),
  ],
  ["gnu-ls-9.1.la.txt", "unix", with_(CAPTURED_LS, { owner: "nobody", group: "nogroup" })],
  ["gnu-ls-9.1.long-iso.txt", "unix", with_(CAPTURED_ISO, { owner: "nobody", group: "nogroup" })],
  ["gnu-ls-9.1.full-iso.txt", "unix", with_(CAPTURED_ISO, { owner: "65534", group: "65534" })],
  ["gnu-ls-9.1.devices.txt", "unix", DEVICES],
  ["busybox-1.35.ls-la.txt", "unix", with_(CAPTURED_LS, { owner: "nobody", group: "nogroup" })],
  ["busybox-1.35.devices.txt", "unix", DEVICES],
  ["pyftpdlib-1.5.7.mlsd.txt", "mlsx", PYFTPDLIB_MLSD],
  ["pure-ftpd-1.0.50.mlsd.txt", "mlsx", PUREFTPD_MLSD],
  ["proftpd-1.3.8.mlsd.txt", "mlsx", PROFTPD_MLSD],
  [
    "filezilla-server-0.9.list.txt",
    "unix",
    with_(
      [
        { name: "Folder", type: "directory", size: 0, modifiedAt: R, ...DIR, hardLinks: 1 },
        // FileZilla Server shows HH:MM for files up to 350 days old: Dec 24 on Nov 26 is last year's.
        {
          name: "Dir With Spaces",
          type: "directory",
          size: 0,
          modifiedAt: "2025-12-24T09:30:00.000Z",
          ...DIR,
          hardLinks: 1,
        },
        { name: "a.txt", type: "file", size: 12, modifiedAt: R, ...FILE },
        {
          name: "read only.txt",
          type: "file",
          size: 1234,
          modifiedAt: R,
          ...FILE,
          permissions: "r--r--r--",
          unixMode: 0o100444,
        },
        {
          name: "setup.exe",
          type: "file",
          size: 1234567,
          modifiedAt: "2020-01-31T00:00:00.000Z",
          ...FILE,
          permissions: "rwxr-xr-x",
          unixMode: 0o100755,
        },
        { name: "future.txt", type: "file", size: 1, modifiedAt: "2030-06-01T00:00:00.000Z", ...FILE },
      ],
      { owner: "ftp", group: "ftp" },
    ),
  ],
  [
    "filezilla-server-0.9.mlsd.txt",
    "mlsx",
    [
      { name: "Folder", type: "directory", modifiedAt: R },
      { name: "a.txt", type: "file", size: 12, modifiedAt: R },
      { name: "setup.exe", type: "file", size: 1234567, modifiedAt: "2020-01-31T08:00:00.000Z" },
    ],
  ],
  [
    "iis.list.txt",
    "dos",
    [
      { name: "Folder", type: "directory", modifiedAt: R },
      { name: "Dir With Spaces", type: "directory", modifiedAt: "2025-12-24T09:30:00.000Z" },
      { name: "  leading space dir", type: "directory", modifiedAt: R },
      { name: "a.txt", type: "file", size: 12, modifiedAt: R },
      { name: "name with spaces.txt", type: "file", size: 1234, modifiedAt: "2026-10-15T00:05:00.000Z" },
      { name: " leading space.txt", type: "file", size: 4, modifiedAt: "2026-10-15T12:45:00.000Z" },
      { name: "old.tar.gz", type: "file", size: 1234567, modifiedAt: "2020-01-31T08:00:00.000Z" },
      { name: "y2k.txt", type: "file", size: 0, modifiedAt: "1999-06-01T23:59:00.000Z" },
    ],
  ],
  [
    "iis-four-digit-years.list.txt",
    "dos",
    [
      { name: "Folder", type: "directory", modifiedAt: R },
      { name: "a.txt", type: "file", size: 12, modifiedAt: R },
    ],
  ],
  [
    "macos.list.txt",
    "unix",
    [
      {
        name: "Folder",
        type: "directory",
        size: 160,
        modifiedAt: R,
        ...DIR,
        hardLinks: 5,
        owner: "alice",
        group: "staff",
      },
      { name: "acl.txt", type: "file", size: 12, modifiedAt: R, ...FILE, owner: "alice", group: "staff" },
      {
        name: "Photo 1.jpg",
        type: "file",
        size: 1234,
        modifiedAt: "2020-01-31T00:00:00.000Z",
        ...FILE,
        owner: "alice",
        group: "staff",
      },
      {
        name: "link",
        type: "symlink",
        size: 5,
        modifiedAt: R,
        target: "a.txt",
        permissions: "rwxr-xr-x",
        unixMode: 0o120755,
        hardLinks: 1,
        owner: "alice",
        group: "staff",
      },
      {
        name: "suid-tool",
        type: "file",
        size: 9876,
        modifiedAt: R,
        permissions: "rwsr-x---",
        unixMode: 0o104750,
        hardLinks: 1,
        owner: "root",
        group: "wheel",
      },
      {
        name: "tmp",
        type: "directory",
        size: 384,
        modifiedAt: "2026-11-26T09:40:00.000Z",
        permissions: "rwxrwxrwt",
        unixMode: 0o041777,
        hardLinks: 12,
        owner: "root",
        group: "wheel",
      },
    ],
  ],
  [
    "bsd-no-group.list.txt",
    "unix",
    [
      { name: "a.txt", type: "file", size: 12, modifiedAt: R, ...FILE, owner: "admin" },
      {
        name: "etc",
        type: "directory",
        size: 512,
        modifiedAt: "1994-04-08T00:00:00.000Z",
        permissions: "r-xr-xr-x",
        unixMode: 0o040555,
        hardLinks: 2,
        owner: "root",
      },
    ],
  ],
  [
    "publicfile-eplf.list.txt",
    "eplf",
    [
      { name: "dev", type: "directory", modifiedAt: "1996-02-13T23:58:22.000Z" },
      { name: "RFCEPLF", type: "file", size: 10376, modifiedAt: "1996-08-13T17:19:43.000Z" },
      {
        name: "file with spaces.txt",
        type: "file",
        size: 1234,
        modifiedAt: "1996-02-13T23:58:22.000Z",
        permissions: "rw-r--r--",
        unixMode: 0o644,
      },
    ],
  ],
  [
    "netware.list.txt",
    "netware",
    [
      {
        name: "pub",
        type: "directory",
        size: 512,
        modifiedAt: "2004-01-29T00:00:00.000Z",
        permissions: "RWCEAFMS",
        owner: "ftpadmin",
      },
      {
        name: "public.www",
        type: "directory",
        size: 512,
        modifiedAt: "2026-06-27T23:46:00.000Z",
        permissions: "RWCEAFMS",
        owner: "dpearce",
      },
      {
        name: "about.html",
        type: "file",
        size: 2767,
        modifiedAt: "2026-06-22T06:22:00.000Z",
        permissions: "RWCEAFMS",
        owner: "dpearce",
      },
      {
        name: "login",
        type: "directory",
        size: 512,
        modifiedAt: "2026-01-16T18:53:00.000Z",
        permissions: "R----F--",
        owner: "supervisor",
      },
    ],
  ],
  [
    // basic-ftp #61: vsftpd with numeric ids lists "." and "..", which are dropped.
    "basic-ftp-issue-61.list.txt",
    "unix",
    [
      {
        name: "package.json",
        type: "file",
        size: 487,
        modifiedAt: "2026-02-25T19:03:00.000Z",
        permissions: "rw-------",
        unixMode: 0o100600,
        owner: "1001",
        group: "1001",
        hardLinks: 1,
      },
    ],
  ],
  [
    // basic-ftp #193: an embedded server prints an eight-letter mode.
    "basic-ftp-issue-193.list.txt",
    "unix",
    [
      {
        name: "Directory1",
        type: "directory",
        size: 0,
        modifiedAt: "2026-04-21T19:31:00.000Z",
        permissions: "rw-r--rw",
        unixMode: 0o040646,
        owner: "root",
        group: "root",
        hardLinks: 1,
      },
    ],
  ],
  [
    // basic-ftp #95 (sizd) and #99 ("type=dir; ." must be dropped like cdir).
    "basic-ftp-issue-95-99.mlsd.txt",
    "mlsx",
    [
      { name: "filename", type: "unknown", size: 4096 },
      { name: "link", type: "symlink", target: "/actual/target" },
    ],
  ],
];

describe("real-server corpus", () => {
  it.each(CASES)("%s (%s)", (file, format, expected) => {
    const text = fixture(file);
    expect(detectListingFormat(splitListingLines(text))).toBe(format);
    const parsed = parseListing(text, { now: NOW });
    expect(parsed.map(project)).toEqual(expected);
    // The forced format gives the same result as detection.
    expect(parseListing(text, { now: NOW, format }).map(project)).toEqual(expected);
    // raw is the original line, without its terminator.
    const lines = new Set(splitListingLines(text));
    for (const info of parsed) expect(lines.has(info.raw)).toBe(true);
  });

  it("basic-ftp #206: blank lines and 'total 0' make an empty listing", () => {
    expect(parseListing(fixture("basic-ftp-issue-206.list.txt"))).toEqual([]);
  });

  it("covers every fixture file", () => {
    const covered = new Set([...CASES.map(([file]) => file), "basic-ftp-issue-206.list.txt"]);
    expect(
      Object.keys(FIXTURES)
        .map((path) => path.replace("./__fixtures__/", ""))
        .sort(),
    ).toEqual([...covered].sort());
  });

  it("keeps the exact time text and the MLSx facts", () => {
    const vsftpd = parseListing(fixture("vsftpd-3.0.3.list.txt"), { now: NOW });
    expect(vsftpd.map((e) => e.rawModifiedAt)).toContain("Jun 01  2030");
    const proftpd = parseListing(fixture("proftpd-1.3.8.mlsd.txt"));
    expect(proftpd.find((e) => e.name === "link-to-a")?.facts).toEqual({
      modify: "20261015141500",
      perm: "adfrw",
      size: "5",
      type: "OS.unix=symlink",
      unique: "FE00U20C1BD",
      "unix.group": "65534",
      "unix.groupname": "nogroup",
      "unix.mode": "0777",
      "unix.owner": "65534",
      "unix.ownername": "peer",
    });
    const pureftpd = parseListing(fixture("pure-ftpd-1.0.50.mlsd.txt"));
    expect(pureftpd.find((e) => e.name === "tmp")?.facts?.[SIZD]).toBe("4096");
  });
});
