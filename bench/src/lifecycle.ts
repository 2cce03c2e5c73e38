/**
 * Everything the bench starts is registered here so that it can be stopped by PID and every
 * temp dir removed, at the end, on an exception, and on Ctrl-C (SIGINT), SIGTERM or SIGHUP.
 *
 * - `track(pid)`: a child process (spawned detached, so its PID is also its process group id:
 *   Ctrl-C in a terminal reaches only the bench, which then stops its children in order).
 * - `onCleanup(fn)`: an async step (stop a server, remove a dir) run once, last registered first.
 * - `tempDir(path)`: removed synchronously even from the 'exit' handler.
 *
 * Node children also exit by themselves when their IPC channel to the bench closes, so they do
 * not survive a SIGKILLed bench; the interop harness has its own reaper for its peers.
 */
import { rmSync } from "node:fs";

type Step = { name: string; run: () => Promise<void> };

const pids = new Set<number>();
const dirs = new Set<string>();
const steps: Step[] = [];
let cleaning: Promise<void> | undefined;
let installed = false;

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {}
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Registers a child process; `untrack` when it has exited. */
export function track(pid: number): void {
  pids.add(pid);
}

export function untrack(pid: number): void {
  pids.delete(pid);
}

/** Registers a directory to remove at the end (recursively). */
export function tempDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

/** Registers an async cleanup step (run in reverse order of registration). Returns an unregister function. */
export function onCleanup(name: string, run: () => Promise<void>): () => void {
  const step = { name, run };
  steps.push(step);
  return () => {
    const i = steps.indexOf(step);
    if (i >= 0) steps.splice(i, 1);
  };
}

function killAllSync(signal: NodeJS.Signals): void {
  for (const pid of pids) {
    kill(-pid, signal); // its process group (detached children lead their own)
    kill(pid, signal);
  }
}

function removeDirsSync(): void {
  for (const d of dirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {}
  }
  dirs.clear();
}

/** Stops everything: cleanup steps (with a time limit each), then SIGTERM/SIGKILL to every tracked PID, then temp dirs. */
export function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (steps.length > 0) {
      const step = steps.pop()!;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          step.run(),
          new Promise<void>((_, reject) => {
            timer = setTimeout(() => reject(new Error("timed out after 15 s")), 15_000);
          }),
        ]);
      } catch (e) {
        process.stderr.write(`[bench] cleanup "${step.name}": ${(e as Error).message}\n`);
      } finally {
        clearTimeout(timer);
      }
    }
    if (pids.size > 0) {
      killAllSync("SIGTERM");
      for (let i = 0; i < 40 && [...pids].some(alive); i++) await new Promise((r) => setTimeout(r, 50));
      killAllSync("SIGKILL");
      pids.clear();
    }
    removeDirsSync();
  })();
  return cleaning;
}

/**
 * Installs the handlers: SIGINT/SIGTERM/SIGHUP and uncaught errors run the cleanup and exit;
 * the 'exit' handler SIGKILLs whatever is left and removes the temp dirs synchronously.
 */
export function installLifecycle(): void {
  if (installed) return;
  installed = true;
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled++;
    if (signalled > 1) {
      process.stderr.write(`\n[bench] ${signal} again: killing everything now\n`);
      process.exit(130);
    }
    process.stderr.write(`\n[bench] ${signal}: stopping every server and process the bench started...\n`);
    void cleanupAll().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  const onFatal = (err: unknown) => {
    process.stderr.write(`[bench] fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void cleanupAll().finally(() => process.exit(1));
  };
  process.on("uncaughtException", onFatal);
  process.on("unhandledRejection", onFatal);
  process.on("exit", () => {
    killAllSync("SIGKILL");
    removeDirsSync();
  });
}
