/** Turns what the client throws into one plain sentence for the page (never a credential). */
import { FtpConnectionError, FtpError, FtpTimeoutError, FtpTlsError } from "@ftpkit/client";
import { describeReplyCode } from "@ftpkit/protocol";
import type { ApiError, ErrorKind } from "../shared/api.js";

/** An error with an HTTP status and a message meant for the page. */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  constructor(
    readonly status: number,
    readonly kind: ErrorKind,
    message: string,
    readonly reply?: number,
  ) {
    super(message);
  }
}

function replyText(lines: readonly string[]): string {
  const text = lines.join(" ").trim();
  return text === "" ? "" : ` (“${text.length > 200 ? `${text.slice(0, 200)}…` : text}”)`;
}

const SOCKET_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "nothing is listening there (connection refused). Is the server running?",
  ECONNRESET: "the connection was reset",
  EHOSTUNREACH: "the host cannot be reached",
  ENETUNREACH: "the network cannot be reached",
  ENOTFOUND: "that host name does not resolve",
  EAI_AGAIN: "that host name could not be looked up",
  EPIPE: "the connection was closed while writing",
};

function causeCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 5 && typeof e === "object" && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code in SOCKET_WORDS) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps any error to a {@link GatewayError}; `action` says what was being done ("upload report.pdf"). */
export function toGatewayError(error: unknown, action: string): GatewayError {
  if (error instanceof GatewayError) return error;
  if (FtpError.isInstance(error)) {
    const info = describeReplyCode(error.code);
    const text = replyText(error.lines);
    if (error.code === 530) {
      return new GatewayError(
        401,
        "login-failed",
        `Login failed: the server did not accept that user name and password${text}.`,
        530,
      );
    }
    if (error.code === 421) {
      return new GatewayError(503, "connection-lost", `The server closed the session${text}. Connect again.`, 421);
    }
    if (error.code === 550 || error.code === 450) {
      return new GatewayError(
        404,
        "not-found",
        `Could not ${action}: the file is not there or you may not use it${text}.`,
        error.code,
      );
    }
    if (error.code === 552 || error.code === 452) {
      return new GatewayError(507, "refused", `Could not ${action}: the server has no room for it${text}.`, error.code);
    }
    if (error.code === 553) {
      return new GatewayError(400, "refused", `Could not ${action}: the server does not allow that name${text}.`, 553);
    }
    return new GatewayError(
      error.transient ? 503 : 400,
      "refused",
      `Could not ${action}: the server answered ${error.code}, ${info.meaning.replace(/\.$/, "").toLowerCase()}${text}.`,
      error.code,
    );
  }
  if (FtpTlsError.isInstance(error)) {
    const words: Record<string, string> = {
      FTP_ERR_TLS_CERT: `the server's TLS certificate is not trusted${error.tlsCode ? ` (${error.tlsCode})` : ""}`,
      FTP_ERR_TLS_HANDSHAKE: "the TLS handshake failed",
      FTP_ERR_TLS_REFUSED: "the server does not offer TLS (AUTH TLS was refused); try plain FTP",
      FTP_ERR_TLS_SESSION_NOT_RESUMED: "the server refused a data connection that did not resume the TLS session",
      FTP_ERR_TLS_INJECTION: "the server sent data in the clear right after TLS was agreed (a possible attack)",
    };
    return new GatewayError(502, "refused", `Could not ${action}: ${words[error.code] ?? "TLS failed"}.`);
  }
  if (FtpTimeoutError.isInstance(error)) {
    return new GatewayError(504, "timeout", `Could not ${action}: the server did not answer in time.`);
  }
  if (FtpConnectionError.isInstance(error)) {
    const code = causeCode(error);
    if (error.code === "FTP_ERR_CONNECT") {
      return new GatewayError(
        502,
        "unreachable",
        `Could not connect: ${code ? SOCKET_WORDS[code] : "the server cannot be reached"}.`,
      );
    }
    if (error.code === "FTP_ERR_CLIENT_CLOSED") {
      return new GatewayError(409, "not-connected", "Not connected: log in first.");
    }
    return new GatewayError(
      502,
      "connection-lost",
      `Could not ${action}: the connection to the server was lost${code ? ` (${SOCKET_WORDS[code]})` : ""}.`,
    );
  }
  if (error instanceof TypeError) {
    // Option validation (for instance FTPS before the client supports it).
    const message = error.message.replace(/^invalid FTP client option [^:]*: /, "");
    return new GatewayError(400, "bad-request", `Could not ${action}: ${message}.`);
  }
  const code = causeCode(error);
  if (code !== undefined) {
    return new GatewayError(502, "connection-lost", `Could not ${action}: ${SOCKET_WORDS[code]}.`);
  }
  return new GatewayError(500, "internal", `Could not ${action}: an unexpected error happened in the gateway.`);
}

export function errorBody(error: GatewayError): ApiError {
  return {
    error: { kind: error.kind, message: error.message, ...(error.reply === undefined ? {} : { reply: error.reply }) },
  };
}
