export {
  type ClientEvent,
  type ClientSendOptions,
  ClientSession,
  type ClientSessionOptions,
  type ClientState,
  type DataOffer,
} from "./client/client-session.js";
export {
  CONTROL_TRANSITIONS,
  type ControlSide,
  DATA_TRANSITIONS,
  type DataSide,
  JOINT_STATES,
  type JointState,
  TransferState,
} from "./client/transfer-state.js";
export {
  formatListingEntry,
  formatMlsxListingEntry,
  type ListingTransferEntry,
  listingLineFormatter,
  mlsxPermissions,
} from "./server/listing-lines.js";
export { LOGIN_TRANSITIONS, type LoginState } from "./server/login-state.js";
export { FLOOD_BACKLOG, type PassiveResult, ServerSession } from "./server/server-session.js";
export { MLST_FACTS } from "./server/state.js";
export type {
  AuthResult,
  CloseReason,
  DataEndpoint,
  EntryInfo,
  HashAlgorithm,
  ServerEvent,
  ServerSessionOptions,
  StorageRequest,
  StorageResult,
  StorageValue,
  TransferFailure,
  TransferKind,
  TransferRequest,
  TransferResult,
} from "./server/types.js";
export {
  STORAGE_ERROR_REPLIES,
  type StorageErrorKind,
  type StorageErrorReply,
  storageErrorReply,
} from "./storage-errors.js";
