import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("@ftpkit/test-haproxy", { setupFiles: ["../../tools/fast-check-seed.ts"] });
