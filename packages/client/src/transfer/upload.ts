/**
 * `upload`: STOR (or APPE with `append`, REST+STOR with `offset`) from a path, bytes, a
 * Readable or an async iterable. After a dropped connection an upload from a path or bytes
 * resumes: SIZE tells how much the server has, and APPE sends the rest (APPE needs no
 * REST support, which ProFTPD only has with `AllowStoreRestart on`).
 */
import { buildCommand } from "@ftpkit/protocol";
import { trySize } from "../operations/files.js";
import type { Connection } from "../transport/connection.js";
import type { TransferResult } from "./download.js";
import { type ProgressListener, ProgressMeter } from "./progress.js";
import { type ConnectionSource, withRetries } from "./retry.js";
import { toSource, type UploadSource } from "./sources.js";
import { transmit } from "./transmit.js";

export interface UploadOptions {
  /** Append to the remote file (APPE, RFC 959 §4.1.3). */
  append?: boolean;
  /**
   * Write from this byte of the remote file on (REST then STOR, RFC 3659 §5.5). A path or
   * bytes source is read from the same position; a stream source must already start there.
   */
  offset?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** `binary` (TYPE I, the default) or `ascii` (TYPE A: LF becomes CRLF on the wire). */
  type?: "binary" | "ascii";
}

export async function upload(
  connections: ConnectionSource,
  input: UploadSource,
  remotePath: string,
  options: UploadOptions = {},
): Promise<TransferResult> {
  // CR, LF and NUL are refused here, before anything is sent (command injection).
  buildCommand("STOR", remotePath);
  const ascii = options.type === "ascii";
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${String(options.offset)}`);
  if (offset > 0 && options.append === true) throw new RangeError("offset and append cannot be combined");
  const source = await toSource(input);
  const meter = new ProgressMeter(options.onProgress, offset, source.size);
  /** Where the source is read from next. */
  let position = offset;
  let moved = 0;
  /** The position the server confirmed (SIZE) at the start of the latest attempt: the retry progress. */
  let confirmed = offset;
  /** For append: the remote size before the first attempt (the source's byte 0 lands there). */
  let appendBase: number | undefined;
  // TYPE A changes sizes on the wire, so SIZE cannot tell where to resume.
  const resumable = source.rewindable && !ascii;
  await withRetries(
    connections,
    options.signal,
    resumable,
    async (connection: Connection, retry) => {
      await connection.setType(ascii ? "A" : "I", options.signal);
      let verb: "STOR" | "APPE" = options.append === true ? "APPE" : "STOR";
      let rest = offset;
      if (options.append === true && appendBase === undefined && resumable && connections.options.retries > 0) {
        appendBase = (await trySize(connection, remotePath, options.signal)) ?? 0;
      }
      if (retry > 0) {
        const remoteSize = await trySize(connection, remotePath, options.signal);
        const done =
          remoteSize === undefined ? undefined : remoteSize - (options.append === true ? (appendBase ?? 0) : 0);
        if (done !== undefined && done >= offset && (source.size === undefined || done <= source.size)) {
          position = done;
          confirmed = done;
          verb = "APPE";
          rest = 0;
        } else {
          position = offset;
        }
        meter.reset(position);
      }
      if (source.size !== undefined && position >= source.size && position > offset) return;
      await transmit(connection, {
        verb,
        argument: remotePath,
        rest: verb === "STOR" ? rest : 0,
        signal: options.signal,
        ascii,
        open: () => source.open(position),
        onChunk(count) {
          position += count;
          moved += count;
          meter.add(count);
        },
      });
    },
    () => confirmed,
  );
  meter.finish();
  return { bytes: moved };
}
