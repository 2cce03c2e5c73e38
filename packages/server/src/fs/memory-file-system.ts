import { Readable, Writable } from "node:stream";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { EntryInfo, HashAlgorithm } from "@ftpkit/protocol";
import { createFileHash } from "./file-hash.js";
import type { FileSystem, UniqueWriteOptions, UploadMode, WriteOptions, WriteTarget } from "./file-system.js";
import { FileSystemError } from "./file-system-error.js";
import { ChunkedBytes } from "./internal/chunked-bytes.js";
import { checkOffset, segmentsOf } from "./internal/paths.js";
import { uniqueNameCandidates } from "./internal/unique-names.js";
import { createWriteTarget } from "./internal/write-target.js";

/**
 * Initial content of a {@link MemoryFileSystem}: virtual path to file content (a string is
 * stored as UTF-8), or `null` for a directory. Missing parent directories are created.
 *
 * @example { "/readme.txt": "hello", "/pub/": null, "/bin/blob": new Uint8Array([1, 2]) }
 */
export type MemoryFileSystemSeed = Readonly<Record<string, string | Uint8Array | null>>;

/** Options of {@link MemoryFileSystem}. */
export interface MemoryFileSystemOptions {
  /**
   * Total bytes the files may hold (the sum of their sizes, uncommitted uploads included, as on
   * a disk); a write that would pass it fails with `no-space`, as ENOSPC would. Default: no limit.
   */
  readonly maxBytes?: number;
  /** The clock for modification times (default `() => new Date()`); tests pass a fixed one. */
  readonly now?: () => Date;
  /** Bytes per storage chunk (default 1 MiB). Small values exercise chunk boundaries in tests. */
  readonly chunkSize?: number;
}

interface FileNode {
  readonly type: "file";
  readonly id: number;
  bytes: ChunkedBytes;
  modifiedAt: Date;
  mode: number;
  /** Unlinked, replaced or discarded: its bytes no longer count against `maxBytes`. */
  released: boolean;
}

interface DirectoryNode {
  readonly type: "directory";
  readonly id: number;
  readonly children: Map<string, Node>;
  modifiedAt: Date;
  mode: number;
}

type Node = FileNode | DirectoryNode;

/** Size of the chunks a read stream pushes; its high-water mark holds four of them. */
const READ_CHUNK = 256 * 1024;
/** Hashing yields to the event loop after this many bytes, so a big file does not stall others. */
const HASH_SLICE = 16 * 1024 * 1024;

/**
 * A {@link FileSystem} held in memory: for tests, demos and the web playground. It follows
 * Linux semantics wherever the local file system has them, and passes the same conformance
 * suite as {@link LocalFileSystem}, so a test against it says something about the real one.
 *
 * - Files are {@link ChunkedBytes}: 1 MiB chunks, sparse, so large files never need one big
 *   reallocation and a REST far past the end costs nothing.
 * - Read streams see the file as it is when they read (like a POSIX descriptor): an in-place
 *   write shows, an atomic replacement does not (the stream keeps the old file).
 * - No symlinks, no owners. Modes are stored (`chmod`) but never enforced.
 * - Upload modes as {@link FileSystem.openWrite} describes; an atomic upload's temporary file
 *   lives outside the tree, so it is invisible to `list` and `stat` until commit.
 *
 * Thread of control: every method runs synchronously up to its first await, and the tree is
 * only ever changed synchronously, so no operation sees another half done.
 */
export class MemoryFileSystem implements FileSystem {
  private readonly root: DirectoryNode;
  private readonly maxBytes: number;
  private readonly now: () => Date;
  private readonly chunkSize: number;
  private nextId = 1;
  private used = 0;

  /**
   * @param seed - Initial files and directories, see {@link MemoryFileSystemSeed}.
   * @throws {FileSystemError} `no-space` when the seed exceeds `maxBytes`; `exists`,
   *   `not-directory` or `invalid-name` for a seed whose paths contradict each other or are bad.
   */
  constructor(seed: MemoryFileSystemSeed = {}, options: MemoryFileSystemOptions = {}) {
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.now = options.now ?? (() => new Date());
    this.chunkSize = options.chunkSize ?? ChunkedBytes.DEFAULT_CHUNK_SIZE;
    this.root = this.newDirectory();
    for (const [path, content] of Object.entries(seed)) this.seed(path, content);
  }

  /** Bytes held by files now, uncommitted uploads included (what `maxBytes` limits). */
  get usedBytes(): number {
    return this.used;
  }

  /**
   * @throws {FileSystemError} `not-found`; `not-directory` when a parent is a file.
   */
  async stat(path: string): Promise<EntryInfo> {
    const segments = segmentsOf(path);
    return entryOf(segments.at(-1) ?? "/", this.lookup(segments));
  }

  /**
   * Entries in name order (UTF-16 code units), as they are when each is reached: an entry
   * removed while the listing runs is skipped, one added is not shown.
   *
   * @throws {FileSystemError} on the first iteration: `not-found`, `not-directory`.
   */
  async *list(path: string): AsyncIterable<EntryInfo> {
    const directory = this.lookupDirectory(segmentsOf(path));
    const names = [...directory.children.keys()].sort(compareNames);
    for (const name of names) {
      const child = directory.children.get(name);
      if (child) yield entryOf(name, child);
    }
  }

  /**
   * A stream of the file's bytes from `start`; at or past the end it is empty.
   *
   * @throws {FileSystemError} `not-found`, `is-directory`, `not-directory`.
   * @throws {RangeError} for a negative or non-integer `start`.
   */
  async createReadStream(path: string, options: { start?: number } = {}): Promise<Readable> {
    let position = checkOffset(options.start);
    const file = this.lookupFile(segmentsOf(path));
    return new Readable({
      highWaterMark: 4 * READ_CHUNK,
      read() {
        const chunk = file.bytes.read(position, READ_CHUNK);
        position += chunk.length;
        this.push(chunk.length > 0 ? chunk : null);
      },
    });
  }

  /**
   * Opens an upload. Semantics by mode ("resume" means `start > 0` or `append`; `start` wins
   * over `append`, as in vsftpd):
   * - `standard`: in place. Fresh: truncated at open. Resume: written at the offset, nothing
   *   truncated. Abort keeps what was written.
   * - `atomic`: into a detached copy (empty when fresh, the old content when resuming); commit
   *   puts it under the final name, replacing the old file; abort drops it, the old file is
   *   untouched and nothing new is visible.
   * - `atomic-resume`: resume writes in place (so a broken resume keeps its bytes, ready for the
   *   next REST); a fresh upload goes to a detached file that both commit and abort put under
   *   the final name (abort keeps the partial upload, to be resumed).
   *
   * @throws {FileSystemError} `not-found` (no parent), `not-directory`, `is-directory` (the path
   *   is a directory or the root), `no-space` (from the stream, when `maxBytes` is reached).
   * @throws {RangeError} for a bad `start`.
   */
  async openWrite(path: string, options: WriteOptions): Promise<WriteTarget> {
    const segments = segmentsOf(path);
    const start = checkOffset(options.start);
    checkMode(options.mode);
    const name = segments.at(-1);
    if (name === undefined) throw new FileSystemError("is-directory", "cannot write to the root");
    const parentSegments = segments.slice(0, -1);
    const parent = this.lookupDirectory(parentSegments);
    const existing = parent.children.get(name);
    if (existing?.type === "directory") throw new FileSystemError("is-directory", `${path} is a directory`);
    const resume = start > 0 || options.append === true;
    const position = start > 0 ? start : options.append ? (existing?.bytes.size ?? 0) : 0;

    if (options.mode === "standard" || (options.mode === "atomic-resume" && resume)) {
      let file = existing;
      if (!file) {
        file = this.newFile();
        this.attach(parent, name, file);
      } else if (!resume) {
        this.resize(file, 0);
      }
      const target = file;
      return createWriteTarget(this.writer(target, position), {
        commit: async () => target.bytes.size,
        abort: async () => {},
      });
    }

    const temp = this.newFile();
    if (existing) temp.mode = existing.mode;
    if (resume && existing) {
      this.charge(existing.bytes.size);
      temp.bytes = existing.bytes.clone();
    }
    const publish = (): number => {
      // Re-resolve: the directory may have been renamed or removed while the upload ran.
      const directory = this.lookupDirectory(parentSegments);
      const current = directory.children.get(name);
      if (current?.type === "directory") throw new FileSystemError("is-directory", `${path} is now a directory`);
      if (current) this.release(current);
      this.attach(directory, name, temp);
      return temp.bytes.size;
    };
    return createWriteTarget(this.writer(temp, position), {
      commit: async () => publish(),
      abort: async () => {
        if (options.mode === "atomic-resume") {
          try {
            publish();
            return;
          } catch {
            // Nowhere to keep the partial upload (its directory is gone): drop it.
          }
        }
        this.release(temp);
      },
    });
  }

  /**
   * STOU: reserves a free name with an empty file, then writes as {@link openWrite} does. An
   * aborted `atomic` upload removes the reservation again.
   *
   * @throws {FileSystemError} `not-found`, `not-directory`, `invalid-name` (bad hint), `exists`
   *   (every candidate name taken).
   */
  async createUnique(directory: string, options: UniqueWriteOptions): Promise<{ path: string; target: WriteTarget }> {
    const segments = segmentsOf(directory);
    const parent = this.lookupDirectory(segments);
    for (const name of uniqueNameCandidates(options.hint)) {
      if (parent.children.has(name)) continue;
      const placeholder = this.newFile();
      this.attach(parent, name, placeholder);
      const path = `/${[...segments, name].join("/")}`;
      const target = await this.openWrite(path, { mode: options.mode });
      if (options.mode !== "atomic") return { path, target };
      return {
        path,
        target: {
          stream: target.stream,
          commit: () => target.commit(),
          abort: async () => {
            await target.abort();
            if (parent.children.get(name) === placeholder && placeholder.bytes.size === 0) this.detach(parent, name);
          },
        },
      };
    }
    throw new FileSystemError("exists", "no free name for STOU");
  }

  /** @throws {FileSystemError} `exists` (also for the root), `not-found` (no parent), `not-directory`. */
  async mkdir(path: string): Promise<void> {
    const segments = segmentsOf(path);
    const name = segments.at(-1);
    if (name === undefined) throw new FileSystemError("exists", "the root exists");
    const parent = this.lookupDirectory(segments.slice(0, -1));
    if (parent.children.has(name)) throw new FileSystemError("exists", `${path} exists`);
    this.attach(parent, name, this.newDirectory());
  }

  /** @throws {FileSystemError} `not-found`, `not-directory`, `not-empty`, `permission` (the root). */
  async rmdir(path: string): Promise<void> {
    const { parent, name, node } = this.lookupEntry(segmentsOf(path), "permission");
    if (node.type !== "directory") throw new FileSystemError("not-directory", `${path} is not a directory`);
    if (node.children.size > 0) throw new FileSystemError("not-empty", `${path} is not empty`);
    this.detach(parent, name);
  }

  /** @throws {FileSystemError} `not-found`, `not-directory`, `is-directory` (also the root). */
  async unlink(path: string): Promise<void> {
    const { parent, name, node } = this.lookupEntry(segmentsOf(path), "is-directory");
    if (node.type === "directory") throw new FileSystemError("is-directory", `${path} is a directory`);
    this.detach(parent, name);
    this.release(node);
  }

  /**
   * Moves an entry, with rename(2) semantics: a file replaces a file; a directory replaces an
   * empty directory; renaming onto itself does nothing.
   *
   * @throws {FileSystemError} `not-found` (source or target parent), `permission` (the root as
   *   source or target), `invalid-name` (a directory into itself), `is-directory` (file onto a
   *   directory), `not-directory` (directory onto a file), `not-empty`.
   */
  async rename(from: string, to: string): Promise<void> {
    const fromSegments = segmentsOf(from);
    const toSegments = segmentsOf(to);
    const source = this.lookupEntry(fromSegments, "permission");
    const targetName = toSegments.at(-1);
    if (targetName === undefined) throw new FileSystemError("permission", "cannot rename onto the root");
    const targetParent = this.lookupDirectory(toSegments.slice(0, -1));
    const existing = targetParent.children.get(targetName);
    if (existing === source.node) return;
    if (source.node.type === "directory" && fromSegments.every((segment, i) => toSegments[i] === segment)) {
      throw new FileSystemError("invalid-name", `cannot move ${from} into itself`);
    }
    if (existing) {
      if (source.node.type === "file" && existing.type === "directory") {
        throw new FileSystemError("is-directory", `${to} is a directory`);
      }
      if (source.node.type === "directory" && existing.type === "file") {
        throw new FileSystemError("not-directory", `${to} is not a directory`);
      }
      if (existing.type === "directory" && existing.children.size > 0) {
        throw new FileSystemError("not-empty", `${to} is not empty`);
      }
      if (existing.type === "file") this.release(existing);
    }
    this.detach(source.parent, source.name);
    this.attach(targetParent, targetName, source.node);
  }

  /** @throws {FileSystemError} `not-found`, `not-directory`. @throws {RangeError} for an invalid Date. */
  async setModifiedTime(path: string, mtime: Date): Promise<void> {
    if (Number.isNaN(mtime.getTime())) throw new RangeError("invalid date");
    this.lookup(segmentsOf(path)).modifiedAt = new Date(mtime.getTime());
  }

  /** Stores the permission bits (`mode & 0o7777`); nothing enforces them. @throws {FileSystemError} `not-found`. */
  async chmod(path: string, mode: number): Promise<void> {
    this.lookup(segmentsOf(path)).mode = mode & 0o7777;
  }

  /** @throws {FileSystemError} `not-found`, `is-directory`, `not-directory`. */
  async hash(path: string, algorithm: HashAlgorithm): Promise<{ digest: string; size: number }> {
    const file = this.lookupFile(segmentsOf(path));
    const bytes = file.bytes;
    const hash = createFileHash(algorithm);
    let sinceYield = 0;
    for (const view of bytes.views()) {
      hash.update(view);
      sinceYield += view.length;
      if (sinceYield >= HASH_SLICE) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    return { digest: hash.digest(), size: bytes.size };
  }

  // --- tree ---

  private lookup(segments: readonly string[]): Node {
    let node: Node = this.root;
    for (const [i, segment] of segments.entries()) {
      if (node.type !== "directory") {
        throw new FileSystemError("not-directory", `/${segments.slice(0, i).join("/")} is not a directory`);
      }
      const child = node.children.get(segment);
      if (!child) throw new FileSystemError("not-found", `/${segments.slice(0, i + 1).join("/")} not found`);
      node = child;
    }
    return node;
  }

  private lookupDirectory(segments: readonly string[]): DirectoryNode {
    const node = this.lookup(segments);
    if (node.type !== "directory") throw new FileSystemError("not-directory", `/${segments.join("/")} is a file`);
    return node;
  }

  private lookupFile(segments: readonly string[]): FileNode {
    const node = this.lookup(segments);
    if (node.type !== "file") throw new FileSystemError("is-directory", `/${segments.join("/")} is a directory`);
    return node;
  }

  /** An entry with its parent; `rootKind` is the error for the root, which has none. */
  private lookupEntry(
    segments: readonly string[],
    rootKind: "permission" | "is-directory",
  ): { parent: DirectoryNode; name: string; node: Node } {
    const name = segments.at(-1);
    if (name === undefined) throw new FileSystemError(rootKind, "not allowed on the root");
    const parent = this.lookupDirectory(segments.slice(0, -1));
    const node = parent.children.get(name);
    if (!node) throw new FileSystemError("not-found", `/${segments.join("/")} not found`);
    return { parent, name, node };
  }

  private attach(parent: DirectoryNode, name: string, node: Node): void {
    parent.children.set(name, node);
    parent.modifiedAt = this.now(); // as on POSIX: adding an entry changes the directory
  }

  private detach(parent: DirectoryNode, name: string): void {
    parent.children.delete(name);
    parent.modifiedAt = this.now();
  }

  private newFile(): FileNode {
    return {
      type: "file",
      id: this.nextId++,
      bytes: new ChunkedBytes(this.chunkSize),
      modifiedAt: this.now(),
      mode: 0o644,
      released: false,
    };
  }

  private newDirectory(): DirectoryNode {
    return { type: "directory", id: this.nextId++, children: new Map(), modifiedAt: this.now(), mode: 0o755 };
  }

  // --- space accounting ---

  /** Claims `bytes` more, or fails like ENOSPC. */
  private charge(bytes: number): void {
    if (this.used + bytes > this.maxBytes) throw new FileSystemError("no-space", "maxBytes reached");
    this.used += bytes;
  }

  /** The file's bytes stop counting (unlinked, replaced, discarded); idempotent. */
  private release(file: FileNode): void {
    if (file.released) return;
    file.released = true;
    this.used -= file.bytes.size;
  }

  private resize(file: FileNode, size: number): void {
    const growth = size - file.bytes.size;
    if (!file.released && growth > 0) this.charge(growth);
    else if (!file.released) this.used += growth;
    file.bytes.truncate(size);
    file.modifiedAt = this.now();
  }

  private writeAt(file: FileNode, position: number, data: Uint8Array): void {
    const growth = position + data.length - file.bytes.size;
    if (!file.released && growth > 0) this.charge(growth);
    file.bytes.write(position, data);
    file.modifiedAt = this.now();
  }

  private writer(file: FileNode, start: number): Writable {
    let position = start;
    return new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _encoding, callback) => {
        try {
          this.writeAt(file, position, chunk);
          position += chunk.length;
          callback();
        } catch (error) {
          callback(error as Error);
        }
      },
    });
  }

  private seed(path: string, content: string | Uint8Array | null): void {
    const segments = segmentsOf(path);
    let directory = this.root;
    const last = content === null ? segments.length : segments.length - 1;
    for (const segment of segments.slice(0, last)) {
      let child = directory.children.get(segment);
      if (!child) this.attach(directory, segment, (child = this.newDirectory()));
      if (child.type !== "directory") throw new FileSystemError("not-directory", `seed: ${path} crosses a file`);
      directory = child;
    }
    if (content === null) return;
    const name = segments.at(-1);
    if (name === undefined || path.endsWith("/"))
      throw new FileSystemError("invalid-name", `seed: ${path} is a directory path`);
    if (directory.children.has(name)) throw new FileSystemError("exists", `seed: ${path} given twice`);
    const file = this.newFile();
    this.writeAt(file, 0, typeof content === "string" ? Buffer.from(content, "utf8") : content);
    this.attach(directory, name, file);
  }
}

function checkMode(mode: UploadMode): void {
  if (mode !== "standard" && mode !== "atomic" && mode !== "atomic-resume") {
    throw new TypeError(`unknown upload mode ${String(mode)}`);
  }
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function entryOf(name: string, node: Node): EntryInfo {
  return {
    name,
    type: node.type,
    size: node.type === "file" ? node.bytes.size : 0,
    modifiedAt: new Date(node.modifiedAt.getTime()),
    mode: node.mode,
    hardLinks: node.type === "directory" ? 2 : 1,
    unique: `mem-${node.id}`,
  };
}
