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

/** The newest modification time of the files under `dir` that `keep` accepts (0: none). */
function newest(dir: string, keep: (name: string) => boolean): number {
  if (!existsSync(dir)) return 0;
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "__tests__") time = Math.max(time, newest(path, keep));
    } else if (keep(entry.name)) {
      time = Math.max(time, statSync(path).mtimeMs);
    }
  }
  return time;
}

/**
 * A package whose newest source is newer than its newest build output. (Build outputs, not
 * tsconfig.tsbuildinfo: turbo restores `dist` from its cache without the build info.)
 */
function stale(pkg: string): boolean {
  const built = newest(join(REPO, pkg, "dist"), (name) => name.endsWith(".js"));
  const source = newest(join(REPO, pkg, "src"), (name) => name.endsWith(".ts") && !name.endsWith(".test.ts"));
  return built === 0 || source > built;
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
