import { defineProject, type UserWorkspaceConfig } from "vitest/config";

/**
 * Shared vitest project settings: tests import each workspace package's TypeScript
 * sources through the `@ftpkit/source` export condition, so no build is needed first.
 */
export function ftpkitProject(name: string, extra: UserWorkspaceConfig["test"] = {}) {
  return defineProject({
    resolve: { conditions: ["@ftpkit/source", "module", "node", "import", "default"] },
    // No "import" here: vitest hands these to node as --conditions, and with "import" node's
    // require() picks the ESM build of dual packages (pg's require("pg-pool") then breaks).
    // Node adds "import" to ESM imports by itself.
    ssr: { resolve: { conditions: ["@ftpkit/source", "node", "default"] } },
    // Property tests run 10,000 cases; on a busy 2-core machine that can take well over
    // vitest's 5 s default.
    test: { name, testTimeout: 60_000, ...extra },
  });
}
