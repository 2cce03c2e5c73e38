import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("@ftpkit/storage-s3", {
  // One real S3 store (Ceph RADOS Gateway on loopback) for the whole run; see test/global-setup.ts.
  globalSetup: ["./test/global-setup.ts"],
  // Clean-up deletes up to 10,000 objects per test (the big-directory tests).
  hookTimeout: 60_000,
});
