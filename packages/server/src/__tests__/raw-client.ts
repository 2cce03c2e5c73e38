import { createHash } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
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
  readonly socket: Socket;
  readonly violations: string[] = [];
  /** Every reply received, in order, with the verb it was attributed to. */
  readonly transcript: { verb: Verb | undefined; code: number; lines: readonly string[] }[] = [];
  greeting!: Reply;
  readonly closed: Promise<void>;

  private readonly decoder = new ReplyDecoder();
  private readonly replies: Reply[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly outstanding: Outstanding[] = [];
  private error: Error | undefined;
  private ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.fail(error));
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.ended = true;
        this.fail(new Error("control connection closed"));
        resolve();
      });
    });
  }

  /** Connects and reads the greeting (which may be a 421 refusal). */
  static async connect(
    port: number,
    options: { host?: string; localAddress?: string; timeoutMs?: number } = {},
  ): Promise<RawClient> {
    const socket = connect({
      host: options.host ?? "127.0.0.1",
      port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    await once(socket, "connect");
    const client = new RawClient(socket);
    client.greeting = await client.nextReply(options.timeoutMs);
    if (![220, 120, 421].includes(client.greeting.code)) {
      client.violations.push(`greeting -> ${client.greeting.code}`);
    }
    return client;
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
  nextReply(timeoutMs = 10_000): Promise<Reply> {
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

  /** Connects to a passive data port. */
  static async connectData(target: HostPort, localAddress?: string): Promise<Socket> {
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    await once(socket, "connect");
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
    return new ActiveListener(server);
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
      socket = await RawClient.connectData(target);
      const preliminary = await this.send(verb, argument);
      if (preliminary.code !== 150 && preliminary.code !== 125) {
        socket.destroy();
        throw new TransferRefused(preliminary);
      }
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

/** A 1yz was expected but the server answered with a final reply. */
export class TransferRefused extends Error {
  constructor(readonly reply: Reply) {
    super(`transfer refused: ${reply.code} ${reply.lines.join(" / ")}`);
  }
}

/** A PORT/EPRT listener of the test client. */
export class ActiveListener {
  constructor(readonly server: Server) {}

  accept(timeoutMs = 10_000): Promise<Socket> {
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
