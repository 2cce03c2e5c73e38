const BRAND = Symbol.for("ftp.error.FtpFxpError");

/** Stable codes of {@link FtpFxpError}. */
export type FtpFxpCode =
  /**
   * No order worked: in each, one server refused to set up the data connection between them
   * (PORT/EPRT to a foreign address refused: the bounce-attack defence of RFC 2577 §3; PASV/
   * EPSV refused), or the data connection was not made (a passive server that accepts data
   * connections only from its client's address, RFC 2577 §8). {@link FtpFxpError.attempts}
   * says what each order ran into. The bytes can still go through the client (download and
   * upload), which is what `ftpkit cp` then does.
   */
  | "FTP_ERR_FXP_REFUSED"
  /**
   * The transfer failed for another reason than FXP itself: a missing source (550), a refused
   * destination (553), a full disk (452/552), a refused REST, a timeout or a lost connection.
   * {@link FtpFxpError.side} says which server, `cause` is its error (`FtpError`,
   * `FtpTimeoutError`, `FtpConnectionError`).
   */
  | "FTP_ERR_FXP_FAILED"
  /**
   * A client protects its data connections (FTPS with `PROT P`): the two servers would have to
   * run TLS between themselves, which needs SSCN or CPSV (not supported). Connect both with
   * `dataProtection: "clear"` (`PROT C`: the control connections stay encrypted) or plain FTP.
   */
  | "FTP_ERR_FXP_TLS";

/** One server of an FXP transfer. */
export type FxpSide = "source" | "destination";

/** An order of an FXP transfer that did not work (see {@link FtpFxpError.attempts}). */
export interface FxpAttempt {
  /** The server that listened (PASV/EPSV) in this order; the other one connected (PORT/EPRT). */
  readonly passive: FxpSide;
  /** The server whose reply (or silence) ended the attempt. */
  readonly side: FxpSide;
  /**
   * `address`: a server refused PASV/EPSV, or PORT/EPRT (a foreign address: RFC 2577 §3), or
   * the address cannot be used (IPv6 without EPRT, loopback for a remote server);
   * `data-connection`: both accepted the addresses, but the data connection between them was
   * not made (425/426, or a server never started its transfer).
   */
  readonly reason: "address" | "data-connection";
  /** The command that got the refusal, as logged (`EPRT |1|192.0.2.7|50123|`, `RETR a.iso`). */
  readonly command: string | undefined;
  /** The reply code, when a reply said it (500, 501, 504, 425 ...). */
  readonly code: number | undefined;
  /** One line for humans. */
  readonly message: string;
  /** The underlying error (an `FtpError` for a reply). */
  readonly error: unknown;
}

/**
 * An FXP (server-to-server) transfer failed: {@link FtpFxpError.code} says how,
 * {@link FtpFxpError.side} on which server, {@link FtpFxpError.attempts} what each order of
 * passive and active ran into. Both control connections are in step afterwards (each running
 * transfer was ended with ABOR) unless a server stopped answering.
 */
export class FtpFxpError extends Error {
  override readonly name = "FtpFxpError";
  readonly code: FtpFxpCode;
  /** Same as {@link FtpFxpError.code}; present on every ftpkit client error. */
  readonly errorCode: FtpFxpCode;
  /** The server it happened on (for `FTP_ERR_FXP_REFUSED`: the one that refused last); undefined for `FTP_ERR_FXP_TLS` on both. */
  readonly side: FxpSide | undefined;
  /** The command in flight on that server, as logged. */
  readonly command: string | undefined;
  /** The orders tried, in order (`FTP_ERR_FXP_REFUSED`: both; otherwise those refused before the failure). */
  readonly attempts: readonly FxpAttempt[];
  readonly [BRAND] = true;

  constructor(
    code: FtpFxpCode,
    message: string,
    options: {
      side?: FxpSide | undefined;
      command?: string | undefined;
      attempts?: readonly FxpAttempt[];
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errorCode = code;
    this.side = options.side;
    this.command = options.command;
    this.attempts = options.attempts ?? [];
  }

  static isInstance(value: unknown): value is FtpFxpError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
