/**
 * The nodes are processes of the built CLI (apps/cli/dist/bin.js, as the README's set-up runs
 * them). The root test command builds everything first; for a run of this package alone, the
 * CLI and the packages it uses are rebuilt here (`tsc -b apps/cli`) when a source file is newer
 * than its package's last build.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const PACKAGES = [
  "apps/cli",
  "packages/protocol",
  "packages/server",
  "packages/client",
  "packages/storage-s3",
  "packages/accounts-pg",
];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "__tests__") newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

function stale(pkg: string): boolean {
  const info = join(REPO, pkg, "tsconfig.tsbuildinfo");
  if (!existsSync(info)) return true;
  return newestSource(join(REPO, pkg, "src")) > statSync(info).mtimeMs;
}

export default async function setup(): Promise<void> {
  const built = existsSync(join(REPO, "apps/cli/dist/bin.js"));
  if (built && !PACKAGES.some(stale)) return;
  const started = Date.now();
  const build = new Promise<void>((resolve, reject) => {
    execFile(
      "pnpm",
      ["exec", "tsc", "-b", "apps/cli"],
      { cwd: REPO, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`building apps/cli failed:\n${`${stdout}${stderr}`.slice(-4000)}`, { cause: error }));
        else resolve();
      },
    );
  });
  try {
    await build;
  } catch (error) {
    // Sources being edited may not compile yet: the last build still runs, and says so.
    if (!built) throw error;
    process.stderr.write(
      `[multinode] WARNING: rebuilding apps/cli failed, the nodes run the previous build:\n${String((error as Error).message).slice(0, 2000)}\n`,
    );
    return;
  }
  process.stderr.write(`[multinode] built apps/cli in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
