/**
 * The FTP bounce-attack check for PORT and EPRT targets (RFC 2577 §3).
 *
 * RFC 2577 §3 ("Protecting Against the Bounce Attack"): the original spec lets a client
 * send the server's data connection to any host and port, so an attacker can make the
 * server connect to third machines. RFC 2577 suggests servers refuse data connections to
 * ports below 1024 (answering 504), and every mainstream server goes further and refuses any
 * host but the control connection's peer: vsftpd (`port_promiscuous=NO`, the default,
 * "500 Illegal PORT command."), proftpd (`AllowForeignAddress off`, the default), pure-ftpd
 * and ftp-srv (`connector/active.js`).
 */

import { ADDRESS_ERROR_CODES, addressError, quote } from "./address-errors.js";
import type { HostPort } from "./host-port.js";
import { sameHost } from "./ip.js";

/** Relaxations of {@link checkActiveDataTarget}; both default to `false` (safe). */
export type ActiveDataTargetOptions = {
  /** Allow a host other than the control peer (FXP, server-to-server transfers). */
  readonly allowForeignHost?: boolean;
  /** Allow target ports 1..1023. */
  readonly allowPrivilegedPort?: boolean;
};

/**
 * Refuses a PORT or EPRT target that would let the server be used for a bounce attack
 * (RFC 2577 §3). Call it after {@link decodeHostPort} / {@link decodeEprtArgument} and
 * before opening the data connection.
 *
 * @param target - The decoded target.
 * @param controlPeer - The control connection's remote address as the socket reports it
 *   (`::ffff:` mapping and zone ids are handled, see {@link sameHost}).
 * @param options - See {@link ActiveDataTargetOptions}.
 * @throws {LocalProtocolError}
 *   - code `FTP_ERR_BOUNCE_HOST`, `replyHint` 500 (vsftpd and proftpd answer
 *     `500 Illegal PORT command.`), when the host is not the control peer;
 *   - code `FTP_ERR_BOUNCE_PORT`, `replyHint` 504 (the reply RFC 2577 §3
 *     suggests), when the port is below 1024.
 */
export function checkActiveDataTarget(
  target: HostPort,
  controlPeer: string,
  options: ActiveDataTargetOptions = {},
): void {
  if (options.allowForeignHost !== true && !sameHost(target.host, controlPeer)) {
    throw addressError(
      `Illegal PORT command: data connection to ${quote(target.host)} is not the control peer (RFC 2577 §3)`,
      ADDRESS_ERROR_CODES.bounceHost,
      500,
    );
  }
  if (options.allowPrivilegedPort !== true && target.port < 1024) {
    throw addressError(
      `Illegal PORT command: data connection to privileged port ${target.port} refused (RFC 2577 §3)`,
      ADDRESS_ERROR_CODES.bouncePort,
      504,
    );
  }
}
