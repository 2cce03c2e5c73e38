import type { Reply } from "@ftpkit/protocol";

const BRAND = Symbol.for("ftp.error.FtpError");

/**
 * The server answered a command with a negative reply (4yz or 5yz), or with a reply that
 * ends the session (421 at any time, RFC 959 §5.4).
 *
 * `code` is the three-digit reply code, as the API names it (STYLE E2); the stable
 * string for all errors of this class is {@link FtpError.errorCode}, `FTP_ERR_REPLY`.
 */
export class FtpError extends Error {
  override readonly name = "FtpError";
  /** Stable machine-readable error code of this class. */
  readonly errorCode = "FTP_ERR_REPLY" as const;
  /** The reply code, e.g. 550. */
  readonly code: number;
  /** The reply's text lines, without the code (multi-line replies keep every line). */
  readonly lines: readonly string[];
  /** The command that got the reply, as logged (`PASS ****`); undefined for the greeting. */
  readonly command: string | undefined;
  /** True for 4yz replies (RFC 959 §4.2.1: "the action may be requested again"). */
  readonly transient: boolean;
  readonly [BRAND] = true;

  constructor(reply: Reply, command: string | undefined, options: { cause?: unknown } = {}) {
    const text = reply.lines.join(" ").trim();
    super(
      command === undefined ? `${reply.code} ${text}` : `${reply.code} ${text} (${command})`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = reply.code;
    this.lines = reply.lines;
    this.command = command;
    this.transient = reply.code < 500;
  }

  static isInstance(value: unknown): value is FtpError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
