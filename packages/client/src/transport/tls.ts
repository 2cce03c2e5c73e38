/**
 * FTPS (RFC 4217) on the client side: TLS handshakes over already connected TCP sockets,
 * and the TLS session each data connection resumes.
 *
 * Theory of operation:
 * Rule 1: the client is the TLS client on every connection, control and data, whichever
 *         side opened the TCP connection (RFC 4217 §7: "the FTP client MUST be the TLS
 *         client"; active-mode data connections included).
 * Rule 2: every data connection offers the control connection's TLS session, so servers
 *         that require reuse (vsftpd's `require_ssl_reuse=YES`, ProFTPD's default, ftpkit's
 *         server) accept it and know it comes from the same client: no one else can steal the
 *         data connection (RFC 4217's security considerations).
 * Rule 3: the session offered is the newest one received. TLS 1.3 sends tickets after the
 *         handshake (a session taken at 'secureConnect' has none and resumes nothing), and
 *         servers send fresh ones on resumed data connections; each 'session' event replaces
 *         the stored one (shared/notes/ftps-session-reuse.md §1). A data connection that did
 *         a full handshake is not a continuation of the control session: its tickets are
 *         ignored.
 * Rule 4: when no session has arrived (a server that sends no tickets), the data connection
 *         makes a full handshake, which servers that do not insist on reuse accept; a server
 *         that does refuse it is reported as FTP_ERR_TLS_SESSION_NOT_RESUMED (see
 *         transfer/tls-failure.ts), never as a mystery 522.
 */
import net from "node:net";
import { performance } from "node:perf_hooks";
import tls from "node:tls";
import { FtpTimeoutError } from "../errors/ftp-timeout-error.js";
import { FtpTlsError } from "../errors/ftp-tls-error.js";
import { abortReason, onAbort } from "../internal/abort.js";
import type { ResolvedOptions } from "../options.js";
import { type FtpTlsMessage, tlsChannel } from "./diagnostics.js";

/** What a handshake needs from the client's options. */
export type TlsSettings = Pick<ResolvedOptions, "host" | "secureOptions" | "secureContext">;

/** The newest TLS session of one control connection (Rule 3). */
export class TlsSessionStore {
  private latest: Buffer | undefined;
  private received = 0;

  /** The session to offer on the next data connection, if any arrived yet. */
  get session(): Buffer | undefined {
    return this.latest;
  }

  /** How many sessions (TLS 1.2 sessions, TLS 1.3 tickets) arrived so far. */
  get count(): number {
    return this.received;
  }

  /** Keeps the sessions `socket` receives: always for the control connection, for a data connection only once it resumed. */
  track(socket: tls.TLSSocket, role: "control" | "data"): void {
    socket.on("session", (session: Buffer) => {
      if (role === "data" && !socket.isSessionReused()) return;
      this.latest = session;
      this.received++;
    });
  }
}

export interface TlsHandshake {
  /** The TCP connection to secure; it is owned by the TLS socket afterwards. */
  readonly socket: net.Socket;
  readonly role: "control" | "data";
  /** For data connections: the session to resume, and where new ones go. */
  readonly sessions: TlsSessionStore;
  /** Identifies the connection in diagnostics. */
  readonly connectionId: number;
  readonly timeout: number;
  readonly signal?: AbortSignal | undefined;
  /** The command the data connection is for, as logged. */
  readonly command?: string | undefined;
}

/**
 * Runs a TLS client handshake over `socket` and resolves with the secured socket. The peer is
 * checked against `options.host` (or `secureOptions.servername`), also on data connections
 * that go elsewhere (a trusted 227 address).
 * @throws FtpTlsError `FTP_ERR_TLS_CERT` (certificate refused) or `FTP_ERR_TLS_HANDSHAKE`;
 *   FtpTimeoutError `FTP_ERR_CONNECT_TIMEOUT` after `timeout` ms; the signal's reason.
 */
export function startTls(options: TlsSettings, handshake: TlsHandshake): Promise<tls.TLSSocket> {
  const { socket: raw, role, sessions } = handshake;
  if (raw.destroyed) {
    // node:tls would wait forever on a socket that is already gone.
    const cause = raw.errored ?? undefined;
    return Promise.reject(
      new FtpTlsError("FTP_ERR_TLS_HANDSHAKE", `the ${role} connection closed before the TLS handshake`, {
        tlsCode: (cause as { code?: string } | undefined)?.code,
        connection: role,
        command: handshake.command,
        cause,
      }),
    );
  }
  const offered = role === "data" ? sessions.session : undefined;
  const started = performance.now();
  const servername = options.secureOptions.servername ?? (net.isIP(options.host) === 0 ? options.host : undefined);
  const secured = tls.connect({
    ...options.secureOptions,
    secureContext: options.secureContext,
    socket: raw,
    // The name the certificate must be for (with `socket`, node:tls would check "localhost").
    host: options.host,
    ...(servername === undefined ? {} : { servername }),
    ...(offered === undefined ? {} : { session: offered }),
  });
  sessions.track(secured, role);
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    let settled = false;
    const done = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      off();
      secured.off("secureConnect", onSecure);
      secured.off("error", onError);
      secured.off("close", onClose);
      if (error === undefined) {
        publish(handshake, secured, offered !== undefined, performance.now() - started);
        resolve(secured);
      } else {
        secured.destroy();
        raw.destroy();
        reject(error);
      }
    };
    const onSecure = () => done(undefined);
    const onError = (cause: Error) => done(tlsFailure(secured, role, cause, handshake.command));
    const onClose = () =>
      done(
        new FtpTlsError("FTP_ERR_TLS_HANDSHAKE", `the server closed the ${role} connection during the TLS handshake`, {
          connection: role,
          command: handshake.command,
        }),
      );
    const timer = setTimeout(
      () =>
        done(
          new FtpTimeoutError(
            "FTP_ERR_CONNECT_TIMEOUT",
            `no TLS handshake on the ${role} connection within ${handshake.timeout} ms`,
            { command: handshake.command, timeout: handshake.timeout },
          ),
        ),
      handshake.timeout,
    );
    const off = onAbort(handshake.signal, () => done(abortReason(handshake.signal as AbortSignal)));
    secured.once("secureConnect", onSecure);
    secured.once("error", onError);
    secured.once("close", onClose);
  });
}

/** A failed handshake as a typed error: a refused certificate, or anything else. */
function tlsFailure(
  socket: tls.TLSSocket,
  role: "control" | "data",
  cause: Error & { code?: string },
  command: string | undefined,
): FtpTlsError {
  const tlsCode = typeof cause.code === "string" ? cause.code : undefined;
  // node:tls sets authorizationError before it destroys the socket with the verify error.
  if (socket.authorizationError !== undefined && socket.authorizationError !== null) {
    return new FtpTlsError(
      "FTP_ERR_TLS_CERT",
      `the server's certificate was refused (${tlsCode ?? String(socket.authorizationError)}): ${cause.message}`,
      { tlsCode: tlsCode ?? String(socket.authorizationError), connection: role, command, cause },
    );
  }
  return new FtpTlsError(
    "FTP_ERR_TLS_HANDSHAKE",
    `TLS handshake on the ${role} connection failed${tlsCode === undefined ? "" : ` (${tlsCode})`}: ${cause.message}`,
    { tlsCode, connection: role, command, cause },
  );
}

function publish(handshake: TlsHandshake, socket: tls.TLSSocket, offered: boolean, ms: number): void {
  if (!tlsChannel.hasSubscribers) return;
  tlsChannel.publish({
    connectionId: handshake.connectionId,
    role: handshake.role,
    protocol: socket.getProtocol() ?? undefined,
    cipher: socket.getCipher()?.name,
    sessionOffered: offered,
    sessionReused: socket.isSessionReused(),
    command: handshake.command,
    handshakeMs: ms,
  } satisfies FtpTlsMessage);
}
