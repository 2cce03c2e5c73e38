import { createHash } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import {
  encodeCommand,
  encodeEprtArgument,
  encodeHostPort,
  type HostPort,
  isReplyAllowed,
  isTransferVerb,
  NEED_DATA,
  parseEpsvReply,
  parsePasvReply,
  type Reply,
  ReplyDecoder,
  type Verb,
} from "@ftpkit/protocol";

/** How the data connection of a transfer is made. */
export type DataMode = "pasv" | "epsv" | "port" | "eprt";

/**
 * TLS of the test client (RFC 4217). `dataSession` says what a protected data connection
 * offers to resume: the newest session of the control connection or of an earlier data
 * connection (`latest`, what a correct client does), none (`none`, stock Python ftplib), or
 * a given session (e.g. one of another control connection).
 */
export interface RawTlsOptions extends Omit<ConnectionOptions, "socket" | "session"> {
  dataSession?: "latest" | "none" | Buffer;
}

/** What the client saw of one protected data connection. */
export interface DataTlsInfo {
  readonly protocol: string | null;
  readonly resumed: boolean;
  /** New sessions (tickets) received on it. */
  readonly newSessions: number;
}

interface Waiter {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Outstanding {
  readonly verb: Verb;
  preliminary: boolean;
}

/**
 * A deliberately small FTP client for the server's loopback tests: raw commands over
 * node:net, replies decoded by @ftpkit/protocol's ReplyDecoder, and every reply checked
 * against the RFC 959 §5.4 sequence tables (`isReplyAllowed`) for the command it answers.
 * A reply no outstanding command allows is recorded in `violations` (tests assert it stays
 * empty). It never imports @ftpkit/client.
 */
export class RawClient {
  socket: Socket;
  /** TLS settings once the control connection is TLS (AUTH TLS or implicit). */
  tls: RawTlsOptions | undefined;
  /** PROT P is in effect: data connections are TLS. */
  protectData = false;
  /** The newest TLS session (ticket) received on the control or a data connection. */
  latestSession: Buffer | undefined;
  /** Sessions received on the control connection. */
  controlSessions = 0;
  /** One entry per protected data connection. */
  readonly dataTls: DataTlsInfo[] = [];
  readonly violations: string[] = [];
  /** Every reply received, in order, with the verb it was attributed to. */
  readonly transcript: { verb: Verb | undefined; code: number; lines: readonly string[] }[] = [];
  greeting!: Reply;
  readonly closed: Promise<void>;
  /** The local address data connections are made from (the control connection's, when it was chosen). */
  dataLocalAddress: string | undefined;
  /** Default wait for a reply (and for the server to connect to an active-mode listener). */
  replyTimeoutMs = 10_000;

  private readonly decoder = new ReplyDecoder();
  private readonly replies: Reply[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly outstanding: Outstanding[] = [];
  private error: Error | undefined;
  private ended = false;

  private resolveClosed!: () => void;
  private readonly onDataListener = (chunk: Buffer) => this.onData(chunk);
  private readonly onErrorListener = (error: Error) => this.fail(error);
  private readonly onCloseListener = () => {
    this.ended = true;
    this.fail(new Error("control connection closed"));
    this.resolveClosed();
  };

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    socket.on("data", this.onDataListener);
    socket.on("error", this.onErrorListener);
    socket.on("close", this.onCloseListener);
  }

  /**
   * Connects and reads the greeting (which may be a 421 refusal). With `implicit`, the TLS
   * handshake comes first (implicit FTPS; the server then takes PBSZ 0 and PROT P as given).
   */
  static async connect(
    port: number,
    options: {
      host?: string;
      localAddress?: string;
      timeoutMs?: number;
      /**
       * How long each later reply, and the server's connection to an active-mode listener,
       * may take (default 10 s). The load test allows more: with thousands of connections on
       * loopback, an active-mode SYN can meet a TIME_WAIT socket of the same four ports and be
       * dropped by PAWS (nstat: TcpExtPAWSTimewait), then retransmitted after 1, 3, 7, 15 s.
       */
      replyTimeoutMs?: number;
      implicit?: RawTlsOptions;
      /** Bytes sent first, before TLS and before the greeting (a PROXY protocol header). */
      preamble?: Uint8Array;
    } = {},
  ): Promise<RawClient> {
    const raw = connect({
      host: options.host ?? "127.0.0.1",
      port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    await once(raw, "connect");
    if (options.preamble !== undefined) raw.write(options.preamble);
    let socket: Socket = raw;
    let sessions: Buffer[] = [];
    if (options.implicit !== undefined) {
      socket = await secureClient(raw, options.implicit, (session) => sessions.push(session));
    }
    const client = new RawClient(socket);
    client.dataLocalAddress = options.localAddress;
    if (options.replyTimeoutMs !== undefined) client.replyTimeoutMs = options.replyTimeoutMs;
    if (options.implicit !== undefined) {
      client.tls = options.implicit;
      client.protectData = true;
      const watch = client.sessionListener(true);
      for (const session of sessions) watch.listener(session);
      sessions = [];
      socket.on("session", watch.listener);
    }
    client.greeting = await client.nextReply(options.timeoutMs);
    if (![220, 120, 421].includes(client.greeting.code)) {
      client.violations.push(`greeting -> ${client.greeting.code}`);
    }
    return client;
  }

  /**
   * AUTH TLS (RFC 4217 §4), then the TLS handshake over the control connection.
   * @returns the control TLS socket.
   */
  async startTls(options: RawTlsOptions = {}, mechanism = "TLS"): Promise<TLSSocket> {
    await this.expect("AUTH", mechanism, 234);
    const raw = this.socket;
    raw.off("data", this.onDataListener);
    raw.off("error", this.onErrorListener);
    raw.off("close", this.onCloseListener);
    raw.on("error", () => {});
    const secured = await secureClient(raw, options, this.sessionListener(true).listener);
    this.socket = secured;
    this.tls = options;
    this.attach(secured);
    if (mechanism === "SSL") this.protectData = true;
    return secured;
  }

  /** PBSZ 0 and PROT P (or PROT C). */
  async prot(level: "P" | "C"): Promise<void> {
    await this.expect("PBSZ", "0", 200);
    await this.expect("PROT", level, 200);
    this.protectData = level === "P";
  }

  private sessionListener(control: boolean): { listener: (session: Buffer) => void; count: () => number } {
    let n = 0;
    return {
      listener: (session: Buffer) => {
        this.latestSession = session;
        n++;
        if (control) this.controlSessions++;
      },
      count: () => n,
    };
  }

  /** Runs the client side of TLS over a data connection, offering the session `tls.dataSession` says. */
  private async secureData(socket: Socket): Promise<Socket> {
    const options = this.tls ?? {};
    const { dataSession = "latest", ...rest } = options;
    const session = dataSession === "latest" ? this.latestSession : dataSession === "none" ? undefined : dataSession;
    const watch = this.sessionListener(false);
    const secured = await secureClient(
      socket,
      { ...rest, ...(session === undefined ? {} : { session }) },
      watch.listener,
    );
    const info = { protocol: secured.getProtocol(), resumed: secured.isSessionReused() };
    secured.once("close", () => this.dataTls.push({ ...info, newSessions: watch.count() }));
    return secured;
  }

  /** True once the server closed the control connection. */
  get isClosed(): boolean {
    return this.ended;
  }

  /** Sends a command without waiting (pipelining, ABOR during a transfer). */
  write(verb: Verb, argument?: string): void {
    this.outstanding.push({ verb, preliminary: false });
    this.socket.write(encodeCommand({ verb, argument }));
  }

  /** Sends raw bytes; their replies are attributed to `verb` when given (else only recorded). */
  writeRaw(bytes: string | Uint8Array, verb?: Verb): void {
    if (verb !== undefined) this.outstanding.push({ verb, preliminary: false });
    this.socket.write(bytes);
  }

  /** Sends a command and waits for its first reply. */
  async send(verb: Verb, argument?: string, timeoutMs?: number): Promise<Reply> {
    this.write(verb, argument);
    return this.nextReply(timeoutMs);
  }

  /** Sends a command and asserts the code of its first reply. */
  async expect(verb: Verb, argument: string | undefined, code: number): Promise<Reply> {
    const reply = await this.send(verb, argument);
    if (reply.code !== code) {
      throw new Error(`${verb} ${argument ?? ""}: expected ${code}, got ${reply.code} ${reply.lines.join(" / ")}`);
    }
    return reply;
  }

  /** The next reply from the server. */
  nextReply(timeoutMs = this.replyTimeoutMs): Promise<Reply> {
    const reply = this.replies.shift();
    if (reply !== undefined) return Promise.resolve(reply);
    if (this.error !== undefined) return Promise.reject(this.error);
    return new Promise<Reply>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i !== -1) this.waiters.splice(i, 1);
          reject(new Error(`no reply within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  async login(user: string, password: string): Promise<void> {
    await this.expect("USER", user, 331);
    await this.expect("PASS", password, 230);
  }

  /** PASV: the address the server listens on. */
  async pasv(): Promise<HostPort> {
    const reply = await this.expect("PASV", undefined, 227);
    return parsePasvReply(reply.lines.join("\n"));
  }

  /** EPSV: the port (the host is the control connection's, RFC 2428 §3). */
  async epsv(): Promise<HostPort> {
    const reply = await this.expect("EPSV", undefined, 229);
    return { host: this.socket.remoteAddress ?? "127.0.0.1", port: parseEpsvReply(reply.lines.join("\n")) };
  }

  /**
   * Connects to a passive data port. A connection the server refuses is reset at once (the
   * server never closes a refused data connection cleanly): the socket is then returned
   * already destroyed, for the caller to see it was refused.
   */
  static async connectData(target: HostPort, localAddress?: string): Promise<Socket> {
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => {
        socket.off("error", onError);
        resolve();
      });
      const onError = (error: NodeJS.ErrnoException) => {
        if (error.code !== "ECONNRESET") {
          reject(error);
          return;
        }
        socket.on("error", () => {});
        resolve();
      };
      socket.once("error", onError);
    });
    return socket;
  }

  /** PORT or EPRT: a local listener the server will connect to. */
  async activeListener(verb: "PORT" | "EPRT"): Promise<ActiveListener> {
    const host = this.socket.localAddress ?? "127.0.0.1";
    const server = createServer({ pauseOnConnect: false });
    server.listen(0, host);
    await once(server, "listening");
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const arg = verb === "PORT" ? encodeHostPort({ host, port }) : encodeEprtArgument({ host, port });
    await this.expect(verb, arg, 200);
    return new ActiveListener(server, this.replyTimeoutMs);
  }

  /**
   * Sets up the data connection per `mode`, sends `verb`, and gives the data socket to `io`.
   * @returns the preliminary and final replies, and what `io` returned.
   */
  async transfer<T>(
    verb: Verb,
    argument: string | undefined,
    mode: DataMode,
    io: (socket: Socket) => Promise<T>,
  ): Promise<{ preliminary: Reply; final: Reply; value: T }> {
    let socket: Socket;
    if (mode === "pasv" || mode === "epsv") {
      const target = mode === "pasv" ? await this.pasv() : await this.epsv();
      socket = await RawClient.connectData(target, this.dataLocalAddress);
      const preliminary = await this.send(verb, argument);
      if (preliminary.code !== 150 && preliminary.code !== 125) {
        socket.destroy();
        throw new TransferRefused(preliminary);
      }
      // RFC 4217: the client starts TLS on the data connection after the 150 (as ftplib does).
      if (this.protectData) socket = await this.secureData(socket);
      const value = await io(socket);
      const final = await this.nextReply();
      return { preliminary, final, value };
    }
    const listener = await this.activeListener(mode === "port" ? "PORT" : "EPRT");
    try {
      this.write(verb, argument);
      const accepted = listener.accept();
      const preliminary = await this.nextReply();
      if (preliminary.code !== 150 && preliminary.code !== 125) throw new TransferRefused(preliminary);
      socket = await accepted;
      // The FTP client is the TLS client on data connections, even when the server connects (RFC 4217).
      if (this.protectData) socket = await this.secureData(socket);
      const value = await io(socket);
      const final = await this.nextReply();
      return { preliminary, final, value };
    } finally {
      listener.close();
    }
  }

  /** RETR into memory. */
  async retr(path: string, mode: DataMode = "epsv"): Promise<{ data: Buffer; final: Reply; preliminary: Reply }> {
    const r = await this.transfer("RETR", path, mode, readAll);
    return { data: r.value, final: r.final, preliminary: r.preliminary };
  }

  /** STOR (or APPE/STOU) from memory. */
  async stor(
    path: string | undefined,
    data: Uint8Array | string,
    options: { verb?: "STOR" | "APPE" | "STOU"; mode?: DataMode } = {},
  ): Promise<{ final: Reply; preliminary: Reply }> {
    const r = await this.transfer(options.verb ?? "STOR", path, options.mode ?? "epsv", (socket) =>
      writeAll(socket, data),
    );
    return { final: r.final, preliminary: r.preliminary };
  }

  /** LIST, NLST or MLSD as text. */
  async list(verb: "LIST" | "NLST" | "MLSD", path?: string, mode: DataMode = "epsv"): Promise<string> {
    const r = await this.transfer(verb, path, mode, readAll);
    if (r.final.code !== 226) throw new Error(`${verb}: ${r.final.code} ${r.final.lines.join(" ")}`);
    return r.value.toString("utf8");
  }

  /** QUIT and wait for the close. */
  async quit(): Promise<void> {
    if (this.ended) return;
    await this.send("QUIT").catch(() => undefined);
    await this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.receiveData(chunk);
      for (let r = this.decoder.nextReply(); r !== NEED_DATA; r = this.decoder.nextReply()) this.deliver(r);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private deliver(reply: Reply): void {
    this.check(reply);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    } else {
      this.replies.push(reply);
    }
  }

  /** Attributes the reply to an outstanding command and checks it against the sequence table. */
  private check(reply: Reply): void {
    if (this.greeting === undefined) {
      this.transcript.push({ verb: undefined, code: reply.code, lines: reply.lines });
      return;
    }
    const head = this.outstanding[0];
    // While a transfer runs, ABOR/STAT/QUIT sent after it may be answered first (RFC 959 §4.1.3).
    const candidates = head?.preliminary ? this.outstanding : this.outstanding.slice(0, 1);
    const index = candidates.findIndex((o) => isReplyAllowed(o.verb, reply.code));
    const owner = index === -1 ? undefined : candidates[index];
    this.transcript.push({ verb: owner?.verb ?? head?.verb, code: reply.code, lines: reply.lines });
    if (owner === undefined) {
      // 421 may come unsolicited (idle timeout, shutdown: RFC 959 §4.2 "421 ... may be a reply to any command").
      if (reply.code !== 421) {
        this.violations.push(`${head?.verb ?? "(none)"} -> ${reply.code} ${reply.lines.join(" / ")}`);
      }
      if (head !== undefined && reply.code >= 200) this.outstanding.shift();
      return;
    }
    if (reply.code < 200 && isTransferVerb(owner.verb)) owner.preliminary = true;
    else if (reply.code >= 200) this.outstanding.splice(this.outstanding.indexOf(owner), 1);
  }

  private fail(error: Error): void {
    this.error ??= error;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }
}

/**
 * The TLS client over a connected socket. Resolves after the handshake; a server that
 * closes instead (e.g. a refused data connection seen early) rejects.
 */
export function secureClient(
  socket: Socket,
  options: Omit<ConnectionOptions, "socket"> = {},
  onSession?: (session: Buffer) => void,
): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    const secured = tlsConnect({ rejectUnauthorized: false, ...options, socket });
    // TLS 1.2 delivers the session before secureConnect, TLS 1.3 tickets after it.
    if (onSession !== undefined) secured.on("session", onSession);
    const onError = (error: Error) => {
      secured.off("close", onClose);
      reject(error);
    };
    const onClose = () => {
      secured.off("error", onError);
      reject(new Error("closed before the TLS handshake completed"));
    };
    secured.once("error", onError);
    secured.once("close", onClose);
    secured.once("secureConnect", () => {
      secured.off("error", onError);
      secured.off("close", onClose);
      secured.on("error", () => {});
      resolve(secured);
    });
  });
}

/** A 1yz was expected but the server answered with a final reply. */
export class TransferRefused extends Error {
  constructor(readonly reply: Reply) {
    super(`transfer refused: ${reply.code} ${reply.lines.join(" / ")}`);
  }
}

/** A PORT/EPRT listener of the test client. */
export class ActiveListener {
  constructor(
    readonly server: Server,
    private readonly timeoutMs = 10_000,
  ) {}

  accept(timeoutMs = this.timeoutMs): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("server did not connect")), timeoutMs);
      this.server.once("connection", (socket: Socket) => {
        clearTimeout(timer);
        resolve(socket);
      });
    });
  }

  close(): void {
    this.server.close();
  }
}

/** Reads a data connection to its end. */
export async function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes everything and closes the data connection (EOF ends the file in stream mode). */
export async function writeAll(socket: Socket, data: Uint8Array | string): Promise<void> {
  socket.resume(); // see the server's FIN
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.end(data, () => resolve());
  });
  if (!socket.closed) await once(socket, "close");
}

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
