const BRAND = Symbol.for("ftp.error.FtpTlsError");

/** Stable codes of {@link FtpTlsError}. */
export type FtpTlsCode =
  /**
   * The server's certificate was not accepted: not signed by a trusted CA (or by `ca`),
   * expired, or not for this host. {@link FtpTlsError.tlsCode} names the reason
   * (`DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`, `CERT_HAS_EXPIRED` ...).
   */
  | "FTP_ERR_TLS_CERT"
  /** The TLS handshake failed for another reason (no common version or cipher, an alert, a reset). */
  | "FTP_ERR_TLS_HANDSHAKE"
  /**
   * The server refused to protect the connection: `AUTH TLS` or `PROT` got a negative reply
   * (the cause is the server's {@link FtpError}). Nothing was sent in the clear after it: the
   * client never falls back to plain FTP.
   */
  | "FTP_ERR_TLS_REFUSED"
  /**
   * The server refused a data connection that did not resume the control connection's TLS
   * session (vsftpd's `require_ssl_reuse`, ProFTPD's default): the server sent no session
   * ticket the client could offer, or did not accept the one offered.
   */
  | "FTP_ERR_TLS_SESSION_NOT_RESUMED"
  /** The server sent clear-text bytes right after its 234 reply to AUTH TLS (a STARTTLS injection attempt). */
  | "FTP_ERR_TLS_INJECTION";

/**
 * FTPS (RFC 4217) went wrong: a certificate was refused, a handshake failed, the server would
 * not protect the connection, or a data connection was refused for not resuming the TLS
 * session. Not retried: a new connection would fail the same way. `cause` keeps the
 * underlying node:tls error or the server's reply.
 */
export class FtpTlsError extends Error {
  override readonly name = "FtpTlsError";
  readonly code: FtpTlsCode;
  /** Same as {@link FtpTlsError.code}; present on every ftpkit client error. */
  readonly errorCode: FtpTlsCode;
  /**
   * The node:tls / OpenSSL error code behind it (`DEPTH_ZERO_SELF_SIGNED_CERT`,
   * `ERR_TLS_CERT_ALTNAME_INVALID`, `ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION`, `ECONNRESET` ...),
   * or the reply code as a string for `FTP_ERR_TLS_REFUSED` and
   * `FTP_ERR_TLS_SESSION_NOT_RESUMED` when a reply said it.
   */
  readonly tlsCode: string | undefined;
  /** `control` or `data`: which connection it happened on. */
  readonly connection: "control" | "data";
  /** The command in flight, as logged. */
  readonly command: string | undefined;
  readonly [BRAND] = true;

  constructor(
    code: FtpTlsCode,
    message: string,
    options: {
      tlsCode?: string | undefined;
      connection: "control" | "data";
      command?: string | undefined;
      cause?: unknown;
    },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errorCode = code;
    this.tlsCode = options.tlsCode;
    this.connection = options.connection;
    this.command = options.command;
  }

  static isInstance(value: unknown): value is FtpTlsError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
