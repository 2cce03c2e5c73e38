/**
 * The reply codes a server may send back for a protocol violation (RFC 959 §4.2.1):
 * 500 syntax error / unknown command, 501 syntax error in parameters, 502 command not
 * implemented, 503 bad sequence of commands, 504 not implemented for that parameter.
 */
export type ReplyHint = 500 | 501 | 502 | 503 | 504;

const BRAND = Symbol.for("ftp.error.FtpProtocolError");

/**
 * Base of every error the protocol core raises. Abstract: the core raises
 * {@link LocalProtocolError}; APIs that read peer input re-raise it as
 * {@link RemoteProtocolError} (the split follows h11's error strategy).
 */
export abstract class FtpProtocolError extends Error {
  /** The reply a server should send in answer to the offending input. */
  readonly replyHint: ReplyHint;
  /** A stable machine-readable code, e.g. `FTP_ERR_SYNTAX`. */
  readonly code: string;
  readonly [BRAND] = true;

  constructor(message: string, options: { replyHint?: ReplyHint; code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.replyHint = options.replyHint ?? 500;
    this.code = options.code ?? "FTP_ERR_PROTOCOL";
  }

  static isInstance(value: unknown): value is FtpProtocolError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
