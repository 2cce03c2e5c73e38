import type { Readable } from "node:stream";
import type { EntryInfo } from "@ftpkit/protocol";
import type { FileSystem, WriteOptions } from "../fs/file-system.js";
import { storageErrorKindOf } from "../fs/storage-error-kind.js";

/**
 * Reads a stream to its end into one Buffer. For tests and small files only: it holds
 * everything in memory.
 *
 * @throws whatever the stream errors with.
 */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** The whole content of a file (or from `start`), via `createReadStream`. */
export async function readFile(fs: FileSystem, path: string, start?: number): Promise<Buffer> {
  return readAll(await fs.createReadStream(path, start === undefined ? {} : { start }));
}

/**
 * Uploads `data` through `openWrite` and commits it.
 *
 * @returns The size `commit()` reported.
 */
export async function writeFile(
  fs: FileSystem,
  path: string,
  data: string | Uint8Array,
  options: WriteOptions = { mode: "standard" },
): Promise<number> {
  const target = await fs.openWrite(path, options);
  target.stream.end(typeof data === "string" ? Buffer.from(data, "utf8") : data);
  return (await target.commit()).size;
}

/** All entries of a directory, sorted by name (back-ends need not sort). */
export async function listAll(fs: FileSystem, path: string): Promise<EntryInfo[]> {
  const entries: EntryInfo[] = [];
  for await (const entry of fs.list(path)) entries.push(entry);
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The names in a directory, sorted. */
export async function listNames(fs: FileSystem, path: string): Promise<string[]> {
  return (await listAll(fs, path)).map((entry) => entry.name);
}

/**
 * The storage error kind `promise` rejects with (via `storageErrorKindOf`), so tests can write
 * `expect(await kindOf(fs.stat("/x"))).toBe("not-found")`.
 *
 * @throws {Error} when the promise resolves: the operation was expected to fail.
 */
export async function kindOf(promise: Promise<unknown> | (() => Promise<unknown>)): Promise<string> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    return storageErrorKindOf(error);
  }
  throw new Error("expected the operation to fail, but it succeeded");
}

/** Writes one chunk and waits until the stream has taken it (its callback ran). */
export function writeChunk(stream: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(typeof data === "string" ? Buffer.from(data, "utf8") : data, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}
