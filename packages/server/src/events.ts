import type { CloseReason } from "@ftpkit/protocol";
import type { FtpServerError } from "./errors/index.js";
import type { CertificateInfo } from "./tls/server-tls.js";

/** A control connection was accepted (not emitted for connections refused by the limits). */
export interface ConnectEvent {
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface LoginEvent {
  readonly connectionId: number;
  readonly user: string;
  readonly remoteAddress: string;
}

export interface LoginFailedEvent {
  readonly connectionId: number;
  readonly user: string;
  readonly remoteAddress: string;
  /** Failed attempts on this connection so far. */
  readonly attempts: number;
}

/** Emitted once the upload is committed: visible under its final name. */
export interface UploadEvent {
  readonly connectionId: number;
  readonly user: string;
  /** Virtual path of the file (for STOU, the name the server chose). */
  readonly path: string;
  readonly kind: "stor" | "appe" | "stou";
  /** Bytes stored by this transfer (after TYPE A conversion). */
  readonly bytes: number;
  /** Size of the file after the upload. */
  readonly size: number;
  /** REST offset the upload started at. */
  readonly offset: number;
  readonly durationMs: number;
}

/** Emitted once every byte was handed to the data connection and it was closed. */
export interface DownloadEvent {
  readonly connectionId: number;
  readonly user: string;
  readonly path: string;
  /** Bytes sent on the data connection (in TYPE A, after line-end conversion). */
  readonly bytes: number;
  readonly offset: number;
  readonly durationMs: number;
}

export interface PathEvent {
  readonly connectionId: number;
  readonly user: string;
  readonly path: string;
}

export interface RenameEvent {
  readonly connectionId: number;
  readonly user: string;
  readonly from: string;
  readonly to: string;
}

export interface DisconnectEvent {
  readonly connectionId: number;
  readonly remoteAddress: string;
  /** The logged-in user, if any. */
  readonly user: string | undefined;
  /**
   * Why the session ended: `quit`; `eof` when the client closed the control connection without
   * QUIT; `socket-closed` when it broke (reset); `idle-timeout`, `login-timeout`,
   * `too-many-failures`, `refused`, `shutdown`; `line-timeout` (a command line not finished
   * within `lineTimeout`), `command-flood` (pipelining over `commandRate` for
   * `floodTimeout`), `disconnected` (the address was banned); `aborted` when the server
   * destroyed it.
   */
  readonly reason: CloseReason | "socket-closed" | "aborted";
}

/** Why a connection was refused at accept (421 and close). */
export type RefusalReason = "banned" | "max-connections" | "max-connections-per-ip" | "shutdown";

/** A connection was refused at accept, answered 421 and closed. */
export interface RefusedEvent {
  readonly remoteAddress: string;
  readonly reason: RefusalReason;
}

/** The defender banned an address (its connections are refused, its sessions ended). */
export interface BanEvent {
  readonly address: string;
  readonly until: Date;
  /** The score that passed the threshold. */
  readonly score: number;
  /** How many times this address has been banned, this ban included (the ban time grows with it). */
  readonly count: number;
}

/** A ban ended: it ran out (`expired`), or `defender.unban()` lifted it (`manual`). */
export interface UnbanEvent {
  readonly address: string;
  readonly reason: "expired" | "manual";
}

/** Something the operator should know (today: a self-signed certificate is in use). */
export interface ServerWarning {
  readonly code: "FTP_WARN_SELF_SIGNED";
  readonly message: string;
  readonly fingerprint256?: string;
}

/**
 * The events an {@link FtpServer} emits, each once and only after the action completed.
 * `error` is emitted only when a listener is attached (an FTP client's misbehaviour is never
 * an error; a throwing authenticator or a failing `fs.close()` is).
 */
export type FtpServerEvents = {
  listening: [address: { address: string; family: string; port: number }];
  connect: [event: ConnectEvent];
  login: [event: LoginEvent];
  "login-failed": [event: LoginFailedEvent];
  upload: [event: UploadEvent];
  download: [event: DownloadEvent];
  delete: [event: PathEvent];
  rename: [event: RenameEvent];
  mkdir: [event: PathEvent];
  rmdir: [event: PathEvent];
  disconnect: [event: DisconnectEvent];
  /** A connection refused at accept (banned address, over a limit, shutting down). */
  refused: [event: RefusedEvent];
  /** The defender banned an address. */
  ban: [event: BanEvent];
  /** A ban ended. */
  unban: [event: UnbanEvent];
  error: [error: FtpServerError];
  /**
   * A warning; without a listener it goes to `process.emitWarning` (printed on stderr).
   * `FTP_WARN_SELF_SIGNED`: `tls.selfSigned` is on.
   */
  warning: [warning: ServerWarning];
  /** A new certificate was loaded (`reloadCertificate()`, or `tls.watch` saw the files change). */
  certificate: [certificate: CertificateInfo];
  close: [];
};
