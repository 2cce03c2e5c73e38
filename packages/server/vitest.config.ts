import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("@ftpkit/server", { setupFiles: ["../../tools/fast-check-seed.ts"] });
