/**
 * A Node FTP server (ftpkit, ftp-srv) in a child process of its own, so that its CPU time and
 * memory are its alone. The child (src/subjects/*.ts) gets its configuration as JSON in argv,
 * answers over IPC `{type:"ready",port,version}` (or `{type:"unavailable",reason}`), stops on
 * `{type:"stop"}`, and exits by itself when the bench goes away (IPC disconnect).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { onCleanup, track, untrack } from "../../lifecycle.js";
import { meterFor } from "../../util/meter.js";
import type { ServerInstance, ServerStartContext } from "../types.js";

export interface SubjectConfig {
  root: string;
  user: string;
  password: string;
  maxConnections: number;
}

type ChildMessage =
  | { type: "ready"; port: number; version: string; description?: string }
  | { type: "unavailable"; reason: string }
  | { type: "error"; message: string };

/** Absolute path of a compiled subject script (dist/subjects/<name>.js). */
export function subjectScript(name: string): string {
  return fileURLToPath(new URL(`../../subjects/${name}.js`, import.meta.url));
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export class SubjectUnavailableError extends Error {}

export async function startNodeServer(
  name: string,
  script: string,
  ctx: ServerStartContext,
  options: { mlsd: boolean; nodeArgs?: readonly string[] },
): Promise<ServerInstance> {
  const dir = await mkdtemp(path.join(ctx.workDir, `${name}-`));
  const root = path.join(dir, "root");
  await mkdir(root, { mode: 0o755 });
  const config: SubjectConfig = {
    root,
    user: "bench",
    password: Math.random().toString(36).slice(2, 14),
    maxConnections: ctx.maxConnections,
  };
  const child = spawn(process.execPath, ["--expose-gc", ...(options.nodeArgs ?? []), script, JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    detached: true,
    env: { ...process.env, NODE_ENV: "production" },
  });
  const pid = child.pid;
  if (pid === undefined) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${name}: cannot spawn ${process.execPath}`);
  }
  track(pid);
  const meter = meterFor(name, pid);
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.connected) child.send({ type: "stop" });
      if (!(await waitExit(child, 5_000))) {
        child.kill("SIGTERM");
        if (!(await waitExit(child, 2_000))) {
          try {
            process.kill(-pid, "SIGKILL");
          } catch {}
          await waitExit(child, 2_000);
        }
      }
      untrack(pid);
      meter.close();
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  const unregister = onCleanup(`stop ${name}`, stop);
  const msg = await new Promise<ChildMessage>((resolve) => {
    const timer = setTimeout(() => resolve({ type: "error", message: "not ready within 20 s" }), 20_000);
    child.once("message", (m) => {
      clearTimeout(timer);
      resolve(m as ChildMessage);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ type: "error", message: `exited (${signal ?? code}) before it was ready` });
    });
  });
  if (msg.type !== "ready") {
    unregister();
    await stop();
    if (msg.type === "unavailable") throw new SubjectUnavailableError(msg.reason);
    throw new Error(`${name}: ${msg.message}${output ? `\n${output.trim().slice(-1500)}` : ""}`);
  }
  return {
    name,
    host: "127.0.0.1",
    port: msg.port,
    user: config.user,
    password: config.password,
    root,
    owner: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    mlsd: options.mlsd,
    description: `${msg.description ?? `${name} ${msg.version} (child process, Node ${process.version})`}; CPU: ${meter.method}`,
    cpuSeconds: () => meter.cpuSeconds(),
    memoryBytes: () => meter.memoryBytes(),
    settle: async () => {},
    collectGarbage: () =>
      new Promise<void>((resolve) => {
        if (!child.connected) return resolve();
        const timer = setTimeout(done, 5_000);
        function done() {
          clearTimeout(timer);
          child.off("message", onMessage);
          resolve();
        }
        function onMessage(m: unknown) {
          if ((m as { type?: string }).type === "gc-done") done();
        }
        child.on("message", onMessage);
        child.send({ type: "gc" });
      }),
    async stop() {
      unregister();
      await stop();
    },
  };
}
