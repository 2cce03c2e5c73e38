/**
 * One upload (STOR, APPE): open the data connection, send REST and the command, stream the
 * source into the data socket once the server is ready (1yz and, in active mode, its
 * connection), end the data connection, and finish on the joint completion.
 */
import type { Socket } from "node:net";
import { Readable, Transform } from "node:stream";
import { AsciiEncoder, type Reply } from "@ftpkit/protocol";
import { DataChannel } from "../data-channel.js";
import { FtpConnectionError } from "../errors/ftp-connection-error.js";
import { deferred } from "../internal/deferred.js";
import type { Connection } from "../transport/connection.js";
import { abandonTransfer } from "./abandon.js";
import { type FileSending, sendFile } from "./file-sender.js";
import { firstSettled } from "./outcome.js";
import { localWaitTicker } from "./receive.js";
import type { FileSlice } from "./sources.js";
import { explainTlsFailure } from "./tls-failure.js";

export interface TransmitRequest {
  readonly verb: "STOR" | "APPE";
  readonly argument: string;
  readonly rest?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** TYPE A: convert LF to CRLF on the way (RFC 959 §3.1.1.1). */
  readonly ascii: boolean;
  /** Opens the source when the server is ready for the data (bytes in memory come as they are). */
  open(): Readable | Uint8Array | FileSlice;
  /** Called for every chunk read from the source. */
  onChunk(count: number): void;
}

/**
 * @returns the final reply.
 * @throws as `receive` does; a failing source abandons the transfer with a reset data
 *   connection (so the server cannot take a truncated file for a complete one) and ABOR.
 */
export async function transmit(connection: Connection, request: TransmitRequest): Promise<Reply> {
  const control = connection.control;
  const local = deferred<never>();
  let dataError: Error | undefined;
  const channel = await DataChannel.open(connection, undefined, request.signal);
  let source: Readable | undefined;
  let socketRef: Socket | undefined;
  let file: FileSending | undefined;
  // Waiting for the source to produce (the socket has room) is our silence, not the server's.
  // Bytes in memory never keep the socket waiting.
  const ticker = localWaitTicker(
    connection,
    () =>
      file?.reading() === true ||
      (socketRef !== undefined && !socketRef.writableNeedDrain && source?.readableEnded === false),
  );
  try {
    if (request.rest !== undefined && request.rest > 0) {
      await connection.expect("REST", String(request.rest), request.signal, ["intermediate"]);
    }
    const call = await control.transfer(request.verb, request.argument, request.signal);
    channel.start(call);
    const giveUp = async (error: unknown): Promise<never> => {
      // Reset, not FIN: a server must not take a half-sent file for a complete one.
      channel.destroy(true);
      await abandonTransfer(connection, channel, call);
      throw error;
    };
    // Active mode: the server must connect to us; if it cannot, give up like on a local failure.
    // A failed TLS handshake is a data connection failure instead: the server's reply decides.
    channel.socket().catch((error: unknown) => {
      if (error !== channel.handshakeError) local.reject(error);
    });
    // Bytes in memory over a clear passive data connection go out with the command, without
    // waiting for the 1yz: the connection is already up, and the server reads it once it
    // handles the command (until then the bytes wait in its socket buffer, and a refused
    // command only discards them). One round trip less per upload, which is most of the time
    // of a small one (ftplib and curl wait for the 1yz; vsftpd, pure-ftpd, ProFTPD,
    // pyftpdlib and ftpkit all take the data either way). Streams and files still wait: their
    // reading starts only once the server is ready. FTPS cannot: its handshake follows the 1yz.
    let opened: Readable | Uint8Array | FileSlice | undefined;
    if (connection.options.mode !== "active" && !channel.secure) opened = request.open();
    // Phase 1: the server says it is ready (1yz), and the data connection is up (FTPS: secured).
    if (!(opened instanceof Uint8Array)) {
      const started = await firstSettled(call.preliminary, local.promise, request.signal);
      if (started.kind === "failed") throw started.error;
      if (started.kind !== "done") return await giveUp(started.error);
    }
    const connected = await firstSettled(channel.socket(), local.promise, request.signal);
    if (connected.kind === "failed" && connected.error === channel.handshakeError) {
      control.dataEof();
      const answered = await firstSettled(call.done, local.promise, request.signal);
      if (answered.kind === "local" || answered.kind === "aborted") return await giveUp(answered.error);
      throw await explainTlsFailure(channel, answered.kind === "failed" ? answered.error : undefined);
    }
    if (connected.kind !== "done") return await giveUp(connected.error);
    const socket = connected.value;
    socketRef = socket;
    // Phase 2: stream the source; the end of the data connection is the end of the file.
    opened ??= request.open();
    socket.on("error", (error) => {
      // After the last byte went out, a reset is the server's business: its reply decides.
      if (!socket.writableFinished) dataError ??= error;
      control.dataEof();
    });
    socket.on("finish", () => control.dataEof());
    const onChunk = (count: number) => {
      control.dataActivity();
      request.onChunk(count);
    };
    if (opened instanceof Uint8Array) {
      sendBytes(socket, opened, request.ascii ? new AsciiEncoder() : undefined, onChunk);
    } else if (!(opened instanceof Readable)) {
      const encoder = request.ascii ? new AsciiEncoder() : undefined;
      file = sendFile(connection, socket, opened.file, opened.start, encoder, onChunk, (error) => local.reject(error));
    } else {
      source = opened;
      source.on("error", (error) => local.reject(error));
      source.on("data", (chunk: Uint8Array) => onChunk(chunk.length));
      if (request.ascii) {
        const encoder = new AsciiEncoder();
        const transform = new Transform({
          transform(chunk: Uint8Array, _encoding, callback) {
            callback(null, encoder.encode(chunk));
          },
        });
        transform.on("error", (error) => local.reject(error));
        source.pipe(transform).pipe(socket);
      } else {
        source.pipe(socket);
      }
    }
    const finished = await firstSettled(call.done, local.promise, request.signal);
    if (finished.kind === "failed") throw await explainTlsFailure(channel, finished.error);
    if (finished.kind !== "done") return await giveUp(finished.error);
    if (dataError !== undefined) {
      throw new FtpConnectionError("FTP_ERR_DATA_CONNECTION", `data connection failed: ${dataError.message}`, {
        command: call.label,
        cause: dataError,
      });
    }
    return finished.value.reply;
  } finally {
    clearInterval(ticker);
    channel.destroy();
    source?.unpipe();
    file?.stop();
  }
}

/** Bytes are written in pieces of this size, each after the socket drained the previous ones. */
const BYTES_PIECE = 1024 * 1024;

/**
 * Writes bytes from memory to the data socket and ends it: no Readable and no pipe in
 * between (for a small upload they cost more than the transfer), back-pressure kept by
 * writing the next piece only on 'drain'. TYPE A converts each piece on the way.
 */
function sendBytes(
  socket: Socket,
  bytes: Uint8Array,
  encoder: AsciiEncoder | undefined,
  onChunk: (count: number) => void,
): void {
  let at = 0;
  const next = (): void => {
    while (at < bytes.length) {
      const end = Math.min(bytes.length, at + BYTES_PIECE);
      const piece = bytes.subarray(at, end);
      at = end;
      onChunk(piece.length);
      const wire = encoder === undefined ? piece : encoder.encode(piece);
      if (at >= bytes.length) {
        socket.end(wire);
        return;
      }
      if (!socket.write(wire)) {
        socket.once("drain", next);
        return;
      }
    }
    socket.end();
  };
  if (!socket.destroyed) next();
}
