import type { FileHandle } from "node:fs/promises";
import { Writable } from "node:stream";
import { FileSystemError } from "../file-system-error.js";
import { storageErrorKindOf } from "../storage-error-kind.js";

/**
 * Bytes queued before `write()` returns false and a piped source pauses. 4 MiB measured best on
 * our VMs for socket → file (notes/node-throughput.md: 875 MB/s against 791 at 1 MiB and 781
 * at 16 MiB; `socket.pipe(fs.createWriteStream())` reached 413–590).
 */
export const WRITE_HIGH_WATER_MARK = 4 * 1024 * 1024;

/**
 * A writable onto an open {@link FileHandle} that flushes with one `writev` at a time: while a
 * `writev` is in flight, Writable buffers the incoming chunks, and hands them all to the next
 * `_writev` call. That is exactly the "queue chunks, one fs.writev in flight, pause above
 * ~4 MiB" technique of notes/node-throughput.md, with Writable doing the queueing and the
 * back-pressure.
 *
 * Writes go to explicit positions (pwritev), starting at `position`: no `O_APPEND` (Linux
 * ignores the position of a pwrite on an `O_APPEND` descriptor), so REST and APPE both work
 * by choosing the start. The handle is closed by `_destroy`, which Writable calls after
 * `finish` (autoDestroy) or on `destroy()`; it first waits for a `writev` in flight, because
 * closing a descriptor under a pending write would let the kernel reuse its number.
 *
 * @internal
 */
export class FileHandleWriter extends Writable {
  /** The file's size when the stream finished (fstat in `_final`), for `commit()`. */
  finalSize = 0;
  private position: number;
  private inFlight: Promise<void> | undefined;

  /**
   * @param exclusive - The file was created empty for this upload alone (`O_EXCL`, the temporary
   *   file of an atomic upload): its final size is the end of the last write, known without the
   *   `fstat` (one thread-pool round trip fewer per upload). Otherwise `_final` asks the file.
   */
  constructor(
    private readonly handle: FileHandle,
    position: number,
    private readonly exclusive = false,
  ) {
    super({ highWaterMark: WRITE_HIGH_WATER_MARK });
    this.position = position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.flush([chunk], callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.flush(
      chunks.map((entry) => entry.chunk),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.exclusive) {
      this.finalSize = this.position;
      callback();
      return;
    }
    this.handle.stat().then(
      (stats) => {
        this.finalSize = stats.size;
        callback();
      },
      (error: unknown) => callback(asStorageError(error, "fstat")),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const pending = this.inFlight ?? Promise.resolve();
    pending
      .catch(() => {}) // its error already went to the write callback
      .then(() => this.handle.close())
      .then(
        () => callback(error),
        (closeError: unknown) => callback(error ?? asStorageError(closeError, "close")),
      );
  }

  private flush(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    const flight = this.writeAll(buffers);
    this.inFlight = flight;
    flight.then(
      () => {
        this.inFlight = undefined;
        callback();
      },
      (error: unknown) => {
        this.inFlight = undefined;
        callback(asStorageError(error, "write"));
      },
    );
  }

  /** writev may write less than asked (a signal, a nearly full disk): go on with the rest. */
  private async writeAll(buffers: Buffer[]): Promise<void> {
    let remaining = buffers;
    while (remaining.length > 0) {
      const total = remaining.reduce((sum, buffer) => sum + buffer.length, 0);
      const { bytesWritten } = await this.handle.writev(remaining, this.position);
      this.position += bytesWritten;
      if (bytesWritten >= total) return;
      if (bytesWritten === 0) throw new FileSystemError("io", "writev wrote nothing");
      remaining = skipBytes(remaining, bytesWritten);
    }
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  let left = count;
  const out: Buffer[] = [];
  for (const buffer of buffers) {
    if (left >= buffer.length) {
      left -= buffer.length;
      continue;
    }
    out.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return out;
}

function asStorageError(error: unknown, what: string): Error {
  if (FileSystemError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  return new FileSystemError(storageErrorKindOf(error), `${what} failed: ${String(code ?? error)}`, { cause: error });
}
