/**
 * Several `ftpkit serve` nodes on shared state behind HAProxy, on loopback:
 *
 *                         ┌──────────── HAProxy (TCP mode) ─────────────┐
 *   clients ──► balancer  │ control port ──► node 1..3 (round robin,    │
 *   (127.0.0.1)           │   send-proxy-v2, health checks every 300 ms) │
 *                         │ node i's passive range ──► node i, same port │
 *                         └───────────────────────────────────────────────┘
 *   node i: `node apps/cli/dist/bin.js serve --accounts-db URL --s3-endpoint URL
 *            --host 127.0.0.(10+i) --passive-ports its own range --advertise <balancer>
 *            --proxy-protocol-from 127.0.0.1 --config node.json` (the defender's options)
 *
 * Every node listens on its own loopback address, so the balancer can listen on the same port
 * numbers (the passive ranges) on its own address and forward each range to the one node that
 * offered it; PASV replies advertise the balancer, EPSV replies name only the port, so a client
 * reaches the node's listener through the balancer either way. HAProxy talks to the nodes from
 * 127.0.0.1 and prefixes every connection (control and data) with a PROXY v2 header, so the
 * nodes see, score and ban the client's real address, and check that a data connection comes
 * from the control connection's client (RFC 2577 §8).
 *
 * Nodes are processes of the built CLI (apps/cli/dist/bin.js), stopped by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { migrate, PostgresAccountStore } from "@ftpkit/accounts-pg";
import type { DefenderOptions } from "@ftpkit/server";
import { type RunningHaproxy, startHaproxy } from "@ftpkit/test-haproxy";
import pg from "pg";
import { freePorts, type Postgres, type S3Store, startPostgres, startS3 } from "./services.js";

/** The built `ftpkit` command (the root `pnpm test` builds it; see global-setup.ts). */
export const FTPKIT_BIN = fileURLToPath(new URL("../../../apps/cli/dist/bin.js", import.meta.url));

export interface NodeOptions {
  readonly name: string;
  /** The node's own loopback address (control and passive listeners). */
  readonly host: string;
  readonly port: number;
  /** Inclusive passive port range, forwarded by the balancer to this node only. */
  readonly passive: readonly [number, number];
  /** What PASV replies advertise: the balancer's address. */
  readonly advertise: string;
  /** Addresses whose connections carry a PROXY protocol header (the balancer's source). */
  readonly proxyProtocolFrom: readonly string[];
  readonly accountsDb: string;
  readonly s3: Pick<S3Store, "endpoint" | "accessKeyId" | "secretAccessKey" | "region">;
  readonly defender?: DefenderOptions | false;
  /** Where the node's config file and log go. */
  readonly dir: string;
}

/** One `ftpkit serve` process. */
export class FtpNode {
  private child: ChildProcess | undefined;
  private exit: Promise<void> | undefined;
  private logFile: WriteStream | undefined;
  /** Every stdout and stderr line of every run of this node, in order. */
  readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(readonly options: NodeOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** The running process's PID (undefined when stopped). */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** The session log lines matching `pattern` (e.g. `/ login /`). */
  logLines(pattern: RegExp): string[] {
    return this.lines.filter((l) => pattern.test(l));
  }

  /** Starts the process; resolves once it serves ("Press Ctrl-C to stop."). */
  async start(timeout = 30_000): Promise<void> {
    if (this.pid !== undefined) throw new Error(`${this.name} is running`);
    const o = this.options;
    const config = join(o.dir, `${o.name}.json`);
    await writeFile(config, JSON.stringify({ defender: o.defender ?? {} }, null, 2));
    const args = [
      FTPKIT_BIN,
      "serve",
      "--accounts-db",
      o.accountsDb,
      "--s3-endpoint",
      o.s3.endpoint,
      "--s3-region",
      o.s3.region,
      "--host",
      o.host,
      "--port",
      String(o.port),
      "--passive-ports",
      `${o.passive[0]}-${o.passive[1]}`,
      "--advertise",
      o.advertise,
      "--config",
      config,
      ...(o.proxyProtocolFrom.length === 0 ? [] : ["--proxy-protocol-from", o.proxyProtocolFrom.join(",")]),
    ];
    this.logFile ??= createWriteStream(join(o.dir, `${o.name}.log`), { flags: "a" });
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        // Keys for the S3 roots (standard AWS variables, never on the command line).
        AWS_ACCESS_KEY_ID: o.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: o.s3.secretAccessKey,
        DATABASE_URL: "",
        FORCE_COLOR: "0",
      },
    });
    this.child = child;
    this.exit = once(child, "exit").then(() => {});
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.lines.push(line);
        this.logFile?.write(`${line}\n`);
        for (const wake of this.waiters) wake();
      });
    }
    const ready = this.waitFor(/^Press Ctrl-C to stop\.$/, timeout);
    const died = this.exit.then(() => {
      throw new Error(`${this.name} exited at start:\n${this.lines.slice(-20).join("\n")}`);
    });
    await Promise.race([ready, died]);
  }

  /** Resolves with the first line (from now on or already seen) matching `pattern`. */
  waitFor(pattern: RegExp, timeout = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.find((l) => pattern.test(l));
        if (hit === undefined) return false;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(hit);
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`${this.name}: no line matching ${pattern} within ${timeout} ms`));
      }, timeout);
      if (!check()) this.waiters.add(wake);
    });
  }

  /** SIGKILL: the node dies at once, mid-transfer (what a crash or an OOM kill does). */
  async kill(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    process.kill(pid, "SIGKILL");
    await this.exit;
  }

  /** SIGTERM (a graceful stop), SIGKILL after `grace` ms; waits for the exit. */
  async stop(grace = 5000): Promise<void> {
    const pid = this.pid;
    if (pid !== undefined) {
      process.kill(pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (this.pid !== undefined) process.kill(pid, "SIGKILL");
      }, grace);
      await this.exit;
      clearTimeout(timer);
    }
  }

  /** Closes the log file (after the last stop). */
  async close(): Promise<void> {
    await this.stop();
    const file = this.logFile;
    this.logFile = undefined;
    if (file !== undefined) await new Promise<void>((resolve) => file.end(() => resolve()));
  }
}

export interface ClusterOptions {
  /** Nodes (default 3). */
  readonly nodes?: number;
  /** Passive ports per node (default 40). */
  readonly passivePorts?: number;
  /** The nodes' defender options (default: the server's). */
  readonly defender?: DefenderOptions | false;
  /** The balancer's address: clients connect here, nodes advertise it (default 127.0.0.1). */
  readonly balancerHost?: string;
  /** The bucket every S3 root is in (created). */
  readonly bucket?: string;
  /**
   * HAProxy sends a PROXY v2 header on every connection and the nodes trust 127.0.0.1 for it
   * (default true). Without it the nodes see HAProxy's address for every client.
   */
  readonly proxyProtocol?: boolean;
}

export interface Cluster {
  readonly postgres: Postgres;
  readonly s3: S3Store;
  readonly s3Client: S3Client;
  readonly bucket: string;
  /** A pool on the accounts database, for the test's own look-ups. */
  readonly pool: pg.Pool;
  /** The account table (add accounts with S3 roots here, or with `ftpkit-accounts`). */
  readonly accounts: PostgresAccountStore;
  readonly nodes: readonly FtpNode[];
  readonly balancer: { readonly host: string; readonly port: number; readonly haproxy: RunningHaproxy };
  /** The temp dir of the nodes' configs and logs (removed by stop). */
  readonly dir: string;
  /** PIDs of every process started and still running: HAProxy, the nodes, PostgreSQL, Ceph's daemons. */
  pids(): Promise<number[]>;
  /** Stops everything by PID (balancer, nodes, Ceph, PostgreSQL) and removes the temp dirs. */
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL and Ceph RGW, creates the schema and the bucket, then `nodes` nodes and
 * the balancer in front of them. Accounts are the caller's: add them to `accounts` (the nodes
 * read them at each login, nothing is cached).
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.nodes ?? 3;
  const perNode = options.passivePorts ?? 40;
  const balancerHost = options.balancerHost ?? "127.0.0.1";
  const bucket = options.bucket ?? "ftpkit-multinode";
  const proxy = options.proxyProtocol ?? true;
  const sendProxy: "v2" | false = proxy ? "v2" : false;
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-multinode-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // Both at once (Ceph takes seconds); settled both, so a failure of one still stops the other.
    const [pgStart, s3Start] = await Promise.allSettled([startPostgres(), startS3()]);
    if (pgStart.status === "fulfilled") cleanups.push(() => pgStart.value.stop());
    if (s3Start.status === "fulfilled") cleanups.push(() => s3Start.value.stop());
    if (pgStart.status === "rejected") throw pgStart.reason;
    if (s3Start.status === "rejected") throw s3Start.reason;
    const postgres = pgStart.value;
    const s3 = s3Start.value;
    const s3Client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    cleanups.push(async () => s3Client.destroy());
    await s3Client.send(new CreateBucketCommand({ Bucket: bucket }));
    const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
    pool.on("error", () => {});
    cleanups.push(() => pool.end());
    await migrate(pool);

    const hosts = Array.from({ length: count }, (_, i) => `127.0.0.${11 + i}`);
    // Above Linux's ephemeral range (32768-60999): outgoing connections of a busy machine
    // (HAProxy's, other tests') never hold these, so a whole range stays free once found.
    const controlPort = await freePorts(1, 61000, 62000, [...hosts, balancerHost]);
    const passiveBase = await freePorts(count * perNode, 62000, 65500, [...hosts, balancerHost]);
    const nodes = hosts.map(
      (host, i) =>
        new FtpNode({
          name: `node${i + 1}`,
          host,
          port: controlPort,
          passive: [passiveBase + i * perNode, passiveBase + (i + 1) * perNode - 1],
          advertise: balancerHost,
          proxyProtocolFrom: proxy ? ["127.0.0.1"] : [],
          accountsDb: postgres.url,
          s3,
          ...(options.defender === undefined ? {} : { defender: options.defender }),
          dir,
        }),
    );
    cleanups.push(() => Promise.all(nodes.map((n) => n.close())));
    await Promise.all(nodes.map((n) => n.start()));
    const haproxy = await startHaproxy({
      connectTimeout: 1000,
      frontends: [
        {
          bind: { host: balancerHost, port: 0 },
          backends: nodes.map((n) => ({
            host: n.options.host,
            port: n.options.port,
            sendProxy,
            check: true,
            checkInterval: 300,
          })),
        },
        ...nodes.map((n) => ({
          bind: { host: balancerHost, port: n.options.passive[0], portEnd: n.options.passive[1] },
          backends: [{ host: n.options.host, sendProxy }],
        })),
      ],
    });
    cleanups.push(() => haproxy.stop());
    const port = haproxy.ports[0];
    if (port === undefined) throw new Error("HAProxy reported no control port");
    return {
      postgres,
      s3,
      s3Client,
      bucket,
      pool,
      accounts: new PostgresAccountStore(pool),
      nodes,
      balancer: { host: balancerHost, port, haproxy },
      dir,
      pids: async () =>
        [
          haproxy.pid,
          ...nodes.flatMap((n) => (n.pid === undefined ? [] : [n.pid])),
          ...(await postgres.pids()),
          ...(await s3.pids()),
        ].filter(alive),
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * Whether a process with this PID is running (signal 0 checks without sending anything). A
 * zombie (exited, not yet reaped by its parent: daemons that detached are reaped by PID 1,
 * which in a container may never do it) has stopped, so it does not count.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // /proc/PID/stat: "pid (comm) state ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** `pid (command)` for messages. */
export function describePid(pid: number): string {
  try {
    return `${pid} (${readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim().slice(0, 120)})`;
  } catch {
    return String(pid);
  }
}
