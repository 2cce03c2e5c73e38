/**
 * Runs the bundled `ftpkit` binary (see global-setup.ts) as a real process: arguments,
 * environment, standard input; collects stdout (as bytes), stderr and the exit code.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { inject } from "vitest";

export interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  /** stdout as UTF-8 text. */
  readonly out: string;
  readonly err: string;
}

export interface RunOptions {
  /** Added to a minimal environment (PATH, HOME in a temp dir, no colour forcing). */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly stdin?: string | Buffer;
  readonly timeoutMs?: number;
  /** The script node runs (default: the test bundle, {@link binary}). */
  readonly entry?: string;
}

/** The path of the bundled binary. */
export function binary(): string {
  return inject("ftpkitBin");
}

/** A clean environment: the tests never see the developer's ~/.netrc, FTPKIT_PASSWORD or NO_COLOR. */
export function baseEnv(home: string): Record<string, string> {
  return { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8" };
}

let defaultHome: string | undefined;

/** An empty HOME shared by the runs of a test file that do not give one. */
export async function emptyHome(): Promise<string> {
  defaultHome ??= await mkdtemp(join(tmpdir(), "ftpkit-home-"));
  return defaultHome;
}

export async function cleanupHome(): Promise<void> {
  if (defaultHome !== undefined) await rm(defaultHome, { recursive: true, force: true });
  defaultHome = undefined;
}

/** Runs `ftpkit ...args` to completion. */
export async function ftpkit(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  const home = await emptyHome();
  const child = spawn(process.execPath, [options.entry ?? binary(), ...args], {
    cwd: options.cwd ?? home,
    env: { ...baseEnv(home), ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  child.stdin.on("error", () => {});
  child.stdin.end(options.stdin ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("close", (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  const stdout = Buffer.concat(out);
  return { code, signal, stdout, out: stdout.toString("utf8"), err: Buffer.concat(err).toString("utf8") };
}

/** A long-running `ftpkit` (serve, dev): its output lines as they come, and its exit. */
export interface Running {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly errLines: string[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first output line matching `re` (rejects after `ms`). */
  waitForLine(re: RegExp, ms?: number): Promise<string>;
}

export async function start(args: readonly string[], options: RunOptions = {}): Promise<Running> {
  const home = await emptyHome();
  const child = spawn(process.execPath, [options.entry ?? binary(), ...args], {
    cwd: options.cwd ?? home,
    env: { ...baseEnv(home), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const errLines: string[] = [];
  createInterface({ input: child.stdout }).on("line", (l) => lines.push(l));
  createInterface({ input: child.stderr }).on("line", (l) => errLines.push(l));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    errLines,
    exited,
    async waitForLine(re, ms = 20_000) {
      const end = Date.now() + ms;
      for (;;) {
        const found = lines.find((l) => re.test(l));
        if (found !== undefined) return found;
        if (Date.now() > end || child.exitCode !== null) {
          throw new Error(
            `no line matching ${re} (exit ${child.exitCode})\nstdout:\n${lines.join("\n")}\nstderr:\n${errLines.join("\n")}`,
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

export const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
