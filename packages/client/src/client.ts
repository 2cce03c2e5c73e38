/**
 * The public `Client`: one control connection, a queue in front of it, reconnect on demand.
 * Every method is one queued task; the FTP sequencing lives in operations/, transfer/,
 * listing.ts and dirs/, the socket loop in transport/.
 */
import type { Readable, Writable } from "node:stream";
import type { FileInfo, Reply } from "@ftpkit/protocol";
import {
  type DirectoryTransferOptions,
  type DirectoryTransferResult,
  downloadDir,
  uploadDir,
} from "./dirs/dir-transfer.js";
import { type MirrorOptions, type MirrorResult, mirror } from "./dirs/mirror.js";
import type { DirRunner } from "./dirs/runner.js";
import { FtpConnectionError } from "./errors/ftp-connection-error.js";
import { listDirectory } from "./listing.js";
import { makeDirectory, removeDirectory } from "./operations/directories.js";
import {
  changeDirectory,
  fileSize,
  modificationTime,
  removeFile,
  renamePath,
  sendRaw,
  setModificationTime,
} from "./operations/files.js";
import { absoluteRemote } from "./operations/paths.js";
import { type ConnectOptions, isResolvedOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { Pool } from "./pool.js";
import { type DownloadOptions, download, type TransferResult } from "./transfer/download.js";
import { type FxpOptions, type FxpResult, fxp } from "./transfer/fxp.js";
import { type ConnectionSource, withRetries } from "./transfer/retry.js";
import type { UploadSource } from "./transfer/sources.js";
import { readStreamFrom, writeStreamTo } from "./transfer/streams.js";
import { type UploadOptions, upload } from "./transfer/upload.js";
import { type Connection, freshHints, openConnection } from "./transport/connection.js";
import { TaskQueue } from "./transport/task-queue.js";

/** Options every call takes. */
export interface CallOptions {
  /** Aborts the call: it rejects with the signal's reason; a running transfer is ended with ABOR first. */
  signal?: AbortSignal;
}

export interface MkdirOptions extends CallOptions {
  /** Create missing parents too; an existing directory is not an error. */
  recursive?: boolean;
}

export interface RmdirOptions extends CallOptions {
  /** Remove everything inside first. */
  recursive?: boolean;
}

export interface ReadStreamOptions extends CallOptions {
  offset?: number;
  type?: "binary" | "ascii";
}

export interface WriteStreamOptions extends CallOptions {
  append?: boolean;
  offset?: number;
  type?: "binary" | "ascii";
}

let nextClientId = 1;

/**
 * An FTP client on one control connection.
 *
 * Calls may be made at any time and in any number: they wait in a queue and run one after
 * the other; one failing (or being aborted) does not affect the others. When the connection
 * is lost, the next call opens a new one (logged in, back in the same directory), and
 * transfers retry with back-off and resume where they stopped.
 */
export class Client {
  /** The validated options, defaults applied. */
  readonly options: ResolvedOptions;
  private readonly queue: TaskQueue;
  private connection: Connection | undefined;
  /** The directory to return to on a new connection. */
  private cwd: string | undefined;
  private closed = false;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private readonly connections: ConnectionSource;
  /** What the server refused (EPSV, EPRT, LIST -a), remembered across reconnects. */
  private readonly hints = freshHints();
  /** Orders the queues an FXP transfer holds, so two of them never wait for each other. */
  private readonly id = nextClientId++;

  /**
   * Use {@link Client.connect}; a client made with `new` connects on its first call.
   * @throws TypeError for invalid options.
   */
  constructor(options: ConnectOptions | string | URL | ResolvedOptions, extra?: Partial<ConnectOptions>) {
    this.options = isResolvedOptions(options) ? options : resolveOptions(options, extra);
    this.queue = new TaskQueue(() => this.scheduleKeepAlive());
    this.connections = { options: this.options, acquire: (signal) => this.acquire(signal) };
  }

  /**
   * Connects and logs in.
   * @param options - options, or an `ftp://user:password@host:port` URL (`extra` then adds options).
   * @throws FtpError (a refused login: 530), FtpTimeoutError, FtpConnectionError, TypeError (bad options).
   */
  static async connect(options: ConnectOptions | string | URL, extra?: Partial<ConnectOptions>): Promise<Client> {
    const client = new Client(options, extra);
    try {
      await client.run(undefined, async () => {});
    } catch (error) {
      client.closed = true;
      throw error;
    }
    return client;
  }

  /** @internal Calls waiting or running (the pool sends new work to the least busy client). */
  get pending(): number {
    return this.queue.size;
  }

  /** The current remote directory (PWD). */
  pwd(options: CallOptions = {}): Promise<string> {
    return this.run(options.signal, (c) => c.refreshCwd(options.signal));
  }

  /** Changes the remote directory (CWD) and returns the new one. */
  cd(path: string, options: CallOptions = {}): Promise<string> {
    return this.run(options.signal, async (c) => {
      const cwd = await changeDirectory(c, path, options.signal);
      this.cwd = cwd;
      return cwd;
    });
  }

  /** Lists a directory (default: the current one): MLSD when offered, LIST otherwise. */
  list(path?: string, options: CallOptions = {}): Promise<FileInfo[]> {
    return this.retrying(options.signal, (c) => listDirectory(c, path, options.signal));
  }

  /**
   * Downloads a remote file to a local path or into a Writable.
   * @throws FtpError (550 no such file ...), FtpTimeoutError, FtpConnectionError after the
   *   retries ran out, the signal's reason when aborted.
   */
  download(remotePath: string, destination: string | Writable, options: DownloadOptions = {}): Promise<TransferResult> {
    return this.queue.run(() => download(this.connections, remotePath, destination, options), options.signal);
  }

  /** Uploads a local path, bytes, a Readable or an async iterable to a remote file. */
  upload(source: UploadSource, remotePath: string, options: UploadOptions = {}): Promise<TransferResult> {
    return this.queue.run(() => upload(this.connections, source, remotePath, options), options.signal);
  }

  /** A remote file as a Readable (also an async iterable of Buffers). */
  createReadStream(remotePath: string, options: ReadStreamOptions = {}): Readable {
    return readStreamFrom((sink, signal) =>
      this.download(remotePath, sink, { ...options, signal: combine(options.signal, signal) }),
    );
  }

  /** A Writable that uploads to a remote file; it finishes when the server confirmed the file (226). */
  createWriteStream(remotePath: string, options: WriteStreamOptions = {}): Writable {
    return writeStreamTo((source, signal) =>
      this.upload(source, remotePath, { ...options, signal: combine(options.signal, signal) }),
    );
  }

  /**
   * FXP: copies `sourcePath` on this client's server to `destinationPath` on `destination`'s
   * server, directly between the two servers (the bytes never pass through this process).
   * One server listens (EPSV/PASV) and the other connects to it (EPRT/PORT): the destination
   * listens first, and the other order is tried when that one is refused. Both servers must
   * allow it: a PORT/EPRT to another address than the client's is the FTP bounce attack
   * (RFC 2577), which servers refuse by default. Runs in both clients' queues, after the
   * calls queued before it on either.
   * @throws FtpFxpError `FTP_ERR_FXP_REFUSED` (neither order worked: `attempts` says why),
   *   `FTP_ERR_FXP_FAILED` (`side` and `cause` say where and what: 550, 553, a timeout ...),
   *   `FTP_ERR_FXP_TLS` (a client with PROT P); TypeError (the same client twice);
   *   RangeError (a bad offset); the signal's reason when aborted (after ABOR on both).
   */
  transferTo(
    sourcePath: string,
    destination: Client,
    destinationPath: string,
    options: FxpOptions = {},
  ): Promise<FxpResult> {
    if (destination === this) {
      return Promise.reject(
        new TypeError("FXP needs two clients (one control connection each), even for two paths on one server"),
      );
    }
    const { signal } = options;
    const [first, second] = this.id < destination.id ? [this, destination] : [destination, this];
    return first.queue.run(
      () =>
        second.queue.run(async () => {
          const source = await this.acquire(signal);
          const target = await destination.acquire(signal);
          return fxp(source, sourcePath, target, destinationPath, options);
        }, signal),
      signal,
    );
  }

  /** MKD; with `recursive`, the missing parents too and no error when it exists. */
  mkdir(path: string, options: MkdirOptions = {}): Promise<void> {
    if (options.recursive === true) {
      return this.retrying(options.signal, (c) => makeDirectory(c, path, true, options.signal));
    }
    return this.run(options.signal, (c) => makeDirectory(c, path, false, options.signal));
  }

  /** RMD; with `recursive`, everything inside first. */
  rmdir(path: string, options: RmdirOptions = {}): Promise<void> {
    return this.run(options.signal, (c) => removeDirectory(c, path, options.recursive === true, options.signal));
  }

  /** DELE. */
  remove(path: string, options: CallOptions = {}): Promise<void> {
    return this.run(options.signal, (c) => removeFile(c, path, options.signal));
  }

  /** RNFR + RNTO. */
  rename(from: string, to: string, options: CallOptions = {}): Promise<void> {
    return this.run(options.signal, (c) => renamePath(c, from, to, options.signal));
  }

  /** SIZE, in bytes. */
  size(path: string, options: CallOptions = {}): Promise<number> {
    return this.retrying(options.signal, (c) => fileSize(c, path, options.signal));
  }

  /** MDTM: the modification time. */
  lastModified(path: string, options: CallOptions = {}): Promise<Date> {
    return this.retrying(options.signal, (c) => modificationTime(c, path, options.signal));
  }

  /** MFMT (or vsftpd's two-argument MDTM): sets the modification time (to the second). */
  setLastModified(path: string, date: Date, options: CallOptions = {}): Promise<void> {
    return this.run(options.signal, (c) => setModificationTime(c, path, date, options.signal));
  }

  /** The server's FEAT features: name (upper case) to its parameters. */
  features(options: CallOptions = {}): Promise<ReadonlyMap<string, string>> {
    return this.run(options.signal, async (c) => new Map(c.features));
  }

  /**
   * Sends one raw command line (`SITE CHMOD 644 a.txt`) and returns the reply.
   * @throws FtpError for a 4yz/5yz reply; LocalProtocolError (before sending) for CR/LF/NUL,
   *   an unknown verb or a transfer command.
   */
  send(line: string, options: CallOptions = {}): Promise<Reply> {
    return this.run(options.signal, async (c) => {
      const reply = await sendRaw(c, line, options.signal);
      this.cwd = c.cwd;
      return reply;
    });
  }

  /** Downloads a remote directory tree into a local directory. */
  downloadDir(
    remoteDir: string,
    localDir: string,
    options: DirectoryTransferOptions = {},
  ): Promise<DirectoryTransferResult> {
    return this.withRunner(options.parallel, (runner, parallel) =>
      downloadDir(runner, remoteDir, localDir, { ...options, parallel }),
    );
  }

  /** Uploads a local directory tree into a remote directory. */
  uploadDir(
    localDir: string,
    remoteDir: string,
    options: DirectoryTransferOptions = {},
  ): Promise<DirectoryTransferResult> {
    return this.withRunner(options.parallel, (runner, parallel) =>
      uploadDir(runner, localDir, remoteDir, { ...options, parallel }),
    );
  }

  /** Makes the target tree like the source tree, transferring only what changed. */
  mirror(remoteDir: string, localDir: string, options: MirrorOptions): Promise<MirrorResult> {
    return this.withRunner(options.parallel, (runner, parallel) =>
      mirror(runner, remoteDir, localDir, { ...options, parallel }),
    );
  }

  /** @internal (DirRunner) an absolute remote path for `path`. */
  resolvePath(path: string, options: CallOptions = {}): Promise<string> {
    return this.run(options.signal, async (c) => absoluteRemote(c.cwd, path));
  }

  /** Waits for the queued calls, sends QUIT and closes the connection. Later calls fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue
      .run(async () => {
        this.closed = true;
        clearTimeout(this.keepAliveTimer);
        const connection = this.connection;
        this.connection = undefined;
        await connection?.control.quit();
      })
      .catch(() => {});
  }

  // ---- internals ------------------------------------------------------------

  /** Runs one task on a live connection, in queue order. */
  private run<T>(signal: AbortSignal | undefined, task: (connection: Connection) => Promise<T>): Promise<T> {
    return this.queue.run(async () => task(await this.acquire(signal)), signal);
  }

  /** Like {@link run}, retried on a new connection when the connection drops (idempotent calls). */
  private retrying<T>(signal: AbortSignal | undefined, task: (connection: Connection) => Promise<T>): Promise<T> {
    return this.queue.run(() => withRetries(this.connections, signal, true, task), signal);
  }

  private async acquire(signal: AbortSignal | undefined): Promise<Connection> {
    clearTimeout(this.keepAliveTimer);
    if (this.closed) throw new FtpConnectionError("FTP_ERR_CLIENT_CLOSED", "the client is closed");
    const current = this.connection;
    if (current?.usable) {
      this.cwd = current.cwd;
      return current;
    }
    current?.control.destroy();
    this.connection = undefined;
    const connection = await openConnection(this.options, signal, this.cwd, this.hints);
    this.connection = connection;
    this.cwd = connection.cwd;
    return connection;
  }

  /** Sends NOOP after `keepAlive` ms of idleness, so servers and NATs keep the connection. */
  private scheduleKeepAlive(): void {
    clearTimeout(this.keepAliveTimer);
    if (this.closed || this.options.keepAlive === 0 || this.connection === undefined) return;
    this.keepAliveTimer = setTimeout(() => {
      const connection = this.connection;
      if (this.queue.size > 0 || connection === undefined || !connection.usable) return;
      this.queue
        .run(async () => {
          if (this.connection === connection && connection.usable)
            await connection.expect("NOOP", undefined, undefined);
        })
        .catch(() => connection.control.destroy());
    }, this.options.keepAlive);
    this.keepAliveTimer.unref();
  }

  /** Directory operations run on this client, or on a temporary pool with `parallel` > 1. */
  private async withRunner<T>(
    parallel: number | undefined,
    task: (runner: DirRunner, parallel: number) => Promise<T>,
  ): Promise<T> {
    const count = parallel ?? 1;
    if (count <= 1) return task(this, 1);
    // Paths are made absolute against this client's directory first, then a temporary pool
    // of `count` connections with the same options does the work.
    const pool = new Pool(this.options, { size: count });
    const base = await this.resolvePath(".");
    try {
      return await task(pool.relativeTo(base), count);
    } finally {
      await pool.close();
    }
  }
}

/** One signal that aborts when either does. */
function combine(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a === undefined ? b : AbortSignal.any([a, b]);
}
