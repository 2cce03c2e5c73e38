/** `downloadDir` and `uploadDir`: a whole tree, directories first, then the files (in parallel on a pool). */
import { ensureLocalDir, localPath, walkLocal } from "./local-tree.js";
import { remotePath, walkRemote, withSignal } from "./remote-tree.js";
import { type DirRunner, runLimited } from "./runner.js";

export interface DirectoryTransferOptions {
  signal?: AbortSignal;
  /** Transfer this many files at once over as many connections (a temporary pool on a Client). */
  parallel?: number;
}

export interface DirectoryTransferResult {
  /** Files transferred, as paths relative to the tree's root. */
  readonly files: readonly string[];
  /** Directories created or already there, relative to the root. */
  readonly directories: readonly string[];
  /** Bytes moved. */
  readonly bytes: number;
  /** Entries left out: symbolic links and special files. */
  readonly skipped: readonly string[];
}

export async function downloadDir(
  runner: DirRunner,
  remoteDir: string,
  localDir: string,
  options: DirectoryTransferOptions,
): Promise<DirectoryTransferResult> {
  const signal = withSignal(options.signal);
  runner.prepare?.(options.parallel ?? 1);
  const root = await runner.resolvePath(remoteDir, signal);
  const { entries, skipped } = await walkRemote(runner, root, options.signal);
  await ensureLocalDir(localDir);
  const directories: string[] = [];
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.type !== "directory") continue;
    await ensureLocalDir(localPath(localDir, entry.path));
    directories.push(entry.path);
  }
  let bytes = 0;
  const tasks = entries
    .filter((entry) => entry.type === "file")
    .map((entry) => async () => {
      const result = await runner.download(remotePath(root, entry.path), localPath(localDir, entry.path), {
        ...signal,
        ...(entry.info.size === undefined ? {} : { size: entry.info.size }),
      });
      bytes += result.bytes;
      files.push(entry.path);
    });
  await runLimited(tasks, options.parallel ?? 1);
  return { files: files.sort(), directories, bytes, skipped };
}

export async function uploadDir(
  runner: DirRunner,
  localDir: string,
  remoteDir: string,
  options: DirectoryTransferOptions,
): Promise<DirectoryTransferResult> {
  const signal = withSignal(options.signal);
  // The local walk comes first: it tells how many connections are worth opening.
  const { entries, skipped } = await walkLocal(localDir);
  const fileCount = entries.filter((entry) => entry.type === "file").length;
  runner.prepare?.(Math.min(options.parallel ?? 1, Math.max(1, fileCount)));
  const root = await runner.resolvePath(remoteDir, signal);
  await runner.mkdir(root, { ...signal, recursive: true });
  const directories: string[] = [];
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.type !== "directory") continue;
    await runner.mkdir(remotePath(root, entry.path), { ...signal, recursive: true });
    directories.push(entry.path);
  }
  let bytes = 0;
  const tasks = entries
    .filter((entry) => entry.type === "file")
    .map((entry) => async () => {
      const result = await runner.upload(localPath(localDir, entry.path), remotePath(root, entry.path), signal);
      bytes += result.bytes;
      files.push(entry.path);
    });
  await runLimited(tasks, options.parallel ?? 1);
  return { files: files.sort(), directories, bytes, skipped };
}
