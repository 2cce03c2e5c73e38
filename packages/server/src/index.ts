/**
 * @ftpkit/server: an embeddable FTP server for Node.js on the sans-IO core of
 * @ftpkit/protocol. Storage (`FileSystem`) and authentication (`Authenticator`) are
 * interfaces; `LocalFileSystem` and `MemoryFileSystem` and a users-file authenticator ship.
 */

// accounts and authentication
export type {
  Account,
  AccountBandwidth,
  AccountPermissions,
  AccountQuota,
  AuthenticateRequest,
  Authenticator,
  QuotaUsage,
  QuotaUsageStore,
} from "./account.js";
export { hashPassword, isPasswordHash, type ScryptParameters, verifyPassword } from "./auth/password.js";
export {
  createUsersAuthenticator,
  loadUsersFile,
  type UserEntry,
  type UsersAuthenticatorOptions,
  type UsersTable,
  usersTableSchema,
} from "./auth/users.js";
// defender (brute-force protection)
export {
  type BanRecord,
  DEFAULT_ALLOW_LIST,
  Defender,
  type DefenderEvents,
  type DefenderOptions,
  type DefenderStore,
  defenderOptionsSchema,
  MemoryDefenderStore,
  type OffenceKind,
} from "./defender/index.js";
// observability
export {
  CHANNELS,
  type CommandMessage,
  type ReplyMessage,
  type SessionMessage,
} from "./diagnostics.js";
// errors
export { FtpServerError, type FtpServerErrorCode } from "./errors/index.js";
// events
export type {
  BanEvent,
  ConnectEvent,
  DisconnectEvent,
  DownloadEvent,
  FtpServerEvents,
  LoginEvent,
  LoginFailedEvent,
  PathEvent,
  RefusalReason,
  RefusedEvent,
  RenameEvent,
  ServerWarning,
  UnbanEvent,
  UploadEvent,
} from "./events.js";
// file systems
export {
  crc32,
  createFileHash,
  type FileHash,
  type FileSystem,
  FileSystemError,
  LocalFileSystem,
  type LocalFileSystemOptions,
  MemoryFileSystem,
  type MemoryFileSystemOptions,
  type MemoryFileSystemSeed,
  STORAGE_ERROR_KIND_BY_CODE,
  storageErrorKindOf,
  type UniqueWriteOptions,
  type UploadMode,
  type WriteOptions,
  type WriteTarget,
} from "./fs/index.js";
// the server
export type {
  FtpServerDefenderOptions,
  FtpServerLimits,
  FtpServerOptions,
  FtpServerTlsOptions,
  PassiveOptions,
  ProxyProtocolOptions,
  TlsRequirement,
} from "./options.js";
export { type CloseOptions, FtpServer } from "./server.js";
// FTPS
export type { CertificateInfo } from "./tls/server-tls.js";
