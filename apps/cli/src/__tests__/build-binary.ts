/**
 * Bundles `src/bin.ts` with vite into one ESM file that node runs, reading every workspace
 * package from its TypeScript sources (the `@ftpkit/source` condition): the tests run the
 * real `ftpkit` process on the code as it is now, with no `pnpm build` first.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** Builds `<outDir>/bin.mjs` and returns its path. */
export async function buildBinary(outDir: string): Promise<string> {
  const { build } = await import("vite");
  const conditions = ["@ftpkit/source", "node", "import", "default"];
  await build({
    configFile: false,
    logLevel: "silent",
    root: join(here, "..", ".."),
    resolve: { conditions },
    ssr: { noExternal: true, resolve: { conditions, externalConditions: conditions } },
    build: {
      ssr: join(here, "..", "bin.ts"),
      outDir,
      emptyOutDir: true,
      minify: false,
      target: "node20",
      rollupOptions: { output: { entryFileNames: "bin.mjs", format: "es" } },
    },
  });
  return join(outDir, "bin.mjs");
}
