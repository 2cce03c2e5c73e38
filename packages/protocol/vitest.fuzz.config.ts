import { defineConfig } from "vitest/config";

/** `pnpm fuzz`: the long fuzz run (FUZZ_RUNS cases per target, default 1,000,000), never part of the test command. */
export default defineConfig({
  resolve: { conditions: ["@ftpkit/source", "module", "node", "import", "default"] },
  ssr: { resolve: { conditions: ["@ftpkit/source", "node", "import", "default"] } },
  test: {
    name: "fuzz",
    root: import.meta.dirname,
    include: ["fuzz/**/*.fuzz.ts"],
    testTimeout: 0,
    reporters: ["verbose"],
  },
});
