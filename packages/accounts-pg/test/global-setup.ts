/**
 * One throw-away PostgreSQL cluster for the whole test run, and the `ftpkit-accounts` bin
 * built once:
 *
 * - `FTPKIT_TEST_DATABASE_URL` set (a role that may CREATE DATABASE): that server is used and
 *   nothing is started.
 * - Otherwise test/postgres/up.sh starts Debian's PostgreSQL on 127.0.0.1, a free port, in a
 *   temporary directory (installing it first through install.sh when missing, as root), and
 *   down.sh stops it and removes the directory afterwards.
 * - Otherwise the tests that need PostgreSQL fail with the reason (never skipped).
 *
 * Each test file makes its own database on it (see pg-environment.ts). The bin is bundled
 * from the TypeScript sources with vite (no `pnpm build` first), `pg` left external.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type { PostgresTestEnvironment } from "./pg-environment.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPTS = join(HERE, "postgres");
const PACKAGE = join(HERE, "..");

declare module "vitest" {
  export interface ProvidedContext {
    postgres: PostgresTestEnvironment;
    /** Path of the bundled `ftpkit-accounts` (run it with `node`). */
    accountsBin: string;
  }
}

function run(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", [join(SCRIPTS, script)], { env, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} failed:\n${stderr.slice(-4000)}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

function serverInstalled(): boolean {
  try {
    return readdirSync("/usr/lib/postgresql").some((v) => existsSync(join("/usr/lib/postgresql", v, "bin", "initdb")));
  } catch {
    return false;
  }
}

async function buildBin(outDir: string): Promise<string> {
  const { build } = await import("vite");
  const conditions = ["@ftpkit/source", "node", "import", "default"];
  await build({
    configFile: false,
    logLevel: "silent",
    root: PACKAGE,
    resolve: { conditions },
    ssr: { noExternal: true, resolve: { conditions, externalConditions: conditions } },
    build: {
      ssr: join(PACKAGE, "src", "bin.ts"),
      outDir,
      emptyOutDir: true,
      minify: false,
      target: "node20",
      rollupOptions: { external: ["pg"], output: { entryFileNames: "bin.mjs", format: "es" } },
    },
  });
  return join(outDir, "bin.mjs");
}

async function startPostgres(): Promise<{ env: PostgresTestEnvironment; stop?: () => Promise<void> }> {
  const fromEnv = process.env["FTPKIT_TEST_DATABASE_URL"];
  if (fromEnv) return { env: { url: fromEnv } };
  if (!serverInstalled()) {
    if (process.getuid?.() !== 0) {
      return {
        env: {
          unavailable:
            "no PostgreSQL: set FTPKIT_TEST_DATABASE_URL, or install Debian's postgresql (test/postgres/install.sh, as root)",
        },
      };
    }
    const started = Date.now();
    await run("install.sh", process.env);
    process.stderr.write(`[accounts-pg] installed PostgreSQL in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const started = Date.now();
  const stdout = await run("up.sh", { ...process.env, PG_DIR: "" });
  const vars = Object.fromEntries([...stdout.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const url = vars["DATABASE_URL"];
  const dir = vars["PG_DIR"];
  if (!url || !dir) throw new Error(`up.sh printed no DATABASE_URL:\n${stdout}`);
  process.stderr.write(`[accounts-pg] PostgreSQL up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${url}\n`);
  return {
    env: { url },
    stop: async () => {
      await run("down.sh", { ...process.env, PG_DIR: dir }).catch((error: unknown) => {
        process.stderr.write(`[accounts-pg] stopping PostgreSQL failed: ${String(error)}\n`);
      });
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Inside the package's node_modules, so that the bundle's `import "pg"` resolves.
  await mkdir(join(PACKAGE, "node_modules", ".cache"), { recursive: true });
  const binDir = await mkdtemp(join(PACKAGE, "node_modules", ".cache", "ftpkit-accounts-bin-"));
  const [postgres, bin] = await Promise.all([startPostgres(), buildBin(binDir)]);
  project.provide("postgres", postgres.env);
  project.provide("accountsBin", bin);
  return async () => {
    await postgres.stop?.();
    await rm(binDir, { recursive: true, force: true });
  };
}
