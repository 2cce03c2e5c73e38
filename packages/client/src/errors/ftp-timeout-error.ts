const BRAND = Symbol.for("ftp.error.FtpTimeoutError");

/** Stable codes of {@link FtpTimeoutError}, one per phase (STYLE §3: each timeout named after its phase). */
export type FtpTimeoutCode = "FTP_ERR_CONNECT_TIMEOUT" | "FTP_ERR_REPLY_TIMEOUT" | "FTP_ERR_DATA_TIMEOUT";

/**
 * A wait ran past its timeout: `connectTimeout` (TCP connect, data connection set-up),
 * `replyTimeout` (a reply) or `dataIdleTimeout` (silence on a data connection). The control
 * connection is closed afterwards (its conversation can no longer be trusted to be in step);
 * the next call on the client opens a new one.
 */
export class FtpTimeoutError extends Error {
  override readonly name = "FtpTimeoutError";
  readonly code: FtpTimeoutCode;
  /** Same as {@link FtpTimeoutError.code}; present on every ftpkit client error. */
  readonly errorCode: FtpTimeoutCode;
  /** The command that was waiting, as logged; undefined when none was. */
  readonly command: string | undefined;
  /** The timeout that ran out, in ms. */
  readonly timeout: number;
  readonly [BRAND] = true;

  constructor(
    code: FtpTimeoutCode,
    message: string,
    options: { command?: string | undefined; timeout: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errorCode = code;
    this.command = options.command;
    this.timeout = options.timeout;
  }

  static isInstance(value: unknown): value is FtpTimeoutError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
