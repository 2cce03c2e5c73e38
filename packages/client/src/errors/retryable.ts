import { FtpConnectionError } from "./ftp-connection-error.js";
import { FtpError } from "./ftp-error.js";
import { FtpTimeoutError } from "./ftp-timeout-error.js";

/**
 * True when an error means the connection (control or data) was lost or stalled, so the
 * call may succeed on a new connection: connection errors (but not a closed client or a
 * malformed passive reply, which a retry would only repeat), timeouts, 421 (service closing)
 * and 425/426 (data connection could not be opened / was closed, RFC 959 §4.2.1).
 * @internal
 */
export function isConnectionLoss(error: unknown): boolean {
  if (FtpConnectionError.isInstance(error)) {
    return error.code !== "FTP_ERR_CLIENT_CLOSED" && error.code !== "FTP_ERR_BAD_PASSIVE_REPLY";
  }
  if (FtpTimeoutError.isInstance(error)) return true;
  if (FtpError.isInstance(error)) return error.code === 421 || error.code === 425 || error.code === 426;
  return false;
}
