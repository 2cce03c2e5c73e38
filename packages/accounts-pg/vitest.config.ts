import { ftpkitProject } from "../../tools/vitest-project.js";

const project = ftpkitProject("@ftpkit/accounts-pg", {
  // One real PostgreSQL cluster (Debian's, on loopback) for the whole run; see test/global-setup.ts.
  globalSetup: ["./test/global-setup.ts"],
});

// vitest hands the SSR conditions to node as --conditions, and with "import" among them
// node's require() picks the ESM build of a dual package: pg's `require("pg-pool")` then gets
// a module namespace instead of the class ("Class extends value [object Module]"). Node adds
// "import" to ESM imports by itself, so it is not needed here.
const config: typeof project = { ...project, ssr: { resolve: { conditions: ["@ftpkit/source", "node", "default"] } } };
export default config;
