/**
 * A bare control connection for the defender test: connect from a chosen source address, read
 * the greeting, send USER/PASS lines and read the replies, without any client logic in between
 * (a password guesser does exactly this; @ftpkit/client would give up after the first 530).
 */
import { connect, type Socket } from "node:net";

export interface Reply {
  readonly code: number;
  readonly text: string;
}

export class RawControl {
  private buffer = "";
  private readonly replies: Reply[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      // Single-line replies ("ddd text") end a reply; "ddd-" lines continue one (RFC 959 §4.2).
      for (let end = this.buffer.indexOf("\r\n"); end !== -1; end = this.buffer.indexOf("\r\n")) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        if (/^\d{3} /.test(line) || /^\d{3}$/.test(line))
          this.replies.push({ code: Number(line.slice(0, 3)), text: line });
      }
      this.wake?.();
    });
    const end = () => {
      this.ended = true;
      this.wake?.();
    };
    socket.on("close", end);
    socket.on("error", end);
  }

  /** Connects from `localAddress` to host:port. */
  static open(host: string, port: number, localAddress: string): Promise<RawControl> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, localAddress });
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawControl(socket));
      });
      socket.once("error", reject);
    });
  }

  /** The next reply, or undefined when the connection closed first. */
  async next(timeout = 10_000): Promise<Reply | undefined> {
    const deadline = Date.now() + timeout;
    while (this.replies.length === 0 && !this.ended) {
      if (Date.now() > deadline) throw new Error("no reply in time");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.replies.shift();
  }

  /** Sends one command line; resolves with its reply (undefined: the connection closed). */
  async send(line: string): Promise<Reply | undefined> {
    if (this.ended) return undefined;
    this.socket.write(`${line}\r\n`);
    return this.next();
  }

  get closed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}
