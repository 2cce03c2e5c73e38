import { defineConfig } from "vitest/config";

/**
 * The long runs of @ftpkit/server, never part of the test command:
 * `pnpm fuzz:socket` (scripts/socket-fuzz.long.ts; SOCKET_FUZZ_SECONDS, default 180) and
 * `pnpm load` (scripts/load.long.ts; LOAD_SESSIONS, default 1000).
 */
export default defineConfig({
  resolve: { conditions: ["@ftpkit/source", "module", "node", "import", "default"] },
  ssr: { resolve: { conditions: ["@ftpkit/source", "node", "import", "default"] } },
  test: {
    name: "server-long",
    root: import.meta.dirname,
    include: ["scripts/**/*.long.ts"],
    testTimeout: 0,
    hookTimeout: 0,
    reporters: ["verbose"],
  },
});
