import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("@ftpkit/resilience", { setupFiles: ["../../tools/fast-check-seed.ts"] });
