import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("@ftpkit/interop", { testTimeout: 60_000, hookTimeout: 120_000 });
