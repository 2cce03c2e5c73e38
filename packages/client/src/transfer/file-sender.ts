/**
 * Uploads from a local file: read into reused buffers, write each to the data socket, reuse
 * it once the socket took it (the write callback). Memory stays at {@link BUFFERS} ×
 * {@link CHUNK} per connection, whatever the file size.
 *
 * Why not `createReadStream(path, { highWaterMark: 1 MiB }).pipe(socket)`, the fastest way in
 * a bare process (shared/notes/node-throughput.md)? A read stream allocates a new 1 MiB
 * buffer for every read, and V8 answers each 64 MiB of such external memory with a full
 * mark-compact of the JavaScript heap. In a process that has loaded this library (and an
 * application around it) the heap is ~3x a bare one's and each of those collections cost
 * 30-40 ms here: measured against vsftpd, 256 MiB per run, interleaved, the client's own
 * heap loaded: pipe 1.4-2.1 CPU s/GiB, this loop (2 × 1 MiB) 0.85-1.5, at the same
 * throughput. Without new buffers there is nothing for the collector to do.
 */
import { close, open, read } from "node:fs";
import type { Socket } from "node:net";
import type { AsciiEncoder } from "@ftpkit/protocol";
import type { Connection } from "../transport/connection.js";

const CHUNK = 1024 * 1024;
const BUFFERS = 2;
const pools = new WeakMap<Connection, Buffer[]>();

/** A connection runs one transfer at a time, so its buffers are never shared. */
function buffersFor(connection: Connection): Buffer[] {
  let buffers = pools.get(connection);
  if (buffers === undefined) {
    buffers = [];
    pools.set(connection, buffers);
  }
  return buffers;
}

export interface FileSending {
  /** True while the next bytes wait for the disk, not for the socket (our silence, not the server's). */
  readonly reading: () => boolean;
  /** Stops reading and closes the file (idempotent); the socket is the caller's. */
  readonly stop: () => void;
}

/**
 * Sends the file from `start` to its end, then ends the socket.
 * @param onChunk - called with the size of every piece read.
 * @param onError - a read (or open) error; nothing more is written after it.
 */
export function sendFile(
  connection: Connection,
  socket: Socket,
  path: string,
  start: number,
  encoder: AsciiEncoder | undefined,
  onChunk: (count: number) => void,
  onError: (error: Error) => void,
): FileSending {
  const free = buffersFor(connection);
  // Buffers lent to the socket; they return to `free` in the write callback.
  let lent = 0;
  let fd: number | undefined;
  let position = start;
  let busy = true;
  let eof = false;
  let stopped = false;

  const stop = () => {
    if (stopped) return;
    stopped = true;
    busy = false;
    if (fd !== undefined) close(fd, () => {});
    fd = undefined;
  };
  const fail = (error: Error) => {
    stop();
    onError(error);
  };
  const pump = (): void => {
    if (stopped || busy || eof) return;
    if (socket.destroyed) {
      stop();
      return;
    }
    if (lent >= BUFFERS) return;
    const buffer = free.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
    busy = true;
    read(fd as number, buffer, 0, CHUNK, position, (error, count) => {
      busy = false;
      if (stopped) {
        free.push(buffer);
        return;
      }
      if (error !== null) {
        free.push(buffer);
        fail(error);
        return;
      }
      if (count === 0) {
        free.push(buffer);
        eof = true;
        stop();
        socket.end();
        return;
      }
      position += count;
      onChunk(count);
      const piece = count === CHUNK ? buffer : buffer.subarray(0, count);
      const wire = encoder === undefined ? piece : encoder.encode(piece);
      lent++;
      socket.write(wire, () => {
        // Written out (or the socket failed): the buffer is ours again.
        lent--;
        free.push(buffer);
        pump();
      });
      pump();
    });
  };
  open(path, "r", (error, opened) => {
    busy = false;
    if (error !== null) {
      fail(error);
      return;
    }
    if (stopped) {
      close(opened, () => {});
      return;
    }
    fd = opened;
    pump();
  });
  return { reading: () => busy && !stopped, stop };
}
