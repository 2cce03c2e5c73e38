import { randomBytes } from "node:crypto";
import type { Dirent, Stats } from "node:fs";
import { constants } from "node:fs";
import {
  copyFile,
  type FileHandle,
  lstat,
  mkdir,
  open,
  opendir,
  chmod as pathChmod,
  utimes as pathUtimes,
  readlink,
  realpath,
  rename,
  rmdir,
  stat,
  unlink,
} from "node:fs/promises";
import * as nodePath from "node:path";
import type { Readable } from "node:stream";
import { type EntryInfo, type HashAlgorithm, isWindowsSafeSegment } from "@ftpkit/protocol";
import { createFileHash } from "./file-hash.js";
import type { FileSystem, UniqueWriteOptions, WriteOptions, WriteTarget } from "./file-system.js";
import { FileSystemError } from "./file-system-error.js";
import { FileHandleWriter } from "./internal/file-handle-writer.js";
import { checkOffset, segmentsOf } from "./internal/paths.js";
import { uniqueNameCandidates } from "./internal/unique-names.js";
import { createWriteTarget } from "./internal/write-target.js";
import { storageErrorKindOf } from "./storage-error-kind.js";

/** Options of {@link LocalFileSystem}. */
export interface LocalFileSystemOptions {
  /**
   * Symlinks inside the root:
   * - `inside-root` (default): followed when their real path stays inside the root (as
   *   vsftpd's chroot does, but checked by us rather than by the kernel); one that leads out, or
   *   dangles, is listed but cannot be entered, read, written, chmod-ed or touched.
   * - `never`: no symlink is followed, anywhere in a path; they are still listed.
   */
  readonly followSymlinks?: "inside-root" | "never";
  /**
   * Prefix of the temporary file of an atomic upload, `<prefix><name>.ftpkit-<16 hex>.part`
   * in the target's directory. Default `.` (hidden from `ls`). Such names are left out of
   * listings whatever the prefix.
   */
  readonly tempPrefix?: string;
  /**
   * Bits SITE CHMOD may set. Default `0o777`: setuid, setgid and sticky are dropped, so an FTP
   * account cannot plant a setuid file (the server usually runs with more rights than the
   * account's owner should have). Use `0o7777` to allow them.
   */
  readonly chmodMask?: number;
}

/** Read streams: 1 MiB reads (notes/node-throughput.md: 1.3–1.45 GB/s, twice the 64 KiB default). */
const READ_HIGH_WATER_MARK = 1024 * 1024;
/** Entries lstat-ed at once while listing: enough to hide latency, few enough to be polite. */
const LIST_CONCURRENCY = 16;
/** Names Linux and macOS allow in one path segment, in bytes. */
const NAME_MAX = 255;
const TEMP_MARK = /\.ftpkit-[0-9a-f]{16}\.part$/;

/** Absent on Windows: there the final-component check falls back to lstat + realpath alone. */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** Opening a FIFO must not block a libuv thread until a peer shows up; a no-op for files. */
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Whether `/proc/self/fd` can tell what an open descriptor really is (Linux); learnt once. */
let procFdWorks: boolean | undefined = process.platform === "linux" ? undefined : false;

/**
 * Serves a directory of the host ("the root") as a {@link FileSystem}.
 *
 * **Path mapping.** A virtual path's segments (`splitVirtualPath`: never `.`, `..`, empty, or
 * holding `/`, `\` or NUL) are joined under the root's real path with node:path. On Windows each
 * segment must also pass `isWindowsSafeSegment` (no `CON`, `a:b`, trailing dot), else
 * `invalid-name`.
 *
 * **The jail.** Joining alone cannot climb out, but a symlink inside the root can point
 * anywhere. So every operation first resolves the real path (`realpath`) of the directory it
 * works in, and refuses with `permission` anything whose real path is not the root or below it.
 * Then:
 * - operations on an entry itself (`mkdir`, `rmdir`, `unlink`, `rename`, and listing entries via
 *   `lstat`) act on `<real parent>/<name>` and never follow the last component: unlinking or
 *   renaming a symlink acts on the link, not on what it points to;
 * - operations through an entry (`stat`, `list`, reading, writing, `hash`, `chmod`,
 *   `setModifiedTime`) follow a final symlink only when its real path is inside the root
 *   (`followSymlinks: "inside-root"`), then open the real path with `O_NOFOLLOW`, so a symlink
 *   swapped in after the check makes the open fail (ELOOP) instead of escaping; on Linux the
 *   opened descriptor is checked once more through `/proc/self/fd`, which names the file
 *   actually opened, whatever happened to the path in between.
 *
 * Remaining races (TOCTOU), documented rather than hidden: between the `realpath` of a parent and
 * a path-based call (mkdir, rmdir, unlink, rename), someone with write access to the host
 * directory could replace a parent directory with a symlink. FTP clients cannot create symlinks,
 * so this needs a local user or another service writing into the root; closing it fully needs
 * `openat`/`renameat` relative to directory descriptors, which Node does not expose. Hard links
 * cannot be told from ordinary files: keep the root on a file system where the account cannot
 * hard-link others' files (Linux `fs.protected_hardlinks`).
 *
 * **Listings** stream through `fs.opendir` with `lstat` on 16 entries at a time, so a directory
 * of 100,000 entries never sits in memory. Symlinks are listed as `symlink`, with `target` set to
 * the virtual path they resolve to when that is inside the root, and no target otherwise: the
 * host path of an outside target is never shown. Temporary files of atomic uploads are left out.
 * `stat` follows a symlink (as POSIX stat does) and reports what it points to.
 *
 * **Owners** are not reported (`owner`/`group` unset): uid numbers mean nothing to the client and
 * names would need a passwd lookup; the listing shows the formatter's default.
 *
 * **Durability**: no fsync on commit. A commit is atomic (rename) but not durable across a power
 * loss: fsync of the file and its directory costs milliseconds per upload on real disks, and FTP
 * clients do not expect it (vsftpd and proftpd do not fsync either).
 */
export class LocalFileSystem implements FileSystem {
  /** The root as given, made absolute. Its real path is resolved on first use. */
  readonly root: string;
  private readonly followSymlinks: "inside-root" | "never";
  private readonly tempPrefix: string;
  private readonly chmodMask: number;
  private realRootPromise: Promise<string> | undefined;

  /**
   * @param root - The host directory to serve; it must exist when the first operation runs.
   * @throws {TypeError} for an empty root or a `tempPrefix` holding a separator.
   */
  constructor(root: string, options: LocalFileSystemOptions = {}) {
    if (root === "") throw new TypeError("root must not be empty");
    this.root = nodePath.resolve(root);
    this.followSymlinks = options.followSymlinks ?? "inside-root";
    this.tempPrefix = options.tempPrefix ?? ".";
    if (/[/\\\0]/.test(this.tempPrefix)) throw new TypeError("tempPrefix must not hold a separator or NUL");
    this.chmodMask = options.chmodMask ?? 0o777;
  }

  /**
   * Follows a final symlink that stays inside the root.
   *
   * @throws {FileSystemError} `not-found`, `not-directory`, `permission` (outside the root, or a
   *   symlink with `followSymlinks: "never"`), `invalid-name`, `name-too-long`.
   */
  stat(path: string): Promise<EntryInfo> {
    return this.run("stat", path, async () => {
      const segments = this.segments(path);
      const real = await this.throughPath(segments);
      return entryFromStats(segments.at(-1) ?? "/", await stat(real));
    });
  }

  /**
   * Streams the entries of a directory (see the class comment for symlinks and temporary files).
   *
   * @throws {FileSystemError} on the first iteration: `not-found`, `not-directory`, `permission`.
   */
  async *list(path: string): AsyncIterable<EntryInfo> {
    let directory: Awaited<ReturnType<typeof opendir>>;
    let host: string;
    try {
      host = await this.throughPath(this.segments(path));
      directory = await opendir(host, { bufferSize: 64 });
    } catch (error) {
      throw storageError(error, `list ${path}`);
    }
    try {
      let batch: Dirent[] = [];
      for (;;) {
        let dirent: Dirent | null;
        try {
          dirent = await directory.read();
        } catch (error) {
          throw storageError(error, `list ${path}`);
        }
        if (dirent !== null && !this.isTempName(dirent.name)) batch.push(dirent);
        if (batch.length >= LIST_CONCURRENCY || (dirent === null && batch.length > 0)) {
          const entries = await Promise.all(batch.map((entry) => this.describe(host, entry.name)));
          batch = [];
          for (const entry of entries) if (entry) yield entry;
        }
        if (dirent === null) return;
      }
    } finally {
      await directory.close().catch(() => {});
    }
  }

  /**
   * A stream of the file's bytes from `start` (1 MiB reads); empty at or past the end.
   *
   * @throws {FileSystemError} `not-found`, `is-directory`, `permission` (outside the root, or not
   *   a regular file: FIFOs and devices are never opened for reading).
   * @throws {RangeError} for a negative or non-integer `start`.
   */
  createReadStream(path: string, options: { start?: number } = {}): Promise<Readable> {
    return this.run("read", path, async () => {
      const start = checkOffset(options.start);
      const handle = await this.openRegular(await this.throughPath(this.segments(path)), constants.O_RDONLY);
      return handle.createReadStream({ start, highWaterMark: READ_HIGH_WATER_MARK, autoClose: true });
    });
  }

  /**
   * Opens an upload. "Resume" means `start > 0` or `append`; `start` wins over `append` (as in
   * vsftpd). A resumed file is never truncated, before or after the written range (vsftpd: no
   * O_TRUNC with a REST offset, and no ftruncate afterwards); a fresh one is truncated.
   *
   * | mode | fresh upload | resume (REST/APPE) | on commit | on abort |
   * |---|---|---|---|---|
   * | `standard` | in place, truncated at open | in place at the offset | nothing to do | the bytes written stay |
   * | `atomic` | temp file | temp file = `copyFile` of the old file, written at the offset | temp renamed over the final name | temp removed; the old file was never touched |
   * | `atomic-resume` | temp file | in place at the offset (so a broken resume keeps its bytes) | temp renamed over the final name | fresh: temp renamed over the final name (the partial upload is kept, ready for REST); resume: the bytes written stay |
   *
   * The temporary file is `<tempPrefix><name>.ftpkit-<random>.part` in the final file's real
   * directory (same file system, so the rename is atomic), created with `O_EXCL`, and given
   * the old file's permission bits. This follows SFTPGo's upload modes, except that SFTPGo
   * resumes an atomic upload by renaming the old file to the temporary name, which hides the
   * file while the upload runs and loses it if the resume fails; copying keeps it readable and
   * intact until commit, at the cost of one (reflink where the file system can) copy.
   *
   * A final name that is a symlink inside the root is written through: its real path is
   * replaced (atomic) or written (in place), and the link stays.
   *
   * @throws {FileSystemError} `not-found` (no parent), `not-directory`, `is-directory` (a
   *   directory, or the root), `permission` (outside the root, a symlink that cannot be
   *   followed, not a regular file), `invalid-name`, `name-too-long`; then from the stream or
   *   `commit()`: `no-space`, `quota`, `io`.
   * @throws {RangeError} for a bad `start`.
   */
  openWrite(path: string, options: WriteOptions): Promise<WriteTarget> {
    return this.run("write", path, () => this.openUpload(path, options));
  }

  /**
   * STOU: reserves the first free candidate name by an exclusive create (`O_CREAT | O_EXCL`),
   * then writes as {@link openWrite}. Temporary-file names are never chosen.
   *
   * @throws {FileSystemError} `not-found`, `not-directory`, `permission`, `invalid-name` (bad
   *   hint), `exists` (no free name).
   */
  createUnique(directory: string, options: UniqueWriteOptions): Promise<{ path: string; target: WriteTarget }> {
    return this.run("stou", directory, async () => {
      const segments = this.segments(directory);
      const host = await this.realDirectory(segments);
      for (const name of uniqueNameCandidates(options.hint)) {
        if (this.isTempName(name)) continue;
        this.checkSegment(name);
        const candidate = nodePath.join(host, name);
        let reservation: Stats;
        try {
          const handle = await this.openChecked(candidate, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
          reservation = await handle.stat().finally(() => handle.close());
        } catch (error) {
          if ((error as { code?: unknown }).code === "EEXIST") continue;
          throw error;
        }
        const path = `/${[...segments, name].join("/")}`;
        const target = await this.openUpload(path, { mode: options.mode });
        if (options.mode !== "atomic") return { path, target };
        return {
          path,
          target: {
            stream: target.stream,
            commit: () => target.commit(),
            abort: async () => {
              await target.abort();
              // Remove the reservation, but only if it is still the empty file we made.
              const now = await lstat(candidate).catch(() => undefined);
              if (now?.isFile() && now.size === 0 && now.ino === reservation.ino && now.dev === reservation.dev) {
                await unlink(candidate).catch(() => {});
              }
            },
          },
        };
      }
      throw new FileSystemError("exists", `no free name for STOU in ${directory}`);
    });
  }

  /** @throws {FileSystemError} `exists` (also the root), `not-found`, `not-directory`, `permission`. */
  mkdir(path: string): Promise<void> {
    return this.run("mkdir", path, async () => {
      const segments = this.segments(path);
      if (segments.length === 0) throw new FileSystemError("exists", "the root exists");
      await mkdir(await this.entryPath(segments));
    });
  }

  /**
   * Removes an empty directory (not recursive). A symlink to a directory is not a directory here.
   *
   * @throws {FileSystemError} `not-found`, `not-directory`, `not-empty`, `permission` (the root).
   */
  rmdir(path: string): Promise<void> {
    return this.run("rmdir", path, async () => {
      const segments = this.segments(path);
      if (segments.length === 0) throw new FileSystemError("permission", "cannot remove the root");
      const host = await this.entryPath(segments);
      if (!(await lstat(host)).isDirectory()) throw new FileSystemError("not-directory", `${path} is not a directory`);
      await rmdir(host);
    });
  }

  /**
   * Removes a file or a symlink (the link itself, never its target).
   *
   * @throws {FileSystemError} `not-found`, `is-directory` (also the root), `permission`.
   */
  unlink(path: string): Promise<void> {
    return this.run("delete", path, async () => {
      const segments = this.segments(path);
      if (segments.length === 0) throw new FileSystemError("is-directory", "cannot delete the root");
      const host = await this.entryPath(segments);
      // Checked here because macOS answers EPERM, not EISDIR, for unlink(2) on a directory.
      if ((await lstat(host)).isDirectory()) throw new FileSystemError("is-directory", `${path} is a directory`);
      await unlink(host);
    });
  }

  /**
   * rename(2) of the entry itself (a symlink is moved as a link): a file replaces a file, a
   * directory replaces an empty directory, renaming onto itself does nothing.
   *
   * @throws {FileSystemError} `not-found`, `permission` (the root as source or target; outside),
   *   `invalid-name` (a directory into itself), `is-directory`, `not-directory`, `not-empty`,
   *   `not-supported` (EXDEV: the target lies on another file system, e.g. a bind mount).
   */
  rename(from: string, to: string): Promise<void> {
    return this.run("rename", `${from} -> ${to}`, async () => {
      const fromSegments = this.segments(from);
      const toSegments = this.segments(to);
      if (fromSegments.length === 0 || toSegments.length === 0) {
        throw new FileSystemError("permission", "cannot rename the root");
      }
      const source = await this.entryPath(fromSegments);
      const target = await this.entryPath(toSegments);
      const sourceStats = await lstat(source);
      if (
        sourceStats.isDirectory() &&
        toSegments.length > fromSegments.length &&
        fromSegments.every((segment, i) => toSegments[i] === segment)
      ) {
        throw new FileSystemError("invalid-name", `cannot move ${from} into itself`);
      }
      await rename(source, target);
    });
  }

  /**
   * Sets the modification time, keeping the access time (utimes on a descriptor).
   *
   * @throws {FileSystemError} `not-found`, `permission`.
   * @throws {RangeError} for an invalid Date.
   */
  setModifiedTime(path: string, mtime: Date): Promise<void> {
    return this.run("mtime", path, async () => {
      if (Number.isNaN(mtime.getTime())) throw new RangeError("invalid date");
      await this.withAttributeHandle(
        await this.throughPath(this.segments(path)),
        async (handle) => handle.utimes((await handle.stat()).atime, mtime),
        async (host) => pathUtimes(host, (await lstat(host)).atime, mtime),
      );
    });
  }

  /**
   * SITE CHMOD: sets `mode & chmodMask` (default mask 0o777).
   *
   * @throws {FileSystemError} `not-found`, `permission`.
   */
  chmod(path: string, mode: number): Promise<void> {
    return this.run("chmod", path, async () => {
      const bits = mode & this.chmodMask;
      await this.withAttributeHandle(
        await this.throughPath(this.segments(path)),
        (handle) => handle.chmod(bits),
        (host) => pathChmod(host, bits),
      );
    });
  }

  /**
   * Streams the file through the hash (1 MiB reads).
   *
   * @throws {FileSystemError} `not-found`, `is-directory`, `permission`.
   */
  hash(path: string, algorithm: HashAlgorithm): Promise<{ digest: string; size: number }> {
    return this.run("hash", path, async () => {
      const handle = await this.openRegular(await this.throughPath(this.segments(path)), constants.O_RDONLY);
      const hash = createFileHash(algorithm);
      let size = 0;
      for await (const chunk of handle.createReadStream({ highWaterMark: READ_HIGH_WATER_MARK, autoClose: true })) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      return { digest: hash.digest(), size };
    });
  }

  // --- uploads ---

  private async openUpload(path: string, options: WriteOptions): Promise<WriteTarget> {
    const start = checkOffset(options.start);
    if (options.mode !== "standard" && options.mode !== "atomic" && options.mode !== "atomic-resume") {
      throw new TypeError(`unknown upload mode ${String(options.mode)}`);
    }
    const segments = this.segments(path);
    if (segments.length === 0) throw new FileSystemError("is-directory", "cannot write to the root");
    const { host: final, stats: existing } = await this.uploadTarget(segments);
    const resume = start > 0 || options.append === true;
    const position = start > 0 ? start : options.append ? (existing?.size ?? 0) : 0;

    if (options.mode === "standard" || (options.mode === "atomic-resume" && resume)) {
      const handle = await this.openRegular(final, constants.O_WRONLY | constants.O_CREAT);
      try {
        if (!resume) await handle.truncate(0);
      } catch (error) {
        await handle.close();
        throw error;
      }
      const writer = new FileHandleWriter(handle, position);
      return createWriteTarget(writer, { commit: async () => writer.finalSize, abort: async () => {} });
    }

    const directory = nodePath.dirname(final);
    const temp = nodePath.join(directory, this.tempName(nodePath.basename(final)));
    let handle: FileHandle;
    if (resume && existing) {
      // The old file stays readable and intact until commit; FICLONE makes this a reflink on
      // btrfs/XFS and falls back to a copy elsewhere. EXCL: never write through a planted link.
      await copyFile(final, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      handle = await this.openRegular(temp, constants.O_WRONLY).catch(async (error: unknown) => {
        await unlink(temp).catch(() => {});
        throw error;
      });
    } else {
      handle = await this.openChecked(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
      if (existing) await handle.chmod(existing.mode & 0o7777).catch(() => {}); // best effort: keep the old bits
    }
    const writer = new FileHandleWriter(handle, position);
    const publish = async (): Promise<void> => {
      // The directory must still be where (and what) it was when we opened: a directory swapped
      // for a symlink meanwhile would move the rename elsewhere.
      if ((await realpath(directory)) !== directory) {
        throw new FileSystemError("permission", `the directory of ${path} moved during the upload`);
      }
      await rename(temp, final);
    };
    return createWriteTarget(writer, {
      commit: async () => {
        await publish();
        return writer.finalSize;
      },
      abort: async () => {
        if (options.mode === "atomic-resume") {
          try {
            await publish();
            return;
          } catch {
            // Cannot keep the partial upload under its name: remove it rather than leak it.
          }
        }
        await unlink(temp).catch(() => {});
      },
    });
  }

  /**
   * Where an upload to `segments` lands: the real path of the final name (through a symlink
   * that stays inside the root), and its stats when it exists.
   */
  private async uploadTarget(segments: readonly string[]): Promise<{ host: string; stats: Stats | undefined }> {
    let host = await this.entryPath(segments);
    let stats = await lstat(host).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === "ENOENT") return undefined;
      throw error;
    });
    if (stats?.isSymbolicLink()) {
      host = await this.followLink(host, true);
      stats = await lstat(host);
    }
    if (stats?.isDirectory()) throw new FileSystemError("is-directory", "the upload target is a directory");
    if (stats && !stats.isFile()) throw new FileSystemError("permission", "the upload target is not a regular file");
    return { host, stats };
  }

  private tempName(name: string): string {
    const suffix = `.ftpkit-${randomBytes(8).toString("hex")}.part`;
    let base = name;
    const room = NAME_MAX - Buffer.byteLength(this.tempPrefix) - suffix.length;
    while (Buffer.byteLength(base) > room) base = [...base].slice(0, -1).join(""); // whole code points
    return `${this.tempPrefix}${base}${suffix}`;
  }

  private isTempName(name: string): boolean {
    return name.startsWith(this.tempPrefix) && TEMP_MARK.test(name);
  }

  // --- the jail ---

  private realRoot(): Promise<string> {
    if (!this.realRootPromise) {
      const pending = realpath(this.root);
      this.realRootPromise = pending;
      pending.catch(() => {
        if (this.realRootPromise === pending) this.realRootPromise = undefined; // retry next time
      });
    }
    return this.realRootPromise;
  }

  private segments(path: string): string[] {
    const segments = segmentsOf(path);
    for (const segment of segments) this.checkSegment(segment);
    return segments;
  }

  private checkSegment(segment: string): void {
    if (process.platform === "win32" && !isWindowsSafeSegment(segment)) {
      throw new FileSystemError("invalid-name", "a name Windows would reinterpret");
    }
  }

  /** Whether a real path is the root or below it. */
  private inside(real: string, root: string): boolean {
    if (real === root) return true;
    return real.startsWith(root.endsWith(nodePath.sep) ? root : root + nodePath.sep);
  }

  /** The real path of the directory at `segments`, following symlinks that stay inside. */
  private async realDirectory(segments: readonly string[]): Promise<string> {
    const root = await this.realRoot();
    if (segments.length === 0) return root;
    const lexical = nodePath.join(root, ...segments);
    const real = await realpath(lexical);
    if (!this.inside(real, root)) throw new FileSystemError("permission", "the path leads outside the root");
    if (this.followSymlinks === "never" && real !== lexical) {
      throw new FileSystemError("permission", "the path goes through a symlink");
    }
    return real;
  }

  /** `<real parent>/<name>`: the entry itself, its last component not followed. */
  private async entryPath(segments: readonly string[]): Promise<string> {
    if (segments.length === 0) return this.realRoot();
    const parent = await this.realDirectory(segments.slice(0, -1));
    return nodePath.join(parent, segments.at(-1) as string);
  }

  /** The real path of what `segments` names, following a final symlink that stays inside. */
  private async throughPath(segments: readonly string[]): Promise<string> {
    const host = await this.entryPath(segments);
    if (segments.length === 0) return host;
    return (await lstat(host)).isSymbolicLink() ? this.followLink(host, false) : host;
  }

  /**
   * The real path behind the symlink at `host`, if it may be followed.
   *
   * @param dangling - What a dangling link means: false → `not-found`; true (a write would
   *   create its target) → `permission`, since we cannot tell where the file would appear.
   */
  private async followLink(host: string, dangling: boolean): Promise<string> {
    if (this.followSymlinks === "never") throw new FileSystemError("permission", "symlinks are not followed");
    let real: string;
    try {
      real = await realpath(host);
    } catch (error) {
      if (dangling) throw new FileSystemError("permission", "a dangling symlink", { cause: error });
      throw error;
    }
    if (!this.inside(real, await this.realRoot())) throw new FileSystemError("permission", "a symlink out of the root");
    return real;
  }

  /**
   * Opens a real path without following a final symlink (`O_NOFOLLOW`: a link swapped in after
   * our checks fails with ELOOP), then checks on Linux that the descriptor really is inside the
   * root (`/proc/self/fd/<n>` names the file opened). A file we created outside in a race is
   * removed again.
   */
  private async openChecked(host: string, flags: number): Promise<FileHandle> {
    const handle = await open(host, flags | O_NOFOLLOW | O_NONBLOCK, 0o666);
    try {
      await this.checkDescriptor(handle);
      return handle;
    } catch (error) {
      if (flags & constants.O_EXCL && FileSystemError.isInstance(error)) {
        const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
        if (opened !== undefined) await unlink(opened).catch(() => {});
      }
      await handle.close();
      throw error;
    }
  }

  /** {@link openChecked}, refusing what is not a regular file (directories, FIFOs, devices). */
  private async openRegular(host: string, flags: number): Promise<FileHandle> {
    const handle = await this.openChecked(host, flags);
    try {
      const stats = await handle.stat();
      if (stats.isDirectory()) throw new FileSystemError("is-directory", "a directory");
      if (!stats.isFile()) throw new FileSystemError("permission", "not a regular file");
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private async checkDescriptor(handle: FileHandle): Promise<void> {
    if (procFdWorks === false) return;
    let opened: string;
    try {
      opened = await readlink(`/proc/self/fd/${handle.fd}`);
      procFdWorks = true;
    } catch (error) {
      if (procFdWorks === undefined) {
        procFdWorks = false; // no /proc mounted: O_NOFOLLOW and realpath are all we have
        return;
      }
      throw error;
    }
    if (!this.inside(opened, await this.realRoot())) {
      throw new FileSystemError("permission", "the opened file lies outside the root");
    }
  }

  /**
   * Runs a metadata change on a descriptor (no symlink race at the last component). A file we
   * may not open for reading (mode 0o200, say) falls back to the path, after an lstat shows it
   * is still not a symlink.
   */
  private async withAttributeHandle(
    host: string,
    onHandle: (handle: FileHandle) => Promise<void>,
    onPath: (host: string) => Promise<void>,
  ): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await this.openChecked(host, constants.O_RDONLY);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "EACCES" && code !== "EPERM") throw error;
      if ((await lstat(host)).isSymbolicLink()) throw new FileSystemError("permission", "a symlink appeared");
      await onPath(host);
      return;
    }
    try {
      await onHandle(handle);
    } finally {
      await handle.close();
    }
  }

  /** One listing entry; undefined when it vanished between readdir and lstat. */
  private async describe(directory: string, name: string): Promise<EntryInfo | undefined> {
    const host = nodePath.join(directory, name);
    let stats: Stats;
    try {
      stats = await lstat(host);
    } catch (error) {
      if ((error as { code?: unknown }).code === "ENOENT") return undefined;
      throw storageError(error, "list");
    }
    const entry = entryFromStats(name, stats);
    if (!stats.isSymbolicLink() || this.followSymlinks === "never") return entry;
    const target = await this.virtualTarget(host);
    return target === undefined ? entry : { ...entry, target };
  }

  /** The virtual path a symlink resolves to, when that is inside the root. */
  private async virtualTarget(host: string): Promise<string | undefined> {
    const root = await this.realRoot();
    const real = await realpath(host).catch(() => undefined);
    if (real === undefined || !this.inside(real, root)) return undefined;
    const relative = nodePath.relative(root, real);
    return `/${relative.split(nodePath.sep).filter(Boolean).join("/")}`;
  }

  /** Runs an operation, turning whatever it throws into a {@link FileSystemError}. */
  private async run<T>(operation: string, path: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      throw storageError(error, `${operation} ${path}`);
    }
  }
}

/**
 * A {@link FileSystemError} for anything thrown: its kind by `storageErrorKindOf`, a message with
 * the virtual path and the errno code only (a host path never gets into it), the original as
 * `cause` for logs. RangeError and TypeError (caller bugs) pass through unchanged.
 */
function storageError(error: unknown, what: string): Error {
  if (FileSystemError.isInstance(error) || error instanceof RangeError || error instanceof TypeError) {
    return error as Error;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return new FileSystemError(storageErrorKindOf(error), `${what}: ${typeof code === "string" ? code : "failed"}`, {
    cause: error,
  });
}

function entryFromStats(name: string, stats: Stats): EntryInfo {
  return {
    name,
    type: stats.isFile() ? "file" : stats.isDirectory() ? "directory" : stats.isSymbolicLink() ? "symlink" : "other",
    size: stats.isFile() || stats.isSymbolicLink() ? stats.size : 0,
    modifiedAt: stats.mtime,
    mode: stats.mode & 0o7777,
    hardLinks: stats.nlink,
    unique: `${stats.dev.toString(16)}.${stats.ino.toString(16)}`,
  };
}
