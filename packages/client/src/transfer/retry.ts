/**
 * Automatic reconnect and resume: when a call's connection drops (see `isConnectionLoss`),
 * wait (exponential back-off: retryDelay, 2x, 4x ... up to maxRetryDelay), open a new
 * connection and run the attempt again; the attempt itself resumes where the last stopped.
 *
 * `retries` counts failures in a row that made no progress: an attempt that moved bytes
 * before it failed starts the count (and the back-off) afresh, so a long transfer over a
 * link that drops now and then keeps going as long as it gets anywhere. (One drop can also
 * cost two attempts: a truncated transfer is noticed before the control connection's end,
 * and the next attempt then finds the connection gone.)
 */
import { isConnectionLoss } from "../errors/retryable.js";
import { sleep, throwIfAborted } from "../internal/abort.js";
import type { ResolvedOptions } from "../options.js";
import type { Connection } from "../transport/connection.js";

export interface ConnectionSource {
  readonly options: ResolvedOptions;
  /** The live connection, or a new one (logged in, back in the last directory). */
  acquire(signal: AbortSignal | undefined): Promise<Connection>;
}

/** The back-off before retry number `retry` (0-based). */
export function retryDelay(options: ResolvedOptions, retry: number): number {
  return Math.min(options.maxRetryDelay, options.retryDelay * 2 ** retry);
}

/**
 * Runs `attempt` until it succeeds, fails with an error that a new connection would not fix,
 * is aborted, or has been retried `options.retries` times.
 * @param enabled - false runs one attempt only (sources that cannot be read twice).
 */
export async function withRetries<T>(
  source: ConnectionSource,
  signal: AbortSignal | undefined,
  enabled: boolean,
  attempt: (connection: Connection, retry: number) => Promise<T>,
  progress: () => number = () => 0,
): Promise<T> {
  const retries = enabled ? source.options.retries : 0;
  let failures = 0;
  for (let retry = 0; ; retry++) {
    throwIfAborted(signal);
    const before = progress();
    try {
      const connection = await source.acquire(signal);
      return await attempt(connection, retry);
    } catch (error) {
      if (progress() > before) failures = 0;
      if (signal?.aborted || failures >= retries || !isConnectionLoss(error)) throw error;
    }
    await sleep(retryDelay(source.options, failures), signal);
    failures++;
  }
}
