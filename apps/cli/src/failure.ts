/**
 * Turns what a command threw into one line for stderr and an exit code ({@link EXIT}), from
 * the client's typed errors (stable `code`s) and the reply codes (RFC 959 §4.2). FTP uses 550
 * for both "no such file" and "permission denied", so the reply text is read for the common
 * wordings (ours, vsftpd, ProFTPD, pure-ftpd, pyftpdlib, IIS); when it says neither,
 * `classifyMissing` asks the server whether the path exists.
 */
import { FtpConnectionError, FtpError, FtpTimeoutError, LocalProtocolError } from "@ftpkit/client";
import { describeReplyCode } from "@ftpkit/protocol";
import { CliError } from "./errors.js";
import { EXIT, type ExitCode } from "./exit-codes.js";

export interface Explained {
  readonly exitCode: ExitCode;
  /** One line, without the `ftpkit <command>:` prefix. */
  readonly message: string;
}

const PERMISSION_TEXT = /permission|denied|not permitted|forbidden|access|read-only|not allowed|refused/i;
// vsftpd's "Failed to open file." and "Failed to change directory." are said for missing and
// for unreadable paths alike: they are left to the existence probe.
const MISSING_TEXT =
  /no such|not found|does ?n[o']t exist|not exist|cannot find|can't find|couldn't find|unknown (file|directory)/i;

/** What a negative reply's text says about a 550: `missing`, `permission`, or undefined when it does not say. */
export function replyKind(error: FtpError): "missing" | "permission" | undefined {
  const text = error.lines.join(" ");
  if (PERMISSION_TEXT.test(text)) return "permission";
  if (MISSING_TEXT.test(text)) return "missing";
  return undefined;
}

/** The reply as shown in messages: `550 No such file or directory.` (its meaning from the code table when the text is empty). */
export function replyText(error: FtpError): string {
  const text = error.lines.join(" ").trim();
  if (text !== "") return `${error.code} ${text}`;
  try {
    return `${error.code} ${describeReplyCode(error.code).meaning}`;
  } catch {
    return String(error.code);
  }
}

/** `what: message`, unless the message already names it. */
function prefixed(what: string, message: string): string {
  return message.includes(what) ? message : `${what}: ${message}`;
}

const isLoginCommand = (command: string | undefined) => command !== undefined && /^(USER|PASS|ACCT)\b/i.test(command);

/** A local file-system error (`ENOENT`, `EACCES`, ...), which has a string `code` and a `syscall`. */
function localErrno(error: unknown): { code: string; path?: string; message: string } | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; syscall?: unknown; path?: unknown; message?: unknown };
  if (typeof e.code !== "string" || typeof e.syscall !== "string") return undefined;
  return {
    code: e.code,
    ...(typeof e.path === "string" ? { path: e.path } : {}),
    message: String(e.message),
  };
}

const LOCAL_MEANING: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  ENOSPC: "no space left on device",
  EEXIST: "already exists",
  EROFS: "read-only file system",
};

/**
 * The exit code and one-line message for `error`, thrown while doing `what` (a display URL
 * or a short description). `kind` overrides the text reading of a 550 (from `classifyMissing`).
 */
export function explain(error: unknown, what: string, kind?: "missing" | "permission" | undefined): Explained {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message };
  if (FtpError.isInstance(error)) {
    const reply = replyText(error);
    if (isLoginCommand(error.command) && (error.code === 530 || error.code >= 500)) {
      return { exitCode: EXIT.login, message: `login failed (${reply})` };
    }
    if (error.command === undefined && error.code !== 530) {
      return { exitCode: EXIT.connection, message: `the server refused the connection (${reply})` };
    }
    switch (error.code) {
      case 421:
        return { exitCode: EXIT.connection, message: `the server closed the connection (${reply})` };
      case 425:
      case 426:
      case 451:
      case 452:
      case 552:
        return { exitCode: EXIT.transfer, message: `${what}: transfer failed (${reply})` };
      case 530:
        return { exitCode: EXIT.permission, message: `${what}: permission denied: not logged in (${reply})` };
      case 532:
      case 553:
        return { exitCode: EXIT.permission, message: `${what}: permission denied (${reply})` };
      case 450:
      case 550: {
        const k = kind ?? replyKind(error);
        if (k === "missing") return { exitCode: EXIT.notFound, message: `${what}: not found (${reply})` };
        if (k === "permission") return { exitCode: EXIT.permission, message: `${what}: permission denied (${reply})` };
        return { exitCode: EXIT.failure, message: `${what}: refused (${reply})` };
      }
      default:
        return { exitCode: EXIT.failure, message: `${what}: ${reply}` };
    }
  }
  if (FtpTimeoutError.isInstance(error)) {
    const exitCode = error.code === "FTP_ERR_DATA_TIMEOUT" ? EXIT.transfer : EXIT.connection;
    return { exitCode, message: prefixed(what, error.message) };
  }
  if (FtpConnectionError.isInstance(error)) {
    switch (error.code) {
      case "FTP_ERR_DATA_CONNECTION":
      case "FTP_ERR_PARTIAL_TRANSFER":
        return { exitCode: EXIT.transfer, message: `${what}: transfer failed: ${error.message}` };
      case "FTP_ERR_CLOSED":
      case "FTP_ERR_SOCKET":
        return { exitCode: EXIT.connection, message: prefixed(what, `connection lost: ${error.message}`) };
      default:
        return { exitCode: EXIT.connection, message: error.message };
    }
  }
  // FtpTlsError (FTP_ERR_TLS_*): matched by its stable code, which works for every copy of the client.
  const tlsCode = (error as { errorCode?: unknown } | null)?.errorCode;
  if (typeof tlsCode === "string" && tlsCode.startsWith("FTP_ERR_TLS")) {
    const hint =
      tlsCode === "FTP_ERR_TLS_CERT" ? " (trust its CA with --cacert FILE, or use -k for a test server)" : "";
    return { exitCode: EXIT.connection, message: prefixed(what, `TLS: ${(error as Error).message}${hint}`) };
  }
  if (error instanceof LocalProtocolError) {
    return { exitCode: EXIT.usage, message: `${what}: ${error.message}` };
  }
  const errno = localErrno(error);
  if (errno !== undefined) {
    const meaning = LOCAL_MEANING[errno.code] ?? errno.message;
    const subject = errno.path ?? what;
    const exitCode = errno.code === "EACCES" || errno.code === "EPERM" ? EXIT.permission : EXIT.failure;
    return { exitCode, message: `${subject}: ${meaning}` };
  }
  // TLS handshake failures and other socket errors that reach us without a client wrapper.
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.failure, message: `${what}: ${message}` };
}
