import { ftpkitProject } from "../../tools/vitest-project.js";

// --expose-gc: the gateway's streaming tests measure live memory (after a collection) while
// a file larger than their bound moves through.
export default ftpkitProject("@ftpkit/web-demo", { testTimeout: 120_000, execArgv: ["--expose-gc"] });
