/**
 * The client's request queue (STYLE S8, anti-pattern §8.6): calls made while another runs
 * wait their turn instead of failing. Tasks run one at a time, in the order they were
 * queued; a task that fails or is aborted does not affect the next one.
 */
import { abortReason, onAbort } from "../internal/abort.js";

interface Entry {
  readonly task: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  off: () => void;
}

export class TaskQueue {
  private readonly pending: Entry[] = [];
  private running = false;
  private readonly onIdle: () => void;

  /** @param onIdle - called whenever the last task finished and nothing waits. */
  constructor(onIdle: () => void = () => {}) {
    this.onIdle = onIdle;
  }

  /** Tasks waiting plus the one running. */
  get size(): number {
    return this.pending.length + (this.running ? 1 : 0);
  }

  /**
   * Queues a task. Aborting `signal` while it waits removes it and rejects with the
   * signal's reason; once it runs, the task itself must watch the signal.
   */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const entry: Entry = {
        task,
        resolve: resolve as (value: unknown) => void,
        reject,
        signal,
        off: () => {},
      };
      entry.off = onAbort(signal, () => {
        const index = this.pending.indexOf(entry);
        if (index === -1) return;
        this.pending.splice(index, 1);
        reject(abortReason(signal as AbortSignal));
      });
      this.pending.push(entry);
      this.next();
    });
  }

  private next(): void {
    if (this.running) return;
    const entry = this.pending.shift();
    if (entry === undefined) {
      this.onIdle();
      return;
    }
    entry.off();
    this.running = true;
    let promise: Promise<unknown>;
    try {
      promise = entry.task();
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(entry.resolve, entry.reject).finally(() => {
      this.running = false;
      this.next();
    });
  }
}
