import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("@ftpkit/accounts-pg", {
  // One real PostgreSQL cluster (Debian's, on loopback) for the whole run; see test/global-setup.ts.
  globalSetup: ["./test/global-setup.ts"],
});
