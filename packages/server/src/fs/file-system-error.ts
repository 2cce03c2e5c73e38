import type { StorageErrorKind } from "@ftpkit/protocol";

const BRAND = Symbol.for("ftp.error.FileSystemError");

/**
 * A storage operation failed for a reason the server can name. `kind` selects the reply
 * through `STORAGE_ERROR_REPLIES` of @ftpkit/protocol; the message is for logs only and is
 * never sent to the client (it may name a virtual path, never a host path).
 *
 * Branded with `Symbol.for('ftp.error.FileSystemError')` so that {@link FileSystemError.isInstance}
 * still recognises it when two copies of @ftpkit/server are installed (STYLE E3).
 */
export class FileSystemError extends Error {
  override readonly name = "FileSystemError";
  /** What went wrong, independent of the storage behind it. */
  readonly kind: StorageErrorKind;
  /** Stable machine-readable code (STYLE E3); the specific failure is in `kind`. */
  readonly code = "FTP_ERR_FS";
  readonly [BRAND] = true;

  /**
   * @param kind - The storage error kind the server maps to a reply.
   * @param message - For logs; defaults to the kind.
   * @param options - `cause`: the underlying error (errno error, SDK error), kept for logs.
   */
  constructor(kind: StorageErrorKind, message?: string, options: { cause?: unknown } = {}) {
    super(message ?? kind, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
  }

  /** Tells whether `value` is a {@link FileSystemError}, from this or another copy of the package. */
  static isInstance(value: unknown): value is FileSystemError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
