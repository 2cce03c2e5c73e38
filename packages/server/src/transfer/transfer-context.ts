import type { Socket } from "node:net";
import type { StorageErrorKind, TransferFailure, TransferRequest, TransferResult } from "@ftpkit/protocol";
import type { FileSystem, UploadMode } from "../fs/file-system.js";
import { storageErrorKindOf } from "../fs/index.js";
import type { UploadQuota } from "../quota.js";

/**
 * Why a transfer was stopped from outside: ABOR (or shutdown, or the client left), the
 * data-idle timeout, or a data connection below the minimum rate.
 */
export type StopReason = "aborted" | "timeout" | "too-slow";

/** Everything a transfer needs from its connection. @internal */
export interface TransferContext {
  readonly request: TransferRequest;
  readonly fs: FileSystem;
  readonly uploadMode: UploadMode;
  /** ms of silence allowed on the data connection (and to establish it). */
  readonly dataTimeout: number;
  readonly maxListEntries: number;
  /** Aborted with a {@link StopReason} by ABOR or the data-idle timeout. */
  readonly signal: AbortSignal;
  /** Stops the transfer (idempotent; the first reason wins). */
  stop(reason: StopReason): void;
  /** The data connection (passive accept or active connect). */
  openData(signal: AbortSignal): Promise<Socket>;
  /**
   * Under PROT P: the TLS handshake over the data connection (after the 150, as RFC 4217
   * clients such as Python's ftplib start it only then) and the session-reuse check.
   * Rejects with a {@link DataTlsError} after closing the connection itself.
   */
  readonly secureData?: ((socket: Socket, signal: AbortSignal) => Promise<Socket>) | undefined;
  /** The source or target is open and the data connection established: send the 150. */
  started(info: { name?: string; size?: number }): void;
  /** The clock, for listing dates. */
  now(): Date;
  /** RETR: bytes per second to send at most (undefined: no limit). */
  readonly downloadRate?: number | undefined;
  /** STOR/APPE/STOU: bytes per second to read at most (undefined: no limit). */
  readonly uploadRate?: number | undefined;
  /** ms an atomic upload waits after its data EOF for the control connection to end (a killed client). */
  readonly commitDelay: number;
  /** Lowest average rate of the data connection (bytes/s over `rateWindow`; 0: none). */
  readonly minRate: number;
  readonly rateWindow: number;
  /**
   * Uploads of an account with a quota: plans the upload of `path` (undefined for STOU), or
   * says why it may not start (`quota`, `io`).
   */
  readonly openQuota?: ((path: string | undefined) => Promise<UploadQuota | StorageErrorKind>) | undefined;
}

/** The data connection's TLS failed or was refused (see TransferFailure). @internal */
export class DataTlsError extends Error {
  constructor(
    readonly failure: "tls-failed" | "tls-not-resumed",
    cause?: unknown,
  ) {
    super(`data connection TLS: ${failure}`, { cause });
    this.name = "DataTlsError";
  }
}

/**
 * Protects the data connection when the transfer asks for it. On failure the socket has
 * been closed by `secureData` (a refused TLS connection is ended cleanly, never destroyed
 * under the client's feet) and must not be touched again.
 * @internal
 */
export async function secureDataConnection(
  ctx: TransferContext,
  socket: Socket,
): Promise<{ readonly ok: true; readonly socket: Socket } | { readonly ok: false; readonly failure: TransferFailure }> {
  if (ctx.secureData === undefined) return { ok: true, socket };
  try {
    return { ok: true, socket: await ctx.secureData(socket, ctx.signal) };
  } catch (error) {
    return {
      ok: false,
      failure: stopFailure(ctx.signal) ?? (error instanceof DataTlsError ? error.failure : "tls-failed"),
    };
  }
}

/** How a transfer ended, with what the embedder's events report. @internal */
export interface TransferOutcome {
  readonly result: TransferResult;
  /** The file's final virtual path (for STOU, the chosen name). */
  readonly path: string;
  readonly bytes: number;
  /** Upload: the file's size after commit. */
  readonly size?: number;
}

export function succeeded(path: string, bytes: number, size?: number): TransferOutcome {
  return { result: { ok: true, bytes }, path, bytes, ...(size === undefined ? {} : { size }) };
}

export function failed(path: string, error: StorageErrorKind | TransferFailure, bytes = 0): TransferOutcome {
  return { result: { ok: false, error, bytes }, path, bytes };
}

/** A failure caused by our own stop(), if any. */
export function stopFailure(signal: AbortSignal): TransferFailure | undefined {
  if (!signal.aborted) return undefined;
  if (signal.reason === "timeout") return "timeout";
  return signal.reason === "too-slow" ? "too-slow" : "aborted";
}

/** The failure for an error from the storage side. */
export function storageFailure(signal: AbortSignal, error: unknown): StorageErrorKind | TransferFailure {
  return stopFailure(signal) ?? storageErrorKindOf(error);
}

/**
 * Arms the data connection's watchdogs (STYLE §3: the timers follow the transfer's phase):
 * the idle timeout (`dataTimeout` of silence), and the minimum rate: every `rateWindow` the
 * bytes moved in that window are counted, and fewer than `minRate × window` stop the transfer
 * (426), so a client that drips one byte a second (or reads that slowly) cannot hold a
 * transfer for ever. One timer per transfer, released when the socket closes.
 */
export function watchIdle(socket: Socket, ctx: TransferContext): void {
  socket.setTimeout(ctx.dataTimeout, () => ctx.stop("timeout"));
  if (ctx.minRate <= 0) return;
  const moved = () => socket.bytesRead + socket.bytesWritten;
  let last = moved();
  const needed = (ctx.minRate * ctx.rateWindow) / 1000;
  const timer = setInterval(() => {
    const now = moved();
    if (now - last < needed) ctx.stop("too-slow");
    last = now;
  }, ctx.rateWindow);
  const stop = () => clearInterval(timer);
  socket.once("close", stop);
  ctx.signal.addEventListener("abort", stop, { once: true });
}
