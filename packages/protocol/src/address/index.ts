export { ADDRESS_ERROR_CODES, type AddressErrorCode } from "./address-errors.js";
export { type ActiveDataTargetOptions, checkActiveDataTarget } from "./bounce.js";
export { decodeEprtArgument, type EprtTarget, encodeEprtArgument, safeDecodeEprtArgument } from "./eprt.js";
export {
  type EpsvArgument,
  formatEpsvReplyText,
  parseEpsvArgument,
  parseEpsvReply,
  safeParseEpsvArgument,
  safeParseEpsvReply,
} from "./epsv.js";
export { decodeHostPort, encodeHostPort, type HostPort, safeDecodeHostPort } from "./host-port.js";
export {
  ipFamily,
  isIPv4,
  isIPv6,
  isLoopback,
  isPrivateOrReservedIPv4,
  isUnspecified,
  normalizeIp,
  safeNormalizeIp,
  sameHost,
} from "./ip.js";
export { formatPasvReplyText, parsePasvReply, safeParsePasvReply } from "./pasv.js";
