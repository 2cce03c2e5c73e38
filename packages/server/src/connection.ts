/**
 * Theory of operation (server connection):
 * Rule 1: one Connection per control socket; it owns one ServerSession and does only I/O.
 *         Every reply comes from the session; nothing here formats FTP text.
 * Rule 2: the loop (STYLE S8): socket data -> `session.receiveData(bytes, now)`; then drain
 *         `nextEvent()` acting on each event in order (reply writes are corked together);
 *         then re-arm ONE timer from `pollTimeout()` and pause the socket while the session
 *         does not want input (or the client does not read our replies).
 * Rule 3: what the session asks for that takes time (authenticate, storage, passive listener,
 *         transfer) runs asynchronously; its answer goes back through `handle*` followed by
 *         the same drain. An answer arriving after the session closed is dropped.
 * Rule 4: nothing outlives the connection: on close the timer, the passive listener, the
 *         transfer and the account's file system are all released, and `closed` resolves
 *         only when they are.
 *
 * Rule 6: the defender hears every offence (a failed login, a malformed line, a refused
 *         PORT/EPRT, a foreign data peer, a session over a limit or that never logs in)
 *         through `host.offence`; a banned address is dropped with `disconnect()`.
 *
 * Rule 5: FTPS (RFC 4217). On `secure-control` (after AUTH's 234 is flushed) the clear socket
 *         stops feeding the session and a TLSSocket over it becomes `socket`; an implicit
 *         connection arrives already secured. One SessionTls (per-connection SecureContext
 *         and session-ID store) makes every TLS socket of the connection, so that a data
 *         connection can be required to resume this control connection's TLS session.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import {
  type AuthResult,
  type CloseReason,
  canonicalVerb,
  ipFamily,
  isIPv4,
  NEED_DATA,
  normalizeIp,
  PAUSED,
  type PassiveResult,
  redactCommand,
  type ServerEvent,
  ServerSession,
  type StorageRequest,
  type StorageResult,
  type TransferRequest,
} from "@ftpkit/protocol";
import { type Account, type Authenticator, resolvePermissions } from "./account.js";
import { connectActive } from "./data/active.js";
import { DataConnectionError, PassiveListener } from "./data/passive-listener.js";
import type { PortPool } from "./data/port-pool.js";
import type { OffenceKind } from "./defender/defender.js";
import { publishCommand, publishReply, publishSession } from "./diagnostics.js";
import { FtpServerError } from "./errors/index.js";
import type { FtpServerEvents } from "./events.js";
import { storageErrorKindOf } from "./fs/index.js";
import type { ResolvedOptions } from "./options.js";
import type { TrustedProxies } from "./proxy/trusted-proxies.js";
import { fileState, type QuotaLedger } from "./quota.js";
import { runStorage } from "./storage.js";
import { ClearableTlsCarrier, TlsRecordSkipper } from "./tls/clearable-carrier.js";
import type { ServerTls } from "./tls/server-tls.js";
import { endGracefully, type SessionTls, TlsHandshakeError } from "./tls/session-tls.js";
import { Transfer } from "./transfer/transfer.js";
import { DataTlsError, failed, type TransferOutcome } from "./transfer/transfer-context.js";

/** Replies queued towards a client that does not read them, before we stop reading its commands. */
const CONTROL_WRITE_LIMIT = 256 * 1024;
/** After our last reply and FIN, how long we wait for the client to close before destroying. */
const LINGER_MS = 2000;
/**
 * After CCC's 200: how long to wait for the client's close_notify before sending ours (curl's
 * passive CCC mode never sends one; lftp, ftplib and curl's active mode send theirs at once).
 */
const CCC_CLIENT_CLOSE_WAIT_MS = 250;

/** What a connection needs from its server. @internal */
export interface ConnectionHost {
  readonly options: ResolvedOptions;
  /** The server's TLS, when FTPS is configured (and its certificate loaded). */
  readonly tls: ServerTls | undefined;
  readonly authenticate: Authenticator;
  readonly ports: PortPool;
  /** `proxyProtocol.trustedProxies` (passive data connections from them start with a PROXY header). */
  readonly proxies: TrustedProxies | undefined;
  emit<K extends keyof FtpServerEvents>(event: K, ...args: FtpServerEvents[K]): void;
  reportError(error: FtpServerError): void;
  /** Counts a session for `user`; false when `max` sessions already run. */
  claimSession(user: string, max: number | undefined): boolean;
  releaseSession(user: string): void;
  connectionClosed(connection: Connection): void;
  /** Reports misbehaviour of `address` to the defender. */
  offence(address: string, kind: OffenceKind): void;
  /** Upload quotas of the server's accounts. */
  readonly quotas: QuotaLedger;
}

/** Close reasons after which a session that never tried to log in counts as `no-login`. */
const NO_LOGIN_REASONS = new Set<string>(["login-timeout", "line-timeout", "eof", "socket-closed", "aborted"]);

/**
 * One control connection (RFC 959 §2.3 "control connection"): the I/O driver of a
 * {@link ServerSession}.
 */
export class Connection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Local address of the control connection: passive listeners bind here. */
  readonly localAddress: string;
  readonly refused: boolean;
  /** Resolves once the socket is closed and everything the connection held is released. */
  readonly closed: Promise<void>;
  socket: Socket;

  private readonly host: ConnectionHost;
  /** This connection's TLS (made at AUTH, or given for an implicit connection). */
  private tls: SessionTls | undefined;
  /** The clear socket under a TLS control connection. */
  private clearSocket: Socket | undefined;
  /** Between AUTH's 234 and the end of the handshake: nothing may be written or read. */
  private upgrading = false;
  /** What the control connection's TLS runs over when CCC is allowed (see {@link clearTls}). */
  private carrier: ClearableTlsCarrier | undefined;
  /** After CCC: drops the client's close_notify before the clear-text commands. */
  private closingRecords: TlsRecordSkipper | undefined;
  private readonly session: ServerSession;
  private resolveClosed!: () => void;
  private account: Account | undefined;
  private accountUser: string | undefined;
  private user: string | undefined;
  private passive: PassiveListener | undefined;
  private transfer: Transfer | undefined;
  private transferDone: Promise<void> | undefined;
  private storageDone: Promise<void> | undefined;
  private passiveOpening: Promise<void> | undefined;
  private authenticating: Promise<void> | undefined;
  private handshaking: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  private closeReason: CloseReason | "socket-closed" | "aborted" | undefined;
  private socketClosed = false;
  /** A PASS was sent (a failed one is scored as such, not as `no-login`). */
  private triedLogin = false;
  private everLoggedIn = false;

  constructor(
    host: ConnectionHost,
    id: number,
    socket: Socket,
    options: {
      refuse?: string;
      secure?: { socket: TLSSocket; tls: SessionTls; clear: Socket };
      /** The client's endpoint from a trusted proxy's PROXY header (default: the socket's peer). */
      peer?: { address: string; port: number };
    } = {},
  ) {
    this.host = host;
    this.id = id;
    this.socket = socket;
    this.tls = options.secure?.tls;
    this.clearSocket = options.secure?.clear;
    this.refused = options.refuse !== undefined;
    // Behind a trusted proxy the relayed client is the session's peer: the RFC 2577 checks
    // (PORT/EPRT targets, passive data peers), the defender, limits and events all use it.
    this.remoteAddress = normalizeIp(options.peer?.address ?? socket.remoteAddress ?? "0.0.0.0");
    this.remotePort = options.peer?.port ?? socket.remotePort ?? 0;
    this.localAddress = normalizeIp(socket.localAddress ?? "0.0.0.0");
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    const o = host.options;
    const t = host.tls?.options;
    this.session = new ServerSession({
      peerAddress: this.remoteAddress,
      family: ipFamily(this.remoteAddress) ?? 4,
      now: Date.now(),
      greeting: o.greeting,
      idleTimeout: o.limits.idleTimeout,
      loginTimeout: o.limits.loginTimeout,
      maxLoginAttempts: o.limits.maxLoginAttempts,
      failedLoginDelay: o.limits.failedLoginDelay,
      maxLineLength: o.limits.maxLineLength,
      lineTimeout: o.limits.lineTimeout,
      commandRate: o.limits.commandRate,
      commandBurst: o.limits.commandBurst,
      floodTimeout: o.limits.floodTimeout,
      // Whether the account's file system has chmod is known only after login; without it SITE CHMOD gets 502.
      chmod: true,
      ...(o.virtualHosts === undefined ? {} : { virtualHosts: o.virtualHosts }),
      ...(o.hashAlgorithms === undefined ? {} : { hashAlgorithms: o.hashAlgorithms }),
      ...(options.refuse === undefined ? {} : { refuse: options.refuse }),
      ...(t === undefined
        ? {}
        : {
            tls: {
              available: true,
              requireForControl: t.require !== "none",
              requireForData: t.require === "control+data",
              allowCcc: t.allowCcc,
            },
          }),
      ...(options.secure === undefined ? {} : { secure: true }),
    });
    const clear = options.secure?.clear ?? socket;
    clear.setNoDelay(true);
    clear.setKeepAlive(true, 60_000);
    this.attach(socket);
    this.pump();
  }

  private readonly onDataListener = (chunk: Buffer) => this.onData(chunk);
  private readonly onEndListener = () => this.onEnd();
  private readonly onErrorListener = (error: NodeJS.ErrnoException) => {
    publishSession({ type: "socket-error", connectionId: this.id, code: error.code });
  };
  private readonly onDrainListener = () => this.updateFlow();
  private readonly onCloseListener = () => this.onSocketClose();

  private attach(socket: Socket): void {
    socket.on("data", this.onDataListener);
    socket.on("end", this.onEndListener);
    socket.on("error", this.onErrorListener);
    socket.on("drain", this.onDrainListener);
    socket.on("close", this.onCloseListener);
  }

  private detach(socket: Socket): void {
    socket.off("data", this.onDataListener);
    socket.off("end", this.onEndListener);
    socket.off("drain", this.onDrainListener);
    socket.off("close", this.onCloseListener);
    // The error listener stays: the clear socket may still report errors, never unhandled.
  }

  /** The logged-in user, if any. */
  get userName(): string | undefined {
    return this.user;
  }

  /** True while a transfer runs. */
  get transferring(): boolean {
    return this.transfer !== undefined;
  }

  /** Graceful shutdown: 421 now, or after the running transfer. */
  shutdown(): void {
    if (this.socketClosed) return;
    this.session.handleShutdown(Date.now());
    this.pump();
  }

  /** Stops the running transfer (426), which lets a shutdown proceed (421 and close). */
  abortTransfer(): void {
    this.transfer?.stop("aborted");
  }

  /**
   * Ends the session now with `421 <text>` (a running transfer is aborted first), e.g. when
   * the client's address was banned.
   */
  disconnect(text: string): void {
    if (this.socketClosed || this.session.isClosed) return;
    this.session.handleDisconnect(text, Date.now());
    this.pump();
  }

  /** True once the session has ended (or the socket closed). */
  get ended(): boolean {
    return this.socketClosed || this.session.isClosed;
  }

  /** Closes the socket now. */
  destroy(): void {
    this.closeReason ??= "aborted";
    this.transfer?.stop("aborted");
    this.socket.destroy();
  }

  // ---- the loop ---------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.session.isClosed) return; // after our close: read only to see the client's FIN
    let data = chunk;
    if (this.closingRecords !== undefined) {
      data = this.closingRecords.feed(chunk);
      if (this.closingRecords.done) this.closingRecords = undefined;
      if (data.length === 0) return;
    }
    this.session.receiveData(data, Date.now());
    this.pump();
  }

  private onEnd(): void {
    this.session.receiveEof(Date.now());
    this.pump();
  }

  /** Drains the session's events, acting on each in order; then re-arms the timer and flow control. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const socket = this.socket;
        const cork = !socket.destroyed && !this.upgrading;
        if (cork) socket.cork();
        try {
          for (;;) {
            const event = this.session.nextEvent();
            if (event === NEED_DATA || event === PAUSED) break;
            this.act(event);
          }
        } finally {
          if (cork) socket.uncork();
        }
      } while (this.pumpAgain);
    } catch (cause) {
      this.host.reportError(
        new FtpServerError("internal error in the connection loop", {
          code: "FTP_ERR_INTERNAL",
          connectionId: this.id,
          cause,
        }),
      );
      this.destroy();
    } finally {
      this.pumping = false;
    }
    this.armTimer();
    this.updateFlow();
  }

  private act(event: ServerEvent): void {
    switch (event.type) {
      case "reply":
        // During the TLS handshake nothing is written (a 421 from a timeout is dropped: the
        // connection is closed under the handshake instead).
        if (!this.upgrading && !this.socket.destroyed && this.socket.writable) this.socket.write(event.bytes);
        publishReply({ connectionId: this.id, code: event.code, lines: event.lines });
        return;
      case "command":
        publishCommand({ connectionId: this.id, verb: event.command.verb, line: redactCommand(event.command) });
        // RFC 959 §4.1.1 REIN: the account is flushed (the session resets itself right after this event).
        if (canonicalVerb(event.command.verb) === "REIN") {
          this.releaseAccount();
          this.user = undefined;
        }
        return;
      case "authenticate":
        this.triedLogin = true;
        this.authenticating = this.guard(this.authenticate(event.id, event.user, event.password));
        return;
      case "login":
        this.user = event.user;
        this.everLoggedIn = true;
        publishSession({ type: "login", connectionId: this.id, user: event.user });
        this.host.emit("login", { connectionId: this.id, user: event.user, remoteAddress: this.remoteAddress });
        return;
      case "login-failed":
        this.host.offence(this.remoteAddress, "login-failed");
        publishSession({ type: "login-failed", connectionId: this.id, user: event.user, attempts: event.attempts });
        this.host.emit("login-failed", {
          connectionId: this.id,
          user: event.user,
          remoteAddress: this.remoteAddress,
          attempts: event.attempts,
        });
        return;
      case "storage":
        this.storageDone = this.guard(this.storage(event.id, event.request));
        return;
      case "open-passive":
        this.passiveOpening = this.guard(this.openPassive(event.id, event.family));
        return;
      case "close-data":
        this.closePassive();
        return;
      case "transfer":
        this.startTransfer(event.id, event.request);
        return;
      case "abort-transfer":
        if (this.transfer?.id === event.id) this.transfer.stop("aborted");
        return;
      case "secure-control":
        this.startTls(event.id);
        return;
      case "clear-control":
        this.clearTls(event.id);
        return;
      case "protocol-error": {
        publishSession({ type: "protocol-error", connectionId: this.id, code: event.code });
        const offence = offenceOf(event.code, this.session.loggedIn);
        if (offence !== undefined) this.host.offence(this.remoteAddress, offence);
        return;
      }
      case "close":
        if (event.reason === "command-flood") this.host.offence(this.remoteAddress, "over-limit");
        this.closeControl(event.reason);
        return;
    }
  }

  // ---- FTPS -------------------------------------------------------------------

  /**
   * AUTH TLS was answered 234 (RFC 4217 §4): from now on the clear socket's bytes belong to
   * the TLS handshake. Its listeners come off at once (bytes that arrive meanwhile stay in
   * its buffer, and TLSSocket takes them over); the TLSSocket is made once the 234 has been
   * handed to the kernel, so the reply never mixes with TLS records.
   */
  private startTls(id: number): void {
    const serverTls = this.host.tls;
    const clear = this.socket;
    if (serverTls === undefined || clear.destroyed || this.clearSocket !== undefined) {
      queueMicrotask(() => this.answer(() => this.session.handleSecureResult(id, false, Date.now())));
      return;
    }
    this.detach(clear);
    clear.pause();
    this.clearSocket = clear;
    this.upgrading = true;
    const tls = serverTls.createSession();
    this.tls = tls;
    const handshaking = new Promise<void>((resolve) => {
      clear.write(new Uint8Array(0), (error) => {
        if (error !== undefined && error !== null) {
          clear.destroy();
          this.onSocketClose();
          resolve();
          return;
        }
        // With CCC allowed, TLS runs over a carrier that can later give the TCP socket back.
        const carrier = this.host.tls?.options.allowCcc === true ? new ClearableTlsCarrier(clear) : undefined;
        this.carrier = carrier;
        tls.handshake(carrier ?? clear, { timeout: this.host.options.limits.loginTimeout }).then(
          (secured) => {
            this.upgrading = false;
            this.socket = secured;
            this.attach(secured);
            publishSession({
              type: "tls",
              connectionId: this.id,
              channel: "control",
              protocol: secured.getProtocol() ?? "unknown",
              cipher: secured.getCipher()?.name ?? "unknown",
              resumed: secured.isSessionReused(),
            });
            if (secured.destroyed) this.onSocketClose();
            this.answer(() => this.session.handleSecureResult(id, true, Date.now()));
            resolve();
          },
          (error: unknown) => {
            this.upgrading = false;
            publishSession({
              type: "tls-failed",
              connectionId: this.id,
              channel: "control",
              reason: error instanceof TlsHandshakeError ? error.reason : "failed",
            });
            // The session closes ("refused"); the sockets are already destroyed.
            this.answer(() => this.session.handleSecureResult(id, false, Date.now()));
            this.onSocketClose();
            resolve();
          },
        );
      });
    });
    this.handshaking = this.guard(handshaking);
  }

  /**
   * CCC was answered 200 (RFC 4217 §5): the 200 is already queued on the TLS socket. TLS
   * ends with an exchange of close_notify, then clear text flows on the TCP socket again;
   * data connections keep this connection's TLS session (PROT P still resumes it).
   *
   * Who speaks first differs: lftp, Python's `unwrap()` and curl's active mode send their
   * close_notify at once and wait for ours; curl's passive mode waits for ours and never
   * answers. So the server waits up to {@link CCC_CLIENT_CLOSE_WAIT_MS} for the client's,
   * answering it at once, and then sends its own. Sent together with the 200, ours reached
   * lftp in the same read and it took it for a closed connection.
   *
   * The result is reported once our close_notify has reached the kernel, so that no
   * clear-text reply can overtake it; bytes that arrive meanwhile wait in the session.
   */
  private clearTls(id: number): void {
    const secured = this.socket;
    const carrier = this.carrier;
    const raw = this.clearSocket;
    const report = (ok: boolean) => this.answer(() => this.session.handleClearResult(id, ok, Date.now()));
    if (carrier === undefined || raw === undefined || secured === raw || secured.destroyed || raw.destroyed) {
      queueMicrotask(() => report(false));
      return;
    }
    this.detach(secured);
    this.carrier = undefined;
    carrier.beginClose();
    // From now on destroy() and closeControl() act on the TCP socket itself.
    this.socket = raw;
    const clearing = new Promise<void>((resolve) => {
      let cleared = false;
      const clear = () => {
        if (cleared) return;
        cleared = true;
        clearTimeout(timer);
        secured.off("end", clear);
        const { socket, rest } = carrier.release();
        this.closingRecords = new TlsRecordSkipper();
        this.attach(socket);
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          // The TLS socket is done; destroying it leaves the released TCP socket open.
          secured.destroy();
          if (socket.destroyed) {
            this.onSocketClose();
          } else {
            publishSession({ type: "tls-cleared", connectionId: this.id });
            report(true);
            socket.resume();
            if (rest.length > 0) this.onData(rest);
          }
          resolve();
        };
        if (secured.destroyed || secured.writableFinished) {
          finish();
          return;
        }
        secured.once("finish", finish);
        secured.once("close", finish);
        secured.end();
      };
      // The client's close_notify ends the TLS socket's readable side.
      secured.once("end", clear);
      const timer = setTimeout(clear, CCC_CLIENT_CLOSE_WAIT_MS);
    });
    this.handshaking = this.guard(clearing);
  }

  /**
   * PROT P (RFC 4217 §9): TLS over a data connection with this connection's SecureContext.
   * When session reuse is required (RFC 4217 §10.2; vsftpd's `require_ssl_reuse`), a data
   * connection that did not resume this control connection's session is refused: ended
   * with close_notify (a clean close the client can read, not a reset), then 522.
   */
  private async secureData(raw: Socket, signal: AbortSignal, upload: boolean): Promise<Socket> {
    const tls = this.tls;
    if (tls === undefined) {
      raw.destroy();
      throw new DataTlsError("tls-failed");
    }
    let secured: TLSSocket;
    try {
      secured = await tls.handshake(raw, {
        timeout: this.host.options.limits.dataTimeout,
        signal,
        renewTickets: !upload,
      });
    } catch (error) {
      publishSession({
        type: "tls-failed",
        connectionId: this.id,
        channel: "data",
        reason: error instanceof TlsHandshakeError ? error.reason : "failed",
      });
      throw new DataTlsError("tls-failed", error);
    }
    const resumed = secured.isSessionReused();
    publishSession({
      type: "tls",
      connectionId: this.id,
      channel: "data",
      protocol: secured.getProtocol() ?? "unknown",
      cipher: secured.getCipher()?.name ?? "unknown",
      resumed,
    });
    if (!resumed && this.host.tls?.options.requireSessionReuse === true) {
      await endGracefully(secured);
      throw new DataTlsError("tls-not-resumed");
    }
    return secured;
  }

  /** Work the connection waits for before it is released; a failure (a bug) is reported, never thrown. */
  private guard(work: Promise<void>): Promise<void> {
    return work.catch((cause: unknown) => {
      this.host.reportError(
        new FtpServerError("internal error in the connection", {
          code: "FTP_ERR_INTERNAL",
          connectionId: this.id,
          cause,
        }),
      );
      this.destroy();
    });
  }

  /** Feeds an asynchronous answer back to the session, unless it closed meanwhile. */
  private answer(feed: () => void): void {
    if (this.session.isClosed || this.socketClosed) return;
    try {
      feed();
    } catch (cause) {
      this.host.reportError(
        new FtpServerError("internal error feeding the session", {
          code: "FTP_ERR_INTERNAL",
          connectionId: this.id,
          cause,
        }),
      );
      this.destroy();
      return;
    }
    this.pump();
  }

  private armTimer(): void {
    const at = this.session.pollTimeout();
    if (at === this.timerAt && (at === undefined || this.timer !== undefined)) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined || this.socketClosed) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = undefined;
        this.answer(() => this.session.handleTimeout(Date.now()));
        this.armTimer();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Reads only while the session wants input and the client reads our replies. */
  private updateFlow(): void {
    const socket = this.socket;
    if (socket.destroyed || this.upgrading) return;
    const want = this.session.isClosed || (this.session.wantsInput && socket.writableLength < CONTROL_WRITE_LIMIT);
    if (want && socket.isPaused()) socket.resume();
    else if (!want && !socket.isPaused()) socket.pause();
  }

  // ---- what the session asks for ---------------------------------------------

  private async authenticate(id: number, user: string, password: string): Promise<void> {
    let account: Account | undefined;
    try {
      const found = await this.host.authenticate({
        user,
        password,
        remoteAddress: this.remoteAddress,
        connectionId: this.id,
      });
      if (found) account = found;
    } catch (cause) {
      this.host.reportError(
        new FtpServerError("the authenticator failed", { code: "FTP_ERR_AUTHENTICATOR", connectionId: this.id, cause }),
      );
    }
    if (this.session.isClosed || this.socketClosed) {
      if (account !== undefined) this.closeFileSystem(account);
      return;
    }
    let result: AuthResult = { ok: false };
    if (account !== undefined) {
      if (this.host.claimSession(user, account.maxSessions)) {
        this.releaseAccount();
        this.account = account;
        this.accountUser = user;
        result = {
          ok: true,
          permissions: resolvePermissions(account.permissions),
          ...(account.home === undefined ? {} : { home: account.home }),
          ...(account.fxp === undefined ? {} : { fxp: account.fxp }),
          ...(account.tls === "required" ? { requireSecureControl: true, requireSecureData: true } : {}),
          ...(account.tls === "optional" ? { requireSecureData: false } : {}),
        };
      } else {
        this.closeFileSystem(account);
        this.host.offence(this.remoteAddress, "over-limit");
        result = { ok: false, message: "Too many sessions for this user.", close: true };
      }
    }
    this.answer(() => this.session.handleAuthResult(id, result, Date.now()));
    // The session may still refuse the account (its TLS policy): then it is released.
    if (result.ok && !this.session.loggedIn) this.releaseAccount();
  }

  private async storage(id: number, request: StorageRequest): Promise<void> {
    const account = this.account;
    const fs = account?.fs;
    let result: StorageResult;
    if (fs === undefined) {
      result = { ok: false, error: "permission" };
    } else {
      try {
        // Quota: the file a DELE removes, or an RNTO replaces, is looked at first.
        const quota = account?.quota;
        const counted = quota !== undefined && this.accountUser !== undefined;
        const removed =
          counted && (request.op === "delete" || request.op === "rename")
            ? await fileState(fs, request.op === "delete" ? request.path : request.to)
            : undefined;
        const value = await runStorage(fs, request, { maxListEntries: this.host.options.limits.maxListEntries });
        result = { ok: true, value };
        if (removed !== undefined && quota !== undefined && this.accountUser !== undefined) {
          await this.host.quotas.recordRemoval(this.accountUser, quota, fs, removed);
        }
        this.emitStorageEvent(request);
      } catch (error) {
        result = { ok: false, error: storageErrorKindOf(error) };
      }
    }
    this.answer(() => this.session.handleStorageResult(id, result, Date.now()));
  }

  private emitStorageEvent(request: StorageRequest): void {
    const user = this.user ?? "";
    const connectionId = this.id;
    switch (request.op) {
      case "delete":
        this.host.emit("delete", { connectionId, user, path: request.path });
        return;
      case "mkdir":
        this.host.emit("mkdir", { connectionId, user, path: request.path });
        return;
      case "rmdir":
        this.host.emit("rmdir", { connectionId, user, path: request.path });
        return;
      case "rename":
        this.host.emit("rename", { connectionId, user, from: request.from, to: request.to });
        return;
      default:
        return;
    }
  }

  /** The IPv4 address PASV advertises (RFC 959 §4.1.2): configured (for NAT), else our local address. */
  private advertisedAddress(): string {
    const configured = this.host.options.passive.advertisedAddress;
    const chosen = typeof configured === "function" ? configured(this.remoteAddress) : configured;
    return chosen !== undefined && isIPv4(chosen) ? chosen : this.localAddress;
  }

  private async openPassive(id: number, family: 4 | 6): Promise<void> {
    this.closePassive();
    const o = this.host.options;
    const anyPeer = o.passive.allowForeignDataPeer || this.account?.fxp === true;
    let result: PassiveResult = { ok: false };
    try {
      const listener = await PassiveListener.open({
        host: this.localAddress,
        pool: this.host.ports,
        allowedPeer: anyPeer ? undefined : this.remoteAddress,
        timeout: o.limits.dataTimeout,
        ...(this.host.proxies === undefined || o.proxyProtocol === undefined
          ? {}
          : {
              proxy: {
                trusted: this.host.proxies,
                headerTimeout: o.proxyProtocol.headerTimeout,
                onHeader: (message) => publishSession({ ...message, connectionId: this.id, channel: "data" }),
              },
            }),
        onForeignPeer: (remoteAddress) => {
          publishSession({
            type: "foreign-data-peer",
            connectionId: this.id,
            remoteAddress,
            expected: this.remoteAddress,
          });
          // RFC 2577 §8: someone tried to take this session's data connection.
          this.host.offence(remoteAddress, "data-peer-refused");
        },
      });
      if (this.session.isClosed || this.socketClosed) {
        listener.close();
        return;
      }
      this.passive = listener;
      const host = family === 4 ? this.advertisedAddress() : this.localAddress;
      publishSession({ type: "passive-open", connectionId: this.id, host, port: listener.port });
      result = { ok: true, address: { host, port: listener.port } };
    } catch {
      // No port could be bound: the session answers 425.
    }
    this.answer(() => this.session.handlePassiveResult(id, result, Date.now()));
  }

  private closePassive(): void {
    this.passive?.close();
    this.passive = undefined;
  }

  private startTransfer(id: number, request: TransferRequest): void {
    const o = this.host.options;
    const fs = this.account?.fs;
    let passive: PassiveListener | undefined;
    if (request.data.mode === "passive") {
      passive = this.passive;
      this.passive = undefined;
    }
    if (fs === undefined) {
      passive?.close();
      queueMicrotask(() => this.finishTransfer(id, request, failed(request.path, "permission")));
      return;
    }
    const data = request.data;
    const account = this.account;
    const bandwidth = account?.bandwidth;
    const quota = account?.quota;
    const user = this.accountUser;
    const upload = request.kind === "stor" || request.kind === "appe" || request.kind === "stou";
    const rate = upload ? bandwidth?.upload : request.kind === "retr" ? bandwidth?.download : undefined;
    // A throttled account's transfers are slow on purpose: half its rate is its minimum.
    const minRate = rate !== undefined && rate > 0 ? Math.min(o.limits.dataMinRate, rate / 2) : o.limits.dataMinRate;
    const transfer: Transfer = new Transfer({
      id,
      request,
      fs,
      uploadMode: o.uploadMode,
      dataTimeout: o.limits.dataTimeout,
      maxListEntries: o.limits.maxListEntries,
      downloadRate: bandwidth?.download,
      uploadRate: bandwidth?.upload,
      minRate,
      rateWindow: o.limits.dataRateWindow,
      commitDelay: o.limits.atomicCommitDelay,
      openQuota:
        upload && quota !== undefined && (quota.bytes !== undefined || quota.files !== undefined) && user !== undefined
          ? (path) => this.host.quotas.openUpload(user, quota, fs, { kind: request.kind, path, offset: request.offset })
          : undefined,
      openData: (signal) => {
        if (data.mode === "active") {
          return connectActive(data.target, { localAddress: this.localAddress, timeout: o.limits.dataTimeout, signal });
        }
        return passive === undefined ? Promise.reject(new DataConnectionError("closed")) : passive.accept(signal);
      },
      secureData: request.protect
        ? (socket, signal) =>
            this.secureData(
              socket,
              signal,
              request.kind === "stor" || request.kind === "appe" || request.kind === "stou",
            )
        : undefined,
      started: (info) => {
        if (this.transfer === transfer) this.answer(() => this.session.handleTransferStarted(id, info, Date.now()));
      },
    });
    this.transfer = transfer;
    publishSession({ type: "transfer-start", connectionId: this.id, kind: request.kind, path: request.path });
    this.transferDone = this.guard(
      transfer
        .run()
        .catch((cause: unknown) => {
          this.host.reportError(
            new FtpServerError("internal error in a transfer", {
              code: "FTP_ERR_INTERNAL",
              connectionId: this.id,
              cause,
            }),
          );
          return failed(request.path, transfer.stopped ? "aborted" : "io");
        })
        .then((outcome) => {
          passive?.close();
          if (this.transfer === transfer) this.transfer = undefined;
          this.finishTransfer(id, request, outcome, transfer.startedAt);
        }),
    );
  }

  private finishTransfer(id: number, request: TransferRequest, outcome: TransferOutcome, startedAt?: number): void {
    const result = outcome.result;
    publishSession({
      type: "transfer-end",
      connectionId: this.id,
      kind: request.kind,
      path: outcome.path,
      ok: result.ok,
      bytes: outcome.bytes,
      ...(result.ok ? {} : { error: result.error }),
    });
    if (result.ok && startedAt !== undefined) {
      const durationMs = Math.round(performance.now() - startedAt);
      const user = this.user ?? "";
      const kind = request.kind;
      if (kind === "retr") {
        this.host.emit("download", {
          connectionId: this.id,
          user,
          path: outcome.path,
          bytes: outcome.bytes,
          offset: request.offset,
          durationMs,
        });
      } else if (kind === "stor" || kind === "appe" || kind === "stou") {
        this.host.emit("upload", {
          connectionId: this.id,
          user,
          path: outcome.path,
          kind,
          bytes: outcome.bytes,
          size: outcome.size ?? outcome.bytes,
          offset: request.offset,
          durationMs,
        });
      }
    }
    this.answer(() => this.session.handleTransferResult(id, result, Date.now()));
  }

  // ---- ending -----------------------------------------------------------------

  /** The session closed: send what is queued, then FIN; destroy if the client does not close. */
  private closeControl(reason: CloseReason): void {
    this.closeReason ??= reason;
    this.closePassive();
    this.transfer?.stop("aborted");
    const socket = this.socket;
    if (socket.destroyed) return;
    if (this.upgrading) {
      // Closed during the TLS handshake (timeout, shutdown): cut it; the handshake fails.
      socket.destroy();
      return;
    }
    socket.end();
    this.lingerTimer ??= setTimeout(() => socket.destroy(), LINGER_MS);
  }

  private onSocketClose(): void {
    if (this.socketClosed) return;
    this.socketClosed = true;
    if (!this.session.isClosed) {
      // The client vanished (or we destroyed the socket): the session aborts what runs.
      this.session.receiveEof(Date.now());
      this.closeReason ??= "socket-closed";
      this.pump();
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.timer = undefined;
    this.lingerTimer = undefined;
    this.closePassive();
    this.transfer?.stop("aborted");
    // Whatever is still running finishes (or sees the session closed) before anything is released.
    this.clearSocket?.destroy();
    const done = Promise.all([
      this.transferDone,
      this.storageDone,
      this.passiveOpening,
      this.authenticating,
      this.handshaking,
    ]);
    const reason = this.closeReason ?? "socket-closed";
    if (!this.refused && !this.everLoggedIn && !this.triedLogin && NO_LOGIN_REASONS.has(reason)) {
      this.host.offence(this.remoteAddress, "no-login");
    }
    void done.then(() => {
      this.releaseAccount();
      if (!this.refused) {
        publishSession({ type: "close", connectionId: this.id, reason: this.closeReason ?? "socket-closed" });
        this.host.emit("disconnect", {
          connectionId: this.id,
          remoteAddress: this.remoteAddress,
          user: this.user,
          reason: this.closeReason ?? "socket-closed",
        });
      }
      this.host.connectionClosed(this);
      this.resolveClosed();
    });
  }

  private releaseAccount(): void {
    const account = this.account;
    if (account === undefined) return;
    this.account = undefined;
    if (this.accountUser !== undefined) this.host.releaseSession(this.accountUser);
    this.accountUser = undefined;
    this.closeFileSystem(account);
  }

  private closeFileSystem(account: Account): void {
    const close = account.fs.close;
    if (close === undefined) return;
    void Promise.resolve()
      .then(() => close.call(account.fs))
      .catch((cause: unknown) =>
        this.host.reportError(
          new FtpServerError("closing a file system failed", {
            code: "FTP_ERR_FS_CLOSE",
            connectionId: this.id,
            cause,
          }),
        ),
      );
  }
}

/**
 * The offence a protocol error counts as (Rule 6). Empty lines are not scored (Telnet users
 * and some clients send them); an unknown but well-formed verb only before login (clients
 * probe for extensions such as CLNT or AVBL; a scanner sending HTTP never logs in); a
 * refused PORT/EPRT is a bounce attempt (RFC 2577 §3).
 */
function offenceOf(code: string, loggedIn: boolean): OffenceKind | undefined {
  switch (code) {
    case "FTP_ERR_BOUNCE_HOST":
    case "FTP_ERR_BOUNCE_PORT":
      return "bounce-refused";
    case "FTP_ERR_EMPTY":
      return undefined;
    case "FTP_ERR_UNKNOWN_COMMAND":
      return loggedIn ? undefined : "protocol-error";
    default:
      return "protocol-error";
  }
}
