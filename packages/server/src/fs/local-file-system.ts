import { randomBytes } from "node:crypto";
import type { Dir, Dirent, Stats } from "node:fs";
import { closeSync, constants, lstatSync, opendirSync, openSync, readlinkSync, realpathSync } from "node:fs";
import {
  copyFile,
  type FileHandle,
  lstat,
  mkdir,
  open,
  opendir,
  chmod as pathChmod,
  utimes as pathUtimes,
  realpath,
  rename,
  rmdir,
  unlink,
} from "node:fs/promises";
import * as nodePath from "node:path";
import type { Readable } from "node:stream";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
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
  /**
   * ms a synchronous listing batch may take before the rest of that listing moves to the thread
   * pool (see {@link LocalFileSystem.list}); 0 always lists, and makes every metadata call, on
   * the thread pool. Default 25.
   * @internal
   */
  readonly listSyncBudgetMs?: number;
}

/** Read streams: 1 MiB reads (notes/node-throughput.md: 1.3–1.45 GB/s, twice the 64 KiB default). */
const READ_HIGH_WATER_MARK = 1024 * 1024;
/** Entries lstat-ed at once while listing on the thread pool: enough to hide latency, few enough to be polite. */
const LIST_CONCURRENCY = 16;
/** Entries described per batch of a listing (between two turns of the event loop). */
const LIST_BATCH = 128;
/**
 * A synchronous batch slower than this (ms) moves the rest of the listing to the thread pool
 * (default). 128 cached `lstat`s take 1–4 ms here even on a loaded 2-core VM; storage that needs
 * 200 µs per call is not local and cached, and is better served by the thread pool.
 */
const LIST_SYNC_BUDGET_MS = 25;
/** One metadata call slower than this (ms) moves a LocalFileSystem's metadata calls to the thread pool. */
const META_SYNC_BUDGET_MS = 5;
/** Names handed to NLST per batch. */
const NAMES_BATCH = 512;
/** Directory entries fetched per `readdir` call (Node's default is 32). */
const READDIR_BUFFER = 512;
/** Names Linux and macOS allow in one path segment, in bytes. */
const NAME_MAX = 255;
const TEMP_MARK = /\.ftpkit-[0-9a-f]{16}\.part$/;

/** Absent on Windows: there the final-component check falls back to lstat + realpath alone. */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** Opening a FIFO must not block a libuv thread until a peer shows up; a no-op for files. */
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
/** Anchors must be directories; absent on Windows, where there is no /proc to anchor with anyway. */
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;

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
 * anywhere, and the tree can change between our checks and our calls (TOCTOU). So:
 * 1. The directory an operation works in is opened (`O_DIRECTORY`), and `/proc/self/fd/<n>`
 *    (Linux) names the directory actually opened, symlinks and all: unless that real path is the
 *    root or below it, the operation is refused (`permission`). With `followSymlinks: "never"` it
 *    must also equal the lexical path (no symlink crossed).
 * 2. Every path-based call (mkdir, rmdir, unlink, rename, lstat, open, opendir, copyFile) then
 *    goes through `/proc/self/fd/<n>/<name>`: the kernel resolves it from the opened directory,
 *    so a parent swapped for a symlink after the check changes nothing (this is
 *    `openat`/`renameat`, which Node does not expose, by another road). A directory reached
 *    through a final symlink is re-anchored with `O_DIRECTORY | O_NOFOLLOW` on its real path.
 * 3. The last component is never followed by the call itself: files are opened with
 *    `O_NOFOLLOW` (a symlink swapped in fails with ELOOP → `permission`), their descriptor is
 *    checked through `/proc/self/fd` too, and a file we created (always `O_EXCL`) that turns out to
 *    lie outside is removed again. A final symlink is followed only by us, explicitly, when its
 *    real path stays inside the root (`followSymlinks: "inside-root"`).
 *
 * Operations on an entry itself (`mkdir`, `rmdir`, `unlink`, `rename`) act on the link when the
 * entry is a symlink: unlinking or renaming a link never touches its target. Operations through
 * an entry (`stat`, `list`, reads, writes, `hash`, `chmod`, `setModifiedTime`) follow a final
 * symlink that stays inside the root.
 *
 * Without `/proc` (macOS, BSD, Windows, a Linux container without procfs) steps 1 and 2 fall back
 * to a `realpath` check of the directory and calls on its real path, and a parent swapped for a
 * symlink between check and call could redirect a path-based call (the jail tests show it does
 * under a swapping attacker); step 3 still holds where the platform has `O_NOFOLLOW`. FTP clients cannot
 * create symlinks, so that race needs a local user or another service writing into the root.
 * Hard links cannot be told from ordinary files: keep the root where accounts cannot hard-link
 * others' files (Linux `fs.protected_hardlinks`).
 *
 * **Listings** stream through `fs.opendir` in batches of 128 entries (see {@link list} for how
 * they are stat-ed), so a directory of 100,000 entries never sits in memory; NLST reads names
 * only ({@link listNames}). Symlinks are listed as `symlink`, with `target` set to
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
 *
 * **Resources**: nothing is held between calls, so one instance may serve many sessions. A read
 * stream holds its file open until it ends or is destroyed; an upload holds its file (and, in the
 * atomic modes, its directory) open until `commit()` or `abort()`.
 */
export class LocalFileSystem implements FileSystem {
  /** The root as given, made absolute. Its real path is resolved on first use. */
  readonly root: string;
  private readonly followSymlinks: "inside-root" | "never";
  private readonly tempPrefix: string;
  private readonly chmodMask: number;
  private readonly listSyncBudgetMs: number;
  /** Metadata calls run on this thread until one is slow (see `metadata`). */
  private syncMetadata: boolean;
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
    this.listSyncBudgetMs = options.listSyncBudgetMs ?? LIST_SYNC_BUDGET_MS;
    this.syncMetadata = this.listSyncBudgetMs > 0;
  }

  /**
   * Removes the temporary files of atomic uploads (`<tempPrefix><name>.ftpkit-<16 hex>.part`)
   * left anywhere under `root` by a server that stopped mid-upload without cleaning up: killed
   * (SIGKILL, OOM), crashed, or a power loss. Such a file never shows under the final name
   * and is hidden from listings, but it takes space until removed. Run it before `listen()`
   * (nothing is uploading then), or while serving with an `olderThan` longer than an upload
   * can stall (a live upload writes its file at least every `dataTimeout`). Symlinks are not
   * followed; errors on single entries are skipped.
   * @returns the virtual paths of the files removed.
   */
  static async sweepTemporaryFiles(
    root: string,
    options: { readonly olderThan?: number; readonly tempPrefix?: string } = {},
  ): Promise<string[]> {
    const prefix = options.tempPrefix ?? ".";
    const before = Date.now() - (options.olderThan ?? 0);
    const removed: string[] = [];
    const walk = async (directory: string, virtual: string): Promise<void> => {
      let dir: Dir;
      try {
        dir = await opendir(directory);
      } catch {
        return;
      }
      for await (const entry of dir) {
        const path = nodePath.join(directory, entry.name);
        const child = virtual === "/" ? `/${entry.name}` : `${virtual}/${entry.name}`;
        if (entry.isDirectory()) await walk(path, child);
        else if (entry.isFile() && entry.name.startsWith(prefix) && TEMP_MARK.test(entry.name)) {
          try {
            if ((await lstat(path)).mtimeMs <= before) {
              await unlink(path);
              removed.push(child);
            }
          } catch {
            // Gone meanwhile (its upload committed or aborted): nothing to do.
          }
        }
      }
    };
    await walk(nodePath.resolve(root), "/");
    return removed;
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
      return this.using(await this.target(segments), async (located) => {
        const stats = await this.lstatEntry(located.path);
        if (stats.isSymbolicLink()) throw new FileSystemError("permission", "became a symlink while we looked");
        return entryFromStats(segments.at(-1) ?? "/", stats);
      });
    });
  }

  /**
   * Streams the entries of a directory (see the class comment for symlinks and temporary files).
   *
   * Names are read 512 at a time (`opendir` buffer) and described in batches of
   * {@link LIST_BATCH}. While the storage answers fast, a batch is described with `lstatSync`:
   * on a local file system a thread-pool `lstat` costs several times the call itself (a 100,000
   * entry LIST took 6 s with 16 promises in flight against 2.5 s synchronously, on our 2-core
   * VMs), and vsftpd, which LIST is measured against, stats synchronously too. The event loop is
   * given back after every batch, and once a batch has run longer than `listSyncBudgetMs`
   * (default 25 ms: a cold disk, a network file system) the rest of the listing goes to the
   * thread pool, so a slow storage never holds other sessions up for more than that budget and
   * one call.
   *
   * @throws {FileSystemError} on the first iteration: `not-found`, `not-directory`, `permission`.
   */
  async *list(path: string): AsyncIterable<EntryInfo> {
    const { anchor, directory } = await this.openListing(path);
    try {
      let sync = this.listSyncBudgetMs > 0;
      for (;;) {
        const entries: (EntryInfo | undefined)[] = [];
        if (sync) {
          const started = performance.now();
          const names = this.readNamesSync(directory, path, LIST_BATCH);
          if (names.length === 0) return;
          for (const name of names) {
            // Checked per entry: the loop is never held longer than the budget and one call.
            if (sync && performance.now() - started > this.listSyncBudgetMs) sync = false;
            entries.push(await (sync ? this.describeFast(anchor.path, name) : this.describe(anchor.path, name)));
          }
        } else {
          const names = await this.readNames(directory, path, LIST_BATCH);
          if (names.length === 0) return;
          for (let i = 0; i < names.length; i += LIST_CONCURRENCY) {
            const slice = names.slice(i, i + LIST_CONCURRENCY);
            entries.push(...(await Promise.all(slice.map((name) => this.describe(anchor.path, name)))));
          }
        }
        for (const entry of entries) if (entry) yield entry;
        // Other sessions run between batches, however fast the consumer takes the entries.
        if (sync) await yieldToEventLoop();
      }
    } finally {
      // No read is pending here (a generator is only ever left at a yield), and closing a
      // directory descriptor does not wait on the storage: no thread-pool round trip for it.
      try {
        directory.closeSync();
      } catch {}
      await anchor.release();
    }
  }

  /**
   * The names of a directory's entries (for NLST): one `readdir`, no `lstat`. Temporary files of
   * atomic uploads are left out, as in {@link list}.
   *
   * @throws {FileSystemError} on the first iteration: `not-found`, `not-directory`, `permission`.
   */
  async *listNames(path: string): AsyncIterable<string> {
    const { anchor, directory } = await this.openListing(path);
    try {
      // As in list(): `readdir` on this thread while it is fast, one batch per turn of the loop.
      let sync = this.listSyncBudgetMs > 0;
      for (;;) {
        const started = performance.now();
        const names = sync
          ? this.readNamesSync(directory, path, NAMES_BATCH)
          : await this.readNames(directory, path, NAMES_BATCH);
        if (names.length === 0) return;
        if (sync && performance.now() - started > this.listSyncBudgetMs) sync = false;
        yield* names;
        if (sync) await yieldToEventLoop();
      }
    } finally {
      try {
        directory.closeSync();
      } catch {}
      await anchor.release();
    }
  }

  /** The anchored directory at `path`, opened for reading its entries. */
  private async openListing(path: string): Promise<{ anchor: Anchor; directory: Dir }> {
    let anchor: Anchor;
    try {
      anchor = await this.using(await this.target(this.segments(path)), (located) => this.anchorAt(located.path));
    } catch (error) {
      throw storageError(error, `list ${path}`);
    }
    try {
      // A listing starts synchronously (see list()), so the directory is opened on this thread
      // too: one call, like the first lstat of a batch, before the budget can judge the storage.
      const options = { bufferSize: READDIR_BUFFER };
      const directory =
        this.listSyncBudgetMs > 0 ? opendirSync(anchor.path, options) : await opendir(anchor.path, options);
      return { anchor, directory };
    } catch (error) {
      await anchor.release();
      throw storageError(error, `list ${path}`);
    }
  }

  /** {@link readNames} with `readdir` on this thread (a listing's synchronous mode). */
  private readNamesSync(directory: Dir, path: string, max: number): string[] {
    const names: string[] = [];
    try {
      while (names.length < max) {
        const dirent = directory.readSync();
        if (dirent === null) break;
        if (!this.isTempName(dirent.name)) names.push(dirent.name);
      }
    } catch (error) {
      throw storageError(error, `list ${path}`);
    }
    return names;
  }

  /** Up to `max` names (temporary files left out); empty at the end of the directory. */
  private async readNames(directory: Dir, path: string, max: number): Promise<string[]> {
    const names: string[] = [];
    try {
      while (names.length < max) {
        const dirent: Dirent | null = await directory.read();
        if (dirent === null) break;
        if (!this.isTempName(dirent.name)) names.push(dirent.name);
      }
    } catch (error) {
      throw storageError(error, `list ${path}`);
    }
    return names;
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
      const handle = await this.using(await this.target(this.segments(path)), (located) =>
        this.openRegular(located.path, constants.O_RDONLY),
      );
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
   * intact until commit, at the cost of one copy (a reflink where the file system can).
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
      const reserved = await this.using(await this.directory(segments), async (anchor) => {
        for (const name of uniqueNameCandidates(options.hint)) {
          if (this.isTempName(name)) continue;
          this.checkSegment(name);
          try {
            const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
            const handle = await this.openChecked(nodePath.join(anchor.path, name), flags);
            return { name, stats: await handle.stat().finally(() => handle.close()) };
          } catch (error) {
            if ((error as { code?: unknown }).code !== "EEXIST") throw error;
          }
        }
        throw new FileSystemError("exists", `no free name for STOU in ${directory}`);
      });
      const entrySegments = [...segments, reserved.name];
      const path = `/${entrySegments.join("/")}`;
      const target = await this.openUpload(path, { mode: options.mode });
      if (options.mode !== "atomic") return { path, target };
      const removeReservation = async (): Promise<void> => {
        // Only if it is still the empty file we made: someone may have written there since.
        await this.using(await this.entry(entrySegments), async (located) => {
          const now = await lstat(located.path);
          if (now.isFile() && now.size === 0 && now.ino === reserved.stats.ino && now.dev === reserved.stats.dev) {
            await unlink(located.path);
          }
        });
      };
      return {
        path,
        target: {
          stream: target.stream,
          commit: () => target.commit(),
          abort: async () => {
            await target.abort();
            await removeReservation().catch(() => {});
          },
        },
      };
    });
  }

  /** @throws {FileSystemError} `exists` (also the root), `not-found`, `not-directory`, `permission`. */
  mkdir(path: string): Promise<void> {
    return this.run("mkdir", path, async () => {
      const segments = this.segments(path);
      if (segments.length === 0) throw new FileSystemError("exists", "the root exists");
      await this.using(await this.entry(segments), (located) => mkdir(located.path));
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
      await this.using(await this.entry(segments), async (located) => {
        if (!(await lstat(located.path)).isDirectory()) {
          throw new FileSystemError("not-directory", `${path} is not a directory`);
        }
        await rmdir(located.path);
      });
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
      await this.using(await this.entry(segments), async (located) => {
        // Checked here because macOS answers EPERM, not EISDIR, for unlink(2) on a directory.
        if ((await lstat(located.path)).isDirectory()) {
          throw new FileSystemError("is-directory", `${path} is a directory`);
        }
        await unlink(located.path);
      });
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
      await this.using(await this.entry(fromSegments), async (source) =>
        this.using(await this.entry(toSegments), async (target) => {
          const stats = await lstat(source.path);
          const intoItself =
            toSegments.length > fromSegments.length && fromSegments.every((segment, i) => toSegments[i] === segment);
          if (stats.isDirectory() && intoItself) {
            throw new FileSystemError("invalid-name", `cannot move ${from} into itself`);
          }
          await rename(source.path, target.path);
        }),
      );
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
      await this.using(await this.target(this.segments(path)), (located) =>
        this.withAttributeHandle(
          located.path,
          async (handle) => handle.utimes((await handle.stat()).atime, mtime),
          async (host) => pathUtimes(host, (await lstat(host)).atime, mtime),
        ),
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
      await this.using(await this.target(this.segments(path)), (located) =>
        this.withAttributeHandle(
          located.path,
          (handle) => handle.chmod(bits),
          (host) => pathChmod(host, bits),
        ),
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
      const handle = await this.using(await this.target(this.segments(path)), (located) =>
        this.openRegular(located.path, constants.O_RDONLY),
      );
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
    const resume = start > 0 || options.append === true;
    const { located: final, stats: existing } = await this.uploadTarget(segments);
    const position = start > 0 ? start : options.append ? (existing?.size ?? 0) : 0;

    if (options.mode === "standard" || (options.mode === "atomic-resume" && resume)) {
      const handle = await this.using(final, () => this.openInPlace(final.path, !resume));
      const writer = new FileHandleWriter(handle, position);
      return createWriteTarget(writer, { commit: async () => writer.finalSize, abort: async () => {} });
    }

    // Atomic: the temporary file lives next to the final one, under the same anchor, which stays
    // open until the upload ends so that the commit's rename lands in the directory we checked.
    let handle: FileHandle;
    const temp = nodePath.join(final.anchor.path, this.tempName(final.name));
    try {
      if (resume && existing) {
        handle = await this.copyForResume(final.path, temp);
      } else {
        handle = await this.openChecked(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
        if (existing) await handle.chmod(existing.mode & 0o7777).catch(() => {}); // best effort: keep the old bits
      }
    } catch (error) {
      await final.anchor.release();
      throw error;
    }
    // A fresh temporary file written from 0 is ours alone (O_EXCL): its size is where the writes ended.
    const writer = new FileHandleWriter(handle, position, position === 0 && !(resume && existing));
    return createWriteTarget(writer, {
      commit: async () => {
        await rename(temp, final.path);
        await final.anchor.release();
        return writer.finalSize;
      },
      abort: async () => {
        try {
          if (options.mode === "atomic-resume") {
            try {
              await rename(temp, final.path);
              return;
            } catch {
              // Cannot keep the partial upload under its name (it became a directory, say).
            }
          }
          await unlink(temp).catch(() => {});
        } finally {
          await final.anchor.release();
        }
      },
    });
  }

  /**
   * Where an upload to `segments` lands: the final name, or the real path behind a final symlink
   * that stays inside the root, with its stats when it exists.
   */
  private async uploadTarget(segments: readonly string[]): Promise<{ located: Located; stats: Stats | undefined }> {
    let located = await this.entry(segments);
    try {
      let stats = await this.lstatEntry(located.path, true);
      if (stats?.isSymbolicLink()) {
        const real = await this.using(located, (link) => this.followLink(link.path, true));
        located = await this.locateReal(real);
        stats = await lstat(located.path);
      }
      if (stats?.isDirectory()) throw new FileSystemError("is-directory", "the upload target is a directory");
      if (stats && !stats.isFile()) throw new FileSystemError("permission", "the upload target is not a regular file");
      return { located, stats };
    } catch (error) {
      await located.anchor.release();
      throw error;
    }
  }

  /**
   * Opens the final file for an in-place upload. An existing file is opened without `O_CREAT`
   * and truncated only after the descriptor checks; a missing one is created with `O_EXCL`, so
   * that a file we find outside the root after the fact is known to be ours and removed.
   */
  private async openInPlace(host: string, truncate: boolean): Promise<FileHandle> {
    for (let attempt = 0; ; attempt++) {
      let handle: FileHandle;
      try {
        handle = await this.openRegular(host, constants.O_WRONLY);
      } catch (error) {
        if ((error as { code?: unknown }).code !== "ENOENT") throw error;
        try {
          handle = await this.openChecked(host, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
        } catch (createError) {
          // Created by someone else between our two opens: open theirs (once).
          if ((createError as { code?: unknown }).code === "EEXIST" && attempt === 0) continue;
          throw createError;
        }
      }
      if (truncate) {
        await handle.truncate(0).catch(async (error: unknown) => {
          await handle.close();
          throw error;
        });
      }
      return handle;
    }
  }

  /** The temporary file of an atomic resume: a copy of the final file, then opened for writing. */
  private async copyForResume(final: string, temp: string): Promise<FileHandle> {
    // Copy from the descriptor (via /proc) so that what we copy is the file we checked.
    const source = await this.openRegular(final, constants.O_RDONLY);
    try {
      const from = procFdWorks ? `/proc/self/fd/${source.fd}` : final;
      // FICLONE: a reflink on btrfs/XFS, a copy elsewhere. EXCL: never write through a planted link.
      await copyFile(from, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    } finally {
      await source.close();
    }
    try {
      return await this.openRegular(temp, constants.O_WRONLY);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
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
      // A metadata call like any other (see `metadata`): resolved once per instance, which a
      // server that makes one LocalFileSystem per login pays on every session.
      const pending = this.metadata(
        () => realpathSync.native(this.root),
        () => realpath(this.root),
      );
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
  private async inside(real: string): Promise<boolean> {
    const root = await this.realRoot();
    if (real === root) return true;
    return real.startsWith(root.endsWith(nodePath.sep) ? root : root + nodePath.sep);
  }

  /** Runs `body` with a located entry, releasing its anchor afterwards. */
  private async using<L extends Located | Anchor, T>(located: L, body: (located: L) => Promise<T>): Promise<T> {
    try {
      return await body(located);
    } finally {
      const anchor: Anchor = "anchor" in located ? (located as Located).anchor : (located as Anchor);
      await anchor.release();
    }
  }

  /** The real path of the directory at `segments`, following symlinks that stay inside. */
  private async realDirectory(segments: readonly string[]): Promise<string> {
    const root = await this.realRoot();
    if (segments.length === 0) return root;
    const lexical = nodePath.join(root, ...segments);
    const real = await realpath(lexical);
    if (!(await this.inside(real))) throw new FileSystemError("permission", "the path leads outside the root");
    if (this.followSymlinks === "never" && real !== lexical) {
      throw new FileSystemError("permission", "the path goes through a symlink");
    }
    return real;
  }

  /**
   * Opens the directory at `path` (`O_DIRECTORY | O_NOFOLLOW`), checks through `/proc/self/fd`
   * that it is inside the root, and returns `/proc/self/fd/<n>`, which keeps naming that very
   * directory until released. Without /proc: `path` itself (already realpath-checked by callers).
   */
  private async anchorAt(path: string): Promise<Anchor> {
    if (procFdWorks === false) return { path, release: async () => {} };
    const handle = await this.openDirectory(path, constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      const opened = await this.descriptorPath(handle.fd);
      if (opened === undefined) {
        await handle.close();
        return { path, release: async () => {} };
      }
      if (!(await this.inside(opened))) throw new FileSystemError("permission", "the directory lies outside the root");
    } catch (error) {
      await handle.close();
      throw error;
    }
    return { path: `/proc/self/fd/${handle.fd}`, release: () => handle.close() };
  }

  /**
   * The anchored directory at `segments`, following symlinks that stay inside. With /proc the
   * lexical path is opened directly (symlinks followed by the kernel) and `/proc/self/fd/<n>`
   * tells where it led: one call fewer than `realpath` first, and checked on what was opened.
   * Opening a directory has no side effects even outside the root, and `O_DIRECTORY` fails
   * before any device or FIFO would be opened.
   */
  private async directory(segments: readonly string[]): Promise<Anchor> {
    if (procFdWorks !== false) {
      const root = await this.realRoot();
      const lexical = nodePath.join(root, ...segments);
      const handle = await this.openDirectory(lexical, constants.O_RDONLY | O_DIRECTORY);
      let opened: string | undefined;
      try {
        opened = await this.descriptorPath(handle.fd);
        if (opened !== undefined && !(await this.inside(opened))) {
          throw new FileSystemError("permission", "the path leads outside the root");
        }
        if (opened !== undefined && this.followSymlinks === "never" && opened !== lexical) {
          throw new FileSystemError("permission", "the path goes through a symlink");
        }
      } catch (error) {
        await handle.close();
        throw error;
      }
      if (opened !== undefined) return { path: `/proc/self/fd/${handle.fd}`, release: () => handle.close() };
      await handle.close(); // no /proc after all: the realpath road below
    }
    return this.anchorAt(await this.realDirectory(segments));
  }

  /** The entry itself: its anchored parent and its name; the name is never followed. */
  private async entry(segments: readonly string[]): Promise<Located> {
    const name = segments.at(-1) as string;
    const anchor = await this.directory(segments.slice(0, -1));
    return { anchor, name, path: nodePath.join(anchor.path, name) };
  }

  /** A real path known to be inside the root, located under its anchored directory. */
  private async locateReal(real: string): Promise<Located> {
    if (real === (await this.realRoot())) {
      const anchor = await this.anchorAt(real);
      return { anchor, name: ".", path: `${anchor.path}/.` };
    }
    const anchor = await this.anchorAt(nodePath.dirname(real));
    const name = nodePath.basename(real);
    return { anchor, name, path: nodePath.join(anchor.path, name) };
  }

  /** What `segments` names, through a final symlink that stays inside; the root for `[]`. */
  private async target(segments: readonly string[]): Promise<Located> {
    if (segments.length === 0) return this.locateReal(await this.realRoot());
    const located = await this.entry(segments);
    let real: string;
    try {
      if (!(await this.lstatEntry(located.path)).isSymbolicLink()) return located;
      real = await this.followLink(located.path, false);
    } catch (error) {
      await located.anchor.release();
      throw error;
    }
    await located.anchor.release();
    return this.locateReal(real);
  }

  /**
   * The real path behind the symlink at `path`, if it may be followed.
   *
   * @param dangling - What a dangling link means: false → `not-found`; true (a write would
   *   create its target) → `permission`, since we cannot tell where the file would appear.
   */
  private async followLink(path: string, dangling: boolean): Promise<string> {
    if (this.followSymlinks === "never") throw new FileSystemError("permission", "symlinks are not followed");
    let real: string;
    try {
      real = await realpath(path);
    } catch (error) {
      if (dangling) throw new FileSystemError("permission", "a dangling symlink", { cause: error });
      throw error;
    }
    if (!(await this.inside(real))) throw new FileSystemError("permission", "a symlink out of the root");
    return real;
  }

  /**
   * Opens a file without following a final symlink (`O_NOFOLLOW`: a link swapped in after our
   * checks fails with ELOOP), then checks through `/proc/self/fd/<n>` that the descriptor is
   * inside the root. A file this call created (`O_EXCL`) that turns out to lie outside is removed.
   */
  private async openChecked(path: string, flags: number): Promise<FileHandle> {
    const handle = await open(path, flags | O_NOFOLLOW | O_NONBLOCK, 0o666);
    try {
      const opened = await this.descriptorPath(handle.fd);
      if (opened !== undefined && !(await this.inside(opened))) {
        if (flags & constants.O_EXCL) await unlink(opened).catch(() => {});
        throw new FileSystemError("permission", "the opened file lies outside the root");
      }
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** {@link openChecked}, refusing what is not a regular file (directories, FIFOs, devices). */
  private async openRegular(path: string, flags: number): Promise<FileHandle> {
    const handle = await this.openChecked(path, flags);
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

  /**
   * Runs one metadata call (open a directory, lstat) on this thread while the storage answers
   * within {@link META_SYNC_BUDGET_MS}, else on the thread pool. On a local file system the
   * call takes microseconds and a thread-pool round trip several times that (every command
   * on a path makes two to four of them); a call over the budget (a cold disk, a network file
   * system) moves this instance to the thread pool for good, so a slow storage holds the event
   * loop up once, for one call.
   */
  private async metadata<T>(onThread: () => T, onPool: () => Promise<T>): Promise<T> {
    if (!this.syncMetadata) return onPool();
    const started = performance.now();
    try {
      return onThread();
    } finally {
      if (performance.now() - started > META_SYNC_BUDGET_MS) this.syncMetadata = false;
    }
  }

  /** Opens a directory (see {@link metadata}); `close` releases the descriptor. */
  private openDirectory(path: string, flags: number): Promise<{ fd: number; close(): Promise<void> }> {
    return this.metadata(
      () => {
        const fd = openSync(path, flags);
        // Idempotent, as FileHandle.close() is (an anchor may be released twice on an error
        // path): closing a raw descriptor twice could close another one that reused its number.
        let isOpen = true;
        return {
          fd,
          close: async () => {
            if (!isOpen) return;
            isOpen = false;
            closeSync(fd);
          },
        };
      },
      async () => {
        const handle = await open(path, flags);
        return { fd: handle.fd, close: () => handle.close() };
      },
    );
  }

  /** lstat (see {@link metadata}); undefined for a missing entry when `missingOk`. */
  private lstatEntry(path: string, missingOk: true): Promise<Stats | undefined>;
  private lstatEntry(path: string): Promise<Stats>;
  private async lstatEntry(path: string, missingOk = false): Promise<Stats | undefined> {
    try {
      return await this.metadata(
        () => lstatSync(path),
        () => lstat(path),
      );
    } catch (error) {
      if (missingOk && (error as { code?: unknown }).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** What `/proc/self/fd/<n>` says the descriptor is; undefined where there is no such /proc. */
  private async descriptorPath(fd: number): Promise<string | undefined> {
    if (procFdWorks === false) return undefined;
    try {
      // On this thread: /proc/self/fd/<n> is answered from the kernel's descriptor table and
      // dentry cache and never waits on the storage, and a thread-pool round trip costs far
      // more than the call (every upload and listing asks this two or three times).
      const opened = readlinkSync(`/proc/self/fd/${fd}`);
      procFdWorks = true;
      return opened;
    } catch (error) {
      if (procFdWorks === undefined) {
        procFdWorks = false; // no /proc mounted: realpath and O_NOFOLLOW are all we have
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Runs a metadata change on a descriptor (no symlink race at the last component). A file we
   * may not open for reading (mode 0o200, say) falls back to the path, after an lstat shows it
   * is still not a symlink.
   */
  private async withAttributeHandle(
    path: string,
    onHandle: (handle: FileHandle) => Promise<void>,
    onPath: (path: string) => Promise<void>,
  ): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await this.openChecked(path, constants.O_RDONLY);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "EACCES" && code !== "EPERM") throw error;
      if ((await lstat(path)).isSymbolicLink()) throw new FileSystemError("permission", "a symlink appeared");
      await onPath(path);
      return;
    }
    try {
      await onHandle(handle);
    } finally {
      await handle.close();
    }
  }

  /**
   * {@link describe} with a synchronous `lstat` (see {@link list}); a symlink to follow still
   * takes the asynchronous road, for its `realpath`.
   */
  private async describeFast(directory: string, name: string): Promise<EntryInfo | undefined> {
    const path = nodePath.join(directory, name);
    let stats: Stats | undefined;
    try {
      stats = lstatSync(path, { throwIfNoEntry: false });
    } catch (error) {
      throw storageError(error, "list");
    }
    if (stats === undefined) return undefined; // vanished between readdir and lstat
    if (stats.isSymbolicLink() && this.followSymlinks !== "never") return this.describe(directory, name);
    return entryFromStats(name, stats);
  }

  /** One listing entry; undefined when it vanished between readdir and lstat. */
  private async describe(directory: string, name: string): Promise<EntryInfo | undefined> {
    const path = nodePath.join(directory, name);
    let stats: Stats;
    try {
      stats = await lstat(path);
    } catch (error) {
      if ((error as { code?: unknown }).code === "ENOENT") return undefined;
      throw storageError(error, "list");
    }
    const entry = entryFromStats(name, stats);
    if (!stats.isSymbolicLink() || this.followSymlinks === "never") return entry;
    const target = await this.virtualTarget(path);
    return target === undefined ? entry : { ...entry, target };
  }

  /** The virtual path a symlink resolves to, when that is inside the root. */
  private async virtualTarget(path: string): Promise<string | undefined> {
    const real = await realpath(path).catch(() => undefined);
    if (real === undefined || !(await this.inside(real))) return undefined;
    const relative = nodePath.relative(await this.realRoot(), real);
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

/** A directory held open, and the path that reaches it whatever happens to its name. */
interface Anchor {
  readonly path: string;
  release(): Promise<void>;
}

/** An entry under an anchored directory: `path` is `<anchor.path>/<name>`. */
interface Located {
  readonly anchor: Anchor;
  readonly name: string;
  readonly path: string;
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
