/**
 * TLS for one control connection and its data connections (RFC 4217).
 *
 * Measured in Node 20 (shared/notes/ftps-session-reuse.md), and why this file is built so:
 * - Each control connection gets its OWN SecureContext (own ticket keys) and its own
 *   session-ID store: a data connection can then resume only a session issued on this
 *   control connection (or its data connections). With one context for the whole server,
 *   a ticket from another client's control connection was accepted.
 * - Sockets are hand-made `new TLSSocket(raw, { isServer: true, secureContext, server })`.
 *   `server` is a plain EventEmitter with `newSession`/`resumeSession` listeners over a Map:
 *   without them TLS 1.2 session-ID resumption never happens (Node runs OpenSSL's cache in
 *   NO_INTERNAL mode); tickets (TLS 1.2 and 1.3) need no events.
 * - Node sends no new ticket on a RESUMED TLS 1.3 connection, and curl (OpenSSL) does not
 *   offer a TLS 1.3 ticket twice: its second data connection did a full handshake and was
 *   refused. OpenSSL itself (vsftpd) sends one ticket per resumption; Node's ticket-key
 *   callback answers "valid, do not renew". See {@link renewTicketsOnResumption}.
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { createSecureContext, type SecureContext, TLSSocket } from "node:tls";
import { secureContextOptions, type TlsMaterial } from "./certificates.js";

/** A TLS session is resumable for this long (seconds): the whole life of a control connection. */
const SESSION_TIMEOUT_S = 7 * 24 * 3600;
/** Session IDs remembered per control connection (TLS 1.2 session-ID resumption). */
const MAX_SESSION_IDS = 32;

/** Why a TLS handshake did not complete. @internal */
export class TlsHandshakeError extends Error {
  constructor(
    readonly reason: "failed" | "timeout" | "closed" | "aborted",
    cause?: unknown,
  ) {
    super(`TLS handshake ${reason}`, { cause });
    this.name = "TlsHandshakeError";
  }
}

interface TicketKeyHandle {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => unknown[];
}

/**
 * Makes the context issue a fresh session ticket on every resumed handshake (TLS 1.3 and
 * 1.2), as OpenSSL does by default and vsftpd therefore does. Node's own ticket-key
 * callback returns 1 ("decrypted, keep") where OpenSSL's built-in keys return 2 ("renew")
 * for TLS 1.3, so a Node server sends no NewSessionTicket after a resumption, and a client
 * that uses each TLS 1.3 ticket once (curl) cannot resume its second data connection.
 *
 * Node has no public API for this. `SecureContext#context` (the native handle) has
 * `enableTicketKeyCallback()` and an `onticketkeycallback` hook that returns
 * `[result, hmacKey, aesKey, keyName?, iv?]` (Node's own test
 * test-https-resume-after-renew.js uses it). When the hook is missing (a future Node), this
 * returns false and nothing changes: TLS 1.2 clients and clients that reuse a ticket are not
 * affected; a curl-like client on TLS 1.3 then needs `maxVersion: "TLSv1.2"`.
 *
 * The keys are this context's alone (16-byte name, HMAC and AES-128 keys, random), so the
 * per-connection isolation above still holds.
 * @internal
 */
export function renewTicketsOnResumption(context: SecureContext, renew: () => boolean = () => true): boolean {
  const handle = (context as unknown as { context?: TicketKeyHandle }).context;
  if (handle === undefined || typeof handle.enableTicketKeyCallback !== "function") return false;
  const name = randomBytes(16);
  const hmac = randomBytes(16);
  const aes = randomBytes(16);
  handle.enableTicketKeyCallback();
  handle.onticketkeycallback = (keyName, _iv, encrypt) => {
    // Encrypting: 1 issues the ticket; 0 issues none (OpenSSL 3 skips the TLS 1.3
    // NewSessionTicket, and sends an empty one in TLS 1.2).
    if (encrypt) return [renew() ? 1 : 0, hmac, aes, name, randomBytes(16)];
    // Decrypting: 0 not ours (full handshake); 1 ours, accept; 2 ours, accept and issue a new ticket.
    if (!keyName.equals(name)) return [0, hmac, aes];
    return [renew() ? 2 : 1, hmac, aes];
  };
  return true;
}

/** Version limits of a {@link SessionTls}. @internal */
export interface SessionTlsOptions {
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
  readonly maxVersion?: "TLSv1.2" | "TLSv1.3" | undefined;
}

/**
 * The TLS state of one control connection: its SecureContext (made from the certificate
 * current when the connection started TLS, kept even if the server's certificate is
 * reloaded later) and its session-ID store. Every TLS socket of the connection, control and
 * data, is made by {@link handshake}.
 * @internal
 */
export class SessionTls {
  readonly context: SecureContext;
  /** False when the Node in use lacks the hook (see {@link renewTicketsOnResumption}). */
  readonly renewsTickets: boolean;
  /** Whether the handshake now running may issue a fresh ticket (see {@link handshake}). */
  private renewTickets = true;
  private readonly sessions = new Map<string, Buffer>();
  private readonly emitter = new EventEmitter();

  constructor(material: TlsMaterial, options: SessionTlsOptions) {
    this.context = createSecureContext({
      ...secureContextOptions(material),
      minVersion: options.minVersion,
      ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
      sessionTimeout: SESSION_TIMEOUT_S,
    });
    this.renewsTickets = renewTicketsOnResumption(this.context, () => this.renewTickets);
    this.emitter.on("newSession", (id: Buffer, data: Buffer, done: () => void) => {
      this.sessions.set(id.toString("hex"), data);
      if (this.sessions.size > MAX_SESSION_IDS) {
        const oldest = this.sessions.keys().next().value;
        if (oldest !== undefined) this.sessions.delete(oldest);
      }
      done();
    });
    // Also asked for TLS 1.3 ClientHellos, whose legacy session ID is random: not found.
    this.emitter.on("resumeSession", (id: Buffer, done: (error: Error | null, data: Buffer | null) => void) => {
      done(null, this.sessions.get(id.toString("hex")) ?? null);
    });
  }

  /**
   * Runs the server side of a TLS handshake over `raw` (already connected). The handshakes
   * of one control connection never overlap (control first, then one data connection at a
   * time), so `renewTickets` applies to this one.
   *
   * `renewTickets: false` (uploads) issues no ticket at all, as ProFTPD does (its Issue
   * #959): a TLS 1.3 ticket arrives after the handshake, and a client that only writes on
   * an upload's data connection may mishandle it: curl 7.88 truncated 2 MiB uploads at
   * 112 KiB under load and still exited 0, the server having seen a clean close_notify
   * (curl issue #6149, "FTPS upload data loss with TLS 1.3"; lftp did the same against
   * pyftpdlib). The ticket a resumed upload used stays valid for the next data connection.
   * @returns the TLS socket once the handshake is done; it carries a no-op `error`
   *   listener (failures surface as `close`) and destroys `raw` when it closes.
   * @throws TlsHandshakeError; `raw` is then destroyed.
   */
  handshake(
    raw: Duplex,
    options: { timeout: number; signal?: AbortSignal; renewTickets?: boolean },
  ): Promise<TLSSocket> {
    const { signal } = options;
    this.renewTickets = options.renewTickets ?? true;
    return new Promise<TLSSocket>((resolve, reject) => {
      if (signal?.aborted) {
        raw.destroy();
        reject(new TlsHandshakeError("aborted"));
        return;
      }
      const socket = new TLSSocket(raw, {
        isServer: true,
        secureContext: this.context,
        server: this.emitter as never,
        requestCert: false,
        rejectUnauthorized: false,
      });
      socket.on("error", () => {});
      socket.once("close", () => raw.destroy());
      let settled = false;
      const finish = (error: TlsHandshakeError | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        socket.off("secure", onSecure);
        socket.off("error", onError);
        socket.off("close", onClose);
        if (error === undefined) {
          resolve(socket);
          return;
        }
        socket.destroy();
        raw.destroy();
        reject(error);
      };
      const onSecure = () => finish(undefined);
      const onError = (cause: unknown) => finish(new TlsHandshakeError("failed", cause));
      const onClose = () => finish(new TlsHandshakeError("closed"));
      const onAbort = () => finish(new TlsHandshakeError("aborted"));
      const timer = setTimeout(() => finish(new TlsHandshakeError("timeout")), options.timeout);
      socket.once("secure", onSecure);
      socket.once("error", onError);
      socket.once("close", onClose);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/**
 * Sends close_notify and FIN (a clean TLS close the peer can read: destroying right after
 * the handshake made Python's ftplib fail with SHUTDOWN_WHILE_IN_INIT instead of reading our
 * 522), then waits for the peer to close, at most `graceMs`, and destroys.
 * @internal
 */
export function endGracefully(socket: TLSSocket, graceMs = 2000): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => socket.destroy(), graceMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.resume();
    socket.end();
  });
}
