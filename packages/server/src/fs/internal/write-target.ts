import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { WriteTarget } from "../file-system.js";
import { FileSystemError } from "../file-system-error.js";

/** What a back-end does once the stream has closed; see {@link createWriteTarget}. */
export interface UploadSteps {
  /** Every byte is stored and the stream closed: make the upload final. Resolves to the size. */
  commit(): Promise<number>;
  /** The upload failed: clean up as the mode says. Called at most once, after the stream closed. */
  abort(): Promise<void>;
}

function noop(): void {}

/** Resolves once `stream` has emitted `close` (every back-end's stream emits it, `emitClose`). */
function closed(stream: Writable): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.once("close", () => resolve()));
}

/**
 * Wraps a back-end's writable and its final steps into the {@link WriteTarget} contract, so
 * every back-end orders things alike: commit ends the stream, waits for `finish` and `close`
 * (so the handle is closed before a rename, which Windows needs), then runs `steps.commit`;
 * abort destroys the stream, waits for `close` (a write in flight completes first), then runs
 * `steps.abort`. Whichever is called first decides; later calls share its outcome.
 *
 * A no-op `error` listener is attached: a storage error must not crash the process when the
 * caller writes without `pipeline`. The error is not lost: `commit()` rejects with it.
 *
 * @internal
 */
export function createWriteTarget(stream: Writable, steps: UploadSteps): WriteTarget {
  stream.on("error", noop);
  let outcome: { kind: "commit"; promise: Promise<{ size: number }> } | { kind: "abort"; promise: Promise<void> };

  async function abortSteps(): Promise<void> {
    await steps.abort().catch(noop);
  }

  async function runCommit(): Promise<{ size: number }> {
    try {
      if (stream.destroyed && !stream.writableFinished) {
        throw stream.errored ?? new FileSystemError("io", "the upload stream was destroyed before commit");
      }
      if (!stream.writableEnded) stream.end();
      await finished(stream);
      await closed(stream);
    } catch (error) {
      stream.destroy();
      await closed(stream);
      await abortSteps();
      throw error;
    }
    try {
      return { size: await steps.commit() };
    } catch (error) {
      await abortSteps();
      throw error;
    }
  }

  async function runAbort(): Promise<void> {
    stream.destroy();
    await closed(stream);
    await abortSteps();
  }

  return {
    stream,
    commit() {
      if (outcome === undefined) outcome = { kind: "commit", promise: runCommit() };
      if (outcome.kind === "commit") return outcome.promise;
      return outcome.promise.then(() => {
        throw new FileSystemError("io", "commit after abort: the upload was already aborted");
      });
    },
    abort() {
      if (outcome === undefined) outcome = { kind: "abort", promise: runAbort() };
      return outcome.promise.then(noop, noop);
    },
  };
}
