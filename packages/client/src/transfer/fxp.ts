/**
 * FXP: a server-to-server transfer (RFC 959 §2.3) over two control connections. The client
 * asks one server to listen (EPSV or PASV), tells the other one that address (EPRT or PORT),
 * then sends STOR and RETR; the bytes go from one server to the other, never through here.
 *
 * Theory of operation:
 * Rule 1: the destination listens first (as lftp's default); when that order is refused
 *         (PORT/EPRT to a foreign address is what RFC 2577 §3 tells servers to refuse, a
 *         passive server may take data connections only from its client, RFC 2577 §8) the
 *         other order is tried once. Anything else (550, 553, 452, a timeout) fails at once.
 * Rule 2: EPSV when the passive server takes it (its 229 names only a port: the host is the
 *         address this client reached that server at), else PASV (its 227 address only when
 *         it is that server's address, or with `trustPasvAddress`, as for our own data
 *         connections); EPRT when the active server takes it, else PORT (IPv4 only).
 * Rule 3: the passive server's transfer command goes first, the active one's right after it
 *         without waiting for a 1yz: many servers send their 1yz for a passive transfer only
 *         once the data connection came, which needs the other server's command.
 * Rule 4: both transfers are third-party transfers for the protocol session (they end on
 *         their final replies alone). While both run, neither times out (the servers own the
 *         data connection and its idle timeouts: a stalled one ends in 426); once one side has
 *         finished, the other must finish within its `dataIdleTimeout`.
 * Rule 5: a transfer that fails, or a signal, ends the other side's transfer with ABOR, and
 *         the call returns only once both servers answered: both conversations stay in step.
 *         A side that does not start (no 1yz) while the other one did, or finished, or within
 *         half its `replyTimeout`, never got its data connection: a server that refuses a
 *         foreign data peer may just keep waiting for the right one (RFC 2577 §8), and the
 *         other side then sees an empty file or nothing at all. It is aborted and the order
 *         counts as refused.
 * Rule 6: no timer outlives the call: the keep-alive ticker, the grace timer and the SIZE
 *         poller (a second connection to the destination, only with `onProgress`) end in
 *         `finally`.
 */
import { performance } from "node:perf_hooks";
import {
  buildCommand,
  encodeEprtArgument,
  encodeHostPort,
  isIPv4,
  isLoopback,
  isUnspecified,
  parseSizeReply,
  redactCommand,
  safeNormalizeIp,
  sameHost,
} from "@ftpkit/protocol";
import { FtpConnectionError } from "../errors/ftp-connection-error.js";
import { FtpError } from "../errors/ftp-error.js";
import { FtpFxpError, type FxpAttempt, type FxpSide } from "../errors/ftp-fxp-error.js";
import { abortReason, onAbort, sleep, throwIfAborted } from "../internal/abort.js";
import { type Connection, freshHints, openConnection } from "../transport/connection.js";
import type { TransferCall } from "../transport/control-connection.js";
import type { ProgressListener } from "./progress.js";

export interface FxpOptions {
  /** Aborts the transfer: ABOR on both servers, then the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Progress, from the destination's size: polled with SIZE over a second connection to the
   * destination (opened for this call, closed at its end) every {@link POLL_INTERVAL} ms.
   */
  onProgress?: ProgressListener;
  /** Start at this byte (resume): REST on both servers before RETR and STOR. Default 0. */
  offset?: number;
  /** Which server listens in the first order tried (default `destination`); the other order is tried when it is refused. */
  passive?: FxpSide;
}

export interface FxpResult {
  /** Bytes moved by this call: the destination's size (SIZE) minus `offset`, else the source's. */
  readonly bytes: number;
  /** The server that listened in the order that worked. */
  readonly passive: FxpSide;
  /** The commands that set up the data connection: `EPSV` or `PASV` to the passive server, `EPRT` or `PORT` to the other. */
  readonly commands: readonly ["EPSV" | "PASV", "EPRT" | "PORT"];
  /** The order refused before the one that worked, if any. */
  readonly refused: readonly FxpAttempt[];
}

/** How often the destination's size is asked for when `onProgress` is given, in ms. */
export const POLL_INTERVAL = 250;

/**
 * How long a side may go without its 1yz once the other side has finished (Rule 5), in ms;
 * like the two below, at most half its `replyTimeout`, so the ABOR comes before the session
 * gives up on it.
 */
const START_GRACE_AFTER_END = 2000;
/** ... once the other side has started (its 1yz): the data connection then exists or was refused. */
const START_GRACE_AFTER_START = 5000;

interface Side {
  readonly role: FxpSide;
  readonly connection: Connection;
  readonly verb: "RETR" | "STOR";
  readonly path: string;
}

/** A refused order: what {@link attempt} returns instead of throwing (Rule 1). */
class Refusal {
  constructor(readonly attempt: FxpAttempt) {}
}

/**
 * Copies `sourcePath` on `source`'s server to `destinationPath` on `destination`'s. Both
 * connections must be idle and belong to the caller for the whole call.
 * @throws FtpFxpError, LocalProtocolError (CR/LF/NUL in a path, before anything is sent),
 *   RangeError (a bad offset), or the signal's reason.
 */
export async function fxp(
  source: Connection,
  sourcePath: string,
  destination: Connection,
  destinationPath: string,
  options: FxpOptions = {},
): Promise<FxpResult> {
  buildCommand("RETR", sourcePath);
  buildCommand("STOR", destinationPath);
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${String(options.offset)}`);
  const { signal } = options;
  throwIfAborted(signal);
  const protectedSides = [source, destination].filter((c) => c.protection === "private");
  if (protectedSides.length > 0) {
    throw new FtpFxpError(
      "FTP_ERR_FXP_TLS",
      `FXP between FTPS servers with protected data connections (PROT P) needs SSCN or CPSV, which ftpkit does not speak: connect ${protectedSides.length === 2 ? "both clients" : `the ${protectedSides[0] === source ? "source" : "destination"} client`} with dataProtection: "clear" (PROT C: the control connections stay encrypted, the file is not)`,
      { side: protectedSides.length === 2 ? undefined : protectedSides[0] === source ? "source" : "destination" },
    );
  }
  const src: Side = { role: "source", connection: source, verb: "RETR", path: sourcePath };
  const dst: Side = { role: "destination", connection: destination, verb: "STOR", path: destinationPath };
  const refused: FxpAttempt[] = [];
  const ctx: Context = { signal, refused };
  await onSide(src, ctx, () => source.setType("I", signal));
  await onSide(dst, ctx, () => destination.setType("I", signal));
  const total = await sourceSize(src, ctx);
  if (total !== undefined && offset > total) {
    throw new RangeError(`offset ${offset} is past the end of ${sourcePath} (${total} bytes)`);
  }
  const poller =
    options.onProgress === undefined ? undefined : new SizePoller(dst, total, offset, options.onProgress, signal);
  try {
    const orders: readonly FxpSide[] =
      options.passive === "source" ? ["source", "destination"] : ["destination", "source"];
    for (const passiveRole of orders) {
      const [passive, active] = passiveRole === "source" ? [src, dst] : [dst, src];
      const outcome = await attempt(passive, active, offset, ctx);
      if (outcome instanceof Refusal) {
        refused.push(outcome.attempt);
        continue;
      }
      const after = await destinationSize(dst, signal);
      if (after !== undefined && total !== undefined && after < total) {
        throw new FtpFxpError(
          "FTP_ERR_FXP_FAILED",
          `${destinationPath}: the destination has ${after} bytes after the transfer, the source ${total}`,
          {
            side: "destination",
            command: `STOR ${destinationPath}`,
            attempts: refused,
            cause: new FtpConnectionError("FTP_ERR_PARTIAL_TRANSFER", `short file: ${after} of ${total} bytes`, {
              command: `STOR ${destinationPath}`,
            }),
          },
        );
      }
      const end = after ?? total ?? offset;
      poller?.finish(end);
      return {
        bytes: Math.max(0, end - offset),
        passive: passiveRole,
        commands: outcome.commands,
        refused: [...refused],
      };
    }
    const last = refused[refused.length - 1] as FxpAttempt;
    throw new FtpFxpError(
      "FTP_ERR_FXP_REFUSED",
      `FXP refused: ${refused.map((a) => `${a.passive} passive: ${a.message}`).join("; ")}`,
      { side: last.side, command: last.command, attempts: refused, cause: last.error },
    );
  } finally {
    await poller?.stop();
  }
}

/** What every step of one call shares. */
interface Context {
  readonly signal: AbortSignal | undefined;
  /** The orders refused so far (the same array ends up in every error's `attempts`). */
  readonly refused: FxpAttempt[];
}

/** Runs a command exchange on one side; a failure becomes FTP_ERR_FXP_FAILED naming the side. */
async function onSide<T>(side: Side, ctx: Context, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    throw failedOn(side, error, ctx);
  }
}

/** The error to throw for `error` on `side`: the signal's reason when aborted, else FTP_ERR_FXP_FAILED. */
function failedOn(side: Side, error: unknown, ctx: Context): unknown {
  if (ctx.signal?.aborted) return abortReason(ctx.signal);
  if (FtpFxpError.isInstance(error)) return error;
  const command = (error as { command?: unknown } | undefined)?.command;
  return new FtpFxpError("FTP_ERR_FXP_FAILED", `the ${side.role} server: ${(error as Error).message}`, {
    side: side.role,
    command: typeof command === "string" ? command : undefined,
    attempts: ctx.refused,
    cause: error,
  });
}

/**
 * SIZE of the source (TYPE I is set): the total for progress and the completeness check. A
 * 550 fails here, before the destination is touched; a server without SIZE just leaves it unknown.
 */
async function sourceSize(side: Side, ctx: Context): Promise<number | undefined> {
  const result = await onSide(side, ctx, () => side.connection.control.request("SIZE", side.path, ctx.signal));
  if (result.outcome === "success") return parsedSize(result.reply);
  if (result.reply.code === 550) throw failedOn(side, new FtpError(result.reply, redactCommand(result.command)), ctx);
  return undefined;
}

/** SIZE of the destination after the transfer, or undefined when it cannot tell (the transfer itself succeeded). */
async function destinationSize(side: Side, signal: AbortSignal | undefined): Promise<number | undefined> {
  try {
    const result = await side.connection.control.request("SIZE", side.path, signal);
    return result.outcome === "success" ? parsedSize(result.reply) : undefined;
  } catch {
    if (signal?.aborted) throw abortReason(signal);
    return undefined;
  }
}

function parsedSize(reply: Parameters<typeof parseSizeReply>[0]): number | undefined {
  try {
    return parseSizeReply(reply);
  } catch {
    return undefined;
  }
}

/** The data connection's address from the passive side (Rule 2). */
interface Offer {
  readonly host: string;
  readonly port: number;
  readonly verb: "EPSV" | "PASV";
}

/** The address this client reached the server at, normalised (`::ffff:` mapping and zone ids handled). */
function serverAddress(connection: Connection): string {
  const raw = connection.control.remoteAddress;
  const normalized = safeNormalizeIp(raw);
  return normalized.success ? normalized.value : raw;
}

/**
 * EPSV, or PASV when the server refuses EPSV (remembered, as for the client's own passive mode).
 * @throws FtpError for a refusal; FtpConnectionError `FTP_ERR_BAD_PASSIVE_REPLY`.
 */
async function passiveOffer(side: Side, signal: AbortSignal | undefined): Promise<Offer> {
  const connection = side.connection;
  const peer = serverAddress(connection);
  if (connection.hints.epsv) {
    try {
      const result = await connection.control.request("EPSV", undefined, signal);
      if (result.outcome === "success" && result.offer !== undefined) {
        return { host: peer, port: result.offer.port, verb: "EPSV" };
      }
      if (result.outcome !== "permanent") throw new FtpError(result.reply, redactCommand(result.command));
    } catch (error) {
      if (!(FtpConnectionError.isInstance(error) && error.code === "FTP_ERR_BAD_PASSIVE_REPLY")) throw error;
    }
    connection.hints.epsv = false;
  }
  const result = await connection.control.request("PASV", undefined, signal);
  if (result.outcome !== "success") throw new FtpError(result.reply, redactCommand(result.command));
  const offer = result.offer;
  if (offer?.host === undefined) {
    throw new FtpConnectionError("FTP_ERR_BAD_PASSIVE_REPLY", "PASV reply without an address", { command: "PASV" });
  }
  const trusted = connection.options.trustPasvAddress && !isUnspecified(offer.host);
  return { host: trusted || sameHost(offer.host, peer) ? offer.host : peer, port: offer.port, verb: "PASV" };
}

/**
 * EPRT, or PORT when the server refuses EPRT and the address is IPv4. The client's hints are
 * left alone: a 500 to EPRT here may be the bounce-attack defence, not an unknown command.
 * @throws FtpError for a refusal (PORT's, with EPRT's as its cause).
 */
async function announceTarget(side: Side, offer: Offer, signal: AbortSignal | undefined): Promise<"EPRT" | "PORT"> {
  const control = side.connection.control;
  const target = { host: offer.host, port: offer.port };
  let eprtRefusal: FtpError | undefined;
  if (side.connection.hints.eprt) {
    const result = await control.request("EPRT", encodeEprtArgument(target), signal);
    if (result.outcome === "success") return "EPRT";
    eprtRefusal = new FtpError(result.reply, redactCommand(result.command));
    if (result.outcome !== "permanent" || !isIPv4(offer.host)) throw eprtRefusal;
  }
  if (!isIPv4(offer.host)) {
    throw new FtpConnectionError(
      "FTP_ERR_DATA_CONNECTION",
      `the ${side.role} server does not take EPRT, and PORT cannot name the IPv6 address ${offer.host}`,
    );
  }
  const result = await control.request("PORT", encodeHostPort(target), signal);
  if (result.outcome === "success") return "PORT";
  throw new FtpError(
    result.reply,
    redactCommand(result.command),
    eprtRefusal === undefined ? {} : { cause: eprtRefusal },
  );
}

/** A failure that makes this order a refusal (Rule 1) rather than a failed transfer. */
function addressRefusal(passive: Side, side: Side, error: unknown): Refusal | undefined {
  const reply = FtpError.isInstance(error);
  const unusable =
    FtpConnectionError.isInstance(error) &&
    (error.code === "FTP_ERR_BAD_PASSIVE_REPLY" || error.code === "FTP_ERR_DATA_CONNECTION");
  if (!reply && !unusable) return undefined;
  const command = (error as FtpError | FtpConnectionError).command;
  const cause = reply ? (error as FtpError).cause : undefined;
  const earlier = FtpError.isInstance(cause) ? `${cause.message}, then ` : "";
  return new Refusal({
    passive: passive.role,
    side: side.role,
    reason: "address",
    command,
    code: reply ? (error as FtpError).code : undefined,
    message: `the ${side.role} server refused ${earlier}${(error as Error).message}`,
    error,
  });
}

interface Run {
  readonly side: Side;
  readonly call: TransferCall;
  /** The 1yz arrived. */
  started: boolean;
  outcome: { readonly ok: true } | { readonly ok: false; readonly error: unknown } | undefined;
  /** ABOR was sent by us, and its reply (or failure). */
  abor: Promise<unknown> | undefined;
  /** It was aborted for not starting (Rule 5). */
  neverStarted: boolean;
}

/**
 * One order: `passive` listens, `active` connects.
 * @returns the commands used, or a Refusal (Rule 1).
 * @throws FtpFxpError `FTP_ERR_FXP_FAILED`, or the signal's reason.
 */
async function attempt(
  passive: Side,
  active: Side,
  offset: number,
  ctx: Context,
): Promise<{ commands: readonly ["EPSV" | "PASV", "EPRT" | "PORT"] } | Refusal> {
  const { signal } = ctx;
  let offer: Offer;
  try {
    offer = await passiveOffer(passive, signal);
  } catch (error) {
    const refusal = signal?.aborted ? undefined : addressRefusal(passive, passive, error);
    if (refusal !== undefined) return refusal;
    throw failedOn(passive, error, ctx);
  }
  const activeAddress = serverAddress(active.connection);
  if (isLoopback(offer.host) && !isLoopback(activeAddress)) {
    return new Refusal({
      passive: passive.role,
      side: passive.role,
      reason: "address",
      command: offer.verb,
      code: undefined,
      message: `the ${passive.role} server was reached at the loopback address ${offer.host}, which the ${active.role} server (${activeAddress}) cannot connect to`,
      error: undefined,
    });
  }
  let activeVerb: "EPRT" | "PORT";
  try {
    activeVerb = await announceTarget(active, offer, signal);
  } catch (error) {
    const refusal = signal?.aborted ? undefined : addressRefusal(passive, active, error);
    if (refusal !== undefined) return refusal;
    throw failedOn(active, error, ctx);
  }
  const runs: Run[] = [];
  try {
    // Rule 3: the passive server's command first, the active one's right after it.
    for (const side of [passive, active]) {
      if (offset > 0) {
        await onSide(side, ctx, () => side.connection.expect("REST", String(offset), signal, ["intermediate"]));
      }
      const call = await onSide(side, ctx, () =>
        side.connection.control.transfer(side.verb, side.path, undefined, { thirdParty: true }),
      );
      runs.push({ side, call, started: false, outcome: undefined, abor: undefined, neverStarted: false });
    }
  } catch (error) {
    // The side already running is ended with ABOR before the error is reported.
    await supervise(runs, signal, true);
    throw error;
  }
  await supervise(runs, signal, false);
  if (runs.every((r) => r.outcome?.ok === true)) return { commands: [offer.verb, activeVerb] };
  if (signal?.aborted) throw abortReason(signal);
  const idle = runs.find((r) => r.neverStarted);
  if (idle !== undefined) {
    // Rule 5: this side never got its data connection.
    const other = runs.find((r) => r !== idle) as Run;
    const what = other.outcome?.ok === true ? `finished ${other.call.label}` : `started ${other.call.label}`;
    return new Refusal({
      passive: passive.role,
      side: idle.side.role,
      reason: "data-connection",
      command: idle.call.label,
      code: undefined,
      message: `the ${idle.side.role} server did not start ${idle.call.label}${other.started ? ` while the ${other.side.role} server ${what}` : ""}: no data connection was made between them`,
      error: idle.outcome?.ok === false ? idle.outcome.error : undefined,
    });
  }
  const failure = ended(runs)[0] as Run & { outcome: { ok: false; error: unknown } };
  const error = failure.outcome.error;
  const label = failure.call.label;
  if (FtpError.isInstance(error) && (error.code === 425 || error.code === 426)) {
    return new Refusal({
      passive: passive.role,
      side: failure.side.role,
      reason: "data-connection",
      command: label,
      code: error.code,
      message: `the data connection between the servers was not made (the ${failure.side.role} server: ${error.message})`,
      error,
    });
  }
  throw failedOn(failure.side, error, { signal: undefined, refused: ctx.refused });
}

/** The runs in the order their transfers ended. */
const endOrder = new WeakMap<Run, number>();
let endCounter = 0;

function ended(runs: readonly Run[]): Run[] {
  return runs
    .filter((r) => r.outcome !== undefined && r.outcome.ok === false)
    .sort((a, b) => (endOrder.get(a) ?? 0) - (endOrder.get(b) ?? 0));
}

/**
 * Waits until every run ended (Rules 4 and 5): keeps both alive while both run, aborts the
 * other side when one fails, on the signal, when `abortAll`, and a side that does not start
 * in time. Resolves once every ABOR was answered.
 */
async function supervise(runs: Run[], signal: AbortSignal | undefined, abortAll: boolean): Promise<void> {
  if (runs.length === 0) return;
  let dirty = false;
  let wake = () => {};
  const notify = () => {
    dirty = true;
    wake();
  };
  const sentAt = performance.now();
  /** When a side first started (1yz), and first ended. */
  let firstStart: number | undefined;
  let firstEnd: number | undefined;
  for (const run of runs) {
    run.call.preliminary.then(
      () => {
        run.started = true;
        firstStart ??= performance.now();
        notify();
      },
      () => {},
    );
    run.call.done.then(
      () => {
        run.outcome = { ok: true };
        firstEnd ??= performance.now();
        endOrder.set(run, endCounter++);
        notify();
      },
      (error: unknown) => {
        run.outcome = { ok: false, error };
        firstEnd ??= performance.now();
        endOrder.set(run, endCounter++);
        notify();
      },
    );
  }
  /** Rule 5: when a side that has not started is given up. */
  const startDeadline = (run: Run): number => {
    const half = run.side.connection.options.replyTimeout / 2;
    let deadline = sentAt + half;
    if (firstEnd !== undefined) deadline = Math.min(deadline, firstEnd + Math.min(START_GRACE_AFTER_END, half));
    if (firstStart !== undefined) deadline = Math.min(deadline, firstStart + Math.min(START_GRACE_AFTER_START, half));
    return deadline;
  };
  const idle = Math.min(...runs.map((r) => r.side.connection.options.dataIdleTimeout));
  const ticker = setInterval(
    () => {
      // Rule 4: while both run, the servers' own timeouts apply; afterwards the session's.
      if (runs.some((r) => r.outcome !== undefined)) return;
      for (const run of runs) run.side.connection.control.dataActivity();
    },
    Math.max(50, Math.floor(idle / 3)),
  );
  ticker.unref();
  let startTimer: NodeJS.Timeout | undefined;
  const off = onAbort(signal, notify);
  const abort = (run: Run) => {
    if (run.abor !== undefined || run.outcome !== undefined) return;
    run.abor = run.side.connection.control.abortTransfer() ?? Promise.resolve();
    run.abor.catch(() => {});
  };
  try {
    for (;;) {
      const running = runs.filter((r) => r.outcome === undefined);
      if (running.length === 0) break;
      if (abortAll || signal?.aborted === true || runs.some((r) => r.outcome?.ok === false)) {
        for (const run of running) abort(run);
      } else {
        const now = performance.now();
        let next = Number.POSITIVE_INFINITY;
        for (const run of running.filter((r) => !r.started && r.abor === undefined)) {
          const deadline = startDeadline(run);
          if (deadline <= now) {
            run.neverStarted = true;
            abort(run);
          } else {
            next = Math.min(next, deadline);
          }
        }
        clearTimeout(startTimer);
        if (next !== Number.POSITIVE_INFINITY) startTimer = setTimeout(notify, Math.ceil(next - now) + 1);
      }
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      dirty = false;
    }
    await Promise.allSettled(runs.map((r) => r.abor));
  } finally {
    off();
    clearInterval(ticker);
    clearTimeout(startTimer);
  }
}

/**
 * Progress for `onProgress`: SIZE of the destination file, over a second connection to the
 * destination's server (the first one is busy with STOR), every {@link POLL_INTERVAL} ms.
 * A server that refuses the connection or SIZE (a file not visible while it is written)
 * only costs the intermediate reports.
 */
class SizePoller {
  private readonly controller = new AbortController();
  private readonly started = performance.now();
  private readonly running: Promise<void>;
  private last: number;
  private done = false;

  constructor(
    private readonly side: Side,
    private readonly total: number | undefined,
    private readonly offset: number,
    private readonly listener: ProgressListener,
    signal: AbortSignal | undefined,
  ) {
    this.last = offset;
    const stop = this.controller.signal;
    const combined = signal === undefined ? stop : AbortSignal.any([signal, stop]);
    this.running = this.poll(combined).catch(() => {});
  }

  /** The transfer completed at `bytes` (the file's size). */
  finish(bytes: number): void {
    this.done = true;
    this.emit(bytes);
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  private async poll(signal: AbortSignal): Promise<void> {
    const { connection: main, path } = this.side;
    const connection = await openConnection(main.options, signal, main.cwd, freshHints());
    try {
      await connection.setType("I", signal);
      for (;;) {
        await sleep(POLL_INTERVAL, signal);
        const result = await connection.control.request("SIZE", path, signal);
        if (result.outcome !== "success") continue;
        const size = parsedSize(result.reply);
        if (size !== undefined && !this.done && size > this.last) this.emit(size);
      }
    } finally {
      await quitBriefly(connection);
    }
  }

  private emit(bytes: number): void {
    const at = this.total === undefined ? bytes : Math.min(bytes, this.total);
    this.last = at;
    const seconds = (performance.now() - this.started) / 1000;
    this.listener({ bytes: at, total: this.total, rate: seconds > 0 ? (at - this.offset) / seconds : 0 });
  }
}

/** QUIT, waiting at most {@link QUIT_WAIT} ms for the 221, then the connection is closed either way. */
async function quitBriefly(connection: Connection): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connection.control.quit(),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, QUIT_WAIT);
    }),
  ]);
  clearTimeout(timer);
  connection.control.destroy();
}

const QUIT_WAIT = 1000;
