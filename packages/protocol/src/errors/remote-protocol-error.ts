import { FtpProtocolError, type ReplyHint } from "./ftp-protocol-error.js";
import type { LocalProtocolError } from "./local-protocol-error.js";

const BRAND = Symbol.for("ftp.error.RemoteProtocolError");

/** Raised when the peer sent something that breaks the protocol. */
export class RemoteProtocolError extends FtpProtocolError {
  readonly [BRAND] = true;
  override readonly name = "RemoteProtocolError";

  constructor(message: string, options: { replyHint?: ReplyHint; code?: string; cause?: unknown } = {}) {
    super(message, options);
  }

  static override isInstance(value: unknown): value is RemoteProtocolError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** Re-raise a local error as the peer's fault, keeping its hint and code. */
  static fromLocal(error: LocalProtocolError): RemoteProtocolError {
    return new RemoteProtocolError(error.message, { replyHint: error.replyHint, code: error.code, cause: error });
  }
}
