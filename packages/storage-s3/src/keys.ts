import { splitVirtualPath } from "@ftpkit/protocol";
import { FileSystemError, storageErrorKindOf } from "@ftpkit/server";

/** S3's limit on the length of an object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Where a virtual path lives in the bucket.
 * - `key`: the object of a file (`prefix` + the path without its leading slash); for the root,
 *   the prefix itself (which may be `""`).
 * - `dirPrefix`: the key prefix of the directory (`key` + `/`); for the root, the prefix. The
 *   directory's marker object has exactly this key.
 */
export interface Location {
  readonly path: string;
  readonly segments: readonly string[];
  /** The last segment; `/` for the root. */
  readonly name: string;
  readonly key: string;
  readonly dirPrefix: string;
  readonly isRoot: boolean;
}

/**
 * Normalizes the per-account prefix: no leading slash, one trailing slash unless empty, no
 * empty, `.` or `..` segment (S3 would take `a//b` literally; no virtual path could reach it).
 *
 * @throws {TypeError} for a prefix that is not a plain key prefix.
 */
export function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "" || prefix === "/") return "";
  if (typeof prefix !== "string") throw new TypeError("prefix must be a string");
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  const segments = trimmed.split("/");
  if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw new TypeError("prefix must not hold empty, `.` or `..` segments");
  }
  if (/[\0\r\n]/.test(trimmed)) throw new TypeError("prefix must not hold NUL, CR or LF");
  if (Buffer.byteLength(trimmed) + 1 > MAX_KEY_BYTES / 2) throw new TypeError("prefix is too long");
  return `${trimmed}/`;
}

/** Maps virtual paths to keys under one prefix. */
export class KeyMap {
  constructor(readonly prefix: string) {}

  /**
   * The location of a virtual path.
   *
   * @throws {FileSystemError} `invalid-name` (NUL, CR, LF), `name-too-long` (a segment over
   *   255 bytes, as @ftpkit/protocol checks, or a key over S3's 1,024 bytes).
   */
  locate(path: string): Location {
    let segments: string[];
    try {
      segments = splitVirtualPath(path);
    } catch (error) {
      throw new FileSystemError(storageErrorKindOf(error), "bad virtual path", { cause: error });
    }
    return this.fromSegments(segments);
  }

  fromSegments(segments: readonly string[]): Location {
    const path = `/${segments.join("/")}`;
    if (segments.length === 0) {
      return { path, segments, name: "/", key: this.prefix, dirPrefix: this.prefix, isRoot: true };
    }
    const key = this.prefix + segments.join("/");
    // A directory's marker is the longest key a path needs.
    if (Buffer.byteLength(key) + 1 > MAX_KEY_BYTES) {
      throw new FileSystemError("name-too-long", `${path}: the object key would pass S3's 1,024 bytes`);
    }
    return { path, segments, name: segments[segments.length - 1]!, key, dirPrefix: `${key}/`, isRoot: false };
  }

  parent(location: Location): Location {
    return this.fromSegments(location.segments.slice(0, -1));
  }

  child(directory: Location, name: string): Location {
    return this.fromSegments([...directory.segments, name]);
  }
}

/**
 * Tells whether a name found in a listing can be reached as a virtual path: a key made outside
 * ftpkit may hold a backslash (a separator in virtual paths), `.`, `..`, an empty segment, CR,
 * LF or NUL, or a segment over 255 bytes. Such entries are left out of listings, since no FTP
 * command could name them.
 */
export function isReachableName(name: string): boolean {
  if (name === "" || name === "." || name === ".." || name.includes("/")) return false;
  try {
    const segments = splitVirtualPath(name);
    return segments.length === 1 && segments[0] === name;
  } catch {
    return false;
  }
}

/**
 * A key as ListObjectsV2 returned it. With `EncodingType: "url"` the keys come URL-encoded:
 * AWS writes a space as `+` (and a plus as `%2B`), Ceph as `%20`; both decode alike here.
 *
 * @returns The key, or `undefined` for a malformed encoding.
 */
export function decodeListedKey(raw: string, encoded: boolean): string | undefined {
  if (!encoded) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/**
 * The `CopySource` of CopyObject/UploadPartCopy: `bucket/key`, URL-encoded segment by segment
 * (also `!'()*`, which encodeURIComponent leaves alone), as S3 requires.
 */
export function copySource(bucket: string, key: string): string {
  const encode = (segment: string) =>
    encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${encode(bucket)}/${key.split("/").map(encode).join("/")}`;
}
