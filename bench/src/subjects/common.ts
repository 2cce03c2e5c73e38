/** Shared by the server subject scripts (child processes started by runners/servers/node-child.ts). */
import type { SubjectConfig } from "../runners/servers/node-child.js";

export function readConfig(): SubjectConfig {
  const raw = process.argv[2];
  if (!raw) throw new Error("usage: node <subject>.js '<json config>'");
  return JSON.parse(raw) as SubjectConfig;
}

export function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

/** Exit when the bench goes away, and stop cleanly when asked. */
export function onStop(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 3_000);
    force.unref();
    close()
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.on("message", (m) => {
    const type = (m as { type?: string }).type;
    if (type === "stop") stop();
    else if (type === "gc") {
      // started with --expose-gc: the memory row collects garbage before each reading
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      send({ type: "gc-done", collected: gc !== undefined });
    }
  });
  process.on("disconnect", () => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
