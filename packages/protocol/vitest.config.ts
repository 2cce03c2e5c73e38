import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("@ftpkit/protocol", { setupFiles: ["../../tools/fast-check-seed.ts"] });
