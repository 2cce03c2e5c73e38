import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { FileSystemError, type WriteTarget } from "@ftpkit/server";

/**
 * Where the bytes of one upload go: a multipart upload (or one PutObject) that becomes an
 * object only when {@link UploadSink.complete} succeeds.
 */
export interface UploadSink {
  /** Takes one chunk; resolves once the next may come (back-pressure), rejects when the upload failed. */
  write(chunk: Buffer): Promise<void>;
  /** Stores everything written so far as the object; resolves to the object's final size. */
  complete(): Promise<number>;
  /** Drops the upload: nothing is published, parts already sent are aborted. Never rejects. */
  discard(): Promise<void>;
}

/**
 * What happens to the bytes received so far when an upload fails or is aborted:
 * `keep` completes the object with them (the `standard` and `atomic-resume` modes: S3 cannot
 * show a partial object, so it is made whole from what arrived), `discard` drops them (`atomic`).
 */
export type OnFailure = "keep" | "discard";

function noop(): void {}

function closed(stream: Writable): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.once("close", () => resolve()));
}

/**
 * Wraps a sink into the server's {@link WriteTarget} contract: `stream` takes the bytes (with
 * back-pressure: a chunk's callback runs when the sink took it), `commit()` ends the stream and
 * completes the sink, `abort()` destroys the stream and then keeps or drops what was received,
 * as `onFailure` says. Whichever of commit and abort comes first decides; later calls share
 * its outcome. A broken stream (destroyed, or a sink error) fails the commit, after the same
 * clean-up as an abort.
 *
 * @param describe - Names the upload in error messages (a virtual path).
 */
export function createUploadTarget(sink: UploadSink, onFailure: OnFailure, describe: string): WriteTarget {
  let inFlight: Promise<void> = Promise.resolve();
  const stream = new Writable({
    highWaterMark: 256 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      const written = sink.write(chunk);
      inFlight = written.then(noop, noop);
      written.then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
  // A storage error must not crash a caller that writes without `pipeline`; commit() reports it.
  stream.on("error", noop);

  let settled: Promise<void> | undefined;
  /** The clean-up of a failed or aborted upload; runs once. */
  function settle(): Promise<void> {
    settled ??= (async () => {
      await inFlight;
      if (onFailure === "keep") {
        try {
          await sink.complete();
          return;
        } catch {
          // Nothing could be kept: drop the parts instead.
        }
      }
      await sink.discard();
    })();
    return settled;
  }

  async function runCommit(): Promise<{ size: number }> {
    try {
      if (stream.destroyed && !stream.writableFinished) {
        throw (
          stream.errored ?? new FileSystemError("io", `upload of ${describe}: the stream was destroyed before commit`)
        );
      }
      if (!stream.writableEnded) stream.end();
      await finished(stream);
    } catch (error) {
      stream.destroy();
      await closed(stream);
      await settle();
      throw error;
    }
    try {
      return { size: await sink.complete() };
    } catch (error) {
      await sink.discard();
      throw error;
    }
  }

  async function runAbort(): Promise<void> {
    stream.destroy();
    await closed(stream);
    await settle().catch(noop);
  }

  let outcome: { kind: "commit"; promise: Promise<{ size: number }> } | { kind: "abort"; promise: Promise<void> };
  return {
    stream,
    commit() {
      if (outcome === undefined) outcome = { kind: "commit", promise: runCommit() };
      if (outcome.kind === "commit") return outcome.promise;
      return outcome.promise.then(() => {
        throw new FileSystemError("io", `commit after abort: the upload of ${describe} was already aborted`);
      });
    },
    abort() {
      if (outcome === undefined) outcome = { kind: "abort", promise: runAbort() };
      return outcome.promise.then(noop, noop);
    },
  };
}
