/**
 * The protocol package's ServerSession behind a minimal socket driver, in this process: the
 * client talks to the pure server state machine with nothing of @ftpkit/server in between
 * (files live in the protocol's MemoryStore). The driver only moves bytes: every FTP
 * decision is the session's.
 */
import net from "node:net";
import { performance } from "node:perf_hooks";
import {
  AsciiDecoder,
  AsciiEncoder,
  concatBytes,
  type EntryInfo,
  encodeUtf8,
  formatListingEntry,
  formatMlsxListingEntry,
  NEED_DATA,
  PAUSED,
  type ServerEvent,
  ServerSession,
  type TransferRequest,
} from "@ftpkit/protocol";
import { MemoryStore } from "@ftpkit/protocol/testing";

export class SessionServer {
  port = 0;
  readonly store: MemoryStore;
  /** Sessions accepted. */
  sessions = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket | net.Server>();

  private constructor(files: Readonly<Record<string, string | Uint8Array>>) {
    this.store = new MemoryStore(files, new Date());
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async start(files: Readonly<Record<string, string | Uint8Array>> = {}): Promise<SessionServer> {
    const server = new SessionServer(files);
    await new Promise<void>((resolve) => server.server.listen(0, "127.0.0.1", resolve));
    server.port = (server.server.address() as net.AddressInfo).port;
    return server;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s instanceof net.Server ? s.close() : s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(control: net.Socket): void {
    this.sessions++;
    this.sockets.add(control);
    control.setNoDelay(true);
    control.on("error", () => {});
    const now = () => performance.now();
    const session = new ServerSession({ peerAddress: "127.0.0.1", now: now(), failedLoginDelay: 0 });
    let passive: Promise<net.Socket> | undefined;
    let listener: net.Server | undefined;
    let timer: NodeJS.Timeout | undefined;
    const running = new Map<number, net.Socket>();

    const pump = () => {
      for (;;) {
        const event = session.nextEvent();
        if (event === NEED_DATA || event === PAUSED) break;
        handle(event);
      }
      clearTimeout(timer);
      const deadline = session.pollTimeout();
      if (deadline !== undefined) {
        timer = setTimeout(
          () => {
            session.handleTimeout(now());
            pump();
          },
          Math.max(0, deadline - now()) + 1,
        );
      }
    };

    const handle = (event: ServerEvent) => {
      switch (event.type) {
        case "reply":
          control.write(event.bytes);
          return;
        case "authenticate":
          session.handleAuthResult(event.id, { ok: true, permissions: "all" }, now());
          return;
        case "storage":
          session.handleStorageResult(event.id, this.store.apply(event.request, new Date()), now());
          return;
        case "open-passive": {
          listener?.close();
          const server = net.createServer();
          this.sockets.add(server);
          listener = server;
          passive = new Promise<net.Socket>((resolve) =>
            server.once("connection", (socket) => {
              server.close();
              resolve(socket);
            }),
          );
          server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            session.handlePassiveResult(event.id, { ok: true, address: { host: "127.0.0.1", port } }, now());
            pump();
          });
          return;
        }
        case "transfer": {
          const request = event.request;
          const source = request.data.mode === "passive" ? passive : connectTo(request.data.target);
          passive = undefined;
          void this.transfer(session, event.id, request, source, running, now, pump).then(pump);
          return;
        }
        case "abort-transfer":
          running.get(event.id)?.destroy();
          return;
        case "close":
          control.end();
          return;
        default:
          return;
      }
    };

    control.on("data", (chunk: Buffer) => {
      session.receiveData(chunk, now());
      pump();
    });
    control.on("close", () => {
      clearTimeout(timer);
      listener?.close();
      for (const socket of running.values()) socket.destroy();
    });
    pump();
  }

  private async transfer(
    session: ServerSession,
    id: number,
    request: TransferRequest,
    source: Promise<net.Socket> | undefined,
    running: Map<number, net.Socket>,
    now: () => number,
    pump: () => void,
  ): Promise<void> {
    const fail = (error: "data-connection" | "aborted" | "not-found") =>
      session.handleTransferResult(id, { ok: false, error }, now());
    const download =
      request.kind === "retr" || request.kind === "list" || request.kind === "mlsd" || request.kind === "nlst";
    const content = download ? this.content(request) : undefined;
    if (download && content === undefined) {
      (await source?.catch(() => undefined))?.destroy();
      fail("not-found");
      return;
    }
    const socket = await source?.catch(() => undefined);
    if (socket === undefined) {
      fail("data-connection");
      return;
    }
    this.sockets.add(socket);
    running.set(id, socket);
    session.handleTransferStarted(id, content === undefined ? {} : { size: content.length }, now());
    pump();
    const ok = await new Promise<boolean>((resolve) => {
      socket.on("error", () => resolve(false));
      socket.on("close", () => resolve(false));
      if (content !== undefined) {
        socket.end(content, () => resolve(true));
        return;
      }
      const chunks: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("end", () => {
        const raw = Buffer.concat(chunks);
        const decoder = new AsciiDecoder();
        const data = request.representation === "ascii" ? concatBytes([decoder.decode(raw), decoder.flush()]) : raw;
        this.store.write(request.path, data, new Date(), request.offset, request.kind === "appe");
        resolve(true);
      });
    });
    running.delete(id);
    if (ok) session.handleTransferResult(id, { ok: true, bytes: content?.length ?? 0 }, now());
    else fail("aborted");
  }

  private content(request: TransferRequest): Uint8Array | undefined {
    if (request.kind === "retr") {
      const data = this.store.read(request.path)?.subarray(request.offset);
      return data === undefined || request.representation === "binary" ? data : new AsciiEncoder().encode(data);
    }
    const listed = this.store.apply({ op: "list", path: request.path }, new Date());
    if (!listed.ok) return undefined;
    const lines = (listed.value as readonly EntryInfo[]).map((e) =>
      request.kind === "mlsd"
        ? formatMlsxListingEntry(e, request.facts, request.permissions, e.name)
        : request.kind === "nlst"
          ? e.name
          : formatListingEntry(e, new Date()),
    );
    return encodeUtf8(lines.map((line) => `${line}\r\n`).join(""));
  }
}

function connectTo(target: { host: string; port: number }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target, () => resolve(socket));
    socket.once("error", reject);
  });
}
