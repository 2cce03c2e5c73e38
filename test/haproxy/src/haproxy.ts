/**
 * Debian's HAProxy (`haproxy` package, 2.6 on Debian 12) as a plain child process for tests:
 * TCP mode, one config file in a temp dir, `haproxy -f cfg -db` (foreground, no daemon), bound
 * to loopback, stopped by PID. No system service, no fixed ports.
 *
 * Ports: HAProxy cannot tell which port a `:0` bind got, so a frontend asking for port 0 gets a
 * port that was free on 127.0.0.1 a moment before (probed, then released); if HAProxy then fails
 * to bind it (another process took it in between), the start is retried with new ports.
 *
 * Readiness is read from /proc/net/tcp{,6} (a LISTEN socket on every frontend port, owned by the
 * haproxy process), never by connecting: a probe connection would be forwarded to a backend (with
 * a PROXY header) and show up there as a client.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface HaproxyBackend {
  readonly host: string;
  /**
   * The backend's port. Omitted: the port the client connected to on the frontend (HAProxy's
   * `server name host` without a port), which is how a frontend forwarding a passive port range
   * (`bind.portEnd`) reaches the same port on the node.
   */
  readonly port?: number;
  /** Send a PROXY protocol header to this backend: `send-proxy` (v1), `send-proxy-v2`, or none. */
  readonly sendProxy: "v1" | "v2" | false;
  /**
   * HAProxy health checks: a TCP connect every `checkInterval` ms. With a `port`, the check is
   * written `check port <port>`, which makes HAProxy send NO PROXY header on checks (by default
   * it sends one when the server has send-proxy: v1 with its own addresses, v2 LOCAL, and each
   * check becomes a short FTP session from the balancer's address). HAProxy resets a check's
   * connection as soon as it is established; @ftpkit/server drops it without a session or event.
   */
  readonly check?: boolean;
  /** ms between health checks (default 500). */
  readonly checkInterval?: number;
}

export interface HaproxyFrontend {
  /**
   * Where HAProxy listens. `port: 0` picks a free port (see `ports` of the result). With `portEnd`
   * the frontend listens on the whole range `port`..`portEnd` (then `port` must not be 0), e.g. a
   * node's passive port range.
   */
  readonly bind: { readonly host: string; readonly port: number; readonly portEnd?: number };
  readonly backends: readonly HaproxyBackend[];
  /** HAProxy's `balance` algorithm (default `roundrobin`). */
  readonly balance?: "roundrobin" | "leastconn" | "source" | "first";
}

export interface StartHaproxyOptions {
  readonly frontends: readonly HaproxyFrontend[];
  /** ms HAProxy waits for a backend connect (default 2000). */
  readonly connectTimeout?: number;
  /** ms of inactivity before HAProxy cuts a client or server side (default 600000). */
  readonly idleTimeout?: number;
  /** ms to wait for every frontend to listen (default 10000). */
  readonly startTimeout?: number;
}

export interface RunningHaproxy {
  /** The haproxy process (stop() signals it by this PID). */
  readonly pid: number;
  /** The first port of each frontend, in the order of `frontends` (port 0 replaced by the real one). */
  readonly ports: readonly number[];
  /** The config file HAProxy runs with (in `dir`). */
  readonly configFile: string;
  /** The temp dir holding the config and HAProxy's log (`haproxy.log`); removed by stop(). */
  readonly dir: string;
  /** HAProxy's output so far (its log lines go to stderr, one per connection with `option tcplog`). */
  log(): Promise<string>;
  /**
   * HAProxy's `show stat` over its stats socket: one row per frontend, backend and server, with
   * the CSV's columns as keys (`pxname` `be<i>`/`fe<i>`, `svname` `s<j>`, `status` UP/DOWN,
   * `check_status` L4OK/L4CON/..., `scur` current sessions, `stot` total sessions, ...).
   */
  stat(): Promise<Record<string, string>[]>;
  /** SIGTERM (then SIGKILL after 5 s), waits for the exit, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Whether Debian's `haproxy` binary is installed (test/haproxy/install.sh installs it). */
export function haproxyAvailable(): boolean {
  return spawnSync("haproxy", ["-v"], { stdio: "ignore" }).status === 0;
}

const running = new Set<{ pid: number; dir: string }>();
let exitHandler = false;

/**
 * Starts HAProxy with one `frontend`/`backend` pair per entry of `frontends`.
 * @returns once every frontend port listens.
 * @throws Error when haproxy is missing, exits, or does not listen within `startTimeout`.
 */
export async function startHaproxy(options: StartHaproxyOptions): Promise<RunningHaproxy> {
  if (options.frontends.length === 0) throw new Error("startHaproxy: no frontend");
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const ports = await choosePorts(options.frontends);
    try {
      return await launch(options, ports);
    } catch (error) {
      lastError = error;
      // Only a lost race for a chosen port is worth another try.
      const chosen = options.frontends.some((f) => f.bind.port === 0);
      if (!chosen || !/cannot bind socket|Address already in use/i.test(String(error))) throw error;
    }
  }
  throw lastError;
}

async function choosePorts(frontends: readonly HaproxyFrontend[]): Promise<number[]> {
  const ports: number[] = [];
  for (const f of frontends) {
    if (f.bind.port !== 0) {
      ports.push(f.bind.port);
      continue;
    }
    if (f.bind.portEnd !== undefined) throw new Error("startHaproxy: a port range cannot start at port 0");
    ports.push(await freePort(f.bind.host));
  }
  return ports;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The config text (exported for tests and for reading what a set-up runs). */
export function haproxyConfig(options: StartHaproxyOptions, ports: readonly number[], statsSocket: string): string {
  const lines = [
    "global",
    "  maxconn 4096",
    "  log stderr format short local0 info",
    `  stats socket ${statsSocket} mode 600 level admin`,
    "",
    "defaults",
    "  mode tcp",
    "  log global",
    "  option tcplog",
    `  timeout connect ${options.connectTimeout ?? 2000}ms`,
    `  timeout client ${options.idleTimeout ?? 600_000}ms`,
    `  timeout server ${options.idleTimeout ?? 600_000}ms`,
    "",
  ];
  options.frontends.forEach((f, i) => {
    const port = ports[i] ?? f.bind.port;
    const range = f.bind.portEnd === undefined ? `${port}` : `${port}-${f.bind.portEnd}`;
    lines.push(`frontend fe${i}`, `  bind ${hostPort(f.bind.host, range)}`, `  default_backend be${i}`, "");
    lines.push(`backend be${i}`, `  balance ${f.balance ?? "roundrobin"}`);
    f.backends.forEach((b, j) => {
      const words = [`  server s${j}`, b.port === undefined ? hostOnly(b.host) : hostPort(b.host, String(b.port))];
      if (b.sendProxy === "v1") words.push("send-proxy");
      if (b.sendProxy === "v2") words.push("send-proxy-v2");
      if (b.check === true) {
        words.push("check", `inter ${b.checkInterval ?? 500}ms`, "fall 2", "rise 1");
        // HAProxy's manual (server `check-send-proxy`): checks carry the PROXY header "if it is
        // already enabled for normal traffic and if no "port" nor "addr" directive is present".
        if (b.port !== undefined) words.push(`port ${b.port}`);
      }
      lines.push(words.join(" "));
    });
    lines.push("");
  });
  return lines.join("\n");
}

function hostPort(host: string, port: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function hostOnly(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

async function launch(options: StartHaproxyOptions, ports: readonly number[]): Promise<RunningHaproxy> {
  const dir = await mkdtemp(path.join(tmpdir(), "ftpkit-haproxy-"));
  const configFile = path.join(dir, "haproxy.cfg");
  const logFile = path.join(dir, "haproxy.log");
  const statsSocket = path.join(dir, "haproxy.sock");
  await writeFile(configFile, haproxyConfig(options, ports, statsSocket));
  const out = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn("haproxy", ["-f", configFile, "-db"], { stdio: ["ignore", out, out] });
  } finally {
    closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error("startHaproxy: haproxy could not be spawned (is it installed? test/haproxy/install.sh)");
  }
  const entry = { pid, dir };
  running.add(entry);
  installExitHandler();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", () => {
      exited = true;
      resolve();
    });
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        tryKill(pid, "SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const inTime = await Promise.race([
          exit.then(() => true),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(false), 5000);
          }),
        ]);
        clearTimeout(timer);
        if (!inTime) {
          tryKill(pid, "SIGKILL");
          await exit;
        }
      }
      running.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const log = () => readFile(logFile, "utf8").catch(() => "");

  const wanted = options.frontends.map((f, i) => ports[i] ?? f.bind.port);
  const deadline = Date.now() + (options.startTimeout ?? 10_000);
  for (;;) {
    if (exited) {
      const text = await log();
      await stop();
      throw new Error(`startHaproxy: haproxy exited before listening:\n${text}`);
    }
    if (allListening(pid, wanted)) break;
    if (Date.now() > deadline) {
      const text = await log();
      await stop();
      throw new Error(`startHaproxy: haproxy did not listen on ${wanted.join(", ")} in time:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const stat = async () => parseStat(await ask(statsSocket, "show stat\n"));
  return { pid, ports: wanted, configFile, dir, log, stat, stop };
}

/** Sends one command to HAProxy's stats socket and returns its whole answer. */
function ask(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ path: socketPath }, () => socket.write(command));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

function parseStat(csv: string): Record<string, string>[] {
  const lines = csv.split("\n").filter((l) => l.length > 0);
  const header = (lines[0] ?? "").replace(/^# /, "").split(",");
  return lines.slice(1).map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
  });
}

/** LISTEN sockets (state 0A) of /proc/net/tcp{,6} that belong to `pid`, by port. */
function allListening(pid: number, ports: readonly number[]): boolean {
  const inodes = socketInodes(pid);
  if (inodes.size === 0) return false;
  const listening = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const local = fields[1];
      const state = fields[3];
      const inode = fields[9];
      if (local === undefined || state !== "0A" || inode === undefined || !inodes.has(inode)) continue;
      listening.add(Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16));
    }
  }
  return ports.every((p) => listening.has(p));
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {}
  }
  return inodes;
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {}
}

function installExitHandler(): void {
  if (exitHandler) return;
  exitHandler = true;
  // A test process that ends without stop() (a failed test, vitest's teardown) leaves no haproxy.
  process.on("exit", () => {
    for (const { pid, dir } of running) {
      tryKill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
    running.clear();
  });
}
