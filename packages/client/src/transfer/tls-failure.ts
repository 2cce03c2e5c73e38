/**
 * FTPS: a transfer on a protected data connection failed. When TLS is why, say so with an
 * FtpTlsError rather than leave the caller with a bare `522` or a closed data connection.
 */
import type { DataChannel } from "../data-channel.js";
import { FtpConnectionError } from "../errors/ftp-connection-error.js";
import { FtpError } from "../errors/ftp-error.js";
import { FtpTlsError } from "../errors/ftp-tls-error.js";
import { sleep } from "../internal/abort.js";

/**
 * How long a failed transfer waits for a data handshake still in flight: a server that
 * refuses the data connection replies on the control connection at the same moment it
 * finishes (or breaks off) the handshake, and the reply may be read first.
 */
const HANDSHAKE_GRACE = 250;

/**
 * Replies with which servers refuse a data connection: 522 ("SSL connection failed": vsftpd's
 * "session reuse required", pyftpdlib, ftpkit), 425 (ProFTPD) and 426.
 */
const REFUSALS: ReadonlySet<number> = new Set([425, 426, 522]);

/**
 * @param error - why the transfer failed (the server's negative reply, or a data connection
 *   error), if anything else than the handshake.
 * @returns the error to throw.
 */
export async function explainTlsFailure(channel: DataChannel, error: unknown): Promise<unknown> {
  if (!channel.secure || channel.handshake === undefined) return error;
  let finished = channel.resumed !== undefined || channel.handshakeError !== undefined;
  if (!finished) {
    await Promise.race([channel.handshake, sleep(HANDSHAKE_GRACE)]);
    finished = channel.resumed !== undefined || channel.handshakeError !== undefined;
  }
  if (!finished && FtpError.isInstance(error)) {
    return new FtpTlsError(
      "FTP_ERR_TLS_HANDSHAKE",
      `the server gave up on the data connection during its TLS handshake: ${error.message}`,
      { tlsCode: String(error.code), connection: "data", command: error.command, cause: error },
    );
  }
  const handshake = channel.handshakeError;
  if (handshake !== undefined) {
    if (!FtpTlsError.isInstance(handshake) || !FtpError.isInstance(error)) return handshake;
    // The server's reply to the failed handshake is worth keeping in the message.
    return new FtpTlsError(handshake.code, `${handshake.message}; the server answered: ${error.message}`, {
      tlsCode: handshake.tlsCode,
      connection: "data",
      command: handshake.command,
      cause: handshake.cause ?? error,
    });
  }
  // A resumed session, or a refusal after data arrived, is not about the session.
  if (channel.resumed !== false || channel.received) return error;
  const refused = FtpError.isInstance(error)
    ? REFUSALS.has(error.code)
    : FtpConnectionError.isInstance(error) && error.code === "FTP_ERR_DATA_CONNECTION";
  if (!refused) return error;
  const why = channel.offered
    ? "the server did not resume the TLS session offered"
    : "no TLS session (ticket) had arrived from the server to offer";
  return new FtpTlsError(
    "FTP_ERR_TLS_SESSION_NOT_RESUMED",
    `the data connection was refused: it did not resume the control connection's TLS session (${why}): ${(error as Error).message}`,
    {
      tlsCode: FtpError.isInstance(error) ? String(error.code) : undefined,
      connection: "data",
      command: (error as { command?: string }).command,
      cause: error,
    },
  );
}
