export {
  describeFileSystemConformance,
  type FileSystemConformanceCapabilities,
  type FileSystemConformanceFeatures,
  type FileSystemConformanceSubject,
} from "./file-system-conformance.js";
export { kindOf, listAll, listNames, readAll, readFile, writeChunk, writeFile } from "./file-system-helpers.js";
