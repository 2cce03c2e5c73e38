import type { Verb } from "../command/index.js";
import { virtualBasename } from "../path/index.js";
import { NEED_DATA, PAUSED } from "../sentinels.js";
import {
  type ClientEvent,
  ClientSession,
  type ClientSessionOptions,
  type ServerEvent,
  ServerSession,
  type ServerSessionOptions,
  type TransferRequest,
} from "../session/index.js";
import { formatListingEntry, formatMlsxListingEntry } from "../session/server/listing-lines.js";
import { concatBytes, encodeUtf8 } from "../text/utf8.js";
import { AsciiDecoder, AsciiEncoder } from "../transfer/index.js";
import { FakeClock } from "./fake-clock.js";
import { MemoryStore } from "./memory-store.js";

export interface ConnectionPairOptions {
  /** Accounts: user name to password. */
  readonly users?: Readonly<Record<string, string>>;
  /** Initial files: virtual path to content; a path ending in `/` is a directory. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  /** Split every control-connection write into chunks of this many bytes (1 = byte by byte). */
  readonly chunkSize?: number;
  /** For downloads: does the 226 reach the client before or after the data ends? */
  readonly completionOrder?: "reply-first" | "eof-first";
  /** Keep transfers running until {@link ConnectionPair.finishTransfer} or an ABOR. */
  readonly holdTransfers?: boolean;
  readonly server?: Partial<ServerSessionOptions>;
  readonly client?: ClientSessionOptions;
  readonly clock?: FakeClock;
}

/** One write on the control connection, for transcripts. */
export interface WireRecord {
  readonly from: "client" | "server";
  readonly bytes: Uint8Array;
}

interface HeldTransfer {
  readonly id: number;
  readonly request: TransferRequest;
  readonly data: Uint8Array;
}

/**
 * A client session and a server session wired to each other in memory, with a pure
 * in-memory server driver (a {@link MemoryStore} for files, a users table for logins, and
 * data connections simulated without sockets). Whole FTP conversations run in a test, or
 * in a browser, without one socket. Time only moves through {@link advance}.
 */
export class ConnectionPair {
  readonly clock: FakeClock;
  readonly client: ClientSession;
  readonly server: ServerSession;
  readonly store: MemoryStore;
  readonly clientEvents: ClientEvent[] = [];
  readonly serverEvents: ServerEvent[] = [];
  readonly wire: WireRecord[] = [];
  /** Bytes received by the client over data connections, one entry per transfer. */
  readonly downloads: Uint8Array[] = [];
  serverClosed = false;

  private readonly options: ConnectionPairOptions;
  private readonly tasks: (() => void)[] = [];
  private held: HeldTransfer | undefined;
  private pendingUpload: Uint8Array | undefined;
  private nextPort = 40000;

  constructor(options: ConnectionPairOptions = {}) {
    this.options = options;
    this.clock = options.clock ?? new FakeClock(1_700_000_000_000);
    const now = this.clock.now();
    this.store = new MemoryStore(options.files ?? {}, new Date(now));
    this.client = new ClientSession({ now, ...options.client });
    this.server = new ServerSession({
      peerAddress: "127.0.0.1",
      now,
      failedLoginDelay: 0,
      ...options.server,
    });
    this.drainServer();
    this.drive();
  }

  /** Sends a command and runs the conversation until nothing moves; returns the client events it caused. */
  request(verb: Verb, argument?: string, options: { upload?: Uint8Array | string } = {}): ClientEvent[] {
    const before = this.clientEvents.length;
    if (options.upload !== undefined) {
      this.pendingUpload = typeof options.upload === "string" ? encodeUtf8(options.upload) : options.upload;
    }
    this.send(verb, argument);
    this.drive();
    return this.clientEvents.slice(before);
  }

  /** Queues a command without driving the conversation. */
  send(verb: Verb, argument?: string): void {
    const bytes = this.client.send({ verb, argument }, this.clock.now());
    this.record("client", bytes);
    this.tasks.push(() => this.deliverToServer(bytes));
  }

  /** Sends raw bytes from the client (for malformed input and pipelining tests). */
  sendRaw(bytes: Uint8Array | string): void {
    const data = typeof bytes === "string" ? encodeUtf8(bytes) : bytes;
    this.record("client", data);
    this.tasks.push(() => this.deliverToServer(data));
  }

  /** Logs in with USER and PASS. */
  login(user: string, password: string): ClientEvent[] {
    return [...this.request("USER", user), ...this.request("PASS", password)];
  }

  /** Runs queued work (deliveries, data ends, transfer results) until nothing is left. */
  drive(): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const task = this.tasks.shift();
      if (task === undefined) return;
      task();
    }
    throw new Error("ConnectionPair.drive: conversation does not settle");
  }

  /** Completes a transfer held by `holdTransfers`. */
  finishTransfer(): void {
    const held = this.held;
    if (held === undefined) throw new Error("no transfer is held");
    this.held = undefined;
    this.completeTransfer(held.id, held.request, held.data);
    this.drive();
  }

  /** Moves the clock and fires both sides' timers that are due. */
  advance(ms: number): void {
    const now = this.clock.advance(ms);
    const s = this.server.pollTimeout();
    if (s !== undefined && s <= now) {
      this.server.handleTimeout(now);
      this.drainServer();
    }
    const c = this.client.pollTimeout();
    if (c !== undefined && c <= now) {
      this.client.handleTimeout(now);
      this.drainClient();
    }
    this.drive();
  }

  /** The transcript as text, one line per write. */
  transcript(): string {
    const decoder = new TextDecoder();
    return this.wire.map((w) => `${w.from === "client" ? "C>" : "S<"} ${decoder.decode(w.bytes).trimEnd()}`).join("\n");
  }

  // ---- plumbing -------------------------------------------------------------

  private record(from: "client" | "server", bytes: Uint8Array): void {
    this.wire.push({ from, bytes });
  }

  private chunks(bytes: Uint8Array): Uint8Array[] {
    const size = this.options.chunkSize;
    if (size === undefined || size >= bytes.length) return [bytes];
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
    return out;
  }

  private deliverToServer(bytes: Uint8Array): void {
    if (this.serverClosed) return;
    for (const chunk of this.chunks(bytes)) this.server.receiveData(chunk, this.clock.now());
    this.drainServer();
  }

  private deliverToClient(bytes: Uint8Array): void {
    for (const chunk of this.chunks(bytes)) this.client.receiveData(chunk, this.clock.now());
    this.drainClient();
  }

  private drainClient(): void {
    for (;;) {
      const event = this.client.nextEvent();
      if (event === NEED_DATA) return;
      this.clientEvents.push(event);
    }
  }

  private drainServer(): void {
    for (;;) {
      const event = this.server.nextEvent();
      if (event === NEED_DATA || event === PAUSED) return;
      this.serverEvents.push(event);
      this.onServerEvent(event);
    }
  }

  private onServerEvent(event: ServerEvent): void {
    const now = this.clock.now();
    switch (event.type) {
      case "reply":
        this.record("server", event.bytes);
        this.tasks.push(() => this.deliverToClient(event.bytes));
        return;
      case "authenticate": {
        const users = this.options.users ?? {};
        const ok = Object.hasOwn(users, event.user) && users[event.user] === event.password;
        this.server.handleAuthResult(event.id, ok ? { ok: true, permissions: "all" } : { ok: false }, now);
        return;
      }
      case "storage":
        this.server.handleStorageResult(event.id, this.store.apply(event.request, new Date(now)), now);
        return;
      case "open-passive":
        this.server.handlePassiveResult(
          event.id,
          { ok: true, address: { host: "127.0.0.1", port: this.nextPort++ } },
          now,
        );
        return;
      case "secure-control":
        this.server.handleSecureResult(event.id, true, now);
        return;
      case "clear-control":
        this.server.handleClearResult(event.id, true, now);
        return;
      case "transfer":
        this.startTransfer(event.id, event.request);
        return;
      case "abort-transfer":
        if (this.held?.id === event.id) {
          this.held = undefined;
          this.server.handleTransferResult(event.id, { ok: false, error: "aborted" }, now);
        }
        return;
      case "close":
        this.serverClosed = true;
        this.tasks.push(() => {
          this.client.receiveEof(this.clock.now());
          this.drainClient();
        });
        return;
      default:
        return;
    }
  }

  private startTransfer(id: number, request: TransferRequest): void {
    const now = this.clock.now();
    const downloadData = this.prepareDownload(request);
    if (downloadData instanceof Error) {
      this.server.handleTransferResult(id, { ok: false, error: "not-found" }, now);
      return;
    }
    const name = request.kind === "stou" ? `${virtualBasename(request.path) || "file"}.1` : undefined;
    this.server.handleTransferStarted(id, name === undefined ? { size: downloadData.length } : { name }, now);
    if (this.options.holdTransfers) {
      this.held = { id, request, data: downloadData };
      return;
    }
    this.completeTransfer(id, request, downloadData);
  }

  private prepareDownload(request: TransferRequest): Uint8Array | Error {
    const now = new Date(this.clock.now());
    switch (request.kind) {
      case "retr": {
        const data = this.store.read(request.path);
        if (data === undefined) return new Error("not found");
        const slice = data.subarray(request.offset);
        return request.representation === "ascii" ? new AsciiEncoder().encode(slice) : slice;
      }
      case "list":
      case "nlst":
      case "mlsd": {
        const entries = this.store.apply({ op: "list", path: request.path }, now);
        if (!entries.ok) return new Error("not found");
        const list = entries.value as readonly import("../session/index.js").EntryInfo[];
        const lines = list.map((e) =>
          request.kind === "nlst"
            ? e.name
            : request.kind === "mlsd"
              ? formatMlsxListingEntry(e, request.facts, request.permissions, e.name)
              : formatListingEntry(e, now),
        );
        return encodeUtf8(lines.map((l) => `${l}\r\n`).join(""));
      }
      default:
        return new Uint8Array(0);
    }
  }

  private completeTransfer(id: number, request: TransferRequest, downloadData: Uint8Array): void {
    const isUpload = request.kind === "stor" || request.kind === "appe" || request.kind === "stou";
    if (isUpload) {
      const raw = this.pendingUpload ?? new Uint8Array(0);
      this.pendingUpload = undefined;
      this.tasks.push(() => {
        const decoder = new AsciiDecoder();
        const data = request.representation === "ascii" ? concatBytes([decoder.decode(raw), decoder.flush()]) : raw;
        const now = this.clock.now();
        const path = request.kind === "stou" ? `${request.path}.1` : request.path;
        this.store.write(path, data, new Date(now), request.offset, request.kind === "appe");
        this.client.handleDataEof(now);
        this.drainClient();
        this.server.handleTransferResult(id, { ok: true, bytes: raw.length }, now);
        this.drainServer();
      });
      return;
    }
    const dataEof = () => {
      this.downloads.push(downloadData);
      this.client.handleDataEof(this.clock.now());
      this.drainClient();
    };
    const result = () => {
      this.server.handleTransferResult(id, { ok: true, bytes: downloadData.length }, this.clock.now());
      this.drainServer();
    };
    if (this.options.completionOrder === "eof-first") {
      this.tasks.push(dataEof, result);
    } else {
      // The 226 is queued for delivery before the data end is reported.
      this.tasks.push(result, () => this.tasks.push(dataEof));
    }
  }
}
