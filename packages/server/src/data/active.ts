import { connect, type Socket } from "node:net";
import { type HostPort, ipFamily } from "@ftpkit/protocol";
import { DataConnectionError } from "./passive-listener.js";

export interface ActiveConnectOptions {
  /** Bind the data connection to this local address when its family matches the target's. */
  readonly localAddress?: string;
  /** ms for the connect (vsftpd `connect_timeout`). */
  readonly timeout: number;
  readonly signal?: AbortSignal;
}

/**
 * Connects to a PORT/EPRT target (RFC 959 §3.2: in active mode the server opens the data
 * connection). The session already refused foreign hosts and privileged ports (RFC 2577 §3),
 * so this only connects, at transfer time, with a timeout.
 * @throws DataConnectionError ("timeout", "refused" or "aborted").
 * @internal
 */
export function connectActive(target: HostPort, options: ActiveConnectOptions): Promise<Socket> {
  const family = ipFamily(target.host);
  const local =
    options.localAddress !== undefined && ipFamily(options.localAddress) === family ? options.localAddress : undefined;
  return new Promise<Socket>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new DataConnectionError("aborted"));
      return;
    }
    const socket = connect({
      host: target.host,
      port: target.port,
      noDelay: true,
      ...(local === undefined ? {} : { localAddress: local }),
      ...(family === undefined ? {} : { family }),
    });
    let settled = false;
    const finish = (error: DataConnectionError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.off("connect", onConnect);
      socket.off("error", onError);
      if (error === undefined) {
        socket.on("error", () => {});
        resolve(socket);
      } else {
        socket.destroy();
        reject(error);
      }
    };
    const onConnect = () => finish(undefined);
    const onError = () => finish(new DataConnectionError("refused"));
    const onAbort = () => finish(new DataConnectionError("aborted"));
    const timer = setTimeout(() => finish(new DataConnectionError("timeout")), options.timeout);
    socket.once("connect", onConnect);
    socket.once("error", onError);
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
