import type { Socket } from "node:net";
import type { Writable } from "node:stream";
import { AsciiDecoder, virtualBasename, virtualDirname } from "@ftpkit/protocol";
import type { FileSystem, UploadMode, WriteTarget } from "../fs/file-system.js";
import { FileSystemError, storageErrorKindOf } from "../fs/index.js";
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
  | { readonly ok: false; readonly side: "data" | "storage"; readonly error?: unknown; readonly bytes: number };

/**
 * Moves the data connection's bytes into `sink` until the client's EOF (RFC 959 §3.4.1:
 * in stream mode the end of the file is the closing of the data connection), with
 * back-pressure both ways. A connection that ends in an error or a reset is a lost
 * connection, not an end of file.
 */
function receive(socket: Socket, sink: Writable, decoder: AsciiDecoder | undefined, signal: AbortSignal) {
  return new Promise<Received>((resolve) => {
    let bytes = 0;
    let ended = false;
    let done = false;
    const finish = (result: Received) => {
      if (done) return;
      done = true;
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
      const data = decoder === undefined ? chunk : decoder.decode(chunk);
      if (data.length === 0) return;
      bytes += data.length;
      if (!sink.write(data) && sink.writableLength >= QUEUE_LIMIT) socket.pause();
    };
    const onDrain = () => socket.resume();
    const onEnd = () => {
      ended = true;
      if (decoder !== undefined) {
        const tail = decoder.flush();
        if (tail.length > 0) {
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
    else socket.resume();
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
  const { request, fs, signal } = ctx;
  const kind = request.kind;
  let path = request.path;
  // Without createUnique STOU cannot be done: say so (502) before any data connection.
  if (kind === "stou" && fs.createUnique === undefined) return failed(path, "not-supported");
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
    const received = await receive(socket, target.stream, decoder, signal);
    if (received.ok) {
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
    if (received.side === "storage") return failed(path, storageFailure(signal, received.error), received.bytes);
    return failed(path, "connection-lost", received.bytes);
  } finally {
    if (owned) socket.destroy();
  }
}
