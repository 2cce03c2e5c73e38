import type { Socket } from "node:net";
import type { Writable } from "node:stream";
import { AsciiDecoder, virtualBasename, virtualDirname } from "@ftpkit/protocol";
import type { FileSystem, UploadMode, WriteTarget } from "../fs/file-system.js";
import { FileSystemError, storageErrorKindOf } from "../fs/index.js";
import type { UploadQuota } from "../quota.js";
import { ReadThrottle } from "./throttle.js";
import {
  failed,
  secureDataConnection,
  stopFailure,
  storageFailure,
  succeeded,
  type TransferContext,
  type TransferOutcome,
  watchIdle,
} from "./transfer-context.js";

/**
 * Bytes queued towards storage before the data socket is paused. Writes queued while one is
 * in flight reach the file as one `writev`; 4 MiB was the best threshold measured
 * (shared/notes/node-throughput.md, "Upload direction").
 */
const QUEUE_LIMIT = 4 * 1024 * 1024;

type Received =
  | { readonly ok: true; readonly bytes: number }
  | {
      readonly ok: false;
      readonly side: "data" | "storage" | "quota";
      readonly error?: unknown;
      readonly bytes: number;
    };

interface ReceiveOptions {
  readonly decoder: AsciiDecoder | undefined;
  readonly signal: AbortSignal;
  readonly quota: UploadQuota | undefined;
  /** Bytes per second to read at most (Account.bandwidth.upload). */
  readonly rate: number | undefined;
  readonly idleTimeout: number;
}

/**
 * Moves the data connection's bytes into `sink` until the client's EOF (RFC 959 §3.4.1:
 * in stream mode the end of the file is the closing of the data connection), with
 * back-pressure both ways. A connection that ends in an error or a reset is a lost
 * connection, not an end of file. With a quota, the bytes that still fit are written and the
 * upload ends there (`quota`); with a rate, the socket is paused between chunks.
 */
function receive(socket: Socket, sink: Writable, options: ReceiveOptions) {
  const { decoder, signal, quota } = options;
  return new Promise<Received>((resolve) => {
    let bytes = 0;
    let ended = false;
    let done = false;
    let sinkFull = false;
    const resume = () => {
      if (!done && !sinkFull && !throttle?.waiting) socket.resume();
    };
    const throttle =
      options.rate !== undefined && options.rate > 0
        ? new ReadThrottle(options.rate, socket, options.idleTimeout, resume)
        : undefined;
    const finish = (result: Received) => {
      if (done) return;
      done = true;
      throttle?.dispose();
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onSocketError);
      socket.off("close", onClose);
      sink.off("drain", onDrain);
      sink.off("finish", onFinish);
      sink.off("error", onSinkError);
      signal.removeEventListener("abort", onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      throttle?.spend(chunk.length);
      const data = decoder === undefined ? chunk : decoder.decode(chunk);
      if (data.length === 0) return;
      const allowed = quota === undefined ? data.length : quota.allow(data.length);
      if (allowed < data.length) {
        // Over the quota: what fits is written (kept or not as the upload mode says), then 552.
        if (allowed > 0) sink.write(data.subarray(0, allowed));
        bytes += allowed;
        socket.destroy();
        finish({ ok: false, side: "quota", bytes });
        return;
      }
      bytes += data.length;
      if (!sink.write(data) && sink.writableLength >= QUEUE_LIMIT) {
        sinkFull = true;
        socket.pause();
      }
    };
    const onDrain = () => {
      sinkFull = false;
      resume();
    };
    const onEnd = () => {
      ended = true;
      if (decoder !== undefined) {
        const tail = decoder.flush();
        if (tail.length > 0) {
          const allowed = quota === undefined ? tail.length : quota.allow(tail.length);
          if (allowed < tail.length) {
            if (allowed > 0) sink.write(tail.subarray(0, allowed));
            bytes += allowed;
            finish({ ok: false, side: "quota", bytes });
            return;
          }
          bytes += tail.length;
          sink.write(tail);
        }
      }
      sink.end();
    };
    const onFinish = () => finish({ ok: true, bytes });
    const onSinkError = (error: unknown) => {
      socket.destroy();
      finish({ ok: false, side: "storage", error, bytes });
    };
    const onSocketError = (error: unknown) => finish({ ok: false, side: "data", error, bytes });
    const onClose = () => {
      if (!ended) finish({ ok: false, side: "data", bytes });
    };
    const onAbort = () => {
      socket.destroy();
      finish({ ok: false, side: "data", bytes });
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onSocketError);
    socket.on("close", onClose);
    sink.on("drain", onDrain);
    sink.on("finish", onFinish);
    sink.on("error", onSinkError);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    else if (socket.destroyed && !socket.readableEnded) {
      // Closed (reset) while the target was being opened: its "close" has already been
      // emitted and will not come again; whatever it carried is lost.
      finish({ ok: false, side: "data", bytes });
    } else if (socket.readableEnded) {
      // Its clean EOF was already seen (an empty upload whose client closed at once).
      onEnd();
    } else socket.resume();
  });
}

/**
 * Resolves after `ms`, or at once when `signal` aborts. `ms` = 0 waits one turn of the event
 * loop (`setImmediate`: no timer, which Node rounds up to 1 ms and which would cost every small
 * upload a millisecond).
 */
function settle(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      else clearImmediate(immediate);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = ms > 0 ? setTimeout(done, ms) : undefined;
    const immediate = ms > 0 ? undefined : setImmediate(done);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * STOU (RFC 959 §4.1.3; RFC 1123 §4.1.2.9): a unique name reserved atomically by the file
 * system's `createUnique` (502 without it). The request names the directory (no argument, or
 * a directory) or a name to start from (`name`, else `name.1`, ... as vsftpd numbers them).
 */
async function openUnique(
  fs: FileSystem,
  requested: string,
  mode: UploadMode,
): Promise<{ path: string; target: WriteTarget }> {
  if (fs.createUnique === undefined) throw new FileSystemError("not-supported", "STOU needs createUnique");
  let directory = true;
  try {
    directory = (await fs.stat(requested)).type === "directory";
  } catch (error) {
    if (storageErrorKindOf(error) !== "not-found") throw error;
    directory = false;
  }
  if (directory) return fs.createUnique(requested, { mode });
  return fs.createUnique(virtualDirname(requested), { mode, hint: virtualBasename(requested) });
}

/**
 * STOR, APPE and STOU (RFC 959 §4.1.3), from the REST offset for STOR (RFC 3659 §5). The data
 * connection is established first and then the target opened, so that a failed connection
 * (425) never touches the file; the 150 follows (under PROT P, see `secureFirst` below). On the client's clean EOF the target is
 * committed (only then is the upload visible under its name in the atomic modes); on ABOR,
 * a lost connection, a storage error or the data timeout it is aborted as the upload mode
 * says.
 * @internal
 */
export async function runUpload(ctx: TransferContext): Promise<TransferOutcome> {
  const { request, fs } = ctx;
  const kind = request.kind;
  // Without createUnique STOU cannot be done: say so (502) before any data connection.
  if (kind === "stou" && fs.createUnique === undefined) return failed(request.path, "not-supported");
  // A full account gets 552 before anything else happens (no 150, no data connection used).
  let quota: UploadQuota | undefined;
  if (ctx.openQuota !== undefined) {
    const planned = await ctx.openQuota(kind === "stou" ? undefined : request.path);
    if (typeof planned === "string") return failed(request.path, planned);
    quota = planned;
  }
  try {
    return await upload(ctx, quota);
  } finally {
    // Whatever the mode kept is looked at and recorded (after commit or abort).
    await quota?.end();
  }
}

async function upload(ctx: TransferContext, quota: UploadQuota | undefined): Promise<TransferOutcome> {
  const { request, fs, signal } = ctx;
  const kind = request.kind;
  let path = request.path;
  let socket: Socket;
  try {
    socket = await ctx.openData(signal);
  } catch {
    return failed(path, stopFailure(signal) ?? "data-connection");
  }
  let owned = true;
  try {
    // Under PROT P the TLS handshake is part of establishing the data connection, and a
    // refused one (522) must not touch the file either: for STOR and APPE it comes before
    // the target is opened (a storage error is then answered after the 150). STOU cannot:
    // its 150 names the file, so the name is reserved first.
    const secureFirst = ctx.secureData !== undefined && kind !== "stou";
    if (secureFirst) {
      ctx.started({});
      const secured = await secureDataConnection(ctx, socket);
      if (!secured.ok) {
        owned = false;
        return failed(path, secured.failure);
      }
      socket = secured.socket;
    }
    let target: WriteTarget;
    try {
      if (signal.aborted) return failed(path, stopFailure(signal) ?? "aborted");
      if (kind === "stou") {
        ({ path, target } = await openUnique(fs, request.path, ctx.uploadMode));
        quota?.setPath(path);
      } else {
        target = await fs.openWrite(path, {
          mode: ctx.uploadMode,
          ...(kind === "appe" ? { append: true } : {}),
          ...(request.offset > 0 ? { start: request.offset } : {}),
        });
      }
    } catch (error) {
      return failed(path, storageFailure(signal, error));
    }
    if (!secureFirst) {
      ctx.started(kind === "stou" ? { name: virtualBasename(path) } : {});
      const secured = await secureDataConnection(ctx, socket);
      if (!secured.ok) {
        owned = false;
        await target.abort().catch(() => {});
        return failed(path, secured.failure);
      }
      socket = secured.socket;
    }
    watchIdle(socket, ctx);
    const decoder = request.representation === "ascii" ? new AsciiDecoder() : undefined;
    const received = await receive(socket, target.stream, {
      decoder,
      signal,
      quota,
      rate: ctx.uploadRate,
      idleTimeout: ctx.dataTimeout,
    });
    if (received.ok) {
      // In stream mode a client killed mid-file ends its data connection as a finished
      // upload does (EOF, RFC 959 §3.4.1); its control connection ends within milliseconds,
      // in either order. An atomic upload therefore waits `commitDelay` for that end before
      // it is committed: it is never made visible for a client that vanished mid-file.
      // (The other modes keep what was received under the name either way, so they commit at
      // once: no wait on the normal path of the default mode.)
      if (ctx.uploadMode === "atomic") await settle(signal, ctx.commitDelay);
      if (signal.aborted) {
        await target.abort().catch(() => {});
        return failed(path, stopFailure(signal) ?? "aborted", received.bytes);
      }
      try {
        const { size } = await target.commit();
        return succeeded(path, received.bytes, size);
      } catch (error) {
        await target.abort().catch(() => {});
        return failed(path, storageFailure(signal, error), received.bytes);
      }
    }
    await target.abort().catch(() => {});
    const stopped = stopFailure(signal);
    if (stopped !== undefined) return failed(path, stopped, received.bytes);
    if (received.side === "quota") return failed(path, "quota", received.bytes);
    if (received.side === "storage") return failed(path, storageFailure(signal, received.error), received.bytes);
    return failed(path, "connection-lost", received.bytes);
  } finally {
    if (owned) socket.destroy();
  }
}
