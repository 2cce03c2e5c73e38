/**
 * A small TCP proxy for reconnect tests: it forwards an FTP control connection to a server,
 * rewrites every 229 (EPSV) reply so the data connection goes through the proxy too, counts
 * the data bytes, and after `cutAfter` bytes kills every socket of that session (control and
 * data, both sides), up to `cuts` times.
 */
import net from "node:net";

export interface CuttingProxyOptions {
  readonly targetPort: number;
  /** Data bytes (both directions, all sessions together) after which a session is cut. */
  readonly cutAfter: number;
  /** How many sessions to cut (default 1). */
  readonly cuts?: number;
}

export class CuttingProxy {
  port = 0;
  /** Sessions cut so far. */
  cutsDone = 0;
  /** Control connections accepted. */
  sessions = 0;
  private readonly server: net.Server;
  private readonly options: CuttingProxyOptions;
  private readonly sockets = new Set<net.Socket | net.Server>();
  private moved = 0;

  private constructor(options: CuttingProxyOptions) {
    this.options = options;
    this.server = net.createServer((client) => this.session(client));
  }

  static async start(options: CuttingProxyOptions): Promise<CuttingProxy> {
    const proxy = new CuttingProxy(options);
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s instanceof net.Server ? s.close() : s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private session(client: net.Socket): void {
    this.sessions++;
    const group = new Set<net.Socket | net.Server>([client]);
    const track = <T extends net.Socket | net.Server>(s: T): T => {
      group.add(s);
      this.sockets.add(s);
      if (s instanceof net.Socket) s.on("error", () => {});
      return s;
    };
    track(client);
    const cut = () => {
      for (const s of group) s instanceof net.Server ? s.close() : s.destroy();
    };
    const upstream = track(net.connect(this.options.targetPort, "127.0.0.1"));
    client.pipe(upstream);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    let buffered = "";
    let chain = Promise.resolve();
    upstream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      for (let end = buffered.indexOf("\n"); end !== -1; end = buffered.indexOf("\n")) {
        const line = buffered.slice(0, end + 1);
        buffered = buffered.slice(end + 1);
        chain = chain.then(async () => {
          const m = /^229 (.*)\(\|\|\|(\d+)\|\)/.exec(line);
          const out = m === null ? line : `229 ${m[1]}(|||${await this.forward(Number(m[2]), track, cut)}|)\r\n`;
          if (!client.destroyed) client.write(Buffer.from(out, "latin1"));
        });
      }
    });
  }

  /** Listens for the client's data connection and joins it to the server's passive port. */
  private async forward(
    serverPort: number,
    track: <T extends net.Socket | net.Server>(s: T) => T,
    cut: () => void,
  ): Promise<number> {
    const listener = track(
      net.createServer((inbound) => {
        listener.close();
        track(inbound);
        const outbound = track(net.connect(serverPort, "127.0.0.1"));
        const count = (chunk: Buffer) => {
          this.moved += chunk.length;
          if (this.cutsDone < (this.options.cuts ?? 1) && this.moved >= this.options.cutAfter * (this.cutsDone + 1)) {
            this.cutsDone++;
            cut();
          }
        };
        inbound.on("data", count);
        outbound.on("data", count);
        inbound.pipe(outbound);
        outbound.pipe(inbound);
      }),
    );
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    return (listener.address() as net.AddressInfo).port;
  }
}
