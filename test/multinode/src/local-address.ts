/**
 * Connections from a chosen loopback source address (Linux routes all of 127/8 to lo), so that
 * a test can be several clients at once: 127.0.0.77 to be banned, 127.0.0.66 to reach a node
 * directly (not from the balancer's 127.0.0.1, whose connections a node expects to start with
 * a PROXY header).
 *
 * @ftpkit/client has no `localAddress` option; its `transport` option (how it opens TCP
 * connections, control and passive data alike) is @internal, and this test package uses it:
 * the same connect as the client's own plain TCP transport, with `localAddress` added.
 */
import net from "node:net";
import type { ConnectOptions } from "@ftpkit/client";

type Transport = NonNullable<ConnectOptions["transport"]>;

/** A client `transport` whose control and data connections come from `localAddress`. */
export function fromAddress(localAddress: string): Transport {
  return {
    connect(options) {
      return new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({
          host: options.host,
          port: options.port,
          localAddress,
          ...(options.onread === undefined ? {} : { onread: options.onread }),
        });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`no connection to ${options.host}:${options.port} within ${options.timeout} ms`));
        }, options.timeout);
        socket.once("connect", () => {
          clearTimeout(timer);
          socket.removeAllListeners("error");
          resolve(socket);
        });
        socket.once("error", (error) => {
          clearTimeout(timer);
          socket.destroy();
          reject(error);
        });
      });
    },
  };
}
