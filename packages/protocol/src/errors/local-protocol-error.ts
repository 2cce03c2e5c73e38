import { FtpProtocolError, type ReplyHint } from "./ftp-protocol-error.js";

const BRAND = Symbol.for("ftp.error.LocalProtocolError");

/**
 * Raised when the local side asked for something illegal: a CR/LF in an argument,
 * a command that the current state does not allow, an out-of-range port.
 */
export class LocalProtocolError extends FtpProtocolError {
  readonly [BRAND] = true;
  override readonly name = "LocalProtocolError";

  constructor(message: string, options: { replyHint?: ReplyHint; code?: string; cause?: unknown } = {}) {
    super(message, options);
  }

  static override isInstance(value: unknown): value is LocalProtocolError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
