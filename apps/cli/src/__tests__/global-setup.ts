/**
 * Builds the `ftpkit` binary once for the whole test run (see build-binary.ts); the process
 * tests get its path with `inject("ftpkitBin")`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildBinary } from "./build-binary.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Path of the bundled `ftpkit` (run it with `node`). */
    ftpkitBin: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outDir = await mkdtemp(join(tmpdir(), "ftpkit-bin-"));
  project.provide("ftpkitBin", await buildBinary(outDir));
  return () => rm(outDir, { recursive: true, force: true });
}
