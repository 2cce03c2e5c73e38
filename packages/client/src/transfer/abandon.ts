import type { DataChannel } from "../data-channel.js";
import type { Connection } from "../transport/connection.js";
import type { TransferCall } from "../transport/control-connection.js";

/**
 * Gives up on a running transfer and keeps the control connection in step: closes the data
 * connection, sends ABOR (RFC 959 §4.1.3) and waits for the server's answers to both the
 * transfer (426, or its 226 when it had already finished) and the ABOR (225/226). A server
 * that does not answer runs into the reply timeout, which closes the connection; the client
 * then opens a new one for its next call.
 */
export async function abandonTransfer(connection: Connection, channel: DataChannel, call: TransferCall): Promise<void> {
  channel.destroy();
  const abor = connection.control.abortTransfer();
  await Promise.allSettled([call.done, abor ?? Promise.resolve()]);
}
