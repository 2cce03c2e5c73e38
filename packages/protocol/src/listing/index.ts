/**
 * Directory listings: parsers for LIST (Unix `ls -l`, DOS/IIS, EPLF, NetWare) and MLSD/MLST
 * (RFC 3659 §7), a format detector, and the server-side formatters.
 */

export { parseDosLine } from "./dos-parser.js";
export { parseEplfLine } from "./eplf-parser.js";
export type { FileInfo, FileType } from "./file-info.js";
export type { LineParseOptions } from "./line-options.js";
export { formatMlsxLine, type MlsxFact, type ParseMlsxLineOptions, parseMlsxLine } from "./mlsx.js";
export {
  formatMlsxEntry,
  formatMlsxPerm,
  MLSX_DEFAULT_FACTS,
  MLSX_SUPPORTED_FACTS,
  type MlsxEntry,
  type MlsxPermissionSet,
  type MlsxSupportedFact,
} from "./mlsx-entry.js";
export { type FormatMlsxTimeOptions, formatMlsxTime, parseMlsxTime, safeParseMlsxTime } from "./mlsx-time.js";
export { parseNetwareLine } from "./netware-parser.js";
export {
  DETECTION_LINES,
  detectListingFormat,
  LISTING_FORMATS,
  type ListingFormat,
  type ParseListingOptions,
  parseListing,
  parseMlsdListing,
} from "./parse-listing.js";
export { formatUnixListingLine, type UnixListingEntry } from "./unix-format.js";
export { parseUnixLine } from "./unix-parser.js";
