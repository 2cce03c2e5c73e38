import type { EntryInfo, HashAlgorithm, StorageRequest, StorageValue } from "@ftpkit/protocol";
import type { FileSystem } from "./fs/file-system.js";
import { createFileHash, FileSystemError } from "./fs/index.js";
import { openEntries } from "./transfer/listing.js";

/**
 * HASH (draft-bryan-ftpext-hash §3): the file system's own `hash()` when it has one, else
 * its read stream through {@link createFileHash}.
 * @internal
 */
export async function hashFile(
  fs: FileSystem,
  path: string,
  algorithm: HashAlgorithm,
): Promise<{ digest: string; size: number }> {
  if (fs.hash !== undefined) return fs.hash(path, algorithm);
  const info = await fs.stat(path);
  if (info.type === "directory") throw new FileSystemError("is-directory");
  const stream = await fs.createReadStream(path);
  const hash = createFileHash(algorithm);
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Uint8Array).length;
      hash.update(chunk as Uint8Array);
    }
    return { digest: hash.digest(), size };
  } finally {
    stream.destroy();
  }
}

/**
 * Carries out one storage request of the server session on the account's file system.
 * @returns the value the session expects for the operation.
 * @throws whatever the file system throws (the caller maps it with `storageErrorKindOf`);
 *   FileSystemError `too-large` for a STAT listing over `maxListEntries`, `not-supported`
 *   for SITE CHMOD on a file system without `chmod`.
 * @internal
 */
export async function runStorage(
  fs: FileSystem,
  request: StorageRequest,
  options: { maxListEntries: number },
): Promise<StorageValue[StorageRequest["op"]]> {
  switch (request.op) {
    case "stat":
      return fs.stat(request.path);
    case "list": {
      // STAT <path> (RFC 959 §4.1.3): the listing goes over the control connection, so it is bounded.
      const { iterator, first } = await openEntries(fs, request.path);
      const entries: EntryInfo[] = [];
      try {
        for (let next = first; !next.done; next = await iterator.next()) {
          if (/[\r\n]/.test(next.value.name)) continue;
          if (entries.length >= options.maxListEntries) throw new FileSystemError("too-large");
          entries.push(next.value);
        }
      } finally {
        await iterator.return?.();
      }
      return entries;
    }
    case "mkdir":
      await fs.mkdir(request.path);
      return undefined;
    case "rmdir":
      await fs.rmdir(request.path);
      return undefined;
    case "delete":
      await fs.unlink(request.path);
      return undefined;
    case "rename":
      await fs.rename(request.from, request.to);
      return undefined;
    case "set-mtime":
      await fs.setModifiedTime(request.path, request.mtime);
      return undefined;
    case "chmod":
      if (fs.chmod === undefined) throw new FileSystemError("not-supported");
      await fs.chmod(request.path, request.mode);
      return undefined;
    case "hash":
      return hashFile(fs, request.path, request.algorithm);
  }
}
