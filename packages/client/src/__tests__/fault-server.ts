/**
 * A scriptable, fault-injecting FTP server for the client's tests, in the spirit of curl's
 * test server (tests/ftpserver.pl): real node:net sockets on 127.0.0.1, port 0, a small
 * in-memory file tree, and a default behaviour for every command the client sends, which a
 * test overrides per command with a script. A script handler can answer with any reply or
 * raw bytes, wait, never answer, drop the control or the data connection (at byte N),
 * send the 226 before or after the data EOF, offer a foreign PASV address, refuse EPSV, ...
 *
 * It is written independently of @ftpkit/protocol on purpose: a test oracle that shared the
 * code under test would share its bugs.
 *
 * With `tls`, it speaks FTPS (RFC 4217) as vsftpd does: AUTH TLS (or implicit TLS from the
 * first byte), PBSZ, PROT C/P, data connections secured after the 1yz with the control
 * connection's own SecureContext (so its tickets resume there and nowhere else), and a data
 * connection that does not resume the control connection's session refused with 522.
 */
import { EventEmitter } from "node:events";
import net from "node:net";
import tls from "node:tls";

export type Handler = (ctx: FaultContext) => void | Promise<void>;

export interface FaultServerOptions {
  /** The greeting line(s), or a handler (default `220 fault server ready`). */
  greeting?: string | Handler;
  /** FEAT lines (without the leading space); default: EPSV, MLST, SIZE, MDTM, MFMT, REST STREAM, UTF8. */
  features?: readonly string[];
  /** Initial files: absolute path to content; a path ending in `/` is an (empty) directory. */
  files?: Readonly<Record<string, string | Uint8Array>>;
  /**
   * Per-verb overrides. A handler replaces the default; an array gives one handler per call of
   * that verb, in order, and the default after the last (`undefined` entries use the default).
   */
  script?: Readonly<Record<string, Handler | readonly (Handler | undefined)[]>>;
  /** The address a 227 reply announces (default: 127.0.0.1). */
  pasvHost?: string;
  /** Accepted logins (default: any user and password). */
  users?: Readonly<Record<string, string>>;
  /** FTPS. */
  tls?: FaultTlsOptions;
}

export interface FaultTlsOptions {
  readonly key: string;
  readonly cert: string;
  /** TLS from the first byte (implicit FTPS); default explicit (AUTH TLS). */
  readonly implicit?: boolean;
  readonly minVersion?: tls.SecureVersion;
  readonly maxVersion?: tls.SecureVersion;
  /** Refuse (522) a protected data connection that did not resume the control session (default true). */
  readonly requireReuse?: boolean;
  /**
   * Accept a resumed data connection only when it used the newest ticket this control
   * connection issued (TLS 1.3), to check that clients keep the newest.
   */
  readonly newestTicketOnly?: boolean;
  /** Refuse USER before AUTH TLS with 530 (default true). */
  readonly requireTlsLogin?: boolean;
  /** Ask for a client certificate and refuse the handshake without one signed by this CA. */
  readonly clientCa?: string;
}

/** One protected data connection's handshake, as the server saw it. */
export interface FaultTlsDataRecord {
  readonly resumed: boolean;
  readonly protocol: string | null;
  /** Refused: not resumed (or not with the newest ticket), or the handshake failed. */
  readonly refused: boolean;
}

export interface DataSendOptions {
  /** Stop after this many bytes and close the data connection (a dropped transfer). */
  dropAfter?: number;
  /** With `dropAfter`: reset the data connection instead of closing it after the bytes were sent. */
  reset?: boolean;
  /** `eof-first` (default): close the data connection, then send the 226. `reply-first`: the other way round. */
  order?: "eof-first" | "reply-first";
  /** The final reply (default `226 Transfer complete`); null sends none. */
  finalReply?: readonly [number, string] | null;
  /** The preliminary reply (default `150 Opening data connection`); null sends none. */
  preliminary?: readonly [number, string] | null;
  /** What the transfer answers when ABOR stops it (default `426 Transfer aborted`); null: nothing. */
  abortReply?: readonly [number, string] | null;
  /** Bytes per write (default 64 KiB) and a pause between writes (default none). */
  chunkSize?: number;
  chunkDelay?: number;
}

interface FileEntry {
  data: Buffer;
  mtime: Date;
}

interface RunningTransfer {
  aborted: boolean;
  socket: net.Socket | undefined;
  done: Promise<void>;
}

/** The per-connection state a handler sees and may change. */
export class FaultContext {
  verb = "";
  argument: string | undefined;
  line = "";
  /** The control socket (a TLSSocket once secured). */
  control: net.Socket;
  /** FTPS: this control connection's own TLS context (tickets resume only here). */
  secureContext: tls.SecureContext | undefined;
  /** FTPS: session-id cache and ticket log of this control connection (node:tls `server` events). */
  readonly tlsEvents = new EventEmitter();
  /** FTPS: ids of the sessions (TLS 1.3: tickets) issued on this control connection, oldest first. */
  readonly issuedSessions: string[] = [];
  /** FTPS: the control connection is protected. */
  secure = false;
  /** FTPS: the data protection level (PROT). */
  prot: "C" | "P" = "C";
  /** @internal switches the control connection to TLS (AUTH TLS). */
  upgrade: (() => Promise<boolean>) | undefined;
  readonly server: FaultServer;
  cwd = "/";
  type = "A";
  rest = 0;
  renameFrom: string | undefined;
  user: string | undefined;
  /** Commands after which the server stops reading (a handler called `silence`). */
  silent = false;
  private dataSource: (() => Promise<net.Socket>) | undefined;
  private listener: net.Server | undefined;
  /** @internal */
  transfer: RunningTransfer | undefined;

  constructor(control: net.Socket, server: FaultServer) {
    this.control = control;
    this.server = server;
    const options = server.options.tls;
    if (options !== undefined) {
      this.secureContext = tls.createSecureContext({
        key: options.key,
        cert: options.cert,
        minVersion: options.minVersion,
        maxVersion: options.maxVersion,
        // OpenSSL resumes sessions of a context that requests client certificates only with
        // a session id context (else: alert internal error on the resumed data connection).
        ...(options.clientCa === undefined ? {} : { ca: options.clientCa, sessionIdContext: "ftpkit-fault" }),
      });
      const sessions = new Map<string, Buffer>();
      this.tlsEvents.on("newSession", (id: Buffer, data: Buffer, done: () => void) => {
        sessions.set(id.toString("hex"), data);
        this.issuedSessions.push(id.toString("hex"));
        done();
      });
      this.tlsEvents.on("resumeSession", (id: Buffer, done: (error: null, data: Buffer | null) => void) =>
        done(null, sessions.get(id.toString("hex")) ?? null),
      );
    }
  }

  /** A server-side TLS socket over `socket` with this connection's context. */
  serverTls(socket: net.Socket): tls.TLSSocket {
    const options = this.server.options.tls;
    const secured = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: this.secureContext,
      server: this.tlsEvents as unknown as net.Server,
      ...(options?.clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: true }),
    });
    secured.on("error", () => {});
    return secured;
  }

  /**
   * PROT P: secures a data connection (after the 1yz, as vsftpd does) and refuses it with 522
   * when it did not resume this control connection's session. Undefined when refused.
   */
  async protectData(socket: net.Socket): Promise<net.Socket | undefined> {
    const options = this.server.options.tls;
    if (this.prot !== "P" || options === undefined) return socket;
    const secured = this.serverTls(socket);
    const ok = await new Promise<boolean>((resolve) => {
      secured.once("secure", () => resolve(true));
      secured.once("error", () => resolve(false));
      secured.once("close", () => resolve(false));
    });
    if (!ok) {
      secured.destroy();
      this.server.tlsData.push({ resumed: false, protocol: null, refused: true });
      this.reply(522, "TLS handshake failed");
      return undefined;
    }
    const resumed = secured.isSessionReused();
    let refusal: string | undefined;
    if (options.requireReuse !== false && !resumed) refusal = "SSL connection failed: session reuse required";
    if (options.newestTicketOnly === true && resumed) {
      const used = sessionIdOf(secured.getSession());
      if (used !== this.issuedSessions.at(-1)) refusal = "SSL connection failed: not the newest session ticket";
    }
    this.server.tlsData.push({ resumed, protocol: secured.getProtocol(), refused: refusal !== undefined });
    if (refusal !== undefined) {
      // end(), not destroy(): the client sees a clean TLS close, then the 522 (as with vsftpd).
      secured.end();
      this.reply(522, refusal);
      return undefined;
    }
    return secured;
  }

  /** Sends a reply; several lines make a multi-line reply (RFC 959 §4.2). */
  reply(code: number, text: string | readonly string[] = ""): void {
    const lines = typeof text === "string" ? [text] : text;
    if (lines.length <= 1) {
      this.raw(`${code} ${lines[0] ?? ""}\r\n`);
      return;
    }
    let out = `${code}-${lines[0]}\r\n`;
    for (const line of lines.slice(1, -1)) out += `${line}\r\n`;
    out += `${code} ${lines[lines.length - 1]}\r\n`;
    this.raw(out);
  }

  /** Writes bytes on the control connection exactly as given. */
  raw(bytes: string | Uint8Array): void {
    if (!this.control.destroyed) this.control.write(bytes);
  }

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Closes the control connection after what was written (FIN). */
  closeControl(): void {
    this.control.end();
  }

  /** Drops the control connection at once. */
  destroyControl(): void {
    this.control.destroy();
  }

  /** Stops answering anything on this connection (the client must time out). */
  silence(): void {
    this.silent = true;
  }

  /** Runs the built-in behaviour for the current command. */
  defaultHandler(): Promise<void> {
    const handler = DEFAULTS[this.verb];
    if (handler === undefined) {
      this.reply(500, `${this.verb} not understood`);
      return Promise.resolve();
    }
    return Promise.resolve(handler(this));
  }

  /** The absolute path of an argument. */
  resolve(path: string | undefined): string {
    const input = path ?? "";
    const parts = (input.startsWith("/") ? input : `${this.cwd}/${input}`).split("/");
    const out: string[] = [];
    for (const part of parts) {
      if (part === "" || part === ".") continue;
      if (part === "..") out.pop();
      else out.push(part);
    }
    return `/${out.join("/")}`;
  }

  /** Opens a passive listener; resolves with its port. */
  async listenPassive(): Promise<number> {
    this.closeData();
    const server = net.createServer();
    this.listener = server;
    const accepted = new Promise<net.Socket>((resolve, reject) => {
      server.once("connection", (socket) => {
        this.server.dataConnections++;
        server.close();
        resolve(socket);
      });
      server.once("error", reject);
    });
    accepted.catch(() => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.dataSource = () => accepted;
    return (server.address() as net.AddressInfo).port;
  }

  /** Remembers an active-mode target (PORT/EPRT). */
  setActiveTarget(host: string, port: number): void {
    this.closeData();
    this.dataSource = () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host, port }, () => {
          this.server.dataConnections++;
          resolve(socket);
        });
        socket.once("error", reject);
      });
  }

  /** The data connection of the current transfer (accepted or connected); 425 when none was set up. */
  async dataSocket(): Promise<net.Socket | undefined> {
    const source = this.dataSource;
    this.dataSource = undefined;
    if (source === undefined) {
      this.reply(425, "Use PORT or PASV first");
      return undefined;
    }
    try {
      return await source();
    } catch {
      this.reply(425, "Cannot open data connection");
      return undefined;
    }
  }

  /** Stops the running transfer as ABOR does (it sends its own reply) and waits for it. */
  async abortRunningTransfer(): Promise<void> {
    const transfer = this.transfer;
    if (transfer === undefined) return;
    transfer.aborted = true;
    transfer.socket?.destroy();
    await transfer.done;
  }

  closeData(): void {
    this.listener?.close();
    this.listener = undefined;
    this.dataSource = undefined;
  }

  /**
   * Sends a download's bytes with optional faults, honouring ABOR (then 426 for the
   * transfer; the ABOR handler sends its own 226).
   */
  async sendData(bytes: Uint8Array, options: DataSendOptions = {}): Promise<void> {
    const transfer: RunningTransfer = { aborted: false, socket: undefined, done: Promise.resolve() };
    let finish = () => {};
    transfer.done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    this.transfer = transfer;
    try {
      const raw = await this.dataSocket();
      if (raw === undefined) return;
      transfer.socket = raw;
      raw.on("error", () => {});
      const preliminary =
        options.preliminary === undefined ? ([150, "Opening data connection"] as const) : options.preliminary;
      if (preliminary !== null) this.reply(preliminary[0], preliminary[1]);
      const protectedSocket = await this.protectData(raw);
      if (protectedSocket === undefined) return;
      const socket = protectedSocket;
      transfer.socket = socket;
      if (transfer.aborted) socket.destroy();
      const limit = options.dropAfter === undefined ? bytes.length : Math.min(options.dropAfter, bytes.length);
      const chunk = options.chunkSize ?? 64 * 1024;
      let failed = false;
      for (let i = 0; i < limit && !transfer.aborted && !socket.destroyed; i += chunk) {
        const ok = socket.write(bytes.subarray(i, Math.min(limit, i + chunk)));
        if (!ok) {
          await new Promise<void>((resolve) => {
            const done = () => {
              socket.off("drain", done);
              socket.off("close", done);
              resolve();
            };
            socket.on("drain", done);
            socket.on("close", done);
          });
        }
        if (options.chunkDelay !== undefined) await this.delay(options.chunkDelay);
      }
      if (transfer.aborted || socket.destroyed) failed = true;
      if (transfer.aborted) {
        socket.destroy();
        const reply = options.abortReply === undefined ? ([426, "Transfer aborted"] as const) : options.abortReply;
        if (reply !== null) this.reply(reply[0], reply[1]);
        return;
      }
      const final = options.finalReply === undefined ? ([226, "Transfer complete"] as const) : options.finalReply;
      if (options.dropAfter !== undefined && options.dropAfter < bytes.length) {
        if (options.reset === true) socket.resetAndDestroy();
        else await endSocket(socket);
        if (final !== null) this.reply(final[0], final[1]);
        return;
      }
      if (options.order === "reply-first") {
        if (final !== null && !failed) this.reply(final[0], final[1]);
        await this.delay(30);
        await endSocket(socket);
      } else {
        await endSocket(socket);
        if (final !== null) this.reply(failed ? 426 : final[0], failed ? "Connection closed" : final[1]);
      }
    } finally {
      this.transfer = undefined;
      finish();
    }
  }

  /** Receives an upload: 150, read to EOF, then the caller replies. Undefined when aborted or failed. */
  async receiveData(options: { preliminary?: readonly [number, string] | null } = {}): Promise<Buffer | undefined> {
    const transfer: RunningTransfer = { aborted: false, socket: undefined, done: Promise.resolve() };
    let finish = () => {};
    transfer.done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    this.transfer = transfer;
    try {
      const raw = await this.dataSocket();
      if (raw === undefined) return undefined;
      transfer.socket = raw;
      raw.on("error", () => {});
      const preliminary = options.preliminary === undefined ? ([150, "Ok to send data"] as const) : options.preliminary;
      if (preliminary !== null) this.reply(preliminary[0], preliminary[1]);
      const socket = await this.protectData(raw);
      if (socket === undefined) return undefined;
      transfer.socket = socket;
      const chunks: Buffer[] = [];
      const ok = await new Promise<boolean>((resolve) => {
        socket.on("data", (chunk: Buffer) => chunks.push(chunk));
        socket.on("end", () => resolve(true));
        socket.on("error", () => resolve(false));
        socket.on("close", () => resolve(false));
      });
      socket.destroy();
      if (!ok || transfer.aborted) {
        this.reply(426, "Connection closed; transfer aborted");
        return undefined;
      }
      return Buffer.concat(chunks);
    } finally {
      this.transfer = undefined;
      finish();
    }
  }
}

function endSocket(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    socket.end(() => resolve());
    socket.on("close", () => resolve());
  });
}

/** The session id (field 4 of the DER SSL_SESSION) of a TLS session, in hex. */
function sessionIdOf(session: Buffer | undefined): string | undefined {
  if (session === undefined) return undefined;
  // SEQUENCE { version INTEGER, sslVersion INTEGER, cipher OCTET STRING, sessionId OCTET STRING, ... }
  let offset = 0;
  const header = (): { tag: number; length: number } => {
    const tag = session[offset++] as number;
    let length = session[offset++] as number;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (session[offset++] as number);
    }
    return { tag, length };
  };
  header();
  for (let field = 1; field <= 4; field++) {
    const { length } = header();
    if (field === 4) return session.subarray(offset, offset + length).toString("hex");
    offset += length;
  }
  return undefined;
}

export class FaultServer {
  readonly host = "127.0.0.1";
  port = 0;
  /** FTPS: every protected data connection's handshake. */
  readonly tlsData: FaultTlsDataRecord[] = [];
  /** FTPS: control connections secured. */
  tlsControl = 0;
  /** Every command line received, on all connections, in order. */
  readonly commands: string[] = [];
  /** Control connections accepted so far. */
  connections = 0;
  /** Data connections opened so far. */
  dataConnections = 0;
  readonly files = new Map<string, FileEntry>();
  readonly dirs = new Set<string>(["/"]);
  readonly options: FaultServerOptions;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly calls = new Map<string, number>();

  private constructor(options: FaultServerOptions) {
    this.options = options;
    const now = new Date(Date.UTC(2024, 0, 31, 14, 15, 0));
    for (const [path, content] of Object.entries(options.files ?? {})) {
      if (path.endsWith("/")) {
        this.addDir(path.slice(0, -1) || "/");
      } else {
        this.addDir(parentOf(path));
        this.files.set(path, { data: Buffer.from(content), mtime: now });
      }
    }
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async start(options: FaultServerOptions = {}): Promise<FaultServer> {
    const server = new FaultServer(options);
    await new Promise<void>((resolve) => server.server.listen(0, "127.0.0.1", resolve));
    server.port = (server.server.address() as net.AddressInfo).port;
    return server;
  }

  /** Connection options for a client. */
  get url(): string {
    return `ftp://user:secret@127.0.0.1:${this.port}`;
  }

  /** The commands received with this verb. */
  sent(verb: string): string[] {
    return this.commands.filter((line) => line.split(" ")[0]?.toUpperCase() === verb);
  }

  addDir(path: string): void {
    let current = "";
    for (const part of path.split("/").filter((p) => p !== "")) {
      current += `/${part}`;
      this.dirs.add(current);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
    const ctx = new FaultContext(socket, this);
    let buffered = "";
    let chain = Promise.resolve();
    const secureControl = (): Promise<boolean> => {
      const raw = ctx.control;
      raw.off("data", onData);
      raw.pause();
      // Clear-text bytes after AUTH TLS are never taken as commands (STARTTLS injection).
      buffered = "";
      const secured = ctx.serverTls(raw);
      ctx.control = secured;
      this.sockets.add(secured);
      secured.on("close", () => this.sockets.delete(secured));
      secured.on("data", onData);
      return new Promise<boolean>((resolve) => {
        secured.once("secure", () => {
          ctx.secure = true;
          this.tlsControl++;
          resolve(true);
        });
        secured.once("close", () => resolve(false));
      });
    };
    ctx.upgrade = secureControl;
    if (this.options.tls?.implicit === true) {
      ctx.prot = "P";
      chain = chain.then(async () => {
        if (!(await secureControl())) ctx.silence();
      });
    }
    const greeting = this.options.greeting ?? "220 fault server ready";
    chain = chain.then(() => {
      if (ctx.silent) return;
      return typeof greeting === "string" ? ctx.raw(`${greeting}\r\n`) : greeting(ctx);
    });
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let end = buffered.indexOf("\r\n"); end !== -1; end = buffered.indexOf("\r\n")) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        this.commands.push(line);
        if (ctx.silent) continue;
        const verb = (line.split(" ")[0] ?? "").toUpperCase();
        // ABOR (and STAT) are handled at once, even while a transfer runs (RFC 959 §4.1.3).
        if (verb === "ABOR" && ctx.transfer !== undefined) {
          void this.run(ctx, line, async () => {
            await ctx.abortRunningTransfer();
            ctx.reply(226, "ABOR successful");
          });
          continue;
        }
        chain = chain.then(() => this.run(ctx, line));
      }
    };
    socket.on("data", onData);
  }

  private async run(ctx: FaultContext, line: string, fallback?: Handler): Promise<void> {
    if (ctx.silent || ctx.control.destroyed) return;
    const space = line.indexOf(" ");
    ctx.line = line;
    ctx.verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    ctx.argument = space === -1 ? undefined : line.slice(space + 1);
    const count = this.calls.get(ctx.verb) ?? 0;
    this.calls.set(ctx.verb, count + 1);
    const scripted = this.options.script?.[ctx.verb];
    const handler = Array.isArray(scripted)
      ? (scripted[count] as Handler | undefined)
      : (scripted as Handler | undefined);
    try {
      if (handler !== undefined) await handler(ctx);
      else if (fallback !== undefined) await fallback(ctx);
      else await ctx.defaultHandler();
    } catch (error) {
      ctx.reply(451, `fault server error: ${(error as Error).message}`);
    }
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function timeVal(date: Date): string {
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function children(ctx: FaultContext, dir: string): { name: string; file: FileEntry | undefined }[] {
  const out: { name: string; file: FileEntry | undefined }[] = [];
  const prefix = dir === "/" ? "/" : `${dir}/`;
  for (const d of ctx.server.dirs) {
    if (d !== dir && d.startsWith(prefix) && !d.slice(prefix.length).includes("/")) {
      out.push({ name: d.slice(prefix.length), file: undefined });
    }
  }
  for (const [path, file] of ctx.server.files) {
    if (path.startsWith(prefix) && !path.slice(prefix.length).includes("/"))
      out.push({ name: path.slice(prefix.length), file });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

function listArgument(ctx: FaultContext): string {
  const arg = ctx.argument;
  return arg === undefined || arg.startsWith("-") ? ctx.cwd : ctx.resolve(arg);
}

async function store(ctx: FaultContext, append: boolean): Promise<void> {
  const path = ctx.resolve(ctx.argument);
  if (!ctx.server.dirs.has(parentOf(path))) {
    ctx.closeData();
    ctx.reply(553, "No such directory");
    return;
  }
  const rest = ctx.rest;
  ctx.rest = 0;
  const data = await ctx.receiveData();
  if (data === undefined) return;
  const existing = ctx.server.files.get(path)?.data ?? Buffer.alloc(0);
  const content = append
    ? Buffer.concat([existing, data])
    : rest > 0
      ? Buffer.concat([existing.subarray(0, rest), Buffer.alloc(Math.max(0, rest - existing.length)), data])
      : data;
  ctx.server.files.set(path, { data: content, mtime: new Date() });
  ctx.reply(226, "Transfer complete");
}

/** The built-in behaviour: a minimal but correct server over the in-memory tree. */
const DEFAULTS: Record<string, Handler> = {
  async AUTH(ctx) {
    const mechanism = (ctx.argument ?? "").toUpperCase();
    if (ctx.server.options.tls === undefined || ctx.upgrade === undefined) {
      ctx.reply(502, "AUTH not supported");
      return;
    }
    if (ctx.secure || (mechanism !== "TLS" && mechanism !== "SSL")) {
      ctx.reply(504, "AUTH mechanism not supported");
      return;
    }
    ctx.reply(234, "AUTH TLS successful");
    if (!(await ctx.upgrade())) ctx.silence();
  },
  PBSZ(ctx) {
    if (!ctx.secure) ctx.reply(503, "PBSZ needs AUTH first");
    else ctx.reply(200, "PBSZ=0");
  },
  PROT(ctx) {
    const level = (ctx.argument ?? "").toUpperCase();
    if (!ctx.secure) {
      ctx.reply(503, "PROT needs AUTH first");
      return;
    }
    if (level !== "C" && level !== "P") {
      ctx.reply(504, "PROT level not supported");
      return;
    }
    ctx.prot = level;
    ctx.reply(200, `PROT now ${level === "P" ? "Private" : "Clear"}`);
  },
  USER(ctx) {
    if (ctx.server.options.tls !== undefined && ctx.server.options.tls.requireTlsLogin !== false && !ctx.secure) {
      ctx.reply(530, "Non-anonymous sessions must use encryption");
      return;
    }
    ctx.user = ctx.argument;
    ctx.reply(331, "Password required");
  },
  PASS(ctx) {
    const users = ctx.server.options.users;
    if (users !== undefined && (ctx.user === undefined || users[ctx.user] !== ctx.argument)) {
      ctx.reply(530, "Login incorrect");
      return;
    }
    ctx.reply(230, "Logged in");
  },
  FEAT(ctx) {
    const features = ctx.server.options.features ?? [
      "EPSV",
      "MLST type*;size*;modify*;",
      "SIZE",
      "MDTM",
      "MFMT",
      "REST STREAM",
      "UTF8",
    ];
    ctx.reply(211, ["Features:", ...features.map((f) => ` ${f}`), "End"]);
  },
  OPTS(ctx) {
    ctx.reply(200, "OK");
  },
  SYST(ctx) {
    ctx.reply(215, "UNIX Type: L8");
  },
  NOOP(ctx) {
    ctx.reply(200, "NOOP ok");
  },
  PWD(ctx) {
    ctx.reply(257, `"${ctx.cwd.replaceAll('"', '""')}" is the current directory`);
  },
  CWD(ctx) {
    const path = ctx.resolve(ctx.argument);
    if (!ctx.server.dirs.has(path)) {
      ctx.reply(550, "No such directory");
      return;
    }
    ctx.cwd = path;
    ctx.reply(250, "Directory changed");
  },
  CDUP(ctx) {
    ctx.cwd = parentOf(ctx.cwd);
    ctx.reply(250, "Directory changed");
  },
  TYPE(ctx) {
    ctx.type = (ctx.argument ?? "A").toUpperCase();
    ctx.reply(200, `Type set to ${ctx.type}`);
  },
  async EPSV(ctx) {
    const port = await ctx.listenPassive();
    ctx.reply(229, `Entering Extended Passive Mode (|||${port}|)`);
  },
  async PASV(ctx) {
    const port = await ctx.listenPassive();
    const host = (ctx.server.options.pasvHost ?? "127.0.0.1").replaceAll(".", ",");
    ctx.reply(227, `Entering Passive Mode (${host},${port >> 8},${port & 255})`);
  },
  EPRT(ctx) {
    const parts = (ctx.argument ?? "").split("|");
    ctx.setActiveTarget(parts[2] ?? "", Number(parts[3]));
    ctx.reply(200, "EPRT command successful");
  },
  PORT(ctx) {
    const n = (ctx.argument ?? "").split(",").map(Number);
    ctx.setActiveTarget(n.slice(0, 4).join("."), (n[4] ?? 0) * 256 + (n[5] ?? 0));
    ctx.reply(200, "PORT command successful");
  },
  REST(ctx) {
    ctx.rest = Number(ctx.argument);
    ctx.reply(350, `Restarting at ${ctx.rest}`);
  },
  async RETR(ctx) {
    const file = ctx.server.files.get(ctx.resolve(ctx.argument));
    const rest = ctx.rest;
    ctx.rest = 0;
    if (file === undefined) {
      ctx.closeData();
      ctx.reply(550, "No such file");
      return;
    }
    await ctx.sendData(file.data.subarray(rest));
  },
  STOR: (ctx) => store(ctx, false),
  APPE: (ctx) => store(ctx, true),
  async LIST(ctx) {
    const dir = listArgument(ctx);
    if (!ctx.server.dirs.has(dir)) {
      ctx.closeData();
      ctx.reply(550, "No such directory");
      return;
    }
    const lines = children(ctx, dir).map(({ name, file }) => {
      const t = file?.mtime ?? new Date(Date.UTC(2024, 0, 31, 14, 15, 0));
      const when = `${MONTHS[t.getUTCMonth()]} ${pad(t.getUTCDate())}  ${t.getUTCFullYear()}`;
      const size = String(file?.data.length ?? 4096).padStart(8);
      return `${file === undefined ? "d" : "-"}rw-r--r--    1 ftp      ftp      ${size} ${when} ${name}\r\n`;
    });
    await ctx.sendData(Buffer.from(lines.join(""), "utf8"));
  },
  async MLSD(ctx) {
    const dir = listArgument(ctx);
    if (!ctx.server.dirs.has(dir)) {
      ctx.closeData();
      ctx.reply(550, "No such directory");
      return;
    }
    const lines = [`type=cdir;modify=20240131141500; ${dir}\r\n`].concat(
      children(ctx, dir).map(({ name, file }) =>
        file === undefined
          ? `type=dir;modify=20240131141500; ${name}\r\n`
          : `type=file;size=${file.data.length};modify=${timeVal(file.mtime)}; ${name}\r\n`,
      ),
    );
    await ctx.sendData(Buffer.from(lines.join(""), "utf8"));
  },
  SIZE(ctx) {
    const file = ctx.server.files.get(ctx.resolve(ctx.argument));
    if (file === undefined) ctx.reply(550, "Could not get file size");
    else ctx.reply(213, String(file.data.length));
  },
  MDTM(ctx) {
    const m = /^(\d{14}) (.+)$/.exec(ctx.argument ?? "");
    const file = ctx.server.files.get(ctx.resolve(m === null ? ctx.argument : m[2]));
    if (file === undefined) {
      ctx.reply(550, "No such file");
      return;
    }
    if (m !== null) file.mtime = fromTimeVal(m[1] as string);
    ctx.reply(213, timeVal(file.mtime));
  },
  MFMT(ctx) {
    const m = /^(\d{14}) (.+)$/.exec(ctx.argument ?? "");
    const file = m === null ? undefined : ctx.server.files.get(ctx.resolve(m[2]));
    if (m === null || file === undefined) {
      ctx.reply(550, "No such file");
      return;
    }
    file.mtime = fromTimeVal(m[1] as string);
    ctx.reply(213, `Modify=${m[1]}; ${m[2]}`);
  },
  MKD(ctx) {
    const path = ctx.resolve(ctx.argument);
    if (ctx.server.dirs.has(path) || ctx.server.files.has(path) || !ctx.server.dirs.has(parentOf(path))) {
      ctx.reply(550, "Cannot create directory");
      return;
    }
    ctx.server.dirs.add(path);
    ctx.reply(257, `"${path}" created`);
  },
  RMD(ctx) {
    const path = ctx.resolve(ctx.argument);
    if (!ctx.server.dirs.has(path) || children(ctx, path).length > 0 || path === "/") {
      ctx.reply(550, "Cannot remove directory");
      return;
    }
    ctx.server.dirs.delete(path);
    ctx.reply(250, "Directory removed");
  },
  DELE(ctx) {
    if (!ctx.server.files.delete(ctx.resolve(ctx.argument))) ctx.reply(550, "No such file");
    else ctx.reply(250, "File deleted");
  },
  RNFR(ctx) {
    const path = ctx.resolve(ctx.argument);
    if (!ctx.server.files.has(path) && !ctx.server.dirs.has(path)) {
      ctx.reply(550, "No such file");
      return;
    }
    ctx.renameFrom = path;
    ctx.reply(350, "Ready for RNTO");
  },
  RNTO(ctx) {
    const from = ctx.renameFrom;
    ctx.renameFrom = undefined;
    const file = from === undefined ? undefined : ctx.server.files.get(from);
    if (from === undefined || file === undefined) {
      ctx.reply(503, "RNFR first");
      return;
    }
    ctx.server.files.delete(from);
    ctx.server.files.set(ctx.resolve(ctx.argument), file);
    ctx.reply(250, "Renamed");
  },
  ABOR(ctx) {
    ctx.reply(225, "No transfer to abort");
  },
  SITE(ctx) {
    ctx.reply(200, `SITE ${ctx.argument ?? ""} ok`);
  },
  QUIT(ctx) {
    ctx.reply(221, "Goodbye");
    ctx.closeControl();
  },
};

function fromTimeVal(text: string): Date {
  return new Date(
    Date.UTC(
      Number(text.slice(0, 4)),
      Number(text.slice(4, 6)) - 1,
      Number(text.slice(6, 8)),
      Number(text.slice(8, 10)),
      Number(text.slice(10, 12)),
      Number(text.slice(12, 14)),
    ),
  );
}
