/** What the URL commands share: connecting around a task, and reading a remote failure. */
import type { Client, FileInfo } from "@ftpkit/client";
import { FtpError } from "@ftpkit/client";
import { type ConnectionFlags, connect, showTranscript } from "../connect.js";
import type { RunContext } from "../context.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { explain, replyKind } from "../failure.js";
import { type FtpUrl, remoteBasename, remoteDirname } from "../url.js";

/** Closes without waiting long: after Ctrl-C the server may be slow to answer QUIT. */
export async function closeQuietly(client: Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.close().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2000);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/** Connects (printing the transcript with `-v`), runs `task`, closes. */
export async function withClient<T>(
  run: RunContext,
  url: FtpUrl,
  flags: ConnectionFlags,
  task: (client: Client) => Promise<T>,
): Promise<T> {
  const stopTranscript = run.verbose ? showTranscript(run) : () => {};
  try {
    const client = await connect(run, url, flags);
    try {
      return await task(client);
    } finally {
      await closeQuietly(client);
    }
  } finally {
    stopTranscript();
  }
}

/** The entry `name` in remote directory `dir`, or undefined (also when the listing fails). */
export async function findEntry(client: Client, path: string, signal: AbortSignal): Promise<FileInfo | undefined> {
  const name = remoteBasename(path);
  if (name === "") return { name: path, type: "directory", raw: "" };
  try {
    const entries = await client.list(remoteDirname(path), { signal });
    return entries.find((e) => e.name === name);
  } catch {
    return undefined;
  }
}

/**
 * The CliError for a failed remote call on `path` (shown as `what`). A 550 whose text does
 * not say why is settled by looking for the path in its parent's listing: absent means
 * "not found" (exit 5), present means the server refused it (exit 6).
 */
export async function remoteFailure(
  run: RunContext,
  client: Client,
  error: unknown,
  what: string,
  path?: string,
  options: { file?: boolean } = {},
): Promise<CliError> {
  if (run.signal.aborted && run.signal.reason instanceof CliError) return run.signal.reason;
  if (error instanceof CliError) return error;
  let kind: "missing" | "permission" | undefined;
  if (path !== undefined && FtpError.isInstance(error) && (error.code === 550 || error.code === 450)) {
    kind = replyKind(error);
    if (kind === undefined) {
      const entry = await findEntry(client, path, run.signal).catch(() => undefined);
      kind = entry === undefined ? "missing" : "permission";
      // A file was asked for and the path is a directory (RETR of a directory: "550 Is a directory.").
      if (options.file === true && entry?.type === "directory") {
        return new CliError(EXIT.usage, `${what} is a directory (use ftpkit mirror URL LOCALDIR)`, { cause: error });
      }
    }
  }
  const explained = explain(error, what, kind);
  return new CliError(explained.exitCode, explained.message, { cause: error });
}

/** Runs a remote call, turning its failure into a {@link remoteFailure}. */
export async function remote<T>(
  run: RunContext,
  client: Client,
  what: string,
  path: string | undefined,
  call: () => Promise<T>,
  options: { file?: boolean } = {},
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw await remoteFailure(run, client, error, what, path, options);
  }
}

/** Adds a `--help` example block. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}`;
}
