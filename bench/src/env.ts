/**
 * The suite's shared state: the work dir and test data, the subjects (filtered by --subjects),
 * and the servers, each started once on first use and filled with the data the rows need.
 */
import { chownSync, existsSync, linkSync, mkdirSync, rmSync } from "node:fs";
import { copyFile, rm } from "node:fs/promises";
import path from "node:path";
import { matches } from "./cli.js";
import type { Case, RowPlan, Skip } from "./measure/model.js";
import type { Profile } from "./profile.js";
import { SubjectUnavailableError } from "./runners/servers/node-child.js";
import type { ClientRunner, ServerInstance, ServerRunner } from "./runners/types.js";
import { type WorkDir, writeManyEntries, writeRandomFile, writeSmallFiles } from "./util/data.js";
import { errorMessage } from "./util/misc.js";

export type CaseBody = Omit<Case, "subject" | "label" | "ftpkit">;

export class Env {
  private readonly started = new Map<string, Promise<ServerInstance>>();
  private readonly availability = new Map<string, Promise<string | undefined>>();
  private bigFileReady: Promise<string> | undefined;
  private treeReady: string | undefined;
  private readonly prepared = new Set<string>();
  private uploadSeq = 0;
  /** Server name -> what ran (for the report), for the servers started so far. */
  readonly descriptions = new Map<string, string>();
  readonly dataDir: string;
  readonly outDir: string;

  constructor(
    readonly profile: Profile,
    readonly work: WorkDir,
    readonly servers: readonly ServerRunner[],
    readonly clients: readonly ClientRunner[],
    readonly log: (line: string) => void,
  ) {
    this.dataDir = path.join(work.dir, "data");
    this.outDir = path.join(work.dir, "out");
    mkdirSync(this.dataDir, { recursive: true });
    mkdirSync(this.outDir, { recursive: true });
  }

  /** Sessions and passive ports every server must allow at once. */
  get maxConnections(): number {
    const p = this.profile;
    return Math.max(p.idleSessions, p.burstSessions, ...p.sessionCounts.map(() => p.sessionConcurrency)) + 64;
  }

  unavailable(runner: ServerRunner | ClientRunner): Promise<string | undefined> {
    const key = `${"start" in runner ? "server" : "client"}:${runner.name}`;
    let p = this.availability.get(key);
    if (!p) {
      p = runner.unavailable().catch((e: unknown) => errorMessage(e));
      this.availability.set(key, p);
    }
    return p;
  }

  /** The running instance of a server (started on first use). */
  server(runner: ServerRunner): Promise<ServerInstance> {
    let p = this.started.get(runner.name);
    if (!p) {
      const t0 = Date.now();
      p = runner
        .start({
          workDir: this.work.dir,
          maxConnections: this.maxConnections,
          passivePorts: Math.max(this.profile.burstSessions, this.profile.sessionConcurrency) + 28,
        })
        .then((s) => {
          this.descriptions.set(runner.name, s.description);
          this.log(`  started ${runner.label} on 127.0.0.1:${s.port} in ${Date.now() - t0} ms: ${s.description}`);
          return s;
        });
      this.started.set(runner.name, p);
    }
    return p;
  }

  async stopServers(): Promise<void> {
    const all = [...this.started.values()];
    this.started.clear();
    await Promise.all(
      all.map(async (p) => {
        try {
          await (await p).stop();
        } catch {}
      }),
    );
  }

  private skip(runner: ServerRunner | ClientRunner, status: Skip["status"], reason: string): Skip {
    return { subject: runner.name, label: runner.label, ftpkit: runner.ftpkit, status, reason };
  }

  private skipFor(runner: ServerRunner | ClientRunner, reason: string): Skip {
    return this.skip(runner, runner.ftpkit ? "waiting" : "unavailable", reason);
  }

  /** One case per server subject; `build` returns undefined for "n/a" with a reason string. */
  async serverPlan(
    build: (server: ServerInstance, runner: ServerRunner) => Promise<CaseBody | string> | CaseBody | string,
    servers: readonly ServerRunner[] = this.servers,
  ): Promise<RowPlan> {
    const cases: Case[] = [];
    const skipped: Skip[] = [];
    for (const runner of servers) {
      const reason = await this.unavailable(runner);
      if (reason) {
        skipped.push(this.skipFor(runner, reason));
        continue;
      }
      let server: ServerInstance;
      try {
        server = await this.server(runner);
      } catch (e) {
        if (e instanceof SubjectUnavailableError) skipped.push(this.skipFor(runner, e.message));
        else skipped.push(this.skip(runner, "error", `could not start: ${errorMessage(e)}`));
        continue;
      }
      try {
        const body = await build(server, runner);
        if (typeof body === "string") skipped.push(this.skip(runner, "n/a", body));
        else cases.push({ subject: runner.name, label: runner.label, ftpkit: runner.ftpkit, ...body });
      } catch (e) {
        skipped.push(this.skip(runner, "error", errorMessage(e)));
      }
    }
    return { cases, skipped };
  }

  /** The server runner called `name` if it is selected, else undefined. */
  serverRunner(name: string): ServerRunner | undefined {
    return this.servers.find((s) => s.name === name);
  }

  /** One case per client subject that has the operation `has` checks. */
  async clientPlan(
    serverRunner: ServerRunner,
    has: (c: ClientRunner) => boolean,
    build: (client: ClientRunner, server: ServerInstance) => CaseBody | string,
  ): Promise<RowPlan> {
    const clients = this.clients.filter(has);
    const cases: Case[] = [];
    const skipped: Skip[] = [];
    const serverReason = await this.unavailable(serverRunner);
    let server: ServerInstance | undefined;
    let serverProblem = serverReason;
    if (!serverReason) {
      try {
        server = await this.server(serverRunner);
      } catch (e) {
        serverProblem = errorMessage(e);
      }
    }
    for (const client of clients) {
      const reason = await this.unavailable(client);
      if (reason) {
        skipped.push(this.skipFor(client, reason));
        continue;
      }
      if (!server) {
        const status = serverRunner.ftpkit ? "waiting" : "unavailable";
        skipped.push(this.skip(client, status, `server ${serverRunner.name}: ${serverProblem}`));
        continue;
      }
      const body = build(client, server);
      if (typeof body === "string") skipped.push(this.skip(client, "n/a", body));
      else cases.push({ subject: client.name, label: client.label, ftpkit: client.ftpkit, ...body });
    }
    return { cases, skipped, note: `server: ${serverRunner.label}` };
  }

  // ---- data -------------------------------------------------------------------------------

  /** The big random file (created once, streamed). */
  bigFile(): Promise<string> {
    this.bigFileReady ??= (async () => {
      const file = path.join(this.dataDir, "big.bin");
      const t0 = Date.now();
      await writeRandomFile(file, this.profile.bigFileBytes);
      this.log(
        `  wrote ${file} (${(this.profile.bigFileBytes / 2 ** 20).toFixed(0)} MiB random) in ${Date.now() - t0} ms`,
      );
      return file;
    })();
    return this.bigFileReady;
  }

  /** The local tree for uploadDir: 10 directories of small files. */
  tree(): string {
    if (!this.treeReady) {
      const dir = path.join(this.dataDir, "tree");
      const per = Math.ceil(this.profile.uploadDirFiles / 10);
      let left = this.profile.uploadDirFiles;
      for (let d = 0; d < 10 && left > 0; d++) {
        const n = Math.min(per, left);
        writeSmallFiles(path.join(dir, `d${d}`), n, this.profile.uploadDirFileSize);
        left -= n;
      }
      this.treeReady = dir;
    }
    return this.treeReady;
  }

  /** `big.bin` in the server's root: a hard link to the data file (a copy across file systems). */
  async serveBigFile(server: ServerInstance): Promise<string> {
    const target = path.join(server.root, "big.bin");
    if (!this.prepared.has(`${server.name}:big`)) {
      const src = await this.bigFile();
      rmSync(target, { force: true });
      try {
        linkSync(src, target);
      } catch {
        await copyFile(src, target);
      }
      this.prepared.add(`${server.name}:big`);
    }
    return "big.bin";
  }

  /** `small/` (10 files of 1 KiB): the directory the session rows list. */
  serveSmallDir(server: ServerInstance): string {
    if (!this.prepared.has(`${server.name}:small`)) {
      writeSmallFiles(path.join(server.root, "small"), 10, 1024);
      this.prepared.add(`${server.name}:small`);
    }
    return "small";
  }

  /** `bigdir/` with the profile's number of entries. */
  serveBigDir(server: ServerInstance): string {
    if (!this.prepared.has(`${server.name}:bigdir`)) {
      const t0 = Date.now();
      writeManyEntries(path.join(server.root, "bigdir"), this.profile.bigDirEntries);
      this.log(`  ${server.name}: created bigdir/ with ${this.profile.bigDirEntries} entries in ${Date.now() - t0} ms`);
      this.prepared.add(`${server.name}:bigdir`);
    }
    return "bigdir";
  }

  /**
   * A fresh remote path under `up/` (writable by the server's user) and a function that
   * removes what was uploaded there (on the host).
   */
  uploadTarget(
    server: ServerInstance,
    stem: string,
    kind: "file" | "dir",
  ): { remote: string; clean: () => Promise<void> } {
    const up = path.join(server.root, "up");
    if (!existsSync(up)) {
      mkdirSync(up, { mode: 0o755 });
      chownSync(up, server.owner.uid, server.owner.gid);
    }
    const name = `${stem}-${++this.uploadSeq}${kind === "file" ? ".bin" : ""}`;
    const host = path.join(up, name);
    const remote = `up/${name}`;
    return { remote, clean: () => rm(host, { recursive: true, force: true }) };
  }

  /** Like uploadTarget(kind "dir"), the directory created first (for clients that cd into it). */
  uploadDirCreated(server: ServerInstance, stem: string): { remote: string; clean: () => Promise<void> } {
    const t = this.uploadTarget(server, stem, "dir");
    const host = path.join(server.root, t.remote);
    mkdirSync(host, { mode: 0o755 });
    chownSync(host, server.owner.uid, server.owner.gid);
    return t;
  }

  /** A local output file for downloads, and its removal. */
  localOut(stem: string): { path: string; clean: () => Promise<void> } {
    const p = path.join(this.outDir, `${stem}-${++this.uploadSeq}.bin`);
    return { path: p, clean: () => rm(p, { force: true }) };
  }
}

/** Keeps runners whose name matches one of the patterns (all when there is none). */
export function selectRunners<T extends { name: string; label: string }>(
  runners: readonly T[],
  patterns: string[],
): T[] {
  if (patterns.length === 0) return [...runners];
  return runners.filter((r) => patterns.some((p) => matches(p, r.name, r.label)));
}
