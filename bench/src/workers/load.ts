/**
 * The session load driver: a minimal raw FTP client (no library), so that the "N sessions log
 * in and list" and "idle sessions" rows measure the servers, with the same cheap client for all.
 * Each session: connect, 220, USER, PASS, EPSV (PASV if refused), LIST <dir> (data read to EOF,
 * 150 and 226 awaited), QUIT.
 */
import net from "node:net";
import type { Handlers, OpResult, ServerAddress } from "./protocol.js";

interface Reply {
  code: number;
  text: string;
}

class RawSession {
  private buf = "";
  private multi: string | undefined;
  private lines: string[] = [];
  private readonly queue: Reply[] = [];
  private waiter: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(
    readonly sock: net.Socket,
    private readonly timeoutMs: number,
  ) {
    sock.setEncoding("latin1");
    sock.setNoDelay(true);
    sock.on("data", (d: string) => this.onData(d));
    sock.on("error", (e) => this.fail(e));
    sock.on("close", () => this.fail(new Error("control connection closed")));
    sock.setTimeout(timeoutMs, () => {
      this.fail(new Error(`nothing heard for ${timeoutMs / 1000} s on the control connection`));
      sock.destroy();
    });
  }

  static open(server: ServerAddress, timeoutMs: number): Promise<RawSession> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: server.host, port: server.port });
      const s = new RawSession(sock, timeoutMs);
      sock.once("connect", () => resolve(s));
      sock.once("error", reject);
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }

  private onData(d: string): void {
    this.buf += d;
    for (;;) {
      const nl = this.buf.indexOf("\n");
      if (nl < 0) break;
      const line = this.buf.slice(0, nl).replace(/\r$/, "");
      this.buf = this.buf.slice(nl + 1);
      this.lines.push(line);
      const m = /^(\d{3})([- ])/.exec(line);
      let done = false;
      if (this.multi !== undefined) done = m !== null && m[1] === this.multi && m[2] === " ";
      else if (m && m[2] === "-") this.multi = m[1];
      else done = m !== null;
      if (done && m) {
        this.multi = undefined;
        const reply = { code: Number(m[1]), text: this.lines.join("\n") };
        this.lines = [];
        const w = this.waiter;
        this.waiter = undefined;
        if (w) w.resolve(reply);
        else this.queue.push(reply);
      }
    }
  }

  read(): Promise<Reply> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  async cmd(line: string, expect?: (code: number) => boolean): Promise<Reply> {
    this.sock.write(`${line}\r\n`);
    const r = await this.read();
    if (expect && !expect(r.code)) throw new Error(`${line.split(" ")[0]}: ${r.text.split("\n")[0]}`);
    return r;
  }

  async login(server: ServerAddress): Promise<void> {
    const greeting = await this.read();
    if (greeting.code !== 220) throw new Error(`greeting: ${greeting.text.split("\n")[0]}`);
    const u = await this.cmd(`USER ${server.user}`, (c) => c === 331 || c === 230);
    if (u.code === 331) await this.cmd(`PASS ${server.password}`, (c) => c === 230);
  }

  private pasvWorks = true;

  /** Opens a passive data connection: EPSV, or PASV when EPSV is refused. */
  async dataConnection(host: string): Promise<net.Socket> {
    let port: number | undefined;
    if (this.pasvWorks) {
      const r = await this.cmd("EPSV");
      const m = /\(\|\|\|(\d+)\|\)/.exec(r.text);
      if (r.code === 229 && m) port = Number(m[1]);
      else this.pasvWorks = false;
    }
    if (port === undefined) {
      const r = await this.cmd("PASV", (c) => c === 227);
      const m = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(r.text);
      if (!m) throw new Error(`PASV: ${r.text}`);
      port = Number(m[5]) * 256 + Number(m[6]);
    }
    const p = port;
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port: p }, () => resolve(s));
      s.once("error", reject);
    });
  }

  async list(host: string, dir: string): Promise<number> {
    const data = await this.dataConnection(host);
    let bytes = 0;
    const eof = new Promise<void>((resolve, reject) => {
      data.on("data", (d: Buffer) => {
        bytes += d.length;
      });
      data.once("end", resolve);
      data.once("error", reject);
      data.setTimeout(this.timeoutMs, () => reject(new Error("data connection timed out")));
    });
    const prelim = await this.cmd(`LIST ${dir}`, (c) => c === 150 || c === 125);
    void prelim;
    await eof;
    data.destroy();
    const done = await this.read();
    if (done.code !== 226 && done.code !== 250) throw new Error(`LIST: ${done.text.split("\n")[0]}`);
    return bytes;
  }

  async quit(): Promise<void> {
    try {
      await this.cmd("QUIT");
    } catch {}
    this.sock.end();
    this.sock.destroy();
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** Runs `task(i)` for i < count with at most `concurrency` in flight; counts failures. */
async function pooled(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<{ ok: number; failed: number; error?: string }> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  let error: string | undefined;
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      try {
        await task(i);
        ok++;
      } catch (e) {
        failed++;
        error ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return error === undefined ? { ok, failed } : { ok, failed, error };
}

let held: RawSession[] = [];

export const handlers: Handlers = {
  probe: async () => ({ reason: null }),
  async sessions({ server, count, concurrency, dir, idleTimeoutMs }): Promise<OpResult> {
    const t0 = process.hrtime.bigint();
    const r = await pooled(count, concurrency, async () => {
      const s = await RawSession.open(server, idleTimeoutMs);
      try {
        await s.login(server);
        await s.list(server.host, dir);
        await s.quit();
      } finally {
        s.destroy();
      }
    });
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, ...r };
  },
  async hold({ server, count, concurrency, idleTimeoutMs }): Promise<OpResult> {
    const sessions: RawSession[] = [];
    const r = await pooled(count, concurrency, async () => {
      const s = await RawSession.open(server, idleTimeoutMs);
      try {
        await s.login(server);
        sessions.push(s);
      } catch (e) {
        s.destroy();
        throw e;
      }
    });
    held = sessions;
    return r;
  },
  async release(): Promise<OpResult> {
    const sessions = held;
    held = [];
    await Promise.all(sessions.map((s) => s.quit()));
    return { count: sessions.length };
  },
};
