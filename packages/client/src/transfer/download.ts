/**
 * `download`: RETR into a file or a Writable, with SIZE for progress and completeness, REST
 * to start at an offset or to resume after a dropped connection, TYPE I (or A on request).
 */
import type { Writable } from "node:stream";
import { AsciiDecoder, buildCommand } from "@ftpkit/protocol";
import { FtpConnectionError } from "../errors/ftp-connection-error.js";
import { trySize } from "../operations/files.js";
import type { Connection } from "../transport/connection.js";
import { type ProgressListener, ProgressMeter } from "./progress.js";
import { receive } from "./receive.js";
import { type ConnectionSource, withRetries } from "./retry.js";
import { FileSink, type Sink, WritableSink } from "./sinks.js";

export interface DownloadOptions {
  /** Start at this byte of the remote file (REST, RFC 3659 §5); a local file is written from the same position. */
  offset?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** `binary` (TYPE I, the default) or `ascii` (TYPE A: CRLF on the wire becomes LF). */
  type?: "binary" | "ascii";
  /** For a Writable destination: end it when the download is complete (default true). */
  end?: boolean;
  /** @internal the size, when a listing already told it (saves a SIZE). */
  size?: number;
}

/** What a finished transfer reports. */
export interface TransferResult {
  /** Bytes moved by this call (over all its attempts). */
  readonly bytes: number;
}

export async function download(
  source: ConnectionSource,
  remotePath: string,
  destination: string | Writable,
  options: DownloadOptions = {},
): Promise<TransferResult> {
  // CR, LF and NUL are refused here, before anything is sent (command injection).
  buildCommand("RETR", remotePath);
  const ascii = options.type === "ascii";
  const start = options.offset ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`invalid offset ${String(options.offset)}`);
  const sink: Sink =
    typeof destination === "string"
      ? new FileSink(destination, start)
      : new WritableSink(destination, options.end ?? true);
  const meter = new ProgressMeter(options.onProgress, start, options.size);
  /** Next byte of the remote file to fetch. */
  let position = start;
  let sizeAsked = options.size !== undefined;
  try {
    // A TYPE A retry starts over, which a stream destination cannot take back.
    const retriable = !ascii || typeof destination === "string";
    await withRetries(
      source,
      options.signal,
      retriable,
      async (connection: Connection, retry) => {
        if (ascii && retry > 0) {
          // TYPE A offsets count wire bytes, not file bytes: start again from the beginning.
          position = start;
          sink.seek(start);
          meter.reset(start);
        }
        await connection.setType(ascii ? "A" : "I", options.signal);
        if (!sizeAsked && !ascii) {
          sizeAsked = true;
          meter.total = await trySize(connection, remotePath, options.signal);
        }
        const total = meter.total;
        if (total !== undefined && !ascii && position >= total && position > 0) return;
        const decoder = ascii ? new AsciiDecoder() : undefined;
        await receive(connection, {
          verb: "RETR",
          argument: remotePath,
          rest: ascii ? 0 : position,
          signal: options.signal,
          localFailure: sink.failure,
          consumer: {
            data(chunk, owned, resume) {
              position += chunk.length;
              meter.add(chunk.length);
              if (decoder === undefined) return sink.write(chunk, owned, resume);
              return sink.write(decoder.decode(chunk), true, resume);
            },
            end() {
              if (decoder !== undefined) sink.write(decoder.flush(), true, () => {});
            },
          },
        });
        if (total !== undefined && !ascii && position < total) {
          // The server said 226 but the data ended early (curl's CURLE_PARTIAL_FILE): resume.
          throw new FtpConnectionError(
            "FTP_ERR_PARTIAL_TRANSFER",
            `${remotePath}: the data connection ended after ${position} of ${total} bytes`,
            { command: `RETR ${remotePath}` },
          );
        }
      },
      () => position,
    );
    await sink.finish();
  } catch (error) {
    sink.abandon();
    throw error;
  }
  meter.finish();
  return { bytes: position - start };
}
