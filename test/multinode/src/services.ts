/**
 * The real shared services of a multi-node set-up, started on loopback for one test run with
 * the scripts their packages' own tests use (never a home-made store):
 *
 * - PostgreSQL: packages/accounts-pg/test/postgres/up.sh (Debian's PostgreSQL, `initdb` in a
 *   temp dir, 127.0.0.1 only, a free port), stopped by down.sh (pg_ctl, then the PID);
 * - S3: packages/storage-s3/test/ceph/ceph-rgw-up.sh (a one-node Ceph cluster with a RADOS
 *   Gateway, memstore OSD, free ports, temp dir), stopped by ceph-rgw-down.sh (each daemon by
 *   its PID).
 *
 * Both need root the first time (Debian packages; scripts/install-system-deps.sh installs
 * them, as .ci/run does).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const PG_SCRIPTS = join(REPO, "packages/accounts-pg/test/postgres");
const CEPH_SCRIPTS = join(REPO, "packages/storage-s3/test/ceph");

function run(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", [script], { env, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} failed:\n${stderr.slice(-4000)}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

/** Tells whether a loopback TCP port can be bound now. */
export function portFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A random base port with `count` consecutive free ports above it, in [low, high), on every host. */
export async function freePorts(count: number, low: number, high: number, hosts = ["127.0.0.1"]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low - count));
    const checks = hosts.flatMap((host) => Array.from({ length: count }, (_, i) => portFree(base + i, host)));
    if ((await Promise.all(checks)).every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free loopback ports in ${low}-${high}`);
}

export interface Postgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication, 127.0.0.1 only). */
  readonly url: string;
  /** Its data directory (removed by stop). */
  readonly dir: string;
  /** The postmaster's PID (from postmaster.pid; empty once stopped). */
  pids(): Promise<number[]>;
  stop(): Promise<void>;
}

/** The numbers in the first line of each pid file (missing files skipped). */
async function readPidFiles(files: readonly string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const file of files) {
    const first = (await readFile(file, "utf8").catch(() => "")).split("\n")[0]?.trim() ?? "";
    if (/^\d+$/.test(first)) pids.push(Number(first));
  }
  return pids;
}

/** Starts a throw-away PostgreSQL (installing Debian's package first when missing, as root). */
export async function startPostgres(): Promise<Postgres> {
  const installed = (() => {
    try {
      return readdirSync("/usr/lib/postgresql").some((v) => existsSync(join("/usr/lib/postgresql", v, "bin/initdb")));
    } catch {
      return false;
    }
  })();
  if (!installed) await run(join(PG_SCRIPTS, "install.sh"), process.env);
  const stdout = await run(join(PG_SCRIPTS, "up.sh"), { ...process.env, PG_DIR: "" });
  const vars = Object.fromEntries([...stdout.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const url = vars["DATABASE_URL"];
  const dir = vars["PG_DIR"];
  if (!url || !dir) throw new Error(`up.sh printed no DATABASE_URL:\n${stdout}`);
  let stopped: Promise<void> | undefined;
  return {
    url,
    dir,
    pids: () => readPidFiles([join(dir, "data", "postmaster.pid")]),
    stop: () => {
      stopped ??= run(join(PG_SCRIPTS, "down.sh"), { ...process.env, PG_DIR: dir }).then(() => {});
      return stopped;
    },
  };
}

export interface S3Store {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** The temp dir of the cluster (removed by stop). */
  readonly dir: string;
  /** The PIDs of the mon, OSD and radosgw (from their pid files; empty once stopped). */
  pids(): Promise<number[]>;
  stop(): Promise<void>;
}

/** Starts a one-node Ceph cluster with a RADOS Gateway on free loopback ports (root). */
export async function startS3(): Promise<S3Store> {
  if (process.getuid?.() !== 0) {
    throw new Error("the Ceph RADOS Gateway needs root (packages/storage-s3/test/ceph/ceph-rgw-up.sh)");
  }
  const dir = await mkdtemp(join(tmpdir(), "ftpkit-multinode-s3-"));
  const monPort = await freePorts(2, 21000, 29000);
  const rgwPort = await freePorts(1, 29000, 33000);
  const osdPorts = await freePorts(40, 33000, 39000);
  const env = {
    ...process.env,
    S3_DIR: join(dir, "ceph"),
    S3_PORT: String(rgwPort),
    CEPH_MON_PORT: String(monPort),
    CEPH_OSD_PORTS: `${osdPorts} ${osdPorts + 39}`,
  };
  try {
    await run(join(CEPH_SCRIPTS, "ceph-rgw-up.sh"), env);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const vars = Object.fromEntries(
    [...(await readFile(join(env.S3_DIR, "s3.env"), "utf8")).matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [
      m[1],
      m[2],
    ]),
  );
  let stopped: Promise<void> | undefined;
  return {
    endpoint: vars["S3_ENDPOINT"] ?? `http://127.0.0.1:${rgwPort}`,
    accessKeyId: vars["S3_ACCESS_KEY"] ?? "",
    secretAccessKey: vars["S3_SECRET_KEY"] ?? "",
    region: vars["S3_REGION"] ?? "us-east-1",
    dir,
    pids: async () => {
      const run = join(env.S3_DIR, "run");
      const files = await readdir(run).catch(() => [] as string[]);
      return readPidFiles(files.filter((f) => f.endsWith(".pid")).map((f) => join(run, f)));
    },
    stop: () => {
      stopped ??= run(join(CEPH_SCRIPTS, "ceph-rgw-down.sh"), env)
        .catch((error: unknown) => {
          process.stderr.write(`[multinode] stopping Ceph failed: ${String(error)}\n`);
        })
        .then(() => rm(dir, { recursive: true, force: true }));
      return stopped;
    },
  };
}
