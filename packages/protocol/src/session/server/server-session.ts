/**
 * Theory of operation (server session):
 * Rule 1: this machine is the whole server side of the FTP conversation. It decides every
 *         reply; the I/O layer only carries out what it asks (events) and reports back
 *         (handle* methods). It never touches a socket, a file or a clock.
 * Rule 2: one command runs at a time (RFC 959 §5.4 sequences are strictly ordered). Lines
 *         that arrive meanwhile wait, up to `maxQueuedCommands`; then `wantsInput` turns
 *         false and the I/O layer stops reading, so a flooding client gets back-pressure.
 * Rule 3: while a transfer runs, ABOR, STAT and QUIT are handled at once (RFC 959 §4.1.3
 *         "Certain commands (such as ABOR, STAT, QUIT) may be sent over the control
 *         connection while a data transfer is in progress").
 * Rule 4: time is an input: `now` comes with every call that can start a timer, and the
 *         I/O layer asks `pollTimeout()` when to call `handleTimeout(now)`.
 * Rule 5: defences against slow and fast senders live here, as deadlines: a command line
 *         must end within `lineTimeout` of its first byte (partial lines are never activity),
 *         and with `commandRate` every line run spends a token; over the rate the session
 *         runs nothing until the bucket refills and reads ahead only up to
 *         `maxQueuedCommands` lines (back-pressure). A client that keeps pipelining over the
 *         rate (at least FLOOD_BACKLOG lines waiting) for `floodTimeout` is closed.
 *
 * Call order for the I/O layer: construct (the 220 greeting is queued), then loop:
 * feed input (`receiveData`, `receiveEof`, `handle*Result`, `handleTimeout`, `handleShutdown`), then drain
 * `nextEvent()` until it returns NEED_DATA or PAUSED, acting on each event in order, then
 * re-arm one timer from `pollTimeout()`.
 */
import { COMMANDS, type CommandSpec, canonicalVerb, type DecodedLine } from "../../command/index.js";
import { TokenBucket } from "../../rate/index.js";
import { NEED_DATA, PAUSED } from "../../sentinels.js";
import { type PassiveResult, type Pending, SessionCore } from "./core.js";
import { HANDLERS, type Handler } from "./handlers/index.js";
import { finishTransfer, preliminaryText } from "./handlers/transfers.js";
import type {
  AuthResult,
  CloseReason,
  ServerEvent,
  ServerSessionOptions,
  StorageResult,
  TransferResult,
} from "./types.js";

export type { PassiveResult };

/**
 * Complete command lines waiting while the session is over its command rate that mark the
 * client as pipelining (not waiting for replies), which `floodTimeout` then bounds. A client
 * that waits for each reply never has more than one line waiting.
 */
export const FLOOD_BACKLOG = 8;

export class ServerSession {
  private readonly core: SessionCore;
  private readonly queued: DecodedLine[] = [];
  /** The command-rate limiter (undefined without `commandRate`). */
  private readonly bucket: TokenBucket | undefined;
  /** Over the command rate: no line runs before this time. */
  private throttledUntil: number | undefined;
  /** Since when the client has been pipelining over the command rate. */
  private floodSince: number | undefined;
  /** Since when a command line has been started and not finished. */
  private partialSince: number | undefined;

  /** Creates the session and queues the 220 greeting (RFC 959 §5.4 connection establishment). */
  constructor(options: ServerSessionOptions) {
    this.core = new SessionCore(options, options.maxLineLength);
    const o = this.core.options;
    this.bucket = o.commandRate > 0 ? new TokenBucket(o.commandRate, o.commandBurst, options.now) : undefined;
    if (options.refuse !== undefined) {
      // RFC 959 §5.4: 421 instead of 220 when the service is not available.
      this.core.reply(421, options.refuse);
      this.core.close("refused");
      return;
    }
    this.core.reply(220, this.core.options.greeting);
  }

  // ---- getters --------------------------------------------------------------

  /** False once the session has closed, or while too many commands wait (back-pressure). */
  get wantsInput(): boolean {
    return !this.core.closed && this.queued.length < this.core.options.maxQueuedCommands;
  }

  get isClosed(): boolean {
    return this.core.closed;
  }

  get loggedIn(): boolean {
    return this.core.state.login === "logged-in";
  }

  get user(): string | undefined {
    return this.core.state.user;
  }

  get workingDirectory(): string {
    return this.core.state.cwd;
  }

  get secure(): boolean {
    return this.core.state.secure;
  }

  /** True while a transfer request is with the I/O layer. */
  get transferring(): boolean {
    return this.core.pending?.kind === "transfer";
  }

  // ---- inputs ---------------------------------------------------------------

  /** Bytes from the control connection. */
  receiveData(bytes: Uint8Array, now: number): void {
    if (this.core.closed) return;
    this.core.now = now;
    this.core.decoder.receiveData(bytes);
    this.pump();
  }

  /** The client closed the control connection. A running transfer is aborted. */
  receiveEof(now?: number): void {
    if (this.core.closed) return;
    if (now !== undefined) this.core.now = now;
    const pending = this.core.pending;
    if (pending?.kind === "transfer") this.core.emit({ type: "abort-transfer", id: pending.id });
    if (this.core.state.data?.mode === "passive") this.core.emit({ type: "close-data" });
    this.core.close("eof");
  }

  /**
   * Deadlines: delayed replies, the login, idle and line timeouts, the end of a command-rate
   * wait and the flood timeout.
   */
  handleTimeout(now: number): void {
    const core = this.core;
    if (core.closed) return;
    core.now = now;
    const o = core.options;
    if (this.partialSince !== undefined && o.lineTimeout > 0 && now >= this.partialSince + o.lineTimeout) {
      this.end(421, "Timeout: command line not completed in time, closing control connection.", "line-timeout");
      return;
    }
    if (this.floodSince !== undefined && o.floodTimeout > 0 && now >= this.floodSince + o.floodTimeout) {
      this.end(421, "Too many commands, closing control connection.", "command-flood");
      return;
    }
    const pending = core.pending;
    if (pending?.kind === "delay") {
      if (now >= pending.release) {
        core.pending = undefined;
        pending.onRelease();
      }
      this.pump();
      return;
    }
    if (core.state.login !== "logged-in") {
      if (now >= core.connectedAt + o.loginTimeout) {
        this.end(421, "Timeout: login took too long, closing control connection.", "login-timeout");
        return;
      }
    } else if (pending === undefined && now >= core.lastActivity + o.idleTimeout) {
      this.end(421, "Timeout: no activity, closing control connection.", "idle-timeout");
      return;
    }
    // The end of a command-rate wait.
    this.pump();
  }

  /**
   * Ends the session now, whatever runs: a running transfer is aborted (`abort-transfer`),
   * a passive listener closed, lines not yet run are dropped, `421 <text>` is sent and the
   * session closes (`disconnected`). For an I/O layer that must drop a client, e.g. because
   * its address was just banned (RFC 959 §4.2: 421 "may be a reply to any command if the
   * service knows it must shut down").
   */
  handleDisconnect(text: string, now?: number): void {
    if (this.core.closed) return;
    if (now !== undefined) this.core.now = now;
    this.end(421, text, "disconnected");
  }

  /**
   * The server is shutting down. Without a running request the session answers 421 and
   * closes now; otherwise a running transfer (or storage/login request) finishes first and
   * is answered, then 421 and close (RFC 959 §4.2: "421 Service not available, closing
   * control connection. This may be a reply to any command if the service knows it must
   * shut down"). Lines not yet processed are dropped. To cut a transfer short, the I/O layer
   * stops it and reports `handleTransferResult(id, { ok: false, error: "aborted" })`.
   */
  handleShutdown(now?: number): void {
    const core = this.core;
    if (core.closed) return;
    if (now !== undefined) core.now = now;
    core.shuttingDown = true;
    this.pump();
  }

  /** The answer to an `authenticate` event. */
  handleAuthResult(id: number, result: AuthResult, now?: number): void {
    const pending = this.take("auth", id, now);
    pending?.onResult(result);
    this.pump();
  }

  /** The answer to a `storage` event. */
  handleStorageResult(id: number, result: StorageResult, now?: number): void {
    const pending = this.take("storage", id, now);
    pending?.onResult(result);
    this.pump();
  }

  /** The answer to an `open-passive` event: the address to advertise, or failure. */
  handlePassiveResult(id: number, result: PassiveResult, now?: number): void {
    const pending = this.take("passive", id, now);
    pending?.onResult(result);
    this.pump();
  }

  /** The answer to a `secure-control` event: whether the TLS handshake succeeded. */
  handleSecureResult(id: number, ok: boolean, now?: number): void {
    const pending = this.take("secure", id, now);
    if (pending !== undefined && ok) {
      // Whatever arrived in plain text after AUTH (pipelined behind it, or injected by a
      // man in the middle before the handshake) is dropped: only commands read over TLS
      // count (the STARTTLS injection of pure-ftpd's CVE-2011-1575). The I/O layer stops
      // feeding the clear socket's bytes once it sees `secure-control`.
      this.queued.length = 0;
      this.core.decoder.discardBuffered();
    }
    pending?.onResult(ok);
    this.pump();
  }

  /**
   * The answer to a `clear-control` event: whether TLS on the control connection was ended
   * with the TCP connection kept. On failure the connection is gone: the session closes.
   */
  handleClearResult(id: number, ok: boolean, now?: number): void {
    const pending = this.take("clear", id, now);
    if (pending === undefined) return;
    pending.onResult(ok);
    this.pump();
  }

  /**
   * The transfer's source or target is ready (file opened, listing read): the 150 reply is
   * sent now (RFC 959 §5.4: "1yz" before the data). For STOU give the chosen `name`; for
   * RETR the `size` if known.
   */
  handleTransferStarted(id: number, info: { name?: string; size?: number } = {}, now?: number): void {
    const pending = this.core.pending;
    if (now !== undefined) this.core.now = now;
    if (pending?.kind !== "transfer" || pending.id !== id || pending.transfer.started) return;
    pending.transfer.started = true;
    this.core.reply(150, preliminaryText(pending.transfer, info));
  }

  /** The transfer ended (completed, failed or aborted). */
  handleTransferResult(id: number, result: TransferResult, now?: number): void {
    const core = this.core;
    const pending = core.pending;
    if (now !== undefined) core.now = now;
    if (pending?.kind !== "transfer" || pending.id !== id) return;
    core.pending = undefined;
    core.lastActivity = core.now;
    finishTransfer(core, pending.transfer, result);
    this.pump();
  }

  // ---- outputs --------------------------------------------------------------

  /**
   * The next action for the I/O layer, in order; `PAUSED` while the session waits for a
   * result it asked for, `NEED_DATA` while it waits for the client.
   */
  nextEvent(): ServerEvent | typeof NEED_DATA | typeof PAUSED {
    const event = this.core.takeEvent();
    if (event !== undefined) return event;
    if (this.core.closed) return NEED_DATA;
    const pending = this.core.pending;
    return pending !== undefined && pending.kind !== "transfer" && pending.kind !== "delay" ? PAUSED : NEED_DATA;
  }

  /** When `handleTimeout` should next be called (ms on the caller's clock), if ever. */
  pollTimeout(): number | undefined {
    const core = this.core;
    if (core.closed) return undefined;
    const o = core.options;
    const pending = core.pending;
    let at: number | undefined;
    const consider = (t: number | undefined) => {
      if (t !== undefined && (at === undefined || t < at)) at = t;
    };
    if (pending?.kind === "delay") consider(pending.release);
    else if (core.state.login !== "logged-in") consider(core.connectedAt + o.loginTimeout);
    else if (pending === undefined) consider(core.lastActivity + o.idleTimeout);
    // The end of a command-rate wait matters only when lines wait for it.
    if (this.throttledUntil !== undefined && this.queued.length > 0) consider(this.throttledUntil);
    if (this.partialSince !== undefined && o.lineTimeout > 0) consider(this.partialSince + o.lineTimeout);
    if (this.floodSince !== undefined && o.floodTimeout > 0) consider(this.floodSince + o.floodTimeout);
    return at;
  }

  // ---- internals ------------------------------------------------------------

  private take<K extends Pending["kind"]>(
    kind: K,
    id: number,
    now: number | undefined,
  ): Extract<Pending, { kind: K }> | undefined {
    const pending = this.core.pending;
    if (now !== undefined) this.core.now = now;
    if (pending === undefined || pending.kind !== kind || !("id" in pending) || pending.id !== id) return undefined;
    this.core.pending = undefined;
    return pending as Extract<Pending, { kind: K }>;
  }

  /** Closes the session with a 421, aborting whatever runs (timeouts, flood, disconnect). */
  private end(code: 421, text: string, reason: CloseReason): void {
    const core = this.core;
    const pending = core.pending;
    if (pending?.kind === "transfer") core.emit({ type: "abort-transfer", id: pending.id });
    core.dropDataSetup();
    this.queued.length = 0;
    core.reply(code, text);
    core.close(reason);
  }

  /** True while the session is over its command rate (no token for the next line). */
  private throttled(): boolean {
    const bucket = this.bucket;
    if (bucket === undefined) return false;
    const now = this.core.now;
    if (this.throttledUntil !== undefined && now < this.throttledUntil) return true;
    const wait = bucket.waitFor(1, now);
    this.throttledUntil = wait > 0 ? now + wait : undefined;
    return wait > 0;
  }

  /** Spends the token of a line about to run (ABOR and QUIT during a transfer may go into debt). */
  private charge(): void {
    this.bucket?.take(1, this.core.now);
  }

  /** Processes lines until one needs the I/O layer, input runs out or the queue is full. */
  private pump(): void {
    const core = this.core;
    const max = core.options.maxQueuedCommands;
    let drained = false;
    let took = false;
    while (!core.closed) {
      if (core.shuttingDown && core.pending === undefined) {
        this.queued.length = 0;
        core.dropDataSetup();
        core.reply(421, "Server shutting down, closing control connection.");
        core.close("shutdown");
        return;
      }
      if (core.pending !== undefined || this.throttled()) {
        // Busy, or over the command rate: read ahead (bounded), run only what may run now.
        if (this.queued.length >= max) break;
        const line = core.decoder.nextLine();
        if (line === NEED_DATA) {
          drained = true;
          break;
        }
        took = true;
        if (core.pending?.kind === "transfer" && line.ok && COMMANDS[line.command.verb].allowedDuringTransfer) {
          // ABOR and QUIT always get through; STAT waits its turn while over the rate.
          if (line.command.verb !== "STAT" || !this.throttled()) {
            this.charge();
            this.duringTransfer(line);
            continue;
          }
        }
        this.queued.push(line);
        continue;
      }
      const queued = this.queued.shift();
      const line = queued ?? core.decoder.nextLine();
      if (line === NEED_DATA) {
        drained = true;
        break;
      }
      if (queued === undefined) took = true;
      this.charge();
      this.dispatch(line);
    }
    if (core.closed) return;
    this.track(drained, took);
  }

  /**
   * After a pump: when a line started (its first byte) for `lineTimeout`, and whether the
   * client is pipelining over the command rate (for `floodTimeout`).
   */
  private track(drained: boolean, took: boolean): void {
    const core = this.core;
    // Only a drained decoder tells a partial line apart from complete lines not yet read;
    // a client whose complete lines fill the queue is fast, not slow. A line taken in this
    // pump ended the previous partial line: what is left began now.
    if (drained && core.decoder.hasPartialLine) this.partialSince = took ? core.now : (this.partialSince ?? core.now);
    else this.partialSince = undefined;
    const flooding = this.queued.length >= Math.min(FLOOD_BACKLOG, core.options.maxQueuedCommands) && this.throttled();
    if (flooding) this.floodSince ??= core.now;
    else this.floodSince = undefined;
  }

  /** RFC 959 §4.1.3: ABOR, STAT and QUIT while a transfer runs. */
  private duringTransfer(line: Extract<DecodedLine, { ok: true }>): void {
    const core = this.core;
    const pending = core.pending;
    if (pending?.kind !== "transfer") return;
    core.emit({ type: "command", command: line.command });
    switch (line.command.verb) {
      case "QUIT":
        // RFC 959 §4.1.1 QUIT: "If a file transfer is in progress, the connection will remain
        // open for result response and the server will then close it."
        pending.transfer.quitAfter = true;
        return;
      case "ABOR":
        HANDLERS.ABOR(core, line.command);
        return;
      default:
        HANDLERS.STAT(core, line.command as never);
    }
  }

  private dispatch(line: DecodedLine): void {
    const core = this.core;
    core.lastActivity = core.now;
    if (!line.ok) {
      core.state.renameFrom = undefined;
      core.emit({ type: "protocol-error", code: line.error.code, line: line.line.slice(0, 200) });
      if (line.error.code === "FTP_ERR_EPSV_PROTO" || line.error.code === "FTP_ERR_EPRT_PROTO") {
        // RFC 2428 §2: "522 Network protocol not supported, use (1,2)".
        core.reply(522, `Network protocol not supported, use (${core.options.family === 4 ? 1 : 2})`);
      } else {
        core.reply(line.error.replyHint, line.error.message.slice(0, 200));
      }
      return;
    }
    const command = line.command;
    core.emit({ type: "command", command });
    const verb = canonicalVerb(command.verb);
    core.verb = verb;
    const spec: CommandSpec = COMMANDS[verb];
    // RFC 959 §4.1.3 RNTO: "This command must immediately follow a RNFR command".
    if (verb !== "RNTO") core.state.renameFrom = undefined;
    if (core.options.requireTlsForControl && !core.state.secure && !spec.allowedBeforeSecure) {
      core.reply(530, "TLS required: use AUTH TLS first.");
      return;
    }
    if (spec.needsLogin && core.state.login !== "logged-in") {
      core.reply(530, "Please login with USER and PASS.");
      return;
    }
    if (spec.permission !== undefined && verb !== "STAT" && !core.state.permissions.has(spec.permission)) {
      core.reply(550, "Permission denied.");
      return;
    }
    (HANDLERS[verb as keyof typeof HANDLERS] as Handler<typeof verb>)(core, command as never);
  }
}
