/**
 * A TCP proxy between an FTP client and server that leaves the control connection alone but
 * routes data connections through itself (it rewrites EPSV's 229 reply to its own port) and
 * resets the first `cuts` of them after `cutAfter` bytes: the client side gets a TCP RST,
 * the server side a close, mid-transfer. The control connection survives, so what recovers
 * is the transfer (426, then REST), not the session.
 */
import net from "node:net";

export interface DataResetProxyOptions {
  readonly targetPort: number;
  /** Bytes (server to client plus client to server) a data connection carries before it is reset. */
  readonly cutAfter: number;
  /** How many data connections to reset (default 1). */
  readonly cuts?: number;
}

export class DataResetProxy {
  port = 0;
  cutsDone = 0;
  dataConnections = 0;
  controlConnections = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket | net.Server>();

  private constructor(private readonly options: DataResetProxyOptions) {
    this.server = net.createServer((client) => this.control(client));
  }

  static async start(options: DataResetProxyOptions): Promise<DataResetProxy> {
    const proxy = new DataResetProxy(options);
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s instanceof net.Server ? s.close() : s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track<T extends net.Socket | net.Server>(s: T): T {
    this.sockets.add(s);
    if (s instanceof net.Socket) {
      s.on("error", () => {});
      s.on("close", () => this.sockets.delete(s));
    }
    return s;
  }

  private control(client: net.Socket): void {
    this.controlConnections++;
    this.track(client);
    const upstream = this.track(net.connect(this.options.targetPort, "127.0.0.1"));
    client.pipe(upstream);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    let pending = "";
    upstream.on("data", (chunk: Buffer) => {
      pending += chunk.toString("latin1");
      const end = pending.lastIndexOf("\r\n");
      if (end === -1) return;
      const lines = pending.slice(0, end + 2);
      pending = pending.slice(end + 2);
      void this.rewrite(lines).then((text) => client.write(Buffer.from(text, "latin1")));
    });
  }

  /** 229 (|||port|) becomes a port of ours that forwards to the server's (RFC 2428 §3). */
  private async rewrite(lines: string): Promise<string> {
    const m = /^229 ([^\r\n]*)\(\|\|\|(\d+)\|\)/m.exec(lines);
    if (m === null) return lines;
    const port = await this.dataListener(Number(m[2]));
    return lines.replace(`(|||${m[2]}|)`, `(|||${port}|)`);
  }

  private async dataListener(serverPort: number): Promise<number> {
    const listener = this.track(
      net.createServer((client) => {
        listener.close();
        this.dataConnections++;
        this.track(client);
        const upstream = this.track(net.connect(serverPort, "127.0.0.1"));
        const cut = this.cutsDone < (this.options.cuts ?? 1);
        let moved = 0;
        const count = (n: number) => {
          moved += n;
          if (cut && moved >= this.options.cutAfter && !client.destroyed) {
            this.cutsDone++;
            client.resetAndDestroy();
            upstream.destroy();
          }
        };
        client.on("data", (d: Buffer) => {
          count(d.length);
          if (!upstream.destroyed) upstream.write(d);
        });
        upstream.on("data", (d: Buffer) => {
          count(d.length);
          if (!client.destroyed) client.write(d);
        });
        client.on("end", () => upstream.end());
        upstream.on("end", () => client.end());
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => {
          if (!client.destroyed) client.end();
        });
      }),
    );
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    return (listener.address() as net.AddressInfo).port;
  }
}
