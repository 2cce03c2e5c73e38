/**
 * Starts one real S3 store for the whole test run: a single-node Ceph cluster with a RADOS
 * Gateway on loopback (test/ceph/ceph-rgw-up.sh), on free ports and in a temporary directory,
 * and stops it afterwards (ceph-rgw-down.sh). Tests get the endpoint and keys through
 * `inject("s3")`.
 *
 * - `S3_ENDPOINT` (with `S3_ACCESS_KEY`, `S3_SECRET_KEY`, optional `S3_REGION`) set: that store
 *   is used and nothing is started (a developer's own gateway, or one a CI script started).
 * - Otherwise, as root: the up script starts the cluster (installing the Debian packages first if
 *   they are missing, through test/ceph/install.sh).
 * - Otherwise the tests that need S3 fail with the reason under CI and are skipped loudly elsewhere.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type { S3TestEnvironment } from "./s3-environment.js";

const CEPH = fileURLToPath(new URL("./ceph/", import.meta.url));

function run(script: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      [join(CEPH, script)],
      { env, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** Tells whether a loopback TCP port can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A random base port with `count` consecutive free ports above it, in [low, high). */
async function freePorts(count: number, low: number, high: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low - count));
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error("no free loopback ports for the Ceph test cluster");
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const fromEnv = process.env["S3_ENDPOINT"];
  if (fromEnv) {
    project.provide("s3", {
      endpoint: fromEnv,
      accessKeyId: process.env["S3_ACCESS_KEY"] ?? process.env["AWS_ACCESS_KEY_ID"] ?? "",
      secretAccessKey: process.env["S3_SECRET_KEY"] ?? process.env["AWS_SECRET_ACCESS_KEY"] ?? "",
      region: process.env["S3_REGION"] ?? "us-east-1",
    } satisfies S3TestEnvironment);
    return undefined;
  }
  if (process.getuid?.() !== 0) {
    project.provide("s3", {
      unavailable:
        "no S3 store: set S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY, or run the tests as root so that test/ceph/ceph-rgw-up.sh can start Ceph's RADOS Gateway",
    } satisfies S3TestEnvironment);
    return undefined;
  }

  const dir = await mkdtemp(join(tmpdir(), "ftpkit-s3-"));
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
  const started = Date.now();
  try {
    await run("ceph-rgw-up.sh", env);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    await rm(dir, { recursive: true, force: true });
    throw new Error(`starting Ceph RGW failed:\n${stderr.slice(-4000)}`, { cause: error });
  }
  const vars = Object.fromEntries(
    [...(await readFile(join(env.S3_DIR, "s3.env"), "utf8")).matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [
      m[1],
      m[2],
    ]),
  );
  process.stderr.write(
    `[storage-s3] Ceph RGW up on 127.0.0.1:${rgwPort} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  project.provide("s3", {
    endpoint: vars["S3_ENDPOINT"]!,
    accessKeyId: vars["S3_ACCESS_KEY"]!,
    secretAccessKey: vars["S3_SECRET_KEY"]!,
    region: vars["S3_REGION"] ?? "us-east-1",
  } satisfies S3TestEnvironment);

  return async () => {
    await run("ceph-rgw-down.sh", env).catch((error: unknown) => {
      process.stderr.write(`[storage-s3] stopping Ceph RGW failed: ${String(error)}\n`);
    });
    await rm(dir, { recursive: true, force: true });
  };
}
