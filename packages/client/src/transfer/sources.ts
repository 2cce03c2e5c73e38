/**
 * What an upload reads: a local path, bytes, a Readable or an async iterable. Paths and
 * bytes can be read again from any position, so an upload from them resumes after a
 * dropped connection; a stream is read once.
 */
import { readFile, stat } from "node:fs/promises";
import { Readable } from "node:stream";

/** An upload source (see {@link Client.upload}). */
export type UploadSource = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

export interface Source {
  /** False for streams: they cannot be read twice, so a failed upload is not retried. */
  readonly rewindable: boolean;
  /** The number of bytes, when known. */
  readonly size: number | undefined;
  /**
   * The bytes from `position` on: a stream (streams ignore the position: read once); for
   * bytes in memory, those bytes themselves; for a local file, the file and where to start.
   * Bytes and files are written to the data socket without a stream in between.
   */
  open(position: number): Readable | Uint8Array | FileSlice;
}

/** A local file from `start` to its end (read by transfer/file-sender.ts). */
export interface FileSlice {
  readonly file: string;
  readonly start: number;
}

/**
 * Files up to this size are read whole before the transfer command and sent like bytes:
 * one read instead of open, read, read to EOF and close (each a trip through the thread
 * pool) once the server is ready, which dominated uploads of many small files. Bigger files
 * are sent piece by piece, never held in memory.
 */
export const SMALL_FILE = 64 * 1024;

export async function toSource(input: UploadSource): Promise<Source> {
  if (typeof input === "string") {
    const info = await stat(input);
    if (!info.isFile()) throw Object.assign(new Error(`not a file: ${input}`), { code: "EISDIR", path: input });
    if (info.size <= SMALL_FILE) {
      const bytes = await readFile(input);
      // The file may have changed since the stat; what was read is what is sent.
      if (bytes.byteLength <= SMALL_FILE) return bytesSource(bytes);
    }
    return { rewindable: true, size: info.size, open: (position) => ({ file: input, start: position }) };
  }
  if (input instanceof Uint8Array) return bytesSource(input);
  let used = false;
  const readable = input instanceof Readable ? input : Readable.from(input, { objectMode: false });
  return {
    rewindable: false,
    size: undefined,
    open: () => {
      if (used) throw new Error("a stream source can only be uploaded once");
      used = true;
      return readable;
    },
  };
}

function bytesSource(bytes: Uint8Array): Source {
  return { rewindable: true, size: bytes.byteLength, open: (position) => bytes.subarray(position) };
}
