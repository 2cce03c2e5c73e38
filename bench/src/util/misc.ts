import { execFile } from "node:child_process";
import { createRequire } from "node:module";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** stdout of a command, trimmed, or undefined if it fails (for version strings). */
export function commandOutput(cmd: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 10_000, encoding: "utf8" }, (err, stdout) =>
      resolve(err ? undefined : stdout.trim() || undefined),
    );
  });
}

const require = createRequire(import.meta.url);

/** `version` of an installed npm package (resolved from the bench package), or undefined. */
export function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
