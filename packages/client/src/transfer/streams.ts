/**
 * `createReadStream` / `createWriteStream`: a download or an upload seen as a Node stream.
 * The transfer waits in the client's queue like any call; back-pressure runs end to end
 * (the data socket pauses while the consumer does not read).
 */
import { PassThrough, type Readable, Writable } from "node:stream";
import type { TransferResult } from "./download.js";

const HIGH_WATER_MARK = 1024 * 1024;

/**
 * @param start - starts the download into the given Writable, with an internal abort signal
 *   that fires when the consumer destroys the stream early.
 */
export function readStreamFrom(start: (sink: PassThrough, signal: AbortSignal) => Promise<TransferResult>): Readable {
  const controller = new AbortController();
  const stream = new PassThrough({ highWaterMark: HIGH_WATER_MARK });
  let settled = false;
  stream.on("close", () => {
    if (!settled) controller.abort(new Error("the read stream was destroyed before the download finished"));
  });
  start(stream, controller.signal).then(
    () => {
      settled = true;
    },
    (error: unknown) => {
      settled = true;
      if (!stream.destroyed) stream.destroy(error as Error);
    },
  );
  return stream;
}

/**
 * @param start - starts the upload from the given Readable, with an internal abort signal
 *   that fires when the writer destroys the stream. The Writable finishes (its 'finish'
 *   event, `end()` callback) only once the server confirmed the file with its 2yz reply.
 */
export function writeStreamTo(start: (source: Readable, signal: AbortSignal) => Promise<TransferResult>): Writable {
  const controller = new AbortController();
  const source = new PassThrough({ highWaterMark: HIGH_WATER_MARK });
  let settled = false;
  let failure: unknown;
  const done = start(source, controller.signal).then(
    () => {
      settled = true;
    },
    (error: unknown) => {
      settled = true;
      failure = error;
      if (!writable.destroyed) writable.destroy(error as Error);
    },
  );
  const writable = new Writable({
    highWaterMark: HIGH_WATER_MARK,
    write(chunk: Buffer, _encoding, callback) {
      if (failure !== undefined) {
        callback(failure as Error);
        return;
      }
      if (source.write(chunk)) callback();
      else source.once("drain", () => callback());
    },
    final(callback) {
      source.end();
      done.then(() => callback(failure === undefined ? null : (failure as Error)));
    },
    destroy(error, callback) {
      if (!settled) {
        controller.abort(error ?? new Error("the write stream was destroyed before the upload finished"));
        source.destroy();
      }
      callback(error);
    },
  });
  return writable;
}
