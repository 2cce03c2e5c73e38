/**
 * A socket fuzzer for a live FTP server: workers open control connections from random
 * loopback addresses (127.0.0.2-127.0.0.254; Linux routes all of 127/8 to lo) and run random
 * scenarios until a deadline:
 * - `session`: a valid session (login, navigation, listings, uploads, downloads, renames,
 *   ABOR mid-transfer) whose lines are randomly corrupted (bit flips, insertions, deletions,
 *   truncations, CR/LF/NUL injection), sent in random chunks;
 * - `huge-line`: lines of 10 KiB to 2 MiB, with or without an end;
 * - `garbage`: random bytes;
 * - `telnet`: IAC sequences (IP, DM, WILL/DO, unterminated subnegotiation, IAC IAC) around commands;
 * - `flood`: pipelined commands as fast as the socket takes them, replies never read;
 * - `abrupt`: a close (FIN) or a reset (RST) at a random point, mid-line or mid-transfer;
 * - `half-open`: connect and say nothing, half-close, or stop reading;
 * - `data-abuse`: PORT/EPRT to foreign hosts and privileged ports (bounce), a thief on a
 *   passive port, data connections reset, PASV churn.
 * It never asserts anything itself: the caller checks the server afterwards.
 */
import { connect, type Socket } from "node:net";

export type ScenarioKind =
  | "session"
  | "huge-line"
  | "garbage"
  | "telnet"
  | "flood"
  | "abrupt"
  | "half-open"
  | "data-abuse";

const KINDS: readonly ScenarioKind[] = [
  "session",
  "session",
  "session",
  "huge-line",
  "garbage",
  "telnet",
  "flood",
  "abrupt",
  "half-open",
  "data-abuse",
];

export interface SocketFuzzOptions {
  readonly port: number;
  readonly durationMs: number;
  readonly workers: number;
  readonly seed: number;
  /** Credentials that log in. */
  readonly user: string;
  readonly password: string;
}

export interface SocketFuzzResult {
  readonly scenarios: Record<ScenarioKind, number>;
  readonly connections: number;
  readonly dataConnections: number;
  readonly bytesSent: number;
  readonly refused: number;
}

/** mulberry32: a tiny seeded PRNG (the fuzz sequence is reproducible per seed and worker). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  constructor(readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One fuzzing control connection: writes chunks, keeps what it reads (to find PASV/EPSV ports). */
class Conn {
  readonly socket: Socket;
  text = "";
  closed = false;
  readonly opened: Promise<boolean>;

  constructor(port: number, localAddress: string, stats: { bytesSent: number }) {
    this.stats = stats;
    this.socket = connect({ host: "127.0.0.1", port, localAddress });
    this.socket.on("error", () => {});
    this.socket.on("data", (d: Buffer) => {
      // Only the tail matters (the latest replies); bounded memory whatever the server says.
      this.text = (this.text + d.toString("latin1")).slice(-4096);
    });
    this.socket.on("close", () => {
      this.closed = true;
    });
    this.opened = new Promise((resolve) => {
      this.socket.once("connect", () => resolve(true));
      this.socket.once("close", () => resolve(false));
    });
  }

  private readonly stats: { bytesSent: number };

  write(bytes: Buffer | string): void {
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) return;
    const b = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
    this.stats.bytesSent += b.length;
    this.socket.write(b);
  }

  /** Waits until the received text matches, at most `ms`. */
  async waitFor(pattern: RegExp, ms: number): Promise<RegExpExecArray | null> {
    const until = Date.now() + ms;
    for (;;) {
      const m = pattern.exec(this.text);
      if (m !== null) {
        this.text = this.text.slice(m.index + m[0].length);
        return m;
      }
      if (this.closed || Date.now() > until) return null;
      await sleep(5);
    }
  }

  destroy(reset: boolean): void {
    if (reset && !this.socket.destroyed) this.socket.resetAndDestroy();
    else this.socket.destroy();
  }
}

const VALID = [
  "SYST",
  "FEAT",
  "PWD",
  "CWD /",
  "CWD sub",
  "CDUP",
  "MKD sub",
  "MKD sub/deeper",
  "RMD sub/deeper",
  "TYPE I",
  "TYPE A",
  "MODE S",
  "STRU F",
  "NOOP",
  "STAT",
  "STAT /",
  "SIZE f.bin",
  "MDTM f.bin",
  "MFMT 20200101000000 f.bin",
  "MLST f.bin",
  "HASH f.bin",
  "OPTS UTF8 ON",
  "OPTS HASH SHA-1",
  "OPTS MLST type;size;",
  "REST 10",
  "RNFR f.bin",
  "RNTO g.bin",
  "RNFR g.bin",
  "RNTO f.bin",
  "DELE nothing",
  "SITE CHMOD 644 f.bin",
  "SITE HELP",
  "HELP",
  "ALLO 100",
  "HOST localhost",
  "EPSV ALL",
  "ABOR",
  "REIN",
  "LANG en",
  "PBSZ 0",
  "PROT P",
  "AUTH TLS",
];

function mutate(r: Random, line: Buffer): Buffer {
  let b = Buffer.from(line);
  const edits = r.int(1, 4);
  for (let i = 0; i < edits; i++) {
    switch (r.int(0, 7)) {
      case 0:
        if (b.length > 0) {
          const at = r.int(0, b.length - 1);
          b[at] = (b[at] as number) ^ (1 << r.int(0, 7));
        }
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, r.int(0, b.length)), r.bytes(r.int(1, 8)), b.subarray(r.int(0, b.length))]);
        break;
      case 2:
        b = b.subarray(0, r.int(0, b.length));
        break;
      case 3:
        b = Buffer.concat([b, Buffer.from(r.pick(["\r", "\n", "\0", "\r\n", "\xff\xff", "\xff"]), "latin1"), b]);
        break;
      case 4:
        b = Buffer.from(b.toString("latin1").toLowerCase(), "latin1");
        break;
      case 5:
        b = Buffer.concat([b, Buffer.from(` ${"../".repeat(r.int(1, 40))}etc/passwd`)]);
        break;
      case 6:
        b = Buffer.concat([b, Buffer.from(r.pick([" %s%s%n", " \u00e9\u00e8", " \ud83d\ude00", " -la", " *"]))]);
        break;
      default:
        b = Buffer.concat([b, b]);
    }
  }
  return b;
}

/** Writes `data` in random chunks with small random pauses. */
async function chunked(r: Random, c: Conn, data: Buffer): Promise<void> {
  let at = 0;
  while (at < data.length && !c.closed) {
    const n = r.int(1, Math.max(1, Math.min(data.length - at, r.chance(0.7) ? 4096 : 7)));
    c.write(data.subarray(at, at + n));
    at += n;
    if (r.chance(0.1)) await sleep(r.int(0, 15));
  }
}

async function openData(c: Conn, r: Random, stats: { dataConnections: number }): Promise<Socket | null> {
  const usePasv = r.chance(0.5);
  c.write(usePasv ? "PASV\r\n" : "EPSV\r\n");
  const m = usePasv
    ? await c.waitFor(/227 [^\r\n]*?(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/, 1500)
    : await c.waitFor(/229 [^\r\n]*\(\|\|\|(\d+)\|\)/, 1500);
  if (m === null) return null;
  const dataPort = usePasv ? Number(m[5]) * 256 + Number(m[6]) : Number(m[1]);
  if (!(dataPort > 0 && dataPort < 65536)) return null;
  stats.dataConnections++;
  const s = connect({ host: "127.0.0.1", port: dataPort, localAddress: c.socket.localAddress ?? "127.0.0.1" });
  s.on("error", () => {});
  return s;
}

async function scenario(
  kind: ScenarioKind,
  r: Random,
  c: Conn,
  o: SocketFuzzOptions,
  stats: { dataConnections: number; bytesSent: number },
): Promise<void> {
  const login = async (right: boolean) => {
    c.write(`USER ${o.user}\r\n`);
    c.write(`PASS ${right ? o.password : `wrong${r.int(0, 999)}`}\r\n`);
    await c.waitFor(/(230|530|421)[ -]/, 1500);
  };
  switch (kind) {
    case "session": {
      await login(r.chance(0.8));
      const steps = r.int(3, 25);
      for (let i = 0; i < steps && !c.closed; i++) {
        if (r.chance(0.25)) {
          // A transfer, perhaps corrupted, perhaps aborted, perhaps reset.
          const data = await openData(c, r, stats);
          if (data === null) continue;
          const verb = r.pick([
            "LIST",
            "NLST",
            "MLSD",
            "RETR f.bin",
            "STOR f.bin",
            "APPE f.bin",
            "STOU",
            "RETR nothing",
          ]);
          const line = Buffer.from(`${verb}\r\n`);
          await chunked(r, c, r.chance(0.15) ? mutate(r, line) : line);
          if (verb.startsWith("STOR") || verb.startsWith("APPE") || verb === "STOU") {
            data.write(r.bytes(r.int(0, 200_000)));
          }
          if (r.chance(0.2)) c.write(Buffer.from([255, 244, 255, 242, 0x41, 0x42, 0x4f, 0x52, 13, 10]));
          await sleep(r.int(0, 40));
          if (r.chance(0.3)) data.resetAndDestroy();
          else data.end();
          data.resume();
          setTimeout(() => data.destroy(), 2000).unref();
          await c.waitFor(/(226|4\d\d|5\d\d)[ -]/, 1500);
          continue;
        }
        const line = Buffer.from(`${r.pick(VALID)}\r\n`);
        await chunked(r, c, r.chance(0.3) ? mutate(r, line) : line);
        if (r.chance(0.5)) await c.waitFor(/\d{3} [^\r\n]*\r\n/, 500);
      }
      if (r.chance(0.6)) c.write("QUIT\r\n");
      return;
    }
    case "huge-line": {
      if (r.chance(0.5)) await login(true);
      const size = r.pick([10 * 1024, 100 * 1024, 2 * 1024 * 1024]);
      const fill = Buffer.alloc(Math.min(size, 64 * 1024), r.pick([0x41, 0x20, 0x2f, 0x00, 0xff]));
      for (let sent = 0; sent < size && !c.closed; sent += fill.length) {
        c.write(fill);
        if (c.socket.writableLength > 1024 * 1024) await sleep(10);
      }
      if (r.chance(0.5)) c.write("\r\nNOOP\r\n");
      await sleep(r.int(0, 100));
      return;
    }
    case "garbage": {
      for (let i = r.int(1, 20); i > 0 && !c.closed; i--) {
        c.write(r.bytes(r.int(1, 4000)));
        if (r.chance(0.3)) await sleep(r.int(0, 20));
      }
      return;
    }
    case "telnet": {
      const parts: Buffer[] = [];
      for (let i = r.int(2, 30); i > 0; i--) {
        parts.push(
          r.pick([
            Buffer.from([255, 255]),
            Buffer.from([255, 244]),
            Buffer.from([255, 242]),
            Buffer.from([255, 251, r.int(0, 255)]),
            Buffer.from([255, 253, r.int(0, 255)]),
            Buffer.from([255, 250, ...r.bytes(r.int(0, 50))]),
            Buffer.from([255, 250, 1, 2, 255, 240]),
            Buffer.from([255]),
            Buffer.from(`${r.pick(VALID)}\r\n`),
            Buffer.from("USER \xff\xff\r\n", "latin1"),
          ]),
        );
      }
      await chunked(r, c, Buffer.concat(parts));
      await sleep(r.int(0, 50));
      return;
    }
    case "flood": {
      if (r.chance(0.5)) await login(true);
      c.socket.pause(); // never read the replies either
      const line = Buffer.from(
        r.pick(["NOOP\r\n", "PWD\r\n", "STAT\r\n", "XXXX\r\n", "\r\n", "CWD /\r\n"]).repeat(200),
      );
      const until = Date.now() + r.int(100, 1500);
      while (Date.now() < until && !c.closed) {
        if (c.socket.writableLength < 256 * 1024) c.write(line);
        await sleep(2);
      }
      return;
    }
    case "abrupt": {
      if (r.chance(0.6)) await login(true);
      if (r.chance(0.5)) {
        const data = await openData(c, r, stats);
        c.write(r.pick(["RETR f.bin\r\n", "STOR f.bin\r\n", "LIST\r\n"]));
        await sleep(r.int(0, 30));
        if (data !== null) {
          data.write(r.bytes(r.int(0, 50_000)));
          if (r.chance(0.5)) data.resetAndDestroy();
          else setTimeout(() => data.destroy(), r.int(0, 200)).unref();
        }
      }
      c.write(Buffer.from(r.pick(["NO", "USER al", "STOR f", "\xff\xfa", "PASV\r\nRE"]), "latin1"));
      await sleep(r.int(0, 30));
      c.destroy(r.chance(0.5));
      return;
    }
    case "half-open": {
      switch (r.int(0, 2)) {
        case 0:
          await sleep(r.int(100, 2500)); // say nothing
          break;
        case 1:
          c.write(r.pick(["USER ", "NOOP", "PASS x\r\nPW"]));
          c.socket.end(); // half-close; keep reading
          await sleep(r.int(50, 1000));
          break;
        default:
          await login(true);
          c.socket.pause(); // stop reading, keep asking
          for (let i = 0; i < 200 && !c.closed; i++) c.write("STAT /\r\n");
          await sleep(r.int(100, 1500));
      }
      return;
    }
    case "data-abuse": {
      await login(r.chance(0.9));
      for (let i = r.int(1, 8); i > 0 && !c.closed; i--) {
        switch (r.int(0, 4)) {
          case 0:
            c.write(
              `PORT ${r.int(0, 255)},${r.int(0, 255)},${r.int(0, 255)},${r.int(0, 255)},${r.int(0, 255)},${r.int(0, 255)}\r\n`,
            );
            break;
          case 1:
            c.write(
              `EPRT |${r.pick(["1", "2", "3"])}|${r.pick(["10.0.0.1", "127.0.0.1", "::1", "x"])}|${r.int(0, 70000)}|\r\n`,
            );
            break;
          case 2: {
            // A thief on someone's passive port: from another address than the control connection.
            c.write("PASV\r\n");
            const m = await c.waitFor(/227 [^\r\n]*?(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/, 1000);
            if (m !== null) {
              const thief = connect({
                host: "127.0.0.1",
                port: Number(m[5]) * 256 + Number(m[6]),
                localAddress: `127.0.0.${r.int(2, 254)}`,
              });
              thief.on("error", () => {});
              setTimeout(() => thief.destroy(), 300).unref();
            }
            break;
          }
          case 3: {
            const data = await openData(c, r, stats);
            if (data !== null) setTimeout(() => data.resetAndDestroy(), r.int(0, 50)).unref();
            break;
          }
          default:
            for (let j = 0; j < 10; j++) c.write(r.pick(["PASV\r\n", "EPSV\r\n"]));
        }
        await sleep(r.int(0, 30));
      }
      return;
    }
  }
}

/**
 * Runs the fuzzer until `durationMs` has passed; every socket it opened is destroyed before
 * it resolves.
 */
export async function runSocketFuzz(o: SocketFuzzOptions): Promise<SocketFuzzResult> {
  const scenarios = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ScenarioKind, number>;
  const stats = { connections: 0, dataConnections: 0, bytesSent: 0, refused: 0 };
  const deadline = Date.now() + o.durationMs;
  const open = new Set<Conn>();
  const worker = async (index: number) => {
    const r = new Random(prng(o.seed * 1000 + index));
    while (Date.now() < deadline) {
      const kind = r.pick(KINDS);
      const c = new Conn(o.port, `127.0.0.${r.int(2, 254)}`, stats);
      open.add(c);
      stats.connections++;
      scenarios[kind]++;
      try {
        if (await c.opened) {
          const greeting = await c.waitFor(/^(220|421)[ -]/m, 2000);
          if (greeting?.[1] === "421") stats.refused++;
          // Every scenario is bounded: 5 s at most, whatever the server does.
          await Promise.race([scenario(kind, r, c, o, stats), sleep(5000)]);
        }
      } catch {
        // The fuzzer's own failures (a socket torn down under it) are part of the game.
      } finally {
        c.destroy(r.chance(0.3));
        open.delete(c);
      }
    }
  };
  await Promise.all(Array.from({ length: o.workers }, (_, i) => worker(i)));
  for (const c of open) c.destroy(true);
  return { scenarios, ...stats };
}
