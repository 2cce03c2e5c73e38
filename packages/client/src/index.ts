/**
 * @ftpkit/client: an FTP client for Node.js on the sans-IO @ftpkit/protocol core. A queue
 * on each connection, a pool for parallel work, streams with back-pressure, resume and
 * automatic reconnect, passive (EPSV/PASV) and active (EPRT/PORT) modes, FTPS (explicit and
 * implicit, data connections resuming the control connection's TLS session), every listing
 * format the protocol package reads.
 */

export type { FileInfo, FileType, Reply } from "@ftpkit/protocol";
export { LocalProtocolError, RemoteProtocolError } from "@ftpkit/protocol";
export {
  type CallOptions,
  Client,
  type MkdirOptions,
  type ReadStreamOptions,
  type RmdirOptions,
  type WriteStreamOptions,
} from "./client.js";
export type { DirectoryTransferOptions, DirectoryTransferResult } from "./dirs/dir-transfer.js";
export type { MirrorAction, MirrorOptions, MirrorResult } from "./dirs/mirror.js";
export {
  type FtpConnectionCode,
  FtpConnectionError,
  FtpError,
  type FtpFxpCode,
  FtpFxpError,
  type FtpTimeoutCode,
  FtpTimeoutError,
  type FtpTlsCode,
  FtpTlsError,
  type FxpAttempt,
  type FxpSide,
} from "./errors/index.js";
export type { ConnectOptions, SecureOptions } from "./options.js";
export { Pool, type PoolOptions } from "./pool.js";
export type { DownloadOptions, TransferResult } from "./transfer/download.js";
export type { FxpOptions, FxpResult } from "./transfer/fxp.js";
export type { ProgressListener, TransferProgress } from "./transfer/progress.js";
export type { UploadSource } from "./transfer/sources.js";
export type { UploadOptions } from "./transfer/upload.js";
export type { FtpCommandMessage, FtpReplyMessage, FtpTlsMessage } from "./transport/diagnostics.js";
