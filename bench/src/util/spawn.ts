/** Child processes with a time limit, tracked by PID for the cleanup, with their output captured. */
import { spawn } from "node:child_process";
import { track, untrack } from "../lifecycle.js";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock seconds from spawn to exit. */
  seconds: number;
}

export interface RunOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Keep at most this many characters of each stream (default 1 MiB). */
  maxOutput?: number;
}

export const BASE_ENV: NodeJS.ProcessEnv = {
  PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  HOME: process.env["HOME"] ?? "/root",
};

/**
 * Runs a command to its end (or SIGKILLs its process group after `timeoutMs`). It is spawned
 * detached (own process group), so that a Ctrl-C goes to the bench only, which then stops it.
 */
export function run(cmd: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const max = options.maxOutput ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? BASE_ENV,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      if (stdout.length < max) stdout += d;
    });
    child.stderr.on("data", (d: string) => {
      if (stderr.length < max) stderr += d;
    });
    const pid = child.pid;
    if (pid !== undefined) track(pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {}
      }
    }, options.timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      if (pid !== undefined) untrack(pid);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) untrack(pid);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (timedOut) {
        reject(
          new Error(
            `${cmd} timed out after ${options.timeoutMs / 1000} s${stderr ? `: ${stderr.trim().slice(-300)}` : ""}`,
          ),
        );
        return;
      }
      resolve({ code, signal, stdout, stderr, seconds });
    });
  });
}

/** Like run(), but rejects unless the exit code is 0. */
export async function runOk(cmd: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    const detail = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-5).join(" | ");
    throw new Error(`${cmd.split("/").pop()} exited ${r.code ?? r.signal}: ${detail.slice(0, 400)}`);
  }
  return r;
}
