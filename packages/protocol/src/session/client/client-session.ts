/**
 * Theory of operation (client session):
 * Rule 1: this machine is the client side of the control conversation. The I/O layer
 *         gives it bytes, data-connection ends and the time; it gives back command bytes
 *         and events that say what each reply means (RFC 959 §5.4 sequences).
 * Rule 2: one command is in flight at a time, except ABOR, STAT and QUIT, which may follow
 *         a transfer command (RFC 959 §4.1.3). `send` refuses anything else with a
 *         LocalProtocolError, so a caller cannot desynchronise the conversation.
 * Rule 3: replies are matched to commands in order. A transfer command that already has
 *         its final reply but still waits for its data end lets the next reply pass to
 *         the command after it (the ABOR that follows a finished transfer).
 * Rule 4: time is an input. Each in-flight phase has one deadline: `replyTimeout` while a
 *         reply is awaited, `dataIdleTimeout` while data flows.
 * Rule 5: once ABOR was sent for a transfer that had its 1yz, a further 1yz (other than a
 *         110 restart marker) ends that transfer as failed (outcome `transient`), and the
 *         next reply goes to the ABOR. pure-ftpd 1.0.50 answers ABOR during RETR with its
 *         transfer statistics under the last code it used, `150 1.003 seconds (measured
 *         here), ...`, then `226 Since you see this ABOR must've succeeded`: no final reply
 *         for the transfer at all, which would otherwise leave the ABOR without its reply.
 * Rule 6: a third-party transfer (RFC 959 §2.3: the data connection runs between two
 *         servers, as FXP arranges it) has no data end here: it ends on its final reply
 *         alone, and after its 1yz it waits with `dataIdleTimeout`, restarted by
 *         `handleDataActivity` (what the caller knows of its progress), not `replyTimeout`.
 *
 * Call order: `receiveData`/`receiveEof`/`handleData*`/`handleTimeout` feed input; drain
 * `nextEvent()` until NEED_DATA; `send()` returns the bytes to write; re-arm one timer
 * from `pollTimeout()`.
 */
import { parseEpsvReply, parsePasvReply } from "../../address/index.js";
import { buildCommand, type Command, canonicalVerb, encodeCommand, type Verb } from "../../command/index.js";
import { LocalProtocolError, RemoteProtocolError } from "../../errors/index.js";
import { type Reply, ReplyDecoder, replyMessage } from "../../reply/index.js";
import { NEED_DATA } from "../../sentinels.js";
import { interpretReply, isReplyAllowed, isTransferVerb, type ReplyOutcome } from "../../sequence/index.js";
import { TransferState } from "./transfer-state.js";

export interface ClientSessionOptions {
  /** Clock at construction (ms). */
  readonly now?: number;
  /** Longest wait for a reply, in ms (default 30000). */
  readonly replyTimeout?: number;
  /** Longest silence on the data connection during a transfer, in ms (default 30000). */
  readonly dataIdleTimeout?: number;
  /** Longest reply line in bytes (default 8192). */
  readonly maxReplyLineLength?: number;
}

export type ClientState = "awaiting-greeting" | "ready" | "closed";

/** Options of {@link ClientSession.send}. */
export interface ClientSendOptions {
  /**
   * A third-party transfer (Rule 6, RFC 959 §2.3): the data connection runs between two
   * servers (FXP), so there is no data end to wait for. Transfer commands only.
   */
  readonly thirdParty?: boolean;
}

/** The passive address a 227 or 229 reply offered (RFC 959 §4.1.2, RFC 2428 §3). */
export interface DataOffer {
  /** From a 227 reply; undefined for 229, which names only the port. */
  readonly host: string | undefined;
  readonly port: number;
}

export type ClientEvent =
  | { readonly type: "greeting"; readonly reply: Reply }
  | { readonly type: "preliminary"; readonly command: Command | undefined; readonly reply: Reply }
  | {
      readonly type: "reply";
      readonly command: Command;
      readonly reply: Reply;
      readonly outcome: ReplyOutcome;
      /** Set for a successful PASV/EPSV. */
      readonly offer?: DataOffer;
    }
  | { readonly type: "transfer-complete"; readonly command: Command; readonly reply: Reply }
  | { readonly type: "unexpected-reply"; readonly reply: Reply }
  | { readonly type: "closed"; readonly reply: Reply | undefined }
  | { readonly type: "timeout"; readonly command: Command | undefined; readonly phase: "reply" | "data" };

interface InFlight {
  readonly command: Command;
  readonly verb: Verb;
  readonly transfer: TransferState | undefined;
  /** The transfer's final reply, kept until the data side ends too. */
  finalReply?: Reply;
  /** ABOR was sent while this transfer was in flight (Rule 5). */
  aborted?: boolean;
  /** A third-party transfer (Rule 6). */
  thirdParty?: boolean;
}

const CONCURRENT_WITH_TRANSFER: ReadonlySet<Verb> = new Set(["ABOR", "STAT", "QUIT"]);

export class ClientSession {
  private readonly decoder: ReplyDecoder;
  private readonly replyTimeout: number;
  private readonly dataIdleTimeout: number;
  private readonly inflight: InFlight[] = [];
  private readonly events: ClientEvent[] = [];
  private stateValue: ClientState = "awaiting-greeting";
  private now: number;
  private deadline: number | undefined;
  private deadlinePhase: "reply" | "data" = "reply";
  private loggedInValue = false;

  constructor(options: ClientSessionOptions = {}) {
    this.now = options.now ?? 0;
    this.replyTimeout = options.replyTimeout ?? 30_000;
    this.dataIdleTimeout = options.dataIdleTimeout ?? 30_000;
    this.decoder = new ReplyDecoder({ maxLineLength: options.maxReplyLineLength ?? 8192 });
    this.deadline = this.now + this.replyTimeout;
  }

  // ---- getters ------------------------------------------------------------

  get state(): ClientState {
    return this.stateValue;
  }

  get loggedIn(): boolean {
    return this.loggedInValue;
  }

  /** True when `send` would accept an ordinary command now. */
  get idle(): boolean {
    return this.stateValue === "ready" && this.inflight.length === 0;
  }

  /**
   * True when bytes of an unfinished reply wait in the decoder. After the 234 reply to AUTH
   * TLS nothing may follow in the clear (RFC 4217 §4: the TLS negotiation starts right
   * after it); a caller checks this before handing the socket to TLS, to refuse a reply
   * injected by a man in the middle (the STARTTLS injection of CVE-2011-1575).
   */
  get hasBufferedInput(): boolean {
    return this.decoder.hasPartialReply;
  }

  /** The transfer command in flight, if any. */
  get currentTransfer(): Command | undefined {
    const head = this.inflight[0];
    return head?.transfer ? head.command : undefined;
  }

  // ---- inputs -------------------------------------------------------------

  /**
   * Queues a command and returns its wire bytes (UTF-8, CRLF).
   * @throws LocalProtocolError when the session is not ready, another command is in flight
   *   (other than a transfer followed by ABOR/STAT/QUIT), the argument is invalid, or
   *   `thirdParty` is asked for a command that is not a transfer.
   */
  send(
    command: Command | { verb: Verb; argument?: string | undefined },
    now?: number,
    options: ClientSendOptions = {},
  ): Uint8Array {
    if (now !== undefined) this.now = now;
    if (this.stateValue !== "ready") {
      throw new LocalProtocolError(`can't send ${command.verb}: session is ${this.stateValue}`, {
        code: "FTP_ERR_NOT_READY",
        replyHint: 503,
      });
    }
    const parsed = "value" in command ? command : buildCommand(command.verb, command.argument);
    const head = this.inflight[0];
    if (head !== undefined) {
      const concurrent =
        head.transfer !== undefined && CONCURRENT_WITH_TRANSFER.has(parsed.verb) && this.inflight.length === 1;
      if (!concurrent) {
        throw new LocalProtocolError(`can't send ${parsed.verb} while ${head.verb} awaits its reply`, {
          code: "FTP_ERR_BUSY",
          replyHint: 503,
        });
      }
    }
    const bytes = encodeCommand(parsed);
    const verb = canonicalVerb(parsed.verb);
    const transfer = isTransferVerb(verb) ? new TransferState() : undefined;
    if (options.thirdParty === true) {
      if (transfer === undefined) {
        throw new LocalProtocolError(`${parsed.verb} is not a transfer command: it cannot be a third-party transfer`, {
          code: "FTP_ERR_NOT_TRANSFER",
          replyHint: 503,
        });
      }
      // Rule 6: no data connection here, so its end is not awaited.
      transfer.dataInput("DATA_EOF");
    }
    this.inflight.push({
      command: parsed,
      verb,
      transfer,
      ...(options.thirdParty === true ? { thirdParty: true } : {}),
    });
    if (head?.transfer !== undefined && parsed.verb === "ABOR") {
      // The client gives up on the data of the transfer it aborts.
      head.aborted = true;
      head.transfer.dataInput("DATA_EOF");
      this.settleTransfer(head, undefined);
    }
    this.armReplyDeadline();
    return bytes;
  }

  /** Bytes from the control connection. */
  receiveData(bytes: Uint8Array, now?: number): void {
    if (now !== undefined) this.now = now;
    if (this.stateValue === "closed") return;
    this.decoder.receiveData(bytes);
  }

  /** The server closed the control connection. */
  receiveEof(now?: number): void {
    if (now !== undefined) this.now = now;
    if (this.stateValue === "closed") return;
    this.close(undefined);
  }

  /** The current transfer's data connection ended (download: EOF read; upload: all bytes sent). */
  handleDataEof(now?: number): void {
    if (now !== undefined) this.now = now;
    const head = this.inflight[0];
    if (head?.transfer === undefined) return;
    head.transfer.dataInput("DATA_EOF");
    this.settleTransfer(head, undefined);
  }

  /** Data moved on the current transfer's data connection (restarts the data idle timer). */
  handleDataActivity(now: number): void {
    this.now = now;
    if (this.deadlinePhase === "data") this.deadline = now + this.dataIdleTimeout;
  }

  handleTimeout(now: number): void {
    this.now = now;
    if (this.deadline === undefined || now < this.deadline || this.stateValue === "closed") return;
    const head = this.inflight[0];
    this.events.push({ type: "timeout", command: head?.command, phase: this.deadlinePhase });
    this.deadline = undefined;
  }

  // ---- outputs ------------------------------------------------------------

  /**
   * The next event, or NEED_DATA.
   * @throws RemoteProtocolError when the server sent something that is not a reply (the
   *   session is closed afterwards), or a 227/229 reply without a usable address.
   */
  nextEvent(): ClientEvent | typeof NEED_DATA {
    for (;;) {
      const queued = this.events.shift();
      if (queued !== undefined) return queued;
      if (this.stateValue === "closed") return NEED_DATA;
      let reply: Reply | typeof NEED_DATA;
      try {
        reply = this.decoder.nextReply();
      } catch (error) {
        this.stateValue = "closed";
        this.inflight.length = 0;
        this.deadline = undefined;
        throw RemoteProtocolError.isInstance(error) ? error : new RemoteProtocolError(String(error), { cause: error });
      }
      if (reply === NEED_DATA) return NEED_DATA;
      this.onReply(reply);
    }
  }

  /** When `handleTimeout` should next be called, if ever. */
  pollTimeout(): number | undefined {
    return this.stateValue === "closed" ? undefined : this.deadline;
  }

  // ---- internals ----------------------------------------------------------

  private armReplyDeadline(): void {
    this.deadlinePhase = "reply";
    this.deadline = this.now + this.replyTimeout;
  }

  private armDataDeadline(): void {
    this.deadlinePhase = "data";
    this.deadline = this.now + this.dataIdleTimeout;
  }

  private settleDeadline(): void {
    const head = this.inflight[0];
    if (head === undefined) this.deadline = undefined;
    else if (head.transfer?.control === "preliminary" && head.transfer.data === "open") this.armDataDeadline();
    // Rule 6: a running third-party transfer; once aborted, the ABOR's replies are awaited.
    else if (head.transfer?.control === "preliminary" && head.thirdParty === true && head.aborted !== true)
      this.armDataDeadline();
    else if (head.transfer?.control === "final-ok") this.armDataDeadline();
    else this.armReplyDeadline();
  }

  private close(reply: Reply | undefined): void {
    this.stateValue = "closed";
    // A transfer that has its 226 and only waits for the rest of its data may still finish.
    const finishing = this.inflight.filter((f) => f.transfer?.control === "final-ok");
    this.inflight.length = 0;
    this.inflight.push(...finishing);
    this.deadline = undefined;
    this.events.push({ type: "closed", reply });
  }

  private onReply(reply: Reply): void {
    if (this.stateValue === "awaiting-greeting") {
      // RFC 959 §5.4 connection establishment: 120 (then 220), 220, or 421.
      if (reply.code < 200) {
        this.events.push({ type: "preliminary", command: undefined, reply });
      } else if (reply.code < 300) {
        this.stateValue = "ready";
        this.deadline = undefined;
        this.events.push({ type: "greeting", reply });
      } else {
        this.close(reply);
      }
      return;
    }
    // RFC 959 §4.2 / §5.4: 421 may answer any command; the server is closing.
    if (reply.code === 421) {
      this.close(reply);
      return;
    }
    const index = this.replyTarget(reply.code);
    const target = this.inflight[index];
    if (target === undefined) {
      this.events.push({ type: "unexpected-reply", reply });
      return;
    }
    const outcome = interpretReply(target.verb, reply.code);
    if (target.transfer !== undefined) {
      this.onTransferReply(target, reply, outcome);
      return;
    }
    if (outcome === "preliminary") {
      this.events.push({ type: "preliminary", command: target.command, reply });
      return;
    }
    this.inflight.splice(index, 1);
    this.settleDeadline();
    const offer = outcome === "success" ? this.offerFrom(target.verb, reply) : undefined;
    this.events.push(
      offer === undefined
        ? { type: "reply", command: target.command, reply, outcome }
        : { type: "reply", command: target.command, reply, outcome, offer },
    );
    this.track(target, reply, outcome);
  }

  /**
   * Which in-flight command a reply answers (Rule 3). Normally the first. A transfer that
   * already has its final reply passes later replies on; so does a running transfer for a
   * reply it cannot legally get but the STAT sent after it can (211-213 during a transfer).
   */
  private replyTarget(code: number): number {
    const head = this.inflight[0];
    const next = this.inflight[1];
    if (head?.transfer === undefined || next === undefined) return 0;
    if (head.transfer.control === "final-ok") return 1;
    if (!isReplyAllowed(head.verb, code) && isReplyAllowed(next.verb, code)) return 1;
    return 0;
  }

  private onTransferReply(target: InFlight, reply: Reply, outcome: ReplyOutcome): void {
    const transfer = target.transfer as TransferState;
    if (
      outcome === "preliminary" &&
      target.aborted === true &&
      transfer.control === "preliminary" &&
      reply.code !== 110
    ) {
      // Rule 5 (pure-ftpd): a second 1yz after ABOR is the aborted transfer's last word.
      transfer.controlInput("FINAL_ERROR");
      this.settleTransfer(target, reply);
      return;
    }
    if (outcome === "preliminary") {
      transfer.controlInput("PRELIMINARY");
      this.settleDeadline();
      this.events.push({ type: "preliminary", command: target.command, reply });
      return;
    }
    transfer.controlInput(outcome === "success" ? "FINAL_OK" : "FINAL_ERROR");
    this.settleTransfer(target, reply);
  }

  /** Emits the transfer's end once the joint state says so (S5). */
  private settleTransfer(target: InFlight, reply: Reply | undefined): void {
    const transfer = target.transfer as TransferState;
    if (reply !== undefined) target.finalReply = reply;
    const joint = transfer.joint;
    if (joint === "in-progress") {
      if (this.inflight[0] === target) this.settleDeadline();
      return;
    }
    const index = this.inflight.indexOf(target);
    if (index !== -1) this.inflight.splice(index, 1);
    this.settleDeadline();
    const final = target.finalReply as Reply;
    if (joint === "complete") {
      this.events.push({ type: "transfer-complete", command: target.command, reply: final });
    } else {
      this.events.push({
        type: "reply",
        command: target.command,
        reply: final,
        // A 1yz can only end a transfer under Rule 5: an aborted transfer, a transient failure.
        outcome: final.code < 200 ? "transient" : interpretReply(target.verb, final.code),
      });
    }
  }

  private track(target: InFlight, reply: Reply, outcome: ReplyOutcome): void {
    if ((target.verb === "USER" || target.verb === "PASS" || target.verb === "ACCT") && outcome === "success") {
      this.loggedInValue = true;
    }
    if (target.verb === "REIN" && outcome === "success") this.loggedInValue = false;
    if (target.verb === "QUIT" && outcome === "success") this.close(reply);
  }

  private offerFrom(verb: Verb, reply: Reply): DataOffer | undefined {
    const text = replyMessage(reply);
    try {
      if (verb === "PASV" && reply.code === 227) {
        const hp = parsePasvReply(text);
        return { host: hp.host, port: hp.port };
      }
      if (verb === "EPSV" && reply.code === 229) return { host: undefined, port: parseEpsvReply(text) };
    } catch (error) {
      throw RemoteProtocolError.isInstance(error)
        ? error
        : new RemoteProtocolError((error as Error).message, { code: "FTP_ERR_BAD_REPLY", cause: error });
    }
    return undefined;
  }
}
