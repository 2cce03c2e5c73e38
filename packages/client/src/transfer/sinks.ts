/**
 * Where downloaded bytes go. A sink lives across the attempts of one download (retries
 * resume into the same file or stream).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { deferred } from "../internal/deferred.js";

export interface Sink {
  /** Writes a chunk at the current position. See `Consumer.data` for `owned` and `resume`. */
  write(chunk: Uint8Array, owned: boolean, resume: () => void): boolean;
  /** Moves the write position (a resumed attempt). Only file sinks can move backwards. */
  seek(position: number): void;
  /** Rejects when the destination fails asynchronously. */
  readonly failure: Promise<never>;
  /** All bytes are in: flush and close (end the stream when asked). */
  finish(): Promise<void>;
  /** The download failed: release resources; the partial data stays for a later resume. */
  abandon(): void;
}

/**
 * A local file. Writes are synchronous `fs.writeSync` calls straight from the data socket's
 * reused `onread` buffer: no copy, no allocation per read, and the measured fastest way for
 * a Node client to land a download (shared/notes/node-throughput.md: `onread` + writeSync
 * ≈ 0.97x a C receiver, `pipe(createWriteStream())` ≈ 0.6x). Each call blocks the event
 * loop for one page-cache write of at most 1 MiB.
 *
 * The file is opened at the first byte (or at the end for an empty file), so a download
 * the server refuses never creates or truncates it. Position 0 truncates; a resume
 * position writes into the existing file (RFC 3659 §5: REST then RETR).
 */
export class FileSink implements Sink {
  private readonly path: string;
  private fd: number | undefined;
  private position: number;
  private readonly start: number;
  readonly failure: Promise<never> = new Promise<never>(() => {});

  constructor(path: string, position: number) {
    this.path = path;
    this.position = position;
    this.start = position;
  }

  write(chunk: Uint8Array): boolean {
    const fd = this.open();
    let done = 0;
    while (done < chunk.length) {
      done += writeSync(fd, chunk, done, chunk.length - done, this.position + done);
    }
    this.position += chunk.length;
    return true;
  }

  seek(position: number): void {
    this.position = position;
  }

  finish(): Promise<void> {
    this.open();
    this.close();
    return Promise.resolve();
  }

  abandon(): void {
    this.close();
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    if (this.start === 0 && this.position === 0) {
      this.fd = openSync(this.path, "w");
    } else {
      try {
        this.fd = openSync(this.path, "r+");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        this.fd = openSync(this.path, "w");
      }
    }
    return this.fd;
  }

  private close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }
}

/**
 * Borrowed bytes are copied into pieces of at most this size before they go to a caller's
 * Writable. Measured against vsftpd (256 MiB to a discarding Writable, same batch): one
 * copy per read (up to the 1 MiB read buffer) cost 0.7–1.3 CPU s/GiB, 64 KiB pieces
 * 0.5–0.75. Buffers this small come from malloc's heap and are reused after GC; bigger
 * ones are mapped fresh each time (strace: one brk or mmap per read), so every page of
 * every chunk faulted. The Writable sees more, smaller writes, which costs less.
 */
export const COPY_PIECE = 64 * 1024;

/**
 * A caller's Writable, with its back-pressure: when `write` returns false the data
 * connection pauses until 'drain'. Bytes from the reused read buffer are copied (in
 * pieces of at most {@link COPY_PIECE}). With
 * `end` (the default) the stream is ended after the last byte and the download resolves
 * on its 'finish'; otherwise it is left open. A failed download leaves it as it is.
 */
export class WritableSink implements Sink {
  private readonly writable: Writable;
  private readonly end: boolean;
  private readonly failed = deferred<never>();
  readonly failure: Promise<never>;
  private readonly onError = (error: Error) => this.failed.reject(error);

  constructor(writable: Writable, end: boolean) {
    this.writable = writable;
    this.end = end;
    this.failure = this.failed.promise;
    writable.on("error", this.onError);
  }

  write(chunk: Uint8Array, owned: boolean, resume: () => void): boolean {
    if (this.writable.destroyed) {
      throw this.writable.errored ?? new Error("the destination stream was destroyed");
    }
    let ok: boolean;
    if (owned) {
      ok = this.writable.write(chunk);
    } else {
      // Every piece is written even after `write` returned false: the read buffer is reused
      // at the next read, so what is borrowed now must be handed over now. The Writable
      // buffers the rest (at most one read, 1 MiB) and the socket pauses until 'drain'.
      ok = true;
      for (let at = 0; at < chunk.length; at += COPY_PIECE) {
        const end = Math.min(chunk.length, at + COPY_PIECE);
        if (!this.writable.write(Buffer.from(chunk.subarray(at, end)))) ok = false;
      }
    }
    if (!ok) this.writable.once("drain", resume);
    return ok;
  }

  seek(): void {}

  async finish(): Promise<void> {
    try {
      if (this.end) {
        this.writable.end();
        await finished(this.writable, { readable: false });
      }
    } finally {
      this.writable.off("error", this.onError);
    }
  }

  abandon(): void {
    this.writable.off("error", this.onError);
  }
}
