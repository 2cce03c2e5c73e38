const BRAND = Symbol.for("ftp.error.FtpConnectionError");

/** Stable codes of {@link FtpConnectionError}. */
export type FtpConnectionCode =
  /** The TCP connection to the server could not be opened. */
  | "FTP_ERR_CONNECT"
  /** The server closed the control connection without a 421. */
  | "FTP_ERR_CLOSED"
  /** The control socket failed (reset, broken pipe). */
  | "FTP_ERR_SOCKET"
  /** The server sent bytes that are not FTP replies (or an over-long line); the connection was dropped. */
  | "FTP_ERR_BAD_REPLY"
  /** A 227/229 reply without a usable address. */
  | "FTP_ERR_BAD_PASSIVE_REPLY"
  /** A data connection could not be opened or broke during the transfer. */
  | "FTP_ERR_DATA_CONNECTION"
  /** The data connection ended before the size the server announced (curl's "partial file"). */
  | "FTP_ERR_PARTIAL_TRANSFER"
  /** The client was closed with `close()`; no more calls are accepted. */
  | "FTP_ERR_CLIENT_CLOSED";

/**
 * The connection to the server failed, or was closed, outside of any reply the server sent.
 * Calls that run into it may be retried on a new connection (downloads and uploads are,
 * automatically, see the `retries` option).
 */
export class FtpConnectionError extends Error {
  override readonly name = "FtpConnectionError";
  readonly code: FtpConnectionCode;
  /** Same as {@link FtpConnectionError.code}; present on every ftpkit client error. */
  readonly errorCode: FtpConnectionCode;
  /** The command in flight when it happened, as logged. */
  readonly command: string | undefined;
  readonly [BRAND] = true;

  constructor(
    code: FtpConnectionCode,
    message: string,
    options: { command?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errorCode = code;
    this.command = options.command;
  }

  static isInstance(value: unknown): value is FtpConnectionError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
