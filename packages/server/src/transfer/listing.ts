import type { Socket } from "node:net";
import { type EntryInfo, listingLineFormatter, virtualBasename } from "@ftpkit/protocol";
import type { FileSystem } from "../fs/file-system.js";
import { storageErrorKindOf } from "../fs/index.js";
import { endAndFlush, writeWithBackpressure } from "../internal/socket-io.js";
import {
  failed,
  secureDataConnection,
  stopFailure,
  storageFailure,
  succeeded,
  type TransferContext,
  type TransferOutcome,
  watchIdle,
} from "./transfer-context.js";

/** Lines are sent in batches of about this many bytes: no giant string, few syscalls. */
const BATCH_BYTES = 256 * 1024;

/**
 * The entries of `path`: a directory's entries, or the file itself (LIST of a file shows
 * that file, as `ls -l file` does). Errors of the first read surface here, before any 150.
 *
 * The path is listed straight away, since it is nearly always a directory: every file system
 * fails a listing of a file with `not-directory` on its first iteration (the conformance
 * suite checks it), and only then is the path stat-ed. One path resolution for a directory
 * instead of a `stat` and then a listing (four thread-pool round trips fewer per LIST with
 * LocalFileSystem).
 * @internal
 */
export async function openEntries(
  fs: FileSystem,
  path: string,
): Promise<{ directory: boolean; iterator: AsyncIterator<EntryInfo>; first: IteratorResult<EntryInfo> }>;
/**
 * With `namesOnly`, a directory's entries come from `fs.listNames()` when the file system has
 * it (NLST: no status per entry), as `{ name }`.
 * @internal
 */
export async function openEntries(
  fs: FileSystem,
  path: string,
  namesOnly: true,
): Promise<{ directory: boolean; iterator: AsyncIterator<Named>; first: IteratorResult<Named> }>;
export async function openEntries(
  fs: FileSystem,
  path: string,
  namesOnly = false,
): Promise<{ directory: boolean; iterator: AsyncIterator<Named>; first: IteratorResult<Named> }> {
  const listing: AsyncIterable<Named> =
    namesOnly && fs.listNames !== undefined ? named(fs.listNames(path)) : fs.list(path);
  let iterator = listing[Symbol.asyncIterator]();
  let notDirectory: unknown;
  try {
    return { directory: true, iterator, first: await iterator.next() };
  } catch (error) {
    await iterator.return?.();
    if (storageErrorKindOf(error) !== "not-directory") throw error;
    notDirectory = error;
  }
  const info = await fs.stat(path);
  // Turned into a directory in between: the listing's answer stands.
  if (info.type === "directory") throw notDirectory;
  iterator = (async function* () {
    yield { ...info, name: info.name || virtualBasename(path) };
  })();
  try {
    return { directory: false, iterator, first: await iterator.next() };
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
}

/** What a listing line needs at least: NLST sends the name alone. */
type Named = { readonly name: string };

async function* named(names: AsyncIterable<string>): AsyncIterable<Named> {
  for await (const name of names) yield { name };
}

/**
 * LIST, NLST (RFC 959 §4.1.3) and MLSD (RFC 3659 §7): entries streamed from `fs.list()`
 * (NLST: names from `fs.listNames()` when the file system has it), formatted by the protocol package (`ls -l` lines, bare names, MLSx facts), CRLF-terminated,
 * written in batches with back-pressure. More than `maxListEntries` entries: what was sent
 * stays sent and the reply is 451 ("too-large"), so a client never takes a cut listing for
 * a whole one.
 * @internal
 */
export async function runListing(ctx: TransferContext): Promise<TransferOutcome> {
  const { request, fs, signal } = ctx;
  const path = request.path;
  let opened: { directory: boolean; iterator: AsyncIterator<Named>; first: IteratorResult<Named> };
  try {
    opened = request.kind === "nlst" ? await openEntries(fs, path, true) : await openEntries(fs, path);
  } catch (error) {
    return failed(path, storageFailure(signal, error));
  }
  const { iterator } = opened;
  try {
    // RFC 3659 §7.2.2: MLSD of a file is an error (the session answers 501).
    if (request.kind === "mlsd" && !opened.directory) return failed(path, "not-directory");
    let socket: Socket;
    try {
      socket = await ctx.openData(signal);
    } catch {
      return failed(path, stopFailure(signal) ?? "data-connection");
    }
    let owned = true;
    try {
      ctx.started({});
      const secured = await secureDataConnection(ctx, socket);
      if (!secured.ok) {
        owned = false;
        return failed(path, secured.failure);
      }
      socket = secured.socket;
      watchIdle(socket, ctx);
      // Which entries show and their lines (CRLF included) are the protocol package's;
      // only NLST may get bare names (from `listNames`), LIST and MLSD always get EntryInfo.
      const lineOf = listingLineFormatter(request, ctx.now());
      let batch = "";
      let count = 0;
      const flush = async () => {
        if (batch === "") return;
        const bytes = Buffer.from(batch, "utf8");
        batch = "";
        await writeWithBackpressure(socket, bytes, signal);
      };
      try {
        let next = opened.first;
        while (!next.done) {
          if (signal.aborted) throw signal.reason;
          const line = lineOf(next.value);
          if (line !== undefined) {
            if (++count > ctx.maxListEntries) {
              await flush();
              await endAndFlush(socket, signal);
              return failed(path, "too-large", socket.bytesWritten);
            }
            batch += line;
            if (batch.length >= BATCH_BYTES) await flush();
          }
          try {
            next = await iterator.next();
          } catch (error) {
            await flush().catch(() => {});
            return failed(path, storageFailure(signal, error), socket.bytesWritten);
          }
        }
        await flush();
        await endAndFlush(socket, signal);
        return succeeded(path, socket.bytesWritten);
      } catch {
        const stopped = stopFailure(signal);
        if (stopped !== undefined) return failed(path, stopped, socket.bytesWritten);
        return failed(path, "connection-lost", socket.bytesWritten);
      }
    } finally {
      if (owned) socket.destroy();
    }
  } finally {
    await iterator.return?.();
  }
}
