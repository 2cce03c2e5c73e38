/**
 * `pnpm bench [--quick] [--only <pattern>]`: the benchmark suite. See bench/README.md.
 *
 * Prints progress on stderr and the result table on stdout, and writes bench/results/. Never
 * fails because of a figure: benchmarks are not tests. Exits non-zero only when the suite
 * itself cannot run.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { matches, parseCli, USAGE } from "./cli.js";
import { Env, selectRunners } from "./env.js";
import { loadInterop } from "./interop.js";
import { cleanupAll, installLifecycle, tempDir } from "./lifecycle.js";
import { executeRow } from "./measure/execute.js";
import type { BenchReport, CellResult, RowDef } from "./measure/model.js";
import { computeAbsolute, computeRatios, deriveSpeedups } from "./report/ratios.js";
import { textTable } from "./report/table.js";
import { writeReport } from "./report/write.js";
import { curlClient, ftplibClient, lftpClient } from "./runners/clients/native-clients.js";
import { basicFtp, ftpkitClient, loadDriver } from "./runners/clients/node-clients.js";
import { SERVERS } from "./runners/servers/index.js";
import type { ClientRunner } from "./runners/types.js";
import { clientVersions } from "./subjects-info.js";
import { listingRows } from "./suites/listings.js";
import { sessionRows } from "./suites/sessions.js";
import { smallUploadRows } from "./suites/small-uploads.js";
import { clientTransferRows, serverTransferRows } from "./suites/transfers.js";
import { uploadDirRows } from "./suites/upload-dir.js";
import { makeWorkDir } from "./util/data.js";
import { errorMessage } from "./util/misc.js";
import { markOwned, removeStale } from "./util/stale.js";

const CLIENTS: readonly ClientRunner[] = [ftpkitClient, curlClient, basicFtp, ftplibClient, lftpClient];
const BENCH_DIR = fileURLToPath(new URL("..", import.meta.url));

const t0 = Date.now();
const log = (line: string) => process.stderr.write(`${line}\n`);
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

function allRows(env: Env): RowDef[] {
  return [
    ...serverTransferRows(env),
    ...clientTransferRows(env),
    ...sessionRows(env),
    ...smallUploadRows(env),
    ...listingRows(env),
    ...uploadDirRows(env),
  ];
}

async function installPeers(): Promise<string> {
  if (process.getuid?.() !== 0) return "not root: test/interop/peers/install.sh skipped (vsftpd needs root anyway)";
  try {
    const interop = await loadInterop();
    const out = await interop.installPeers();
    return out.trim().split("\n").pop() ?? "installed";
  } catch (e) {
    return `install.sh failed: ${errorMessage(e).split("\n").slice(-3).join(" ")}`;
  }
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  let git = "?";
  try {
    git = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: BENCH_DIR, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "packages"], {
      cwd: BENCH_DIR,
      encoding: "utf8",
    });
    if (dirty.trim()) git += " (packages/ has uncommitted changes)";
  } catch {}
  return {
    node: process.version,
    cpus: cpus.length,
    cpu: cpus[0]?.model.trim() ?? "?",
    memory: `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    kernel: os.release(),
    loadStart: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
    git,
  };
}

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (e) {
    log(`${errorMessage(e)}\n\n${USAGE}`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  installLifecycle();
  const { profile } = cli;
  const servers = selectRunners(SERVERS, cli.subjects);
  const clients = selectRunners(CLIENTS, cli.subjects);
  for (const d of removeStale()) log(`  removed ${d} (left by a bench that was killed)`);
  const need = profile.bigFileBytes * 3 + 512 * 2 ** 20;
  const work = await makeWorkDir(need);
  tempDir(work.dir);
  markOwned(work.dir);
  const env = new Env(profile, work, servers, clients, log);
  const every = allRows(env);
  const rows = every.filter((r) => cli.only.length === 0 || cli.only.some((p) => matches(p, r.id, r.title, r.group)));
  if (cli.listOnly) {
    for (const r of every) process.stdout.write(`${rows.includes(r) ? "*" : " "} ${r.id.padEnd(34)} ${r.title}\n`);
    return 0;
  }
  if (rows.length === 0) {
    log(`no row matches --only ${cli.only.join(",")} (see --list)`);
    return 2;
  }
  const started = new Date();
  const mach = machine();
  log(
    `ftpkit bench, ${profile.name} profile: ${rows.length} rows, ${profile.runs} runs + ${profile.warmups} warm-up each`,
  );
  log(`  work dir ${work.dir}: ${work.note}`);
  log(`  peers: ${await installPeers()} (${elapsed()})`);

  const cells: CellResult[] = [];
  const notes: string[] = [`Test data and server roots: ${work.note}.`];
  for (const [i, row] of rows.entries()) {
    log(`[${i + 1}/${rows.length}] ${row.id}: ${row.title} (${elapsed()})`);
    try {
      const plan = await row.plan();
      cells.push(...(await executeRow(row, plan, { runs: profile.runs, warmups: profile.warmups, log })));
    } catch (e) {
      log(`    row failed: ${errorMessage(e)}`);
      notes.push(`${row.id} failed: ${errorMessage(e)}`);
    }
  }
  const derived = deriveSpeedups(cells);
  const allDefs = [...rows, ...derived.rows];
  const allCells = [...cells, ...derived.cells];
  // keep each derived speed-up row right after its server's uploadDir rows
  const order = new Map(allDefs.map((r, i) => [r.id, i]));
  allCells.sort((a, b) => (order.get(a.row) ?? 0) - (order.get(b.row) ?? 0));

  const subjects: Record<string, string> = {};
  for (const r of servers) {
    const reason = await env.unavailable(r);
    const ran = env.descriptions.get(r.name);
    if (reason) subjects[r.label] = `not run: ${reason}`;
    else if (ran) subjects[r.label] = ran;
  }
  Object.assign(subjects, await clientVersions());
  const waiting = allCells.filter((c) => c.status === "waiting").map((c) => `${c.subjectLabel}: ${c.note}`);
  for (const w of new Set(waiting)) notes.push(`waiting: ${w}`);

  log(`stopping servers and workers (${elapsed()})`);
  await env.stopServers();
  await Promise.all([...CLIENTS.map((c) => c.close?.()), loadDriver.close()]);

  const finished = new Date();
  mach["loadEnd"] = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  mach["data"] = work.note;
  const report: BenchReport = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: (Date.now() - t0) / 1000,
    profile: { ...profile, only: cli.only, subjects: cli.subjects },
    machine: mach,
    subjects,
    notes,
    cells: allCells,
    ratios: computeRatios(allCells, allDefs),
    absolute: computeAbsolute(allCells, allDefs),
  };
  const outRoot = path.resolve(cli.outDir ?? path.join(BENCH_DIR, "results"));
  const dir = await writeReport(report, outRoot);
  process.stdout.write(`\n${textTable(report)}\n\n`);
  const checks = [...report.ratios.filter((r) => r.target), ...report.absolute];
  const met = checks.filter((c) => c.met).length;
  log(`targets: ${met} of ${checks.length} met (ftpkit figures present: ${report.ratios.length} ratios)`);
  log(`results: ${path.relative(process.cwd(), dir) || dir}/{results.md,results.json,ratios.svg} (${elapsed()} total)`);
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  code = 1;
} finally {
  await cleanupAll();
}
process.exit(code);
