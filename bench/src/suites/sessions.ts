/** Session rows: many sessions that log in and list, and memory with idle sessions (raw load driver). */
import type { Env } from "../env.js";
import type { RowDef, Sample } from "../measure/model.js";
import { countLabel } from "../profile.js";
import { address, loadDriver } from "../runners/clients/node-clients.js";
import type { ServerInstance } from "../runners/types.js";
import { sleep } from "../util/misc.js";
import { FAILED, IDLE_RSS, MEMORY, MiB, TIME } from "./metrics.js";

const SESSION_TIMEOUT_MS = 300_000;

async function sessions(
  env: Env,
  server: ServerInstance,
  dir: string,
  count: number,
  concurrency: number,
): Promise<Sample> {
  const idleTimeoutMs = env.profile.sessionIdleTimeoutMs;
  const r = await loadDriver.call(
    "sessions",
    { server: address(server), count, concurrency, dir, idleTimeoutMs },
    SESSION_TIMEOUT_MS,
  );
  await server.settle();
  const failed = r.failed ?? 0;
  const sample: Sample = { values: { time: r.seconds ?? Number.NaN, failed } };
  if (failed > 0) sample.note = `${failed} of ${count} failed (${r.error ?? "?"})`;
  return sample;
}

export function sessionRows(env: Env): RowDef[] {
  const p = env.profile;
  const rows: RowDef[] = [];
  const largest = Math.max(...p.sessionCounts);
  for (const n of p.sessionCounts) {
    rows.push({
      id: `sessions.${n}`,
      group: "Sessions (raw load driver: connect, USER/PASS, EPSV, LIST, QUIT)",
      title: `${countLabel(n)} sessions log in and list, ≤ ${p.sessionConcurrency} at once`,
      metrics: [TIME, FAILED],
      targets:
        n === largest ? [{ metric: "time", versus: "pyftpdlib", op: "<=", value: 1.0, text: "≤ 1.0× pyftpdlib" }] : [],
      plan: () =>
        env.serverPlan((server) => {
          const dir = env.serveSmallDir(server);
          return {
            run: () => sessions(env, server, dir, n, p.sessionConcurrency),
            warmup: async () => {
              await sessions(env, server, dir, Math.min(n, 20), p.sessionConcurrency);
            },
          };
        }),
    });
  }
  const burst = p.burstSessions;
  rows.push({
    id: "sessions.burst",
    group: "Sessions (raw load driver: connect, USER/PASS, EPSV, LIST, QUIT)",
    title: `${countLabel(burst)} sessions log in and list, all at once`,
    metrics: [TIME, FAILED],
    targets: [
      { metric: "time", versus: "pyftpdlib", op: "<=", value: 1.5, text: "≤ 1.5× pyftpdlib" },
      { metric: "failed", op: "<=", value: 0, text: "all succeed" },
    ],
    plan: () =>
      env.serverPlan((server) => {
        const dir = env.serveSmallDir(server);
        return {
          run: () => sessions(env, server, dir, burst, burst),
          warmup: async () => {
            await sessions(env, server, dir, Math.min(burst, 20), Math.min(burst, 20));
          },
        };
      }),
  });
  const idle = p.idleSessions;
  rows.push({
    id: "memory.idle",
    group: "Server memory",
    title: `server memory with ${countLabel(idle)} idle logged-in sessions (PSS of its processes)`,
    metrics: [MEMORY, IDLE_RSS],
    targets: [{ metric: "mem", op: "<=", value: 32, text: "≤ 32 MiB per 1,000 sessions" }],
    runs: p.memoryRuns,
    warmups: 0,
    plan: () =>
      env.serverPlan((server) => ({
        run: async () => {
          await server.settle();
          await server.collectGarbage?.();
          await sleep(200);
          const before = server.memoryBytes();
          const r = await loadDriver.call(
            "hold",
            {
              server: address(server),
              count: idle,
              concurrency: p.sessionConcurrency,
              idleTimeoutMs: 600_000,
            },
            SESSION_TIMEOUT_MS,
          );
          try {
            await sleep(500);
            await server.collectGarbage?.();
            const during = server.memoryBytes();
            const ok = r.ok ?? 0;
            if (ok === 0) throw new Error(`no session logged in (${r.error ?? "?"})`);
            const sample: Sample = {
              values: { mem: ((during - before) / MiB) * (1000 / ok), idle: before / MiB },
            };
            if ((r.failed ?? 0) > 0) sample.note = `${r.failed} of ${idle} sessions failed (${r.error ?? "?"})`;
            return sample;
          } finally {
            await loadDriver.call("release", {}, SESSION_TIMEOUT_MS);
            await server.settle();
          }
        },
      })),
  });
  return rows;
}
