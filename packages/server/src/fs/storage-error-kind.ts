import type { StorageErrorKind } from "@ftpkit/protocol";
import { FileSystemError } from "./file-system-error.js";

/**
 * The one table from error `code` strings to storage error kinds: errno codes from Node's
 * `fs` (POSIX and the Windows codes libuv maps to them), Node's own `ERR_FS_*` codes, and the
 * virtual-path codes of @ftpkit/protocol (a path the protocol refused never reaches storage,
 * but a backend that calls `splitVirtualPath` itself may let that error through).
 *
 * Choices that are not obvious:
 * - `ELOOP` is `permission`: with `O_NOFOLLOW` it means "the last component is a symlink we
 *   refused to follow"; the other cause, a symlink cycle, is also a refusal to go on.
 * - `EXDEV` (rename across file systems) is `not-supported`: the storage cannot do that
 *   rename, whatever the client tries.
 * - `EMFILE`, `ENFILE`, `EAGAIN` are `busy`: resource shortages that pass, so a transient
 *   450 (RFC 959 §4.2.2) invites the client to retry.
 * - `EROFS` is `permission`: the client may not write there, now or later.
 * - `EINVAL` is `invalid-name`: from rename it means "a directory into itself", from open or
 *   mkdir on most file systems a name the file system refuses.
 */
export const STORAGE_ERROR_KIND_BY_CODE: Readonly<Record<string, StorageErrorKind>> = Object.freeze({
  ENOENT: "not-found",
  ENXIO: "not-found",
  ENODEV: "not-found",
  EACCES: "permission",
  EPERM: "permission",
  EROFS: "permission",
  ELOOP: "permission",
  EEXIST: "exists",
  ENOTDIR: "not-directory",
  EISDIR: "is-directory",
  ERR_FS_EISDIR: "is-directory",
  ENOTEMPTY: "not-empty",
  ENOSPC: "no-space",
  EDQUOT: "quota",
  EFBIG: "too-large",
  ERR_FS_FILE_TOO_LARGE: "too-large",
  ENAMETOOLONG: "name-too-long",
  EINVAL: "invalid-name",
  EILSEQ: "invalid-name",
  EBUSY: "busy",
  ETXTBSY: "busy",
  EMFILE: "busy",
  ENFILE: "busy",
  EAGAIN: "busy",
  EWOULDBLOCK: "busy",
  EXDEV: "not-supported",
  ENOTSUP: "not-supported",
  EOPNOTSUPP: "not-supported",
  ENOSYS: "not-supported",
  EIO: "io",
  FTP_ERR_PATH_TOO_LONG: "name-too-long",
  FTP_ERR_PATH_NUL: "invalid-name",
  FTP_ERR_PATH_CRLF: "invalid-name",
});

/** How many `cause` links to follow: wrapped errors are shallow, and a cycle must not hang us. */
const MAX_CAUSE_DEPTH = 4;

/**
 * The storage error kind of anything a {@link FileSystem} threw or a stream emitted: the
 * `kind` of a {@link FileSystemError}, else the kind of its `code` in
 * {@link STORAGE_ERROR_KIND_BY_CODE}, else the same for its `cause` (a few links deep, for
 * errors wrapped by streams or SDKs), else `io`.
 *
 * @returns Never throws; `io` ("451 Local error in processing") for anything unknown.
 */
export function storageErrorKindOf(error: unknown): StorageErrorKind {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== "object" || current === null) break;
    if (FileSystemError.isInstance(current)) return current.kind;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && Object.hasOwn(STORAGE_ERROR_KIND_BY_CODE, code)) {
      return STORAGE_ERROR_KIND_BY_CODE[code] as StorageErrorKind;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return "io";
}
