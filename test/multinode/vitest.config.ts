import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("@ftpkit/test-multinode", {
  // Builds apps/cli/dist (the nodes run it) when a source is newer than the last build.
  globalSetup: ["./src/global-setup.ts"],
  // Starting PostgreSQL, Ceph RGW (installing Debian's packages on a bare machine), three nodes
  // and HAProxy, and stopping them.
  hookTimeout: 600_000,
  testTimeout: 120_000,
});
