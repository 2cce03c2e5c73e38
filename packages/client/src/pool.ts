/**
 * `Pool`: the client's methods spread over up to `size` connections. Each call goes to the
 * least busy client (connections open on demand); directory operations run `size`
 * transfers at once. The pool's working directory is its own: `cd` sets it, and every
 * relative path is made absolute against it before it goes to a connection.
 */
import type { Readable, Writable } from "node:stream";
import type { FileInfo, Reply } from "@ftpkit/protocol";
import {
  type CallOptions,
  Client,
  type MkdirOptions,
  type ReadStreamOptions,
  type RmdirOptions,
  type WriteStreamOptions,
} from "./client.js";
import {
  type DirectoryTransferOptions,
  type DirectoryTransferResult,
  downloadDir,
  uploadDir,
} from "./dirs/dir-transfer.js";
import { type MirrorOptions, type MirrorResult, mirror } from "./dirs/mirror.js";
import { FtpConnectionError } from "./errors/ftp-connection-error.js";
import { absoluteRemote } from "./operations/paths.js";
import { type ConnectOptions, isResolvedOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { DownloadOptions, TransferResult } from "./transfer/download.js";
import type { UploadSource } from "./transfer/sources.js";
import type { UploadOptions } from "./transfer/upload.js";

export type PoolOptions = ConnectOptions & {
  /** How many connections at most (default 4). */
  size?: number;
};

export class Pool {
  /** The most connections this pool opens (the `size` option). */
  readonly capacity: number;
  readonly options: ResolvedOptions;
  private readonly clients: Client[] = [];
  /** Clients whose first connection {@link prepare} is opening (that call is not real work). */
  private readonly warming = new Set<Client>();
  private base: string | undefined;
  private closed = false;

  /**
   * Connections open on demand, on the first calls.
   * @param options - options with `size`, or an `ftp://` URL (`extra` adds options and `size`).
   * @throws TypeError for invalid options.
   */
  constructor(options: PoolOptions | string | URL | ResolvedOptions, extra: Partial<PoolOptions> = {}) {
    if (isResolvedOptions(options)) {
      this.options = options;
      this.capacity = checkSize(extra.size ?? 4);
      return;
    }
    const { size: extraSize, ...extraRest } = extra;
    if (typeof options === "string" || options instanceof URL) {
      this.options = resolveOptions(options, extraRest);
      this.capacity = checkSize(extraSize ?? 4);
      return;
    }
    const { size, ...rest } = { ...options, ...extra } as PoolOptions;
    this.options = resolveOptions(rest);
    this.capacity = checkSize(size ?? 4);
  }

  /** @internal Makes relative paths relative to `base` (a client's directory). */
  relativeTo(base: string): this {
    this.base = base;
    return this;
  }

  async pwd(options: CallOptions = {}): Promise<string> {
    const client = this.pick();
    return this.base ?? (await client.pwd(options));
  }

  async cd(path: string, options: CallOptions = {}): Promise<string> {
    this.base = await this.pick().cd(this.path(path), options);
    return this.base;
  }

  async list(path?: string, options: CallOptions = {}): Promise<FileInfo[]> {
    return this.pick().list(path === undefined ? this.base : this.path(path), options);
  }

  async download(
    remotePath: string,
    destination: string | Writable,
    options?: DownloadOptions,
  ): Promise<TransferResult> {
    return this.pick().download(this.path(remotePath), destination, options);
  }

  async upload(source: UploadSource, remotePath: string, options?: UploadOptions): Promise<TransferResult> {
    return this.pick().upload(source, this.path(remotePath), options);
  }

  createReadStream(remotePath: string, options?: ReadStreamOptions): Readable {
    return this.pick().createReadStream(this.path(remotePath), options);
  }

  createWriteStream(remotePath: string, options?: WriteStreamOptions): Writable {
    return this.pick().createWriteStream(this.path(remotePath), options);
  }

  async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    return this.pick().mkdir(this.path(path), options);
  }

  async rmdir(path: string, options?: RmdirOptions): Promise<void> {
    return this.pick().rmdir(this.path(path), options);
  }

  async remove(path: string, options?: CallOptions): Promise<void> {
    return this.pick().remove(this.path(path), options);
  }

  async rename(from: string, to: string, options?: CallOptions): Promise<void> {
    return this.pick().rename(this.path(from), this.path(to), options);
  }

  async size(path: string, options?: CallOptions): Promise<number> {
    return this.pick().size(this.path(path), options);
  }

  async lastModified(path: string, options?: CallOptions): Promise<Date> {
    return this.pick().lastModified(this.path(path), options);
  }

  async setLastModified(path: string, date: Date, options?: CallOptions): Promise<void> {
    return this.pick().setLastModified(this.path(path), date, options);
  }

  async features(options?: CallOptions): Promise<ReadonlyMap<string, string>> {
    return this.pick().features(options);
  }

  /** Sends a raw command on one of the connections (avoid commands whose state spans calls, like RNFR). */
  async send(line: string, options?: CallOptions): Promise<Reply> {
    return this.pick().send(line, options);
  }

  async downloadDir(
    remoteDir: string,
    localDir: string,
    options: DirectoryTransferOptions = {},
  ): Promise<DirectoryTransferResult> {
    return downloadDir(this, this.path(remoteDir), localDir, {
      ...options,
      parallel: options.parallel ?? this.capacity,
    });
  }

  async uploadDir(
    localDir: string,
    remoteDir: string,
    options: DirectoryTransferOptions = {},
  ): Promise<DirectoryTransferResult> {
    return uploadDir(this, localDir, this.path(remoteDir), { ...options, parallel: options.parallel ?? this.capacity });
  }

  async mirror(remoteDir: string, localDir: string, options: MirrorOptions): Promise<MirrorResult> {
    return mirror(this, this.path(remoteDir), localDir, { ...options, parallel: options.parallel ?? this.capacity });
  }

  /**
   * @internal (DirRunner) Against the pool's directory, or the directory a connection
   * already knows (it asked PWD when it logged in): no round trip.
   */
  async resolvePath(path: string, options: CallOptions = {}): Promise<string> {
    if (this.base !== undefined) return absoluteRemote(this.base, path);
    return this.pick().resolvePath(path, options);
  }

  /** @internal (DirRunner) Opens up to `parallel` connections at once (see {@link DirRunner.prepare}). */
  prepare(parallel: number): void {
    if (this.closed) return;
    const count = Math.min(parallel, this.capacity);
    while (this.clients.length < count) {
      const client = new Client(this.options);
      this.clients.push(client);
      // The connection is opened by a queued call, so the transfers given to this client wait
      // for it in order; a failure here is reported (and retried) by the next call instead.
      this.warming.add(client);
      client
        .resolvePath(".")
        .catch(() => {})
        .finally(() => this.warming.delete(client));
    }
  }

  /** Closes every connection (after their queued calls). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.clients.map((client) => client.close()));
  }

  private path(path: string): string {
    return this.base === undefined ? path : absoluteRemote(this.base, path);
  }

  /** The least busy client; a new one while fewer than `size` exist and all are busy. */
  private pick(): Client {
    if (this.closed) throw new FtpConnectionError("FTP_ERR_CLIENT_CLOSED", "the pool is closed");
    let best: Client | undefined;
    let bestLoad = 0;
    for (const client of this.clients) {
      // A connection being opened for the work to come counts as free: the work waits for
      // it in its queue rather than opening yet another connection.
      const load = client.pending - (this.warming.has(client) ? 1 : 0);
      if (best === undefined || load < bestLoad) {
        best = client;
        bestLoad = load;
      }
    }
    if (best === undefined || (bestLoad > 0 && this.clients.length < this.capacity)) {
      best = new Client(this.options);
      this.clients.push(best);
    }
    return best;
  }
}

function checkSize(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > 64) throw new TypeError(`pool size must be 1..64, got ${size}`);
  return size;
}
