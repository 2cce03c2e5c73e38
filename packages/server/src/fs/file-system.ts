import type { Readable, Writable } from "node:stream";
import type { EntryInfo, HashAlgorithm } from "@ftpkit/protocol";

/**
 * What the server serves. Every path is a *virtual* path: absolute, normalized by
 * @ftpkit/protocol (`/a/b`), never containing `..`; the root `/` is the account's root.
 * An implementation maps it onto its storage and must never reach outside that root
 * (symlinks included).
 *
 * Errors: throw {@link FileSystemError} with a {@link StorageErrorKind}, or let an errno
 * error (ENOENT, EACCES, ...) through; the server maps both to replies through one table
 * and never shows the message to the client.
 */
export interface FileSystem {
  /** Status of one entry. */
  stat(path: string): Promise<EntryInfo>;
  /** The entries of a directory (not `.` or `..`), streamed so huge directories use little memory. */
  list(path: string): AsyncIterable<EntryInfo>;
  /**
   * The names of a directory's entries, the same ones `list()` gives, without their status:
   * NLST sends names only (RFC 959 §4.1.3), so a storage that can list names cheaply (a
   * local directory: `readdir` without a `stat` per entry) implements this. Optional: without
   * it NLST reads `list()`. Errors as `list()`, on the first iteration.
   */
  listNames?(path: string): AsyncIterable<string>;
  /** A stream of the file's bytes from `start` (REST, RFC 3659 §5). */
  createReadStream(path: string, options?: { start?: number }): Promise<Readable>;
  /**
   * A place to write a file. Nothing is visible under the final name as complete until
   * `commit()` resolves (in the atomic modes); `abort()` discards per the mode.
   */
  openWrite(path: string, options: WriteOptions): Promise<WriteTarget>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  setModifiedTime(path: string, mtime: Date): Promise<void>;
  /** SITE CHMOD; absent when the storage has no permission bits. */
  chmod?(path: string, mode: number): Promise<void>;
  /** HASH (draft-bryan-ftpext-hash); absent means the server hashes the read stream itself. */
  hash?(path: string, algorithm: HashAlgorithm): Promise<{ digest: string; size: number }>;
  /**
   * Called when a session that used this file system ends (once per session). An instance
   * shared by many sessions must not release shared resources here.
   */
  close?(): Promise<void>;
  /**
   * STOU (RFC 959 §4.1.3): picks a name in `directory` that does not exist yet and reserves it
   * atomically (an exclusive create, `O_EXCL`), so two concurrent STOUs never get the same
   * name. Optional because not every storage can reserve a name atomically (S3 can, with a
   * conditional put; a plain key-value store may not): without it the server answers 502.
   *
   * In `standard` mode the bytes go straight into the reserved file; in the atomic modes into
   * a temporary file renamed over the reservation on commit. On abort, `atomic` removes the
   * reservation again (if it is still the empty file we made); `standard` and `atomic-resume`
   * keep what was written under the name, as `openWrite` does.
   *
   * @returns The virtual path chosen (for the `150 FILE: <name>` reply) and where to write.
   * @throws {FileSystemError} `not-found`/`not-directory` for a bad directory, `invalid-name`
   *   for a hint that is not a single name, `exists` when no free name was found.
   */
  createUnique?(directory: string, options: UniqueWriteOptions): Promise<{ path: string; target: WriteTarget }>;
}

/**
 * How an upload is written (as SFTPGo offers it):
 * - `standard`: in place; an interrupted upload leaves what was written.
 * - `atomic`: to a hidden temporary file in the same directory, renamed over the final
 *   name on success; on failure the old file is untouched and the temporary file removed.
 * - `atomic-resume`: like atomic, but an interrupted upload is kept under the final name
 *   so that REST/APPE can resume it.
 */
export type UploadMode = "standard" | "atomic" | "atomic-resume";

export interface WriteOptions {
  /**
   * Byte offset to start at (REST + STOR); the file is not truncated before it, nor after the
   * bytes written (vsftpd: no O_TRUNC with a REST offset). Past the end, the gap reads as zeros.
   * A non-negative safe integer; anything else is a `RangeError`.
   */
  readonly start?: number;
  /** APPE: add to the end. When `start > 0` is given too, `start` wins (as in vsftpd). */
  readonly append?: boolean;
  readonly mode: UploadMode;
}

/** Options of {@link FileSystem.createUnique}. */
export interface UniqueWriteOptions {
  readonly mode: UploadMode;
  /**
   * A name to start from (the STOU argument); the result is `hint`, else `hint.1`, `hint.2`,
   * ... (as vsftpd numbers them), else a random name. A single name, not a path.
   */
  readonly hint?: string;
}

/**
 * An upload in progress. Call order: write to `stream` (typically
 * `await pipeline(dataSocket, target.stream)`), then exactly one of `commit()` or `abort()`;
 * calling either again returns the first call's outcome.
 */
export interface WriteTarget {
  /**
   * Where the bytes go; honours back-pressure (`write()` returns false above its high-water
   * mark). It errors with a {@link FileSystemError} (e.g. `no-space`) when storage fails.
   */
  readonly stream: Writable;
  /**
   * The upload completed: make it visible under its final name. Ends `stream` if the caller
   * has not, and waits until every byte is stored. Resolves to the final size of the file.
   * When it rejects (the stream had failed or been destroyed, or the final step failed), the
   * target has already been aborted as its mode says; `abort()` afterwards is a no-op.
   */
  commit(): Promise<{ size: number }>;
  /**
   * The upload failed or was aborted: destroy `stream` (bytes not yet stored are dropped),
   * wait for a write in flight, then clean up as the mode says. Never rejects for the
   * clean-up itself (best effort, since the transfer has already failed).
   */
  abort(): Promise<void>;
}
