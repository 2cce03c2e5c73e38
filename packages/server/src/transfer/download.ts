import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AsciiEncoder, type EntryInfo } from "@ftpkit/protocol";
import { ThrottleTransform } from "./throttle.js";
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

const HIGH_WATER_MARK = 1024 * 1024;

/** TYPE A on the way out (RFC 959 §3.1.1.1): LF becomes CRLF. @internal */
export function asciiEncodeTransform(): Transform {
  const encoder = new AsciiEncoder();
  return new Transform({
    readableHighWaterMark: HIGH_WATER_MARK,
    writableHighWaterMark: HIGH_WATER_MARK,
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, encoder.encode(chunk));
    },
  });
}

/**
 * RETR (RFC 959 §4.1.3) from the REST offset (RFC 3659 §5). The file is opened first, so a
 * missing file gets 550 without a 150; then the data connection; then the bytes stream with
 * back-pressure (`pipeline`, 1 MiB chunks: see shared/notes/node-throughput.md) until the
 * last byte is handed to the socket, which is then closed: the EOF marks the end of the file
 * in stream mode (RFC 959 §3.4.1).
 * @internal
 */
export async function runDownload(ctx: TransferContext): Promise<TransferOutcome> {
  const { request, fs, signal } = ctx;
  const path = request.path;
  let info: EntryInfo;
  let source: Readable;
  try {
    info = await fs.stat(path);
    if (info.type === "directory") return failed(path, "is-directory");
    source = await fs.createReadStream(path, request.offset > 0 ? { start: request.offset } : {});
  } catch (error) {
    return failed(path, storageFailure(signal, error));
  }
  let sourceError: unknown;
  let dataSocket: Awaited<ReturnType<TransferContext["openData"]>> | undefined;
  source.on("error", (error) => {
    // An error the pipeline passed back to the source after the data connection broke is
    // the client's doing (426), not the storage's.
    if (dataSocket?.destroyed !== true) sourceError ??= error;
  });
  try {
    if (signal.aborted) return failed(path, stopFailure(signal) ?? "aborted");
    let socket: Awaited<ReturnType<TransferContext["openData"]>>;
    try {
      socket = await ctx.openData(signal);
    } catch {
      return failed(path, stopFailure(signal) ?? "data-connection");
    }
    let owned = true;
    try {
      const binary = request.representation === "binary";
      ctx.started(binary ? { size: Math.max(0, info.size - request.offset) } : {});
      const secured = await secureDataConnection(ctx, socket);
      if (!secured.ok) {
        owned = false;
        return failed(path, secured.failure);
      }
      socket = secured.socket;
      dataSocket = socket;
      watchIdle(socket, ctx);
      try {
        const stages: NodeJS.ReadWriteStream[] = [];
        if (!binary) stages.push(asciiEncodeTransform());
        // Account bandwidth (Account.bandwidth.download): bytes leave no faster than the rate.
        if (ctx.downloadRate !== undefined && ctx.downloadRate > 0)
          stages.push(new ThrottleTransform(ctx.downloadRate));
        await pipeline([source, ...stages, socket], { signal });
      } catch {
        const stopped = stopFailure(signal);
        if (stopped !== undefined) return failed(path, stopped, socket.bytesWritten);
        if (sourceError !== undefined) return failed(path, storageFailure(signal, sourceError), socket.bytesWritten);
        return failed(path, "connection-lost", socket.bytesWritten);
      }
      return succeeded(path, socket.bytesWritten);
    } finally {
      if (owned) socket.destroy();
    }
  } finally {
    source.destroy();
  }
}
