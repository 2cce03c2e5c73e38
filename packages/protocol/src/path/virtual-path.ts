/**
 * Virtual paths: the names a client sees, rooted at `/`, which a server maps under the
 * directory it serves (its jail). The protocol core knows nothing about the host file
 * system; a server turns a virtual path into a host path by joining the segments of
 * {@link splitVirtualPath} under its root with its own path module. Because every segment
 * is guaranteed to be a plain name (never `.`, `..`, empty, or holding `/`, `\` or NUL),
 * that join cannot leave the root.
 *
 * Rules, in the order they apply:
 * 1. NUL anywhere is refused (`FTP_ERR_PATH_NUL`), and so are CR and LF (`FTP_ERR_PATH_CRLF`).
 *    RFC 959 §3.2 and Appendix II: pathnames travel in Telnet lines, so CR LF ends the
 *    command; a bare CR or LF inside one is never a name character we can echo safely.
 * 2. An input longer than `maxLength` UTF-8 bytes is refused before any work.
 * 3. Both `/` and `\` separate segments. vsftpd and proftpd treat `\` as an ordinary name
 *    character, which is correct on a POSIX store but lets `..\..\x` climb out of the root
 *    on a Windows-backed one (IIS and FileZilla Server treat it as a separator). We choose
 *    containment on every backend: a name can never contain `\`, and `a\b` means `a/b` on
 *    every server built on ftpkit.
 * 4. An input starting with a separator is absolute; otherwise it is relative to the cwd
 *    (RFC 959 §4.1.1 CWD, §5.3.1 `<pathname>`). An empty input means the cwd.
 * 5. Empty and `.` segments vanish; `..` removes the previous segment and, at the root,
 *    stays at the root: nothing can climb above `/` (RFC 2577 §4 "Restricting Access").
 * 6. Everything else is a literal name. FTP does no URL decoding, so `%2e%2e` is a file
 *    called `%2e%2e`; no tilde expansion either (wu-ftpd's `~user` globbing was a long line
 *    of exploits), so `~root` is a file called `~root`. Unicode is kept as is, without
 *    normalisation (NFC and NFD spellings are distinct names, as on ext4).
 * 7. The result must fit in `maxLength` UTF-8 bytes (default 4096, Linux `PATH_MAX`), and
 *    each segment in `maxSegmentLength` UTF-8 bytes (default 255, Linux `NAME_MAX` on ext4;
 *    NTFS counts 255 UTF-16 units, which 255 bytes never exceeds). Else
 *    `FTP_ERR_PATH_TOO_LONG`. Bytes, not characters, because that is what the host
 *    file system and the wire count.
 *
 * The result of every function that returns a path is absolute and normalized: `/`, or `/`
 * followed by segments joined with single `/`, with no trailing slash.
 *
 * A Windows-backed store must still refuse names that Win32 rewrites or reserves (trailing
 * dot or space, `CON`, `a:stream`): see {@link isWindowsSafeSegment}.
 */

import { type ParseResult, safeParse } from "../errors/index.js";
import { PATH_ERROR_CODES, pathError } from "./path-error-codes.js";

/** Limits for the virtual-path functions; both in UTF-8 bytes. */
export type VirtualPathOptions = {
  /** Longest accepted input and result, in UTF-8 bytes. Default {@link DEFAULT_MAX_PATH_LENGTH}. */
  readonly maxLength?: number;
  /** Longest accepted segment of the result, in UTF-8 bytes. Default {@link DEFAULT_MAX_SEGMENT_LENGTH}. */
  readonly maxSegmentLength?: number;
};

/** Default path length limit: 4096 UTF-8 bytes (Linux `PATH_MAX`). */
export const DEFAULT_MAX_PATH_LENGTH = 4096;
/** Default segment length limit: 255 UTF-8 bytes (Linux `NAME_MAX`). */
export const DEFAULT_MAX_SEGMENT_LENGTH = 255;

const SEPARATOR = /[/\\]/;

/** @internal UTF-8 length of a JS string, without allocating; a lone surrogate counts 3 (U+FFFD). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function limits(options: VirtualPathOptions | undefined): { maxLength: number; maxSegmentLength: number } {
  return {
    maxLength: options?.maxLength ?? DEFAULT_MAX_PATH_LENGTH,
    maxSegmentLength: options?.maxSegmentLength ?? DEFAULT_MAX_SEGMENT_LENGTH,
  };
}

/** Rules 1 and 2: refuse hostile characters and overlong input before any work. */
function checkInput(text: string, maxLength: number): void {
  if (text.includes("\0")) throw pathError(`path contains NUL: ${quote(text)}`, PATH_ERROR_CODES.nul);
  if (/[\r\n]/.test(text)) {
    throw pathError(`path contains CR or LF (RFC 959 §3.2): ${quote(text)}`, PATH_ERROR_CODES.lineBreak);
  }
  if (utf8Length(text) > maxLength) {
    throw pathError(`path is longer than ${maxLength} bytes: ${quote(text)}`, PATH_ERROR_CODES.tooLong);
  }
}

/** Rules 3 and 5: applies `text`'s segments onto `stack`, which it mutates. */
function applySegments(stack: string[], text: string): void {
  for (const segment of text.split(SEPARATOR)) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      stack.pop(); // at the root, pop() on [] is a no-op: ".." never climbs above "/"
      continue;
    }
    stack.push(segment);
  }
}

/** Rule 7: the result must fit. */
function checkResult(segments: readonly string[], maxLength: number, maxSegmentLength: number): string {
  let total = 0;
  for (const segment of segments) {
    const length = utf8Length(segment);
    if (length > maxSegmentLength) {
      throw pathError(
        `path segment is longer than ${maxSegmentLength} bytes: ${quote(segment)}`,
        PATH_ERROR_CODES.tooLong,
      );
    }
    total += 1 + length;
  }
  if (total > maxLength) {
    throw pathError(`path is longer than ${maxLength} bytes`, PATH_ERROR_CODES.tooLong);
  }
  return `/${segments.join("/")}`;
}

function isAbsolute(text: string): boolean {
  return text.startsWith("/") || text.startsWith("\\");
}

/** @internal The segments of `input` resolved against `cwd`; both checked. */
function resolveSegments(cwd: string, input: string, options: VirtualPathOptions | undefined): string[] {
  const { maxLength, maxSegmentLength } = limits(options);
  checkInput(cwd, maxLength);
  checkInput(input, maxLength);
  const stack: string[] = [];
  if (!isAbsolute(input)) applySegments(stack, cwd);
  applySegments(stack, input);
  checkResult(stack, maxLength, maxSegmentLength);
  return stack;
}

/**
 * Normalizes a virtual path: `/` and `\` both separate; empty and `.` segments vanish;
 * `..` removes the previous segment and never climbs above `/`; no trailing slash. A
 * relative path is taken relative to `/`. See the module comment for the full rules.
 *
 * @example normalizeVirtualPath("/a//b/./c/../") === "/a/b"; normalizeVirtualPath("../../etc") === "/etc"
 * @param options - Length limits, see {@link VirtualPathOptions}.
 * @returns The absolute normalized path; idempotent.
 * @throws {LocalProtocolError} `replyHint` 501 with code `FTP_ERR_PATH_NUL`,
 *   `FTP_ERR_PATH_CRLF` or `FTP_ERR_PATH_TOO_LONG` (a server answers 553 for the last one
 *   when storing, see {@link PATH_ERROR_CODES}).
 */
export function normalizeVirtualPath(path: string, options?: VirtualPathOptions): string {
  return `/${resolveSegments("/", path, options).join("/")}`;
}

/**
 * Non-throwing twin of {@link normalizeVirtualPath} (STYLE E5).
 *
 * @returns `{ success: true, value }` or `{ success: false, error }`.
 */
export function safeNormalizeVirtualPath(path: string, options?: VirtualPathOptions): ParseResult<string> {
  return safeParse(() => normalizeVirtualPath(path, options));
}

/**
 * Resolves a path argument of an FTP command (CWD, RETR, STOR, MKD, ...) against the
 * session's current directory. An absolute `input` (starting with `/` or `\`) ignores
 * `cwd`; an empty `input` means `cwd` itself. `cwd` goes through the same checks, so a
 * stale or hand-made cwd cannot smuggle anything in.
 *
 * @example resolveVirtualPath("/pub", "../../etc/passwd") === "/etc/passwd"
 * @param cwd - The session's current directory (normally already normalized).
 * @param input - The command argument, byte-exact; `""` when absent.
 * @param options - Length limits, see {@link VirtualPathOptions}.
 * @returns The absolute normalized path.
 * @throws {LocalProtocolError} `replyHint` 501 with code `FTP_ERR_PATH_NUL`,
 *   `FTP_ERR_PATH_CRLF` or `FTP_ERR_PATH_TOO_LONG`.
 */
export function resolveVirtualPath(cwd: string, input: string, options?: VirtualPathOptions): string {
  return `/${resolveSegments(cwd, input, options).join("/")}`;
}

/**
 * Non-throwing twin of {@link resolveVirtualPath} (STYLE E5).
 *
 * @returns `{ success: true, value }` or `{ success: false, error }`.
 */
export function safeResolveVirtualPath(cwd: string, input: string, options?: VirtualPathOptions): ParseResult<string> {
  return safeParse(() => resolveVirtualPath(cwd, input, options));
}

/**
 * Joins parts with `/` and normalizes the result, like POSIX `path.join` but always
 * absolute: a part that starts with `/` does not reset the path (`join("/a", "/b")` is
 * `/a/b`). Uses the default limits.
 *
 * @returns The absolute normalized path; `/` for no parts.
 * @throws {LocalProtocolError} `replyHint` 501 with code `FTP_ERR_PATH_NUL`,
 *   `FTP_ERR_PATH_CRLF` or `FTP_ERR_PATH_TOO_LONG`.
 */
export function joinVirtualPath(...parts: readonly string[]): string {
  return normalizeVirtualPath(parts.join("/"));
}

/**
 * The segments of a path after normalization: what a server joins under its root.
 * Every segment is non-empty, is neither `.` nor `..`, and contains no `/`, `\`, NUL, CR
 * or LF.
 *
 * @example splitVirtualPath("/a/../b\\c") → ["b", "c"]; splitVirtualPath("/") → []
 * @param options - Length limits, see {@link VirtualPathOptions}.
 * @returns The segments, outermost first.
 * @throws {LocalProtocolError} as {@link normalizeVirtualPath}.
 */
export function splitVirtualPath(path: string, options?: VirtualPathOptions): string[] {
  return resolveSegments("/", path, options);
}

/**
 * The parent directory of a path, after normalization. The parent of `/` is `/`.
 *
 * @returns The absolute normalized parent.
 * @throws {LocalProtocolError} as {@link normalizeVirtualPath}.
 */
export function virtualDirname(path: string): string {
  const segments = splitVirtualPath(path);
  return `/${segments.slice(0, -1).join("/")}`;
}

/**
 * The last segment of a path, after normalization (so `virtualBasename("/a/b/")` is `b`).
 *
 * @returns The name; `""` for the root.
 * @throws {LocalProtocolError} as {@link normalizeVirtualPath}.
 */
export function virtualBasename(path: string): string {
  const segments = splitVirtualPath(path);
  return segments[segments.length - 1] ?? "";
}

/**
 * Tells whether `child` is `parent` or lies below it, comparing whole segments after
 * normalizing both (so `/ab` is not within `/a`). Every path is within `/`.
 *
 * @returns `true` when `child` equals `parent` or is a descendant of it.
 * @throws {LocalProtocolError} as {@link normalizeVirtualPath}.
 */
export function isWithin(parent: string, child: string): boolean {
  const p = splitVirtualPath(parent);
  const c = splitVirtualPath(child);
  return p.length <= c.length && p.every((segment, i) => c[i] === segment);
}
