/**
 * Automatic reconnect and resume: when a call's connection drops (see `isConnectionLoss`),
 * wait (exponential back-off: retryDelay, 2x, 4x ... up to maxRetryDelay), open a new
 * connection and run the attempt again; the attempt itself resumes where the last stopped.
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
): Promise<T> {
  const retries = enabled ? source.options.retries : 0;
  for (let retry = 0; ; retry++) {
    throwIfAborted(signal);
    try {
      const connection = await source.acquire(signal);
      return await attempt(connection, retry);
    } catch (error) {
      if (signal?.aborted || retry >= retries || !isConnectionLoss(error)) throw error;
    }
    await sleep(retryDelay(source.options, retry), signal);
  }
}
