const BRAND = Symbol.for("ftp.error.FtpServerError");

/** Stable codes of {@link FtpServerError} (STYLE E3). */
export type FtpServerErrorCode =
  /** The `authenticate` function threw or rejected; the client got 530. */
  | "FTP_ERR_AUTHENTICATOR"
  /** The users file could not be read or does not validate. */
  | "FTP_ERR_USERS_FILE"
  /** A file system's `close()` failed at the end of a session. */
  | "FTP_ERR_FS_CLOSE"
  /** An event listener of the embedder threw; the server went on. */
  | "FTP_ERR_LISTENER"
  /** An unexpected failure inside the server's I/O layer (a bug); the connection was closed. */
  | "FTP_ERR_INTERNAL"
  /** `listen()` failed (address in use, permission). */
  | "FTP_ERR_LISTEN"
  /**
   * The defender's store failed or did not answer a ban check within `checkTimeout`: the
   * connection was let in (failing open), the offence not counted.
   */
  | "FTP_ERR_DEFENDER"
  /** An account's quota usage could not be read (the upload got 451) or recorded. */
  | "FTP_ERR_QUOTA"
  /**
   * The TLS certificate or key cannot be used: a file missing or unreadable, not PEM,
   * expired or not yet valid, a key that does not match (from `listen()` or `reloadCertificate()`).
   */
  | "FTP_ERR_TLS_CERT";

/**
 * What an {@link FtpServer} reports on its `error` event, or throws from `listen()`.
 * Never sent to a client: clients only ever see the reply the protocol core chose.
 */
export class FtpServerError extends Error {
  readonly code: FtpServerErrorCode;
  /** The connection it happened on, if any. */
  readonly connectionId: number | undefined;
  readonly [BRAND] = true;

  constructor(message: string, options: { code: FtpServerErrorCode; connectionId?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "FtpServerError";
    this.code = options.code;
    this.connectionId = options.connectionId;
  }

  /** True for an FtpServerError, even from another copy of this package. */
  static isInstance(error: unknown): error is FtpServerError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
  }
}
