import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("@ftpkit/web-demo", { testTimeout: 60_000 });
