import type { Writable } from "node:stream";
import type { FileInfo } from "@ftpkit/protocol";
import type { DownloadOptions, TransferResult } from "../transfer/download.js";
import type { UploadSource } from "../transfer/sources.js";
import type { UploadOptions } from "../transfer/upload.js";

interface Signal {
  signal?: AbortSignal;
}

/**
 * What directory operations need: a `Client` (one call at a time) or a `Pool` (several at
 * once). Each method is a complete call with its own retries.
 */
export interface DirRunner {
  list(path: string, options: Signal): Promise<FileInfo[]>;
  download(remotePath: string, destination: string | Writable, options: DownloadOptions): Promise<TransferResult>;
  upload(source: UploadSource, remotePath: string, options: UploadOptions): Promise<TransferResult>;
  mkdir(path: string, options: Signal & { recursive?: boolean }): Promise<void>;
  rmdir(path: string, options: Signal & { recursive?: boolean }): Promise<void>;
  remove(path: string, options: Signal): Promise<void>;
  setLastModified(path: string, date: Date, options: Signal): Promise<void>;
  /** An absolute remote path for `path`. */
  resolvePath(path: string, options: Signal): Promise<string>;
  /**
   * A directory operation is about to run up to `parallel` transfers at once: a pool opens
   * that many connections now, all at the same time, so that their logins overlap with each
   * other and with the listing or directory creation that comes first (instead of each
   * starting with its first transfer). Returns at once; a connection that fails here is
   * opened again by its first call.
   */
  prepare?(parallel: number): void;
}

/**
 * Runs `tasks` with at most `limit` at once; the first failure stops starting new ones and
 * is thrown once the running ones settled.
 */
export async function runLimited(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < tasks.length) {
      const task = tasks[next++] as () => Promise<void>;
      try {
        await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}
