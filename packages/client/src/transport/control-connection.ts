/**
 * Theory of operation (the control connection loop, STYLE S8):
 * Rule 1: the protocol core decides; this file only moves bytes and time. Socket bytes go
 *         to `ClientSession.receiveData`, then every event is drained with `nextEvent` and
 *         turned into the settlement of the promise waiting for it. After every input the
 *         one timer is re-armed from `pollTimeout()`.
 * Rule 2: every promise handed out settles: on its reply, on the session's `closed` event
 *         (a 421 at any time, or EOF), on a timeout, on a socket error, or on `destroy`.
 *         Nothing waits on a connection that can no longer answer.
 * Rule 3: a timeout, a malformed reply or a socket failure ends the connection: the
 *         conversation can no longer be trusted to be in step. The client opens a new one.
 * Rule 4: a caller that stops waiting (abort) does not desynchronise the conversation: the
 *         session still expects the reply, and the next command waits until it came.
 * Rule 5: FTPS. Implicit: the TLS handshake runs before the greeting is read. Explicit: on
 *         AUTH TLS's 234 the clear-text socket stops being read at once, and any reply or
 *         partial line that came after the 234 in the clear fails the connection (STARTTLS
 *         injection, as in CVE-2011-0411/CVE-2011-1575); then the same session continues
 *         over the TLS socket.
 */
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { TLSSocket } from "node:tls";
import {
  buildCommand,
  type ClientEvent,
  ClientSession,
  type Command,
  type DataOffer,
  NEED_DATA,
  RemoteProtocolError,
  type Reply,
  type ReplyOutcome,
  redactCommand,
  replyMessage,
  type Verb,
} from "@ftpkit/protocol";
import { FtpConnectionError } from "../errors/ftp-connection-error.js";
import { FtpError } from "../errors/ftp-error.js";
import { FtpTimeoutError } from "../errors/ftp-timeout-error.js";
import { FtpTlsError } from "../errors/ftp-tls-error.js";
import { abortReason, onAbort, raceAbort } from "../internal/abort.js";
import { type Deferred, deferred } from "../internal/deferred.js";
import type { ResolvedOptions } from "../options.js";
import { commandChannel, type FtpCommandMessage, type FtpReplyMessage, replyChannel } from "./diagnostics.js";
import { startTls, TlsSessionStore } from "./tls.js";
import type { Transport } from "./transport.js";

export type ControlConnectionOptions = Pick<
  ResolvedOptions,
  | "host"
  | "port"
  | "transport"
  | "connectTimeout"
  | "replyTimeout"
  | "dataIdleTimeout"
  | "maxReplyLineLength"
  | "secure"
  | "secureOptions"
  | "secureContext"
>;

const LF = 0x0a;

/** The final reply to a command and what the protocol core says it means. */
export interface CommandResult {
  readonly command: Command;
  readonly reply: Reply;
  readonly outcome: ReplyOutcome;
  /** The passive address of a successful PASV/EPSV. */
  readonly offer?: DataOffer | undefined;
}

/** A transfer command in flight. */
export interface TransferCall {
  readonly label: string;
  /** The 1yz reply (125/150); rejects like `done` when the command fails without one. */
  readonly preliminary: Promise<Reply>;
  /** Resolves when the final 2yz reply AND the data end have both arrived (the joint state, S5). */
  readonly done: Promise<CommandResult>;
}

interface Waiter {
  readonly command: Command;
  readonly label: string;
  readonly done: Deferred<CommandResult>;
  /** Set for transfer commands. */
  readonly preliminary: Deferred<Reply> | undefined;
}

let nextConnectionId = 1;

const now = (): number => performance.now();

export class ControlConnection {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  /** FTPS: the TLS sessions this connection's data connections resume. */
  readonly tlsSessions: TlsSessionStore;
  private readonly session: ClientSession;
  private socket: Socket;
  /** Set once the control connection is protected. */
  private tlsSocket: TLSSocket | undefined;
  /** The last byte given to the session: LF when everything received ends at a line boundary. */
  private lastByte = LF;
  /** Between AUTH TLS's 234 and the handshake: nothing may arrive in the clear (Rule 5). */
  private upgrade: { injected: boolean } | undefined;
  private readonly waiters: Waiter[] = [];
  private readonly idleWaiters: Deferred<void>[] = [];
  private readonly greeting = deferred<Reply>();
  private readonly options: ControlConnectionOptions;
  private timer: NodeJS.Timeout | undefined;
  /** Set once the connection is unusable: what every later wait rejects with. */
  private failure: { readonly error: unknown } | undefined;
  private socketError: Error | undefined;
  /** After the session closed with a transfer still finishing: its data-idle timer (Rule 2). */
  private finishingTimer: NodeJS.Timeout | undefined;

  private constructor(socket: Socket, options: ControlConnectionOptions, id: number, sessions: TlsSessionStore) {
    this.id = id;
    this.socket = socket;
    this.tlsSessions = sessions;
    if (options.secure === "implicit") this.tlsSocket = socket as TLSSocket;
    this.options = options;
    this.host = options.host;
    this.port = options.port;
    this.session = new ClientSession({
      now: now(),
      replyTimeout: options.replyTimeout,
      dataIdleTimeout: options.dataIdleTimeout,
      ...(options.maxReplyLineLength === undefined ? {} : { maxReplyLineLength: options.maxReplyLineLength }),
    });
    socket.setNoDelay(true);
    this.listen(socket);
    this.rearm();
  }

  private readonly onData = (chunk: Buffer) => {
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1] as number;
    this.session.receiveData(chunk, now());
    this.pump();
  };

  private readonly onEnd = () => {
    this.session.receiveEof(now());
    this.pump();
  };

  private readonly onError = (error: Error) => {
    this.socketError ??= error;
  };

  private readonly onClose = () => {
    if (this.failure !== undefined) return;
    this.session.receiveEof(now());
    this.pump();
    this.fail(this.lostError());
  };

  private listen(socket: Socket): void {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  private unlisten(socket: Socket): void {
    socket.off("data", this.onData);
    socket.off("end", this.onEnd);
    socket.off("close", this.onClose);
    // onError stays: an error during the handshake must not be unhandled.
  }

  /**
   * Connects and waits for the server's greeting (RFC 959 §5.4: 220, or 120 then 220).
   * @throws FtpError for a negative greeting (421 "too many users"), FtpTimeoutError,
   *   FtpConnectionError, or the signal's reason.
   */
  static async open(
    options: ControlConnectionOptions,
    signal?: AbortSignal,
  ): Promise<{ connection: ControlConnection; greeting: Reply }> {
    const raw = await options.transport.connect({
      host: options.host,
      port: options.port,
      role: "control",
      timeout: options.connectTimeout,
      signal,
    });
    const id = nextConnectionId++;
    const sessions = new TlsSessionStore();
    const socket =
      options.secure === "implicit"
        ? await startTls(options, {
            socket: raw,
            role: "control",
            sessions,
            connectionId: id,
            timeout: options.connectTimeout,
            signal,
          })
        : raw;
    const connection = new ControlConnection(socket, options, id, sessions);
    const off = onAbort(signal, () => connection.destroy(abortReason(signal as AbortSignal)));
    try {
      const greeting = await connection.greeting.promise;
      return { connection, greeting };
    } catch (error) {
      connection.destroy(error);
      throw error;
    } finally {
      off();
    }
  }

  // ---- getters ------------------------------------------------------------

  /** False once the connection failed or closed; the client then opens a new one. */
  get usable(): boolean {
    return this.failure === undefined && this.session.state === "ready";
  }

  /** The control connection's peer address: the host a passive data connection goes to. */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? this.options.host;
  }

  /** The local address of the control connection: what active mode offers by default. */
  get localAddress(): string {
    return this.socket.localAddress ?? "127.0.0.1";
  }

  get transport(): Transport {
    return this.options.transport;
  }

  /** True once the control connection is protected by TLS (FTPS). */
  get secure(): boolean {
    return this.tlsSocket !== undefined;
  }

  /** The negotiated TLS version (`TLSv1.3` ...), once secure. */
  get tlsProtocol(): string | undefined {
    return this.tlsSocket?.getProtocol() ?? undefined;
  }

  // ---- FTPS -----------------------------------------------------------------

  /**
   * Explicit FTPS (RFC 4217 §4): AUTH TLS, then the TLS handshake on this connection. Call
   * right after the greeting, before anything else.
   * @throws FtpTlsError `FTP_ERR_TLS_REFUSED` (a negative reply to AUTH: nothing more is
   *   sent, in the clear or otherwise), `FTP_ERR_TLS_INJECTION`, `FTP_ERR_TLS_CERT`,
   *   `FTP_ERR_TLS_HANDSHAKE`; FtpTimeoutError, FtpConnectionError, the signal's reason.
   */
  async startTls(signal?: AbortSignal): Promise<void> {
    const result = await this.request("AUTH", "TLS", signal);
    if (result.outcome !== "success") {
      throw new FtpTlsError(
        "FTP_ERR_TLS_REFUSED",
        `the server refused TLS: ${result.reply.code} ${replyMessage(result.reply)}`,
        {
          tlsCode: String(result.reply.code),
          connection: "control",
          command: "AUTH TLS",
          cause: new FtpError(result.reply, "AUTH TLS"),
        },
      );
    }
    const upgrade = this.upgrade;
    this.upgrade = undefined;
    if (this.failure !== undefined) throw this.failure.error;
    // Rule 5: nothing may follow the 234 in the clear, not even the start of a reply.
    if (upgrade?.injected !== false || this.session.hasBufferedInput) {
      const error = new FtpTlsError(
        "FTP_ERR_TLS_INJECTION",
        `${this.host}:${this.port} sent clear-text bytes after its 234 reply to AUTH TLS; the connection was dropped`,
        { connection: "control", command: "AUTH TLS" },
      );
      this.fail(error);
      throw error;
    }
    const raw = this.socket;
    this.unlisten(raw);
    let secured: TLSSocket;
    try {
      secured = await startTls(this.options, {
        socket: raw,
        role: "control",
        sessions: this.tlsSessions,
        connectionId: this.id,
        timeout: this.options.connectTimeout,
        signal,
      });
    } catch (error) {
      this.fail(error);
      throw error;
    }
    // The connection may have been destroyed (closed, aborted) during the handshake.
    const failure = this.failure as { readonly error: unknown } | undefined;
    if (failure !== undefined) {
      secured.destroy();
      throw failure.error;
    }
    this.socket = secured;
    this.tlsSocket = secured;
    this.listen(secured);
    secured.setNoDelay(true);
  }

  // ---- commands -----------------------------------------------------------

  /**
   * Sends a command once the previous one is answered and resolves with its final reply,
   * whatever its outcome (callers decide with the session's `outcome`).
   * @throws LocalProtocolError (CR/LF/NUL, bad argument) before anything is sent;
   *   FtpError (421), FtpTimeoutError, FtpConnectionError; the signal's reason when aborted
   *   (the reply is still awaited in the background, Rule 4).
   */
  async request(verb: Verb, argument?: string, signal?: AbortSignal): Promise<CommandResult> {
    const command = buildCommand(verb, argument);
    await this.whenIdle(signal);
    const waiter = this.write(command, false);
    return raceAbort(waiter.done.promise, signal);
  }

  /** Sends an already built command (see {@link request}). */
  async requestCommand(command: Command, signal?: AbortSignal): Promise<CommandResult> {
    await this.whenIdle(signal);
    return raceAbort(this.write(command, false).done.promise, signal);
  }

  /**
   * Sends a transfer command (RETR, STOR, APPE, LIST, MLSD, NLST). The data connection must
   * already be open (passive) or listening (active).
   * @param options.thirdParty - FXP: the data connection runs between this server and
   *   another one; the transfer ends on its final reply alone, and {@link dataActivity}
   *   keeps it from timing out after its 1yz (the protocol session's Rule 6).
   */
  async transfer(
    verb: Verb,
    argument: string | undefined,
    signal?: AbortSignal,
    options: { thirdParty?: boolean } = {},
  ): Promise<TransferCall> {
    const command = buildCommand(verb, argument);
    await this.whenIdle(signal);
    const waiter = this.write(command, true, options.thirdParty === true);
    return {
      label: waiter.label,
      preliminary: (waiter.preliminary as Deferred<Reply>).promise,
      done: waiter.done.promise,
    };
  }

  /**
   * Sends ABOR while a transfer runs (RFC 959 §4.1.3) and resolves with its reply. The
   * transfer's own promise settles separately (426 then 226, or its 226 then 225/226).
   * @returns undefined when no transfer is in flight (nothing to abort).
   */
  abortTransfer(): Promise<CommandResult> | undefined {
    if (this.failure !== undefined || this.session.currentTransfer === undefined) return undefined;
    let waiter: Waiter;
    try {
      waiter = this.write(buildCommand("ABOR"), false);
    } catch {
      return undefined;
    }
    return waiter.done.promise;
  }

  /** Data moved on the current transfer's data connection (restarts the data idle timer). */
  dataActivity(): void {
    // No re-arm here: the deadline only moves later, and the timer, when it fires early,
    // finds nothing expired and re-arms itself (one timer, not one per chunk).
    this.session.handleDataActivity(now());
    this.finishingTimer?.refresh();
  }

  /** The current transfer's data connection ended (download: EOF read; upload: all bytes sent). */
  dataEof(): void {
    this.session.handleDataEof(now());
    this.pump();
  }

  /** Sends QUIT and closes the socket (at once if the server does not answer in time). */
  async quit(): Promise<void> {
    if (!this.usable) {
      this.destroy();
      return;
    }
    try {
      await this.request("QUIT");
    } catch {
      // The connection goes away either way.
    } finally {
      this.destroy();
    }
  }

  /** Closes the connection now; everything still waiting rejects with `error`. */
  destroy(error?: unknown): void {
    this.fail(error ?? new FtpConnectionError("FTP_ERR_CLIENT_CLOSED", "the connection was closed by the client"));
  }

  /** Resolves when no command is in flight. */
  whenIdle(signal?: AbortSignal): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    if (this.session.idle) return Promise.resolve();
    const waiter = deferred<void>();
    this.idleWaiters.push(waiter);
    return raceAbort(waiter.promise, signal);
  }

  // ---- the loop -------------------------------------------------------------

  private write(command: Command, transfer: boolean, thirdParty = false): Waiter {
    if (this.failure !== undefined) throw this.failure.error;
    const bytes = this.session.send(command, now(), thirdParty ? { thirdParty } : {});
    const label = redactCommand(command);
    const waiter: Waiter = {
      command,
      label,
      done: deferred<CommandResult>(),
      preliminary: transfer ? deferred<Reply>() : undefined,
    };
    this.waiters.push(waiter);
    if (commandChannel.hasSubscribers) {
      commandChannel.publish({
        connectionId: this.id,
        host: this.host,
        port: this.port,
        command: label,
        secure: this.secure,
      } satisfies FtpCommandMessage);
    }
    this.socket.write(bytes);
    this.rearm();
    return waiter;
  }

  private pump(): void {
    for (;;) {
      let event: ClientEvent | typeof NEED_DATA;
      try {
        event = this.session.nextEvent();
      } catch (error) {
        this.onRemoteError(error);
        if (this.failure !== undefined) return;
        continue;
      }
      if (event === NEED_DATA) break;
      this.dispatch(event);
      if (this.failure !== undefined && this.session.currentTransfer === undefined) {
        clearTimeout(this.finishingTimer);
        return;
      }
    }
    this.rearm();
    if (this.session.idle && this.idleWaiters.length > 0) {
      for (const waiter of this.idleWaiters.splice(0)) waiter.resolve();
    }
  }

  private dispatch(event: ClientEvent): void {
    if (this.upgrade !== undefined && event.type !== "closed" && event.type !== "timeout") {
      // A reply after AUTH TLS's 234, before the handshake: injected in the clear (Rule 5).
      this.upgrade.injected = true;
      this.publishReply((event as { reply: Reply }).reply, undefined);
      return;
    }
    switch (event.type) {
      case "greeting":
        this.publishReply(event.reply, undefined);
        this.greeting.resolve(event.reply);
        return;
      case "preliminary": {
        const waiter = event.command === undefined ? undefined : this.find(event.command);
        this.publishReply(event.reply, waiter?.label);
        waiter?.preliminary?.resolve(event.reply);
        return;
      }
      case "reply": {
        const waiter = this.take(event.command);
        this.publishReply(event.reply, waiter?.label);
        if (waiter === undefined) return;
        if (waiter.preliminary !== undefined) {
          // The session reports a transfer's end as "reply" only when it failed.
          const error = new FtpError(event.reply, waiter.label);
          waiter.preliminary.reject(error);
          waiter.done.reject(error);
          return;
        }
        if (event.command.verb === "AUTH" && event.outcome === "success") this.holdForTls();
        waiter.done.resolve({ command: event.command, reply: event.reply, outcome: event.outcome, offer: event.offer });
        return;
      }
      case "transfer-complete": {
        const waiter = this.take(event.command);
        this.publishReply(event.reply, waiter?.label);
        waiter?.preliminary?.resolve(event.reply);
        waiter?.done.resolve({ command: event.command, reply: event.reply, outcome: "success" });
        return;
      }
      case "unexpected-reply":
        this.publishReply(event.reply, undefined);
        return;
      case "closed":
        if (event.reply !== undefined) this.publishReply(event.reply, undefined);
        this.onClosed(event.reply);
        return;
      case "timeout": {
        const label = event.command === undefined ? undefined : redactCommand(event.command);
        const greeting = !this.greeting.settled;
        const data = event.phase === "data";
        const timeout = data ? this.options.dataIdleTimeout : this.options.replyTimeout;
        const message = greeting
          ? `no greeting from ${this.host}:${this.port} within ${timeout} ms`
          : data
            ? `no data moved for ${timeout} ms (${label ?? "transfer"})`
            : `no reply within ${timeout} ms${label === undefined ? "" : ` to ${label}`}`;
        this.fail(
          new FtpTimeoutError(data ? "FTP_ERR_DATA_TIMEOUT" : "FTP_ERR_REPLY_TIMEOUT", message, {
            command: label,
            timeout,
          }),
        );
        return;
      }
    }
  }

  /**
   * The session closed: a 421 (or another reply that ends it), EOF, or QUIT's 221. A transfer
   * that already has its final reply and waits only for its data end may still finish.
   */
  private onClosed(reply: Reply | undefined): void {
    const finishing = this.session.currentTransfer;
    const lost = reply === undefined || reply.code === 221 ? this.lostError() : undefined;
    const errorFor = (label: string | undefined): unknown => lost ?? new FtpError(reply as Reply, label);
    if (!this.greeting.settled) this.greeting.reject(errorFor(undefined));
    for (const waiter of [...this.waiters]) {
      if (waiter.command === finishing) continue;
      this.remove(waiter);
      const error = errorFor(waiter.label);
      waiter.preliminary?.reject(error);
      waiter.done.reject(error);
    }
    this.failure = { error: errorFor(undefined) };
    for (const waiter of this.idleWaiters.splice(0)) waiter.reject(this.failure.error);
    clearTimeout(this.timer);
    this.socket.destroy();
    if (finishing !== undefined) {
      // A closed session keeps no deadlines, but the finishing transfer still needs one.
      const timeout = this.options.dataIdleTimeout;
      this.finishingTimer = setTimeout(
        () =>
          this.fail(
            new FtpTimeoutError("FTP_ERR_DATA_TIMEOUT", `no data moved for ${timeout} ms`, {
              command: redactCommand(finishing),
              timeout,
            }),
          ),
        timeout,
      );
    }
  }

  /**
   * AUTH TLS was accepted: read nothing more in the clear (the next bytes are the server's
   * side of the handshake), and note whether something already came after the 234.
   */
  private holdForTls(): void {
    this.socket.pause();
    this.socket.off("data", this.onData);
    this.upgrade = { injected: this.lastByte !== LF };
  }

  private onRemoteError(error: unknown): void {
    const cause = error;
    if (this.session.state === "closed") {
      // The reply stream itself is corrupt (not a reply, line too long): drop the connection.
      this.fail(
        new FtpConnectionError(
          "FTP_ERR_BAD_REPLY",
          `malformed reply from ${this.host}:${this.port}: ${(error as Error).message}`,
          { cause },
        ),
      );
      return;
    }
    // A 227/229 without a usable address: the session dropped the PASV/EPSV; fail its waiter.
    const waiter = this.waiters.find((w) => w.command.verb === "PASV" || w.command.verb === "EPSV");
    const failure = new FtpConnectionError(
      "FTP_ERR_BAD_PASSIVE_REPLY",
      `unusable passive reply: ${(error as Error).message}`,
      { command: waiter?.label, cause: RemoteProtocolError.isInstance(error) ? error : undefined },
    );
    if (waiter === undefined) {
      this.fail(failure);
      return;
    }
    this.remove(waiter);
    waiter.done.reject(failure);
  }

  private lostError(): FtpConnectionError {
    const label = this.waiters[0]?.label;
    return this.socketError === undefined
      ? new FtpConnectionError("FTP_ERR_CLOSED", `${this.host}:${this.port} closed the control connection`, {
          command: label,
        })
      : new FtpConnectionError("FTP_ERR_SOCKET", `control connection failed: ${this.socketError.message}`, {
          command: label,
          cause: this.socketError,
        });
  }

  private fail(error: unknown): void {
    if (this.failure === undefined) this.failure = { error };
    clearTimeout(this.timer);
    clearTimeout(this.finishingTimer);
    this.timer = undefined;
    if (!this.greeting.settled) this.greeting.reject(error);
    for (const waiter of this.waiters.splice(0)) {
      waiter.preliminary?.reject(error);
      waiter.done.reject(error);
    }
    for (const waiter of this.idleWaiters.splice(0)) waiter.reject(error);
    this.socket.destroy();
  }

  private rearm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.failure !== undefined && this.session.currentTransfer === undefined) return;
    const deadline = this.session.pollTimeout();
    if (deadline === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.session.handleTimeout(now());
        this.pump();
      },
      Math.max(0, Math.ceil(deadline - now())) + 1,
    );
  }

  private find(command: Command): Waiter | undefined {
    return this.waiters.find((w) => w.command === command);
  }

  private take(command: Command): Waiter | undefined {
    const waiter = this.find(command);
    if (waiter !== undefined) this.remove(waiter);
    return waiter;
  }

  private lastPublished: Reply | undefined;

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index !== -1) this.waiters.splice(index, 1);
  }

  private publishReply(reply: Reply, command: string | undefined): void {
    // The session hands QUIT's 221 over twice: as QUIT's reply, then as the reason it closed.
    // The conversation had one reply; publish it once.
    if (reply === this.lastPublished) return;
    this.lastPublished = reply;
    if (!replyChannel.hasSubscribers) return;
    replyChannel.publish({
      connectionId: this.id,
      host: this.host,
      port: this.port,
      reply,
      command,
      secure: this.secure,
    } satisfies FtpReplyMessage);
  }
}
