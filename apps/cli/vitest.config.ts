import { ftpkitProject } from "../../tools/vitest-project.js";

// The process tests run the bundled `ftpkit` binary, built once per run by the global setup.
export default ftpkitProject("ftpkit", {
  globalSetup: ["./src/__tests__/global-setup.ts"],
  hookTimeout: 120_000,
});
