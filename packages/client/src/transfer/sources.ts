/**
 * What an upload reads: a local path, bytes, a Readable or an async iterable. Paths and
 * bytes can be read again from any position, so an upload from them resumes after a
 * dropped connection; a stream is read once.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";

/** An upload source (see {@link Client.upload}). */
export type UploadSource = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

export interface Source {
  /** False for streams: they cannot be read twice, so a failed upload is not retried. */
  readonly rewindable: boolean;
  /** The number of bytes, when known. */
  readonly size: number | undefined;
  /** A stream of the bytes from `position` on (streams ignore the position: read once). */
  open(position: number): Readable;
}

/** Local files are read with 1 MiB chunks (shared/notes/node-throughput.md: 2x the default 64 KiB). */
const FILE_CHUNK = 1024 * 1024;

export async function toSource(input: UploadSource): Promise<Source> {
  if (typeof input === "string") {
    const info = await stat(input);
    if (!info.isFile()) throw Object.assign(new Error(`not a file: ${input}`), { code: "EISDIR", path: input });
    return {
      rewindable: true,
      size: info.size,
      open: (position) => createReadStream(input, { start: position, highWaterMark: FILE_CHUNK }),
    };
  }
  if (input instanceof Uint8Array) {
    return {
      rewindable: true,
      size: input.byteLength,
      open: (position) => Readable.from(chunks(input, position), { objectMode: false }),
    };
  }
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

function* chunks(bytes: Uint8Array, position: number): Generator<Uint8Array> {
  for (let i = position; i < bytes.byteLength; i += FILE_CHUNK) {
    yield bytes.subarray(i, Math.min(bytes.byteLength, i + FILE_CHUNK));
  }
}
