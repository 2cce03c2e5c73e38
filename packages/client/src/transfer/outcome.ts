import { abortReason, onAbort } from "../internal/abort.js";

/** Which of the promises a transfer waits on settled first, and how. */
export type Settled<T> =
  | { readonly kind: "done"; readonly value: T }
  | { readonly kind: "failed"; readonly error: unknown }
  | { readonly kind: "local"; readonly error: unknown }
  | { readonly kind: "aborted"; readonly error: unknown };

/**
 * Waits for the transfer's own result, a local failure (file or stream error) or an abort,
 * whichever comes first, and says which it was.
 */
export function firstSettled<T>(
  done: Promise<T>,
  local: Promise<never>,
  signal: AbortSignal | undefined,
): Promise<Settled<T>> {
  let off = () => {};
  const aborted = new Promise<Settled<T>>((resolve) => {
    off = onAbort(signal, () => resolve({ kind: "aborted", error: abortReason(signal as AbortSignal) }));
  });
  return Promise.race<Settled<T>>([
    done.then(
      (value) => ({ kind: "done", value }),
      (error: unknown) => ({ kind: "failed", error }),
    ),
    local.then(
      () => ({ kind: "local", error: new Error("unreachable") }),
      (error: unknown) => ({ kind: "local", error }),
    ),
    aborted,
  ]).finally(off);
}
