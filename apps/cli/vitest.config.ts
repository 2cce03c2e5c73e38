import { ftpkitProject } from "../../tools/vitest-project.js";

export default ftpkitProject("ftpkit");
