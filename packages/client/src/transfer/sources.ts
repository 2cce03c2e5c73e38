/**
 * What an upload reads: a local path, bytes, a Readable or an async iterable. Paths and
 * bytes can be read again from any position, so an upload from them resumes after a
 * dropped connection; a stream is read once.
 */
import { createReadStream } from "node:fs";
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
   * The bytes from `position` on: a stream (streams ignore the position: read once), or,
   * for bytes in memory, those bytes themselves, which the upload writes straight to the
   * data socket without a stream in between.
   */
  open(position: number): Readable | Uint8Array;
}

/** Local files are read with 1 MiB chunks (shared/notes/node-throughput.md: 2x the default 64 KiB). */
export const FILE_CHUNK = 1024 * 1024;

/**
 * Files up to this size are read whole before the transfer command and sent like bytes:
 * one read instead of a read stream per file (open, read, read to EOF, close, each a trip
 * through the thread pool, and a 1 MiB buffer), which dominated uploads of many small files.
 * Bigger files are streamed, never held in memory.
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
    return {
      rewindable: true,
      size: info.size,
      // A file smaller than a chunk gets a smaller read buffer (it grows back to a chunk
      // when the file grew meanwhile: the stream just reads again).
      open: (position) =>
        createReadStream(input, {
          start: position,
          highWaterMark: Math.min(FILE_CHUNK, Math.max(SMALL_FILE, info.size - position)),
        }),
    };
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
