/** Parent side of a client worker: spawned on first use, requests over IPC with a time limit each. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { onCleanup, track, untrack } from "../../lifecycle.js";
import type { Lib, OpArgs, OpName, OpResult, Response } from "../../workers/protocol.js";

const SCRIPT = fileURLToPath(new URL("../../workers/client-worker.js", import.meta.url));

export class NodeWorker {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: OpResult) => void; reject: (e: Error) => void }>();
  private output = "";
  private unregister: (() => void) | undefined;

  constructor(readonly lib: Lib) {}

  private start(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ["--expose-gc", SCRIPT, this.lib], {
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        detached: true,
      });
      this.child = child;
      const pid = child.pid;
      if (pid === undefined) {
        reject(new Error(`cannot start the ${this.lib} worker`));
        return;
      }
      track(pid);
      this.unregister = onCleanup(`stop ${this.lib} worker`, () => this.close());
      const keep = (d: Buffer) => {
        this.output = (this.output + d.toString("utf8")).slice(-3000);
      };
      child.stdout?.on("data", keep);
      child.stderr?.on("data", keep);
      child.on("message", (raw) => {
        const m = raw as Response;
        if (m.id === 0) {
          resolve();
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(m.error));
      });
      child.once("exit", (code, signal) => {
        untrack(pid);
        const err = new Error(
          `${this.lib} worker exited (${signal ?? code})${this.output ? `: ${this.output.trim().slice(-600)}` : ""}`,
        );
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        this.child = undefined;
        this.ready = undefined;
      });
    });
    return this.ready;
  }

  /** Runs `op` in the worker; after `timeoutMs` the worker is killed (and restarted on next use). */
  async call<K extends OpName>(op: K, args: OpArgs[K], timeoutMs: number): Promise<OpResult> {
    await this.start();
    const child = this.child!;
    const id = this.nextId++;
    return new Promise<OpResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.lib} ${op}: no result within ${Math.round(timeoutMs / 1000)} s (worker killed)`));
        this.kill();
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      child.send({ id, op, args });
    });
  }

  private kill(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }

  async close(): Promise<void> {
    this.unregister?.();
    this.unregister = undefined;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.disconnect();
    const t = setTimeout(() => this.kill(), 2_000);
    await exited;
    clearTimeout(t);
  }
}
