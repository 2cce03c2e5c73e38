/**
 * One download-direction transfer (RETR, LIST, MLSD): open the data connection, send REST
 * and the command, feed the bytes to a consumer, and finish when the protocol core reports
 * the joint completion (2yz reply AND data EOF, in either order).
 */
import type { Reply } from "@ftpkit/protocol";
import { DataChannel, type DataReader } from "../data-channel.js";
import { FtpConnectionError } from "../errors/ftp-connection-error.js";
import { deferred } from "../internal/deferred.js";
import type { Connection } from "../transport/connection.js";
import { abandonTransfer } from "./abandon.js";
import { firstSettled } from "./outcome.js";
import { explainTlsFailure } from "./tls-failure.js";

export interface Consumer {
  /**
   * One chunk; with `owned` false it is only valid during the call. Return false to pause
   * the data connection and call `resume` later. May throw: the transfer is then abandoned.
   */
  data(chunk: Uint8Array, owned: boolean, resume: () => void): boolean;
  /** The data connection reached its end. May throw like `data`. */
  end?(): void;
}

export interface ReceiveRequest {
  readonly verb: "RETR" | "LIST" | "MLSD" | "NLST";
  readonly argument: string | undefined;
  /** REST offset sent right before the command (RFC 3659 §5.3); none when 0. */
  readonly rest?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly consumer: Consumer;
  /** Rejects when the destination fails asynchronously (a stream error). */
  readonly localFailure?: Promise<never> | undefined;
}

/**
 * @returns the transfer's final reply.
 * @throws FtpError (negative reply), FtpTimeoutError, FtpConnectionError (also when the data
 *   connection broke although the server reported success), the consumer's error, or the
 *   signal's reason; in the last two cases after ABOR, so the connection stays in step.
 */
export async function receive(connection: Connection, request: ReceiveRequest): Promise<Reply> {
  const control = connection.control;
  const local = deferred<never>();
  request.localFailure?.catch((error: unknown) => local.reject(error));
  let dataError: Error | undefined;
  let channel: DataChannel | undefined;
  let paused = false;
  const resume = () => {
    paused = false;
    control.dataActivity();
    channel?.resume();
  };
  const reader: DataReader = {
    data(chunk, owned) {
      control.dataActivity();
      try {
        paused = !request.consumer.data(chunk, owned, resume);
        return !paused;
      } catch (error) {
        local.reject(error);
        return false;
      }
    },
    end() {
      try {
        request.consumer.end?.();
      } catch (error) {
        local.reject(error);
      }
      control.dataEof();
    },
    error(error) {
      dataError = error;
      control.dataEof();
    },
  };
  channel = await DataChannel.open(connection, reader, request.signal);
  // While the consumer holds the data back (back-pressure), the silence is ours, not the
  // server's: it must not count against dataIdleTimeout.
  const ticker = localWaitTicker(connection, () => paused);
  try {
    if (request.rest !== undefined && request.rest > 0) {
      await connection.expect("REST", String(request.rest), request.signal, ["intermediate"]);
    }
    const call = await control.transfer(request.verb, request.argument, request.signal);
    channel.start(call);
    // Active mode: the server must connect to us; if it cannot, give up like on a local failure.
    // A failed TLS handshake is a data connection failure instead (reader.error): the server's
    // reply comes first.
    const opened = channel;
    opened.socket().catch((error: unknown) => {
      if (error !== opened.handshakeError) local.reject(error);
    });
    const settled = await firstSettled(call.done, local.promise, request.signal);
    if (settled.kind === "failed") throw await explainTlsFailure(channel, settled.error);
    if (settled.kind !== "done") {
      await abandonTransfer(connection, channel, call);
      throw settled.error;
    }
    if (dataError !== undefined) {
      if (channel.handshakeError !== undefined) throw channel.handshakeError;
      throw new FtpConnectionError("FTP_ERR_DATA_CONNECTION", `data connection failed: ${dataError.message}`, {
        command: call.label,
        cause: dataError,
      });
    }
    return settled.value.reply;
  } finally {
    clearInterval(ticker);
    channel.destroy();
  }
}

/** Reports data activity while `waiting()` says the local side is the one holding the transfer. */
export function localWaitTicker(connection: Connection, waiting: () => boolean): NodeJS.Timeout {
  const period = Math.max(50, Math.floor(connection.options.dataIdleTimeout / 3));
  const ticker = setInterval(() => {
    if (waiting()) connection.control.dataActivity();
  }, period);
  ticker.unref();
  return ticker;
}
