import { splitVirtualPath } from "@ftpkit/protocol";
import { FileSystemError } from "../file-system-error.js";
import { storageErrorKindOf } from "../storage-error-kind.js";

/**
 * The segments of a virtual path (see `splitVirtualPath`), with the protocol's path errors
 * (NUL, CR/LF, too long) turned into {@link FileSystemError}s, so a back-end only ever throws
 * storage errors. The server resolves paths before calling us, so these only fire for a
 * caller that skipped that step.
 *
 * @internal
 * @throws {FileSystemError} `invalid-name` or `name-too-long`.
 */
export function segmentsOf(path: string): string[] {
  try {
    return splitVirtualPath(path);
  } catch (error) {
    throw new FileSystemError(storageErrorKindOf(error), "bad virtual path", { cause: error });
  }
}

/** @internal `start` of a read or write: a non-negative safe integer, default 0. */
export function checkOffset(start: number | undefined): number {
  const value = start ?? 0;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad offset ${String(start)}`);
  return value;
}
