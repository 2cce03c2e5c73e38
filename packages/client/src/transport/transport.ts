/**
 * How TCP connections are opened. The control connection and the data channel never call
 * `net.connect` themselves; they ask a {@link Transport} for a connected `net.Socket` (tests
 * put proxies and faults here).
 *
 * TLS (FTPS) is layered on top, in tls.ts, not in a Transport: a data connection's handshake
 * must wait for the server's 1yz reply (which comes after the TCP connection is made), and
 * it resumes a session that belongs to one control connection.
 */
import net from "node:net";
import { FtpConnectionError } from "../errors/ftp-connection-error.js";
import { FtpTimeoutError } from "../errors/ftp-timeout-error.js";
import { abortReason, onAbort } from "../internal/abort.js";

export interface TransportConnectOptions {
  readonly host: string;
  readonly port: number;
  /** `control` for the control connection, `data` for a passive-mode data connection. */
  readonly role: "control" | "data";
  /** connectTimeout, in ms. */
  readonly timeout: number;
  readonly signal?: AbortSignal | undefined;
  /**
   * Read into this caller-owned buffer instead of allocating a Buffer per read (Node's
   * `onread`). Only for sockets Node creates; see shared/notes/node-throughput.md: 2-3x
   * cheaper reads than 'data' events.
   */
  readonly onread?: net.OnReadOpts | undefined;
}

export interface Transport {
  /**
   * Opens a TCP connection and resolves once it is established.
   * @throws FtpTimeoutError `FTP_ERR_CONNECT_TIMEOUT` after `timeout` ms;
   *   FtpConnectionError `FTP_ERR_CONNECT` (control) or `FTP_ERR_DATA_CONNECTION` (data)
   *   when it fails; the signal's reason when aborted.
   */
  connect(options: TransportConnectOptions): Promise<net.Socket>;
}

/** Plain TCP. */
export const tcpTransport: Transport = {
  connect(options) {
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({
        host: options.host,
        port: options.port,
        ...(options.onread === undefined ? {} : { onread: options.onread }),
      });
      const done = (error: unknown) => {
        clearTimeout(timer);
        off();
        socket.off("connect", onConnect);
        socket.off("error", onError);
        if (error === undefined) {
          resolve(socket);
        } else {
          socket.destroy();
          reject(error);
        }
      };
      const onConnect = () => done(undefined);
      const onError = (cause: Error) =>
        done(
          new FtpConnectionError(
            options.role === "control" ? "FTP_ERR_CONNECT" : "FTP_ERR_DATA_CONNECTION",
            `cannot connect to ${options.host}:${options.port}: ${cause.message}`,
            { cause },
          ),
        );
      const timer = setTimeout(
        () =>
          done(
            new FtpTimeoutError(
              "FTP_ERR_CONNECT_TIMEOUT",
              `no connection to ${options.host}:${options.port} within ${options.timeout} ms`,
              { timeout: options.timeout },
            ),
          ),
        options.timeout,
      );
      const off = onAbort(options.signal, () => done(abortReason(options.signal as AbortSignal)));
      socket.once("connect", onConnect);
      socket.once("error", onError);
    });
  },
};
