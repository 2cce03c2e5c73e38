import { createServer, type Server, type Socket } from "node:net";
import { safeNormalizeIp, sameHost } from "@ftpkit/protocol";
import { readProxyHeader } from "../proxy/read-proxy-header.js";
import type { PortPool } from "./port-pool.js";

/** Why no data connection came. @internal */
export class DataConnectionError extends Error {
  constructor(readonly reason: "timeout" | "closed" | "refused" | "aborted") {
    super(`data connection: ${reason}`);
    this.name = "DataConnectionError";
  }
}

export interface PassiveListenerOptions {
  /** Local address to bind: the control connection's local address. */
  readonly host: string;
  readonly pool: PortPool;
  /** Only this peer may connect; undefined accepts any (FXP / `allowForeignDataPeer`). */
  readonly allowedPeer: string | undefined;
  /** ms to wait for the client to connect (from open, and again from `accept()`). */
  readonly timeout: number;
  /** Told about each refused foreign connection. */
  readonly onForeignPeer?: (remoteAddress: string) => void;
  /**
   * Behind a load balancer that forwards the passive ports with a PROXY header: connections
   * from `trusted` start with one, and its source address is the peer checked against
   * `allowedPeer` (the control connection's relayed client).
   */
  readonly proxy?: {
    /** The trusted proxies (`TrustedProxies`): whether a peer address is one. */
    readonly trusted: { has(remoteAddress: string | undefined): boolean };
    readonly headerTimeout: number;
    /** Told how each trusted proxy's header read ended. */
    readonly onHeader?: (
      message:
        | {
            type: "proxy-header";
            proxyAddress: string;
            version: 1 | 2;
            remoteAddress: string;
            remotePort: number;
          }
        | { type: "proxy-header-failed"; proxyAddress: string; reason: "invalid" | "timeout" | "closed" },
    ) => void;
  };
}

/**
 * One passive data listener (RFC 959 §4.1.2 PASV, RFC 2428 §3 EPSV): bound to the control
 * connection's local address on a port from the range, it accepts exactly one connection
 * and then stops listening.
 *
 * Peer policy (RFC 2577 §8): a connection from an address other than the control peer is
 * destroyed at once and the listener keeps waiting for the real client until the timeout.
 * vsftpd instead fails the transfer with 425; pyftpdlib keeps waiting, as here, because
 * otherwise anyone who guesses the port can make the legitimate transfer fail.
 *
 * Nothing leaks: the listener closes on the timeout, on `close()`, and once its connection is
 * accepted; an accepted connection not claimed by `accept()` is destroyed by `close()`.
 * @internal
 */
export class PassiveListener {
  readonly port: number;
  private readonly server: Server;
  private readonly options: PassiveListenerOptions;
  private socket: Socket | undefined;
  private failure: DataConnectionError | undefined;
  /** Connections from a trusted proxy whose PROXY header is being read. */
  private readonly pending = new Set<Socket>();
  private waiter: { resolve: (s: Socket) => void; reject: (e: DataConnectionError) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private listening = true;

  private constructor(server: Server, port: number, options: PassiveListenerOptions) {
    this.server = server;
    this.port = port;
    this.options = options;
    server.on("connection", (socket) => this.onConnection(socket));
    server.on("error", () => this.fail(new DataConnectionError("closed")));
    this.armTimer();
  }

  /**
   * Opens a listener on the first free port of the pool's candidates.
   * @throws Error when no port could be bound.
   */
  static async open(options: PassiveListenerOptions): Promise<PassiveListener> {
    let lastError: unknown;
    for (const port of options.pool.candidates()) {
      const server = createServer({ pauseOnConnect: true, noDelay: true });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          // Accept exactly one connection: a backlog of 1 (the kernel may round it up).
          server.listen({ host: options.host, port, backlog: 1, exclusive: true }, () => {
            server.off("error", reject);
            resolve();
          });
        });
      } catch (error) {
        lastError = error;
        server.close();
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") continue;
        throw error;
      }
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : port;
      options.pool.take(bound);
      return new PassiveListener(server, bound, options);
    }
    throw lastError instanceof Error ? lastError : new Error("no passive port available");
  }

  /**
   * The data connection: the one already accepted, or the next one. Restarts the timeout.
   * @throws DataConnectionError on timeout, close or abort.
   */
  accept(signal?: AbortSignal): Promise<Socket> {
    if (this.socket !== undefined) {
      const socket = this.socket;
      this.socket = undefined;
      this.clearTimer();
      return Promise.resolve(socket);
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(new DataConnectionError("aborted"));
    this.armTimer();
    return new Promise<Socket>((resolve, reject) => {
      const onAbort = () => {
        this.waiter = undefined;
        reject(new DataConnectionError("aborted"));
        this.close();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiter = {
        resolve: (s) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(s);
        },
        reject: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
    });
  }

  /** Stops listening and destroys an unclaimed connection. Idempotent. */
  close(): void {
    this.fail(new DataConnectionError("closed"));
  }

  private onConnection(socket: Socket): void {
    const proxy = this.options.proxy;
    if (proxy !== undefined && this.failure === undefined && proxy.trusted.has(socket.remoteAddress)) {
      this.readHeader(socket, proxy);
      return;
    }
    this.admit(socket, socket.remoteAddress ?? "");
  }

  /**
   * A data connection through the load balancer: its PROXY header names the client that
   * opened it, which must be the control connection's client (RFC 2577 §8 still holds behind
   * the balancer). A bad or missing header closes it unanswered; the listener keeps waiting.
   */
  private readHeader(socket: Socket, proxy: NonNullable<PassiveListenerOptions["proxy"]>): void {
    const normalized = safeNormalizeIp(socket.remoteAddress ?? "");
    const proxyAddress = normalized.success ? normalized.value : (socket.remoteAddress ?? "");
    this.pending.add(socket);
    void readProxyHeader(socket, proxy.headerTimeout).then((outcome) => {
      this.pending.delete(socket);
      if (!outcome.ok) {
        proxy.onHeader?.({ type: "proxy-header-failed", proxyAddress, reason: outcome.reason });
        return;
      }
      const a = outcome.header.addresses;
      // LOCAL / UNKNOWN / UNSPEC: the real endpoint, i.e. the proxy itself.
      const peer = a?.sourceAddress ?? proxyAddress;
      proxy.onHeader?.({
        type: "proxy-header",
        proxyAddress,
        version: outcome.header.version,
        remoteAddress: peer,
        remotePort: a?.sourcePort ?? socket.remotePort ?? 0,
      });
      this.admit(socket, peer);
    });
  }

  /** Takes `socket` (whose client is `peer`) as the data connection, or refuses it. */
  private admit(socket: Socket, peer: string): void {
    const allowed = this.options.allowedPeer;
    // Refused connections are reset, not closed: a FIN would read as a clean end of file to
    // the peer, and a server sending us a file by FXP would commit it as a complete (empty)
    // upload (RFC 959 §3.4.1, stream mode); a reset is an error on its side.
    if (this.failure !== undefined || this.socket !== undefined) {
      socket.resetAndDestroy();
      return;
    }
    if (allowed !== undefined && !sameHost(peer, allowed)) {
      // RFC 2577 §8: refuse a data connection from a foreign host; keep waiting for the client.
      socket.resetAndDestroy();
      this.options.onForeignPeer?.(peer);
      return;
    }
    socket.on("error", () => {});
    this.stopListening();
    this.clearTimer();
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter.resolve(socket);
    else this.socket = socket;
  }

  private fail(error: DataConnectionError): void {
    if (this.failure === undefined) this.failure = error;
    this.clearTimer();
    this.stopListening();
    for (const socket of this.pending) socket.destroy();
    this.pending.clear();
    this.socket?.destroy();
    this.socket = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }

  private stopListening(): void {
    if (!this.listening) return;
    this.listening = false;
    this.server.close();
    this.options.pool.release(this.port);
  }

  private armTimer(): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      if (this.socket === undefined) this.fail(new DataConnectionError("timeout"));
    }, this.options.timeout);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
