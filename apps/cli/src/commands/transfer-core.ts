/**
 * The download and upload steps shared by `get`/`put` and the shell's `get`/`put`/`mget`/`mput`.
 *
 * A download lands in `LOCAL.part` and is renamed to LOCAL only when complete, so a file
 * under its final name is never a truncated one. After a failure or Ctrl-C the `.part` file
 * stays (unless nothing arrived); resuming (`-c`) continues it with REST, or continues LOCAL
 * itself when there is no `.part` (a partial file from another program). An upload resumes
 * from the remote file's size (SIZE, then REST+STOR).
 */
import { rename, rm, stat } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { type Client, FtpError, type TransferProgress, type UploadSource } from "@ftpkit/client";
import type { RunContext } from "../context.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { ProgressBar } from "../progress.js";
import { remoteDirname } from "../url.js";
import { findEntry, remote, remoteFailure } from "./common.js";

export interface TransferOutcome {
  /** Bytes moved by this call. */
  readonly bytes: number;
  /** Where it started (a resume). */
  readonly offset: number;
  readonly seconds: number;
}

export interface CoreOptions {
  /** Resume (`-c`). */
  readonly resume?: boolean;
  readonly type?: "binary" | "ascii";
  /** The name on the progress bar. */
  readonly label: string;
  /** How the remote file is named in messages (a display URL or a path). */
  readonly what: string;
}

export async function localInfo(path: string) {
  return stat(path).catch(() => undefined);
}

/** A progress listener drawing a bar when the context allows it, and a function to erase it. */
export function progressFor(
  run: RunContext,
  label: string,
): { onProgress?: (p: TransferProgress) => void; done: () => void } {
  if (!run.progress || run.io.stderr === undefined) return { done: () => {} };
  const bar = new ProgressBar(run.io.stderr, label);
  return { onProgress: bar.update, done: () => bar.done() };
}

/** Downloads `remotePath` to the local file `local` through `local.part`. */
export async function downloadToFile(
  run: RunContext,
  client: Client,
  remotePath: string,
  local: string,
  options: CoreOptions,
): Promise<TransferOutcome> {
  const started = performance.now();
  const part = `${local}.part`;
  const type = options.type ?? "binary";
  let offset = 0;
  if (options.resume === true) {
    if (type === "ascii") throw new CliError(EXIT.usage, "cannot resume an ASCII-mode transfer");
    const partInfo = await localInfo(part);
    const localNow = await localInfo(local);
    const size = await remote(run, client, options.what, remotePath, () =>
      client.size(remotePath, { signal: run.signal }),
    );
    offset = partInfo?.size ?? localNow?.size ?? 0;
    if (offset > size) {
      throw new CliError(
        EXIT.failure,
        `cannot resume: the local file (${offset} bytes) is larger than ${options.what} (${size} bytes)`,
      );
    }
    if (partInfo === undefined && localNow !== undefined) await rename(local, part);
  }
  const progress = progressFor(run, options.label);
  let bytes: number;
  try {
    ({ bytes } = await client.download(remotePath, part, {
      offset,
      signal: run.signal,
      type,
      ...(progress.onProgress === undefined ? {} : { onProgress: progress.onProgress }),
    }));
  } catch (error) {
    progress.done();
    const kept = await localInfo(part);
    if (kept !== undefined && offset === 0 && kept.size === 0) await rm(part, { force: true });
    else if (kept !== undefined) run.note(`ftpkit: partial download kept in ${part}; resume with get -c`);
    throw await remoteFailure(run, client, error, options.what, remotePath, { file: true });
  }
  progress.done();
  await rename(part, local);
  return { bytes, offset, seconds: (performance.now() - started) / 1000 };
}

/** Uploads `source` (a local path, or a stream with `size` undefined) to `remotePath`. */
export async function uploadFile(
  run: RunContext,
  client: Client,
  source: UploadSource,
  localSize: number | undefined,
  remotePath: string,
  options: CoreOptions,
): Promise<TransferOutcome> {
  const started = performance.now();
  let offset = 0;
  if (options.resume === true) {
    offset = await client.size(remotePath, { signal: run.signal }).catch((error: unknown) => {
      if (FtpError.isInstance(error) && error.code === 550) return 0;
      throw error;
    });
    if (offset > (localSize ?? 0)) {
      throw new CliError(EXIT.failure, `cannot resume: the remote file (${offset} bytes) is larger than the local one`);
    }
    if (offset === localSize) return { bytes: 0, offset, seconds: (performance.now() - started) / 1000 };
  }
  const progress = progressFor(run, options.label);
  try {
    const { bytes } = await client.upload(source, remotePath, {
      signal: run.signal,
      type: options.type ?? "binary",
      ...(offset > 0 ? { offset } : {}),
      ...(progress.onProgress === undefined ? {} : { onProgress: progress.onProgress }),
    });
    progress.done();
    return { bytes, offset, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    progress.done();
    throw await uploadFailure(run, client, error, options.what, remotePath);
  }
}

/** An upload refused with 550/553: a missing remote directory (exit 5, "use --mkdirs") or a refusal (exit 6). */
async function uploadFailure(run: RunContext, client: Client, error: unknown, what: string, target: string) {
  if (FtpError.isInstance(error) && (error.code === 550 || error.code === 553) && !run.signal.aborted) {
    const parent = remoteDirname(target);
    if (parent !== "." && parent !== "/") {
      const entry = await findEntry(client, parent, run.signal).catch(() => undefined);
      if (entry === undefined) {
        return new CliError(EXIT.notFound, `${what}: remote directory ${parent} not found (use --mkdirs)`, {
          cause: error,
        });
      }
    }
    const failure = await remoteFailure(run, client, error, what);
    if (failure.exitCode !== EXIT.failure) return failure;
    return new CliError(
      EXIT.permission,
      `${what}: permission denied (${failure.message.replace(/^.*\((.*)\)$/, "$1")})`,
      {
        cause: error,
      },
    );
  }
  return remoteFailure(run, client, error, what);
}
