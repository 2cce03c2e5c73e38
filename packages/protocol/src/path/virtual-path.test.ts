import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { FtpProtocolError, LocalProtocolError } from "../errors/index.js";
import {
  isWithin,
  joinVirtualPath,
  normalizeVirtualPath,
  resolveVirtualPath,
  safeNormalizeVirtualPath,
  safeResolveVirtualPath,
  splitVirtualPath,
  utf8Length,
  virtualBasename,
  virtualDirname,
} from "./virtual-path.js";

const RUNS = { numRuns: 10_000 };

/** Pieces hostile paths are made of; joined without separators so they also fuse ("..." + "a"). */
const piece = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "/",
    "\\",
    "//",
    "\\\\",
    "a",
    "b",
    "...",
    "....",
    ".. ",
    "%2e%2e",
    "%2f",
    "%5c",
    "~",
    "~root",
    "C:",
    "é",
    "\u2024\u2024", // one-dot leaders, not dots
    "\uff0e\uff0e", // fullwidth full stops, not dots
    "😀",
    " ",
  ),
  fc.string({ unit: "grapheme", maxLength: 4 }),
);
const hostile = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(""));
const relative = hostile.filter((s) => !s.startsWith("/") && !s.startsWith("\\"));

function assertNormalized(path: string): void {
  expect(path.startsWith("/")).toBe(true);
  expect(normalizeVirtualPath(path)).toBe(path); // idempotent
  expect(path).not.toContain("\\");
  expect(path).not.toContain("\0");
  if (path !== "/") {
    expect(path.endsWith("/")).toBe(false);
    expect(path).not.toContain("//");
  }
  const segments = splitVirtualPath(path);
  for (const segment of segments) {
    expect(segment).not.toBe("");
    expect(segment).not.toBe(".");
    expect(segment).not.toBe("..");
    expect(segment).not.toMatch(/[/\\\0\r\n]/);
  }
  expect(`/${segments.join("/")}`).toBe(path);
  expect(joinVirtualPath(...segments)).toBe(path);
}

describe("properties", { timeout: 60_000 }, () => {
  test.prop([hostile, hostile], RUNS)("resolveVirtualPath always yields an absolute normalized path", (cwd, input) => {
    const resolved = resolveVirtualPath(cwd, input);
    assertNormalized(resolved);
    expect(normalizeVirtualPath(normalizeVirtualPath(input))).toBe(normalizeVirtualPath(input));
    expect(isWithin("/", resolved)).toBe(true);
  });

  test.prop([hostile], RUNS)("splitVirtualPath never yields .., ., '', or a separator", (input) => {
    for (const segment of splitVirtualPath(input)) {
      expect(["", ".", ".."]).not.toContain(segment);
      expect(segment).not.toMatch(/[/\\\0]/);
    }
  });

  test.prop([hostile, relative.filter((s) => !s.split(/[/\\]/).includes(".."))], RUNS)(
    "a relative input with no .. segment stays within the cwd",
    (cwd, input) => {
      const base = normalizeVirtualPath(cwd);
      expect(isWithin(base, resolveVirtualPath(base, input))).toBe(true);
    },
  );

  test.prop([hostile, hostile.filter((s) => s !== ""), relative], RUNS)(
    "resolving step by step equals resolving the joined input",
    (cwd, a, b) => {
      expect(resolveVirtualPath(resolveVirtualPath(cwd, a), b)).toBe(resolveVirtualPath(cwd, `${a}/${b}`));
    },
  );

  test.prop([hostile], RUNS)("dirname/basename split a path in two", (input) => {
    const path = normalizeVirtualPath(input);
    const base = virtualBasename(path);
    const dir = virtualDirname(path);
    assertNormalized(dir);
    if (path === "/") {
      expect(base).toBe("");
      expect(dir).toBe("/");
    } else {
      expect(joinVirtualPath(dir, base)).toBe(path);
      expect(isWithin(dir, path)).toBe(true);
      expect(isWithin(path, dir)).toBe(false);
    }
  });

  test.prop([fc.string({ unit: "binary", maxLength: 300 }), fc.string({ unit: "binary", maxLength: 40 })], RUNS)(
    "any string: a normalized path, or an FtpProtocolError only for NUL, CR, LF or length",
    (cwd, input) => {
      const hostileChar = /[\0\r\n]/.test(cwd + input);
      try {
        assertNormalized(resolveVirtualPath(cwd, input));
        expect(hostileChar).toBe(false);
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
        const code = (error as FtpProtocolError).code;
        expect(["FTP_ERR_PATH_NUL", "FTP_ERR_PATH_CRLF", "FTP_ERR_PATH_TOO_LONG"]).toContain(code);
        if (!hostileChar) expect(code).toBe("FTP_ERR_PATH_TOO_LONG");
      }
    },
  );

  test.prop([fc.string({ unit: "binary", maxLength: 20 })], RUNS)("utf8Length agrees with TextEncoder", (text) => {
    expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
  });
});

describe("attack strings (cwd /pub/docs)", { timeout: 60_000 }, () => {
  const cwd = "/pub/docs";
  it.each([
    ["../../etc/passwd", "/etc/passwd"],
    ["../../../../../../../../../../etc/shadow", "/etc/shadow"],
    ["/../..", "/"],
    ["/..", "/"],
    ["..", "/pub"],
    ["../..", "/"],
    ["../../..", "/"],
    ["/a/b/../../../c", "/c"],
    ["....//", "/pub/docs/...."],
    ["....//....//etc", "/pub/docs/..../..../etc"],
    ["...", "/pub/docs/..."],
    ["..\\..\\windows", "/windows"], // backslash is a separator (IIS-style), so this cannot climb twice
    ["..\\..\\..\\..\\windows\\win.ini", "/windows/win.ini"],
    ["/..\\..\\..\\boot.ini", "/boot.ini"],
    ["..\\/..\\/", "/"],
    ["\\\\server\\share\\x", "/server/share/x"], // UNC prefix is just separators
    ["\\etc\\passwd", "/etc/passwd"], // a leading backslash is absolute
    ["C:\\Windows\\system32", "/pub/docs/C:/Windows/system32"], // no drive letters: "C:" is a name
    ["C:/..\\..", "/pub"],
    ["~root", "/pub/docs/~root"], // no tilde expansion (wu-ftpd)
    ["~", "/pub/docs/~"],
    ["~/.ssh/authorized_keys", "/pub/docs/~/.ssh/authorized_keys"],
    ["%2e%2e/%2e%2e/etc", "/pub/docs/%2e%2e/%2e%2e/etc"], // FTP does no URL decoding
    ["%2e%2e%2f%2e%2e%2fetc", "/pub/docs/%2e%2e%2f%2e%2e%2fetc"],
    ["..%2f..%2fetc", "/pub/docs/..%2f..%2fetc"],
    ["..%5c..%5cetc", "/pub/docs/..%5c..%5cetc"],
    ["%252e%252e", "/pub/docs/%252e%252e"],
    ["..%c0%af..%c0%af", "/pub/docs/..%c0%af..%c0%af"],
    [".. /x", "/pub/docs/.. /x"], // ".. " is a name here; isWindowsSafeSegment flags it
    [" ../x", "/pub/docs/ ../x"],
    ["\u2024\u2024/x", "/pub/docs/\u2024\u2024/x"], // ONE DOT LEADER is not a dot
    ["\uff0e\uff0e/x", "/pub/docs/\uff0e\uff0e/x"], // FULLWIDTH FULL STOP is not a dot
    ["\u002e\u002e/x", "/pub/x"], // ...but an escaped real dot is
    ["//etc//passwd", "/etc/passwd"],
    ["/./././", "/"],
    ["a/./b/.//c/", "/pub/docs/a/b/c"],
    ["./", "/pub/docs"],
    [".", "/pub/docs"],
    ["", "/pub/docs"], // empty input means the cwd
    ["/", "/"],
    ["*", "/pub/docs/*"], // no globbing here
    ["$HOME/x", "/pub/docs/$HOME/x"],
    ["`id`", "/pub/docs/`id`"],
    ["a\tb", "/pub/docs/a\tb"], // tabs are legal name characters
    ["ünïcödé/😀", "/pub/docs/ünïcödé/😀"],
  ])("%j → %j", (input, expected) => {
    expect(resolveVirtualPath(cwd, input)).toBe(expected);
    expect(safeResolveVirtualPath(cwd, input)).toEqual({ success: true, value: expected });
  });

  it.each([
    ["..\0/etc/passwd", "FTP_ERR_PATH_NUL"],
    ["file.txt\0.jpg", "FTP_ERR_PATH_NUL"], // classic truncation attack
    ["\0", "FTP_ERR_PATH_NUL"],
    ["a\r\nDELE important", "FTP_ERR_PATH_CRLF"], // reply/command injection
    ["a\n", "FTP_ERR_PATH_CRLF"],
    ["a\r", "FTP_ERR_PATH_CRLF"],
    ["x".repeat(256), "FTP_ERR_PATH_TOO_LONG"],
    ["é".repeat(128), "FTP_ERR_PATH_TOO_LONG"], // 256 UTF-8 bytes
    ["a/".repeat(2049), "FTP_ERR_PATH_TOO_LONG"], // 4098 bytes of input, even though short once resolved
    [`${"abcdefgh/".repeat(455)}x`, "FTP_ERR_PATH_TOO_LONG"], // result 4097 bytes with the cwd
  ])("%j is refused with 501 %s", (input, code) => {
    const result = safeResolveVirtualPath(cwd, input);
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(LocalProtocolError.isInstance(result.error)).toBe(true);
      expect(result.error.replyHint).toBe(501);
      expect(result.error.code).toBe(code);
    }
  });

  it("accepts exactly up to the limits", () => {
    expect(splitVirtualPath("x".repeat(255))).toEqual(["x".repeat(255)]);
    expect(splitVirtualPath("é".repeat(127))).toHaveLength(1);
    expect(splitVirtualPath("😀".repeat(63))).toHaveLength(1); // 252 bytes
    expect(() => splitVirtualPath("😀".repeat(64))).toThrow(LocalProtocolError); // 256 bytes
    const long = `/${"a".repeat(200)}`.repeat(20) + `/${"a".repeat(75)}`;
    expect(long).toHaveLength(4096);
    expect(normalizeVirtualPath(long)).toBe(long);
    expect(() => normalizeVirtualPath(`${long}b`)).toThrow(LocalProtocolError);
  });

  it("honours custom limits", () => {
    expect(safeNormalizeVirtualPath("/abc/def", { maxLength: 7 }).success).toBe(false);
    expect(normalizeVirtualPath("/abc/de", { maxLength: 7 })).toBe("/abc/de");
    expect(safeNormalizeVirtualPath("/abcd", { maxSegmentLength: 3 }).success).toBe(false);
    expect(normalizeVirtualPath("/abc/../abcd/..", { maxSegmentLength: 3 })).toBe("/"); // checked on the result
  });

  it("checks the cwd too", () => {
    expect(resolveVirtualPath("/a/../../..", "b")).toBe("/b");
    expect(resolveVirtualPath("relative\\cwd", "x")).toBe("/relative/cwd/x");
    expect(safeResolveVirtualPath("/a\0", "b").success).toBe(false);
    expect(safeResolveVirtualPath("/a\r\n", "/b").success).toBe(false);
  });
});

describe("helpers", { timeout: 60_000 }, () => {
  it.each([
    ["", "/"],
    ["/", "/"],
    ["a", "/a"],
    ["a/b/", "/a/b"],
    ["/a//b///c", "/a/b/c"],
    ["/a/b/./../c", "/a/c"],
  ])("normalizeVirtualPath(%j) → %j", (input, expected) => {
    expect(normalizeVirtualPath(input)).toBe(expected);
  });

  it("joinVirtualPath", () => {
    expect(joinVirtualPath()).toBe("/");
    expect(joinVirtualPath("a", "b")).toBe("/a/b");
    expect(joinVirtualPath("/a", "/b")).toBe("/a/b");
    expect(joinVirtualPath("/a/b", "..", "c")).toBe("/a/c");
    expect(joinVirtualPath("/", "..", "..")).toBe("/");
    expect(() => joinVirtualPath("a", "b\0")).toThrow(LocalProtocolError);
  });

  it("virtualDirname / virtualBasename", () => {
    expect(virtualDirname("/")).toBe("/");
    expect(virtualDirname("/a")).toBe("/");
    expect(virtualDirname("/a/b/")).toBe("/a");
    expect(virtualBasename("/")).toBe("");
    expect(virtualBasename("/a/b/")).toBe("b");
    expect(virtualBasename("a\\b.txt")).toBe("b.txt");
  });

  it("splitVirtualPath", () => {
    expect(splitVirtualPath("/")).toEqual([]);
    expect(splitVirtualPath("/a/../b\\c")).toEqual(["b", "c"]);
    expect(splitVirtualPath("../../etc/passwd")).toEqual(["etc", "passwd"]);
  });

  it.each([
    ["/", "/", true],
    ["/", "/a", true],
    ["/a", "/a", true],
    ["/a", "/a/b", true],
    ["/a", "/ab", false],
    ["/a/b", "/a", false],
    ["/a", "/a/../b", false],
    ["/a/", "a/b/", true],
    ["/a", "/a\\b", true],
  ])("isWithin(%j, %j) → %j", (parent, child, expected) => {
    expect(isWithin(parent, child)).toBe(expected);
  });
});

describe("pathological input stays fast", () => {
  it.each([
    ["/".repeat(100_000)],
    ["\\".repeat(100_000)],
    ["../".repeat(30_000)],
    ["a/".repeat(50_000)],
    [" ".repeat(100_000)],
  ])("%#", (input) => {
    const start = performance.now();
    const result = safeResolveVirtualPath("/", input, { maxLength: 1_000_000 });
    expect(result.success || result.error.code === "FTP_ERR_PATH_TOO_LONG").toBe(true);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
