export { PATH_ERROR_CODES, type PathErrorCode } from "./path-error-codes.js";
export {
  DEFAULT_MAX_PATH_LENGTH,
  DEFAULT_MAX_SEGMENT_LENGTH,
  isWithin,
  joinVirtualPath,
  normalizeVirtualPath,
  resolveVirtualPath,
  safeNormalizeVirtualPath,
  safeResolveVirtualPath,
  splitVirtualPath,
  type VirtualPathOptions,
  virtualBasename,
  virtualDirname,
} from "./virtual-path.js";
export { isWindowsSafeSegment } from "./windows-segment.js";
