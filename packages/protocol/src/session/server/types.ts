import type { HostPort } from "../../address/index.js";
import type { Command, Permission } from "../../command/index.js";
import type { StorageErrorKind } from "../storage-errors.js";

/** A directory entry or file status, as a storage back-end reports it. */
export interface EntryInfo {
  readonly name: string;
  readonly type: "file" | "directory" | "symlink" | "other";
  readonly size: number;
  readonly modifiedAt: Date;
  /** Unix permission bits (e.g. 0o644), when the storage has them. */
  readonly mode?: number;
  readonly owner?: string;
  readonly group?: string;
  readonly hardLinks?: number;
  /** Symlink target, shown in listings as `name -> target`. */
  readonly target?: string;
  /** A stable identifier for the MLSx `unique` fact (RFC 3659 §7.5.2). */
  readonly unique?: string;
}

/** Hash algorithms of draft-bryan-ftpext-hash, by their FEAT names. */
export type HashAlgorithm = "SHA-256" | "SHA-1" | "MD5" | "CRC32";

/** What the server's account lookup answered. */
export type AuthResult =
  | {
      readonly ok: true;
      /** Allowed actions; "all" grants every {@link Permission}. */
      readonly permissions: "all" | readonly Permission[];
      /** Starting directory (virtual, default `/`). */
      readonly home?: string;
      /** Allow PORT/EPRT to a foreign address and PASV/EPSV data connections from one (FXP). */
      readonly fxp?: boolean;
      /**
       * This account's data-protection policy, overriding the server's `tls.requireForData`
       * once logged in: true refuses transfers without PROT P (521, RFC 4217 §10.2), false
       * allows PROT C even when the server requires protection; undefined keeps the server's.
       */
      readonly requireSecureData?: boolean;
      /**
       * This account may log in only over a TLS control connection: on a clear one its
       * correct PASS is answered 530 and the session stays logged out (the I/O layer sees no
       * `login` event and releases what it prepared for the account).
       */
      readonly requireSecureControl?: boolean;
    }
  | { readonly ok: false; readonly message?: string; readonly close?: boolean };

/** A storage operation the I/O layer must carry out. Paths are virtual, absolute and normalized. */
export type StorageRequest =
  | { readonly op: "stat"; readonly path: string }
  | { readonly op: "list"; readonly path: string }
  | { readonly op: "mkdir"; readonly path: string }
  | { readonly op: "rmdir"; readonly path: string }
  | { readonly op: "delete"; readonly path: string }
  | { readonly op: "rename"; readonly from: string; readonly to: string }
  | { readonly op: "set-mtime"; readonly path: string; readonly mtime: Date }
  | { readonly op: "chmod"; readonly path: string; readonly mode: number }
  | { readonly op: "hash"; readonly path: string; readonly algorithm: HashAlgorithm };

/** The value a successful storage operation yields, by operation. */
export type StorageValue = {
  stat: EntryInfo;
  list: readonly EntryInfo[];
  mkdir: undefined;
  rmdir: undefined;
  delete: undefined;
  rename: undefined;
  "set-mtime": undefined;
  chmod: undefined;
  hash: { readonly digest: string; readonly size: number };
};

export type StorageResult<T = unknown> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: StorageErrorKind };

/** Where the data connection for the next transfer comes from (RFC 959 §3.2). */
export type DataEndpoint = { readonly mode: "passive" } | { readonly mode: "active"; readonly target: HostPort };

export type TransferKind = "retr" | "stor" | "appe" | "stou" | "list" | "nlst" | "mlsd";

/** A transfer the I/O layer must run over a data connection. */
export interface TransferRequest {
  readonly kind: TransferKind;
  /** Virtual path: the file, or the directory to list. For STOU, the directory or the requested name. */
  readonly path: string;
  /** REST offset (RFC 3659 §5) for retr/stor; 0 otherwise. */
  readonly offset: number;
  /** TYPE A converts line ends (RFC 959 §3.1.1.1); TYPE I sends bytes as they are. */
  readonly representation: "ascii" | "binary";
  readonly data: DataEndpoint;
  /** PROT P: the data connection is TLS (RFC 4217 §9). */
  readonly protect: boolean;
  /** LIST/NLST options (e.g. "a", "la") and MLSD facts (RFC 3659 §7.9). */
  readonly listOptions: string;
  readonly facts: readonly string[];
  /** Permissions of the account, for the MLSx `perm` fact. */
  readonly permissions: ReadonlySet<Permission>;
}

/** How a transfer ended. */
export type TransferResult =
  | { readonly ok: true; readonly bytes: number }
  | { readonly ok: false; readonly error: StorageErrorKind | TransferFailure; readonly bytes?: number };

/**
 * Failures of the data connection itself (RFC 959 §4.2.2: 425, 426), and of its TLS layer
 * under PROT P (RFC 4217 §10.2: 522 after the 150, as vsftpd answers): `tls-failed` when the TLS
 * negotiation on the data connection failed, `tls-not-resumed` when it succeeded without
 * resuming the control connection's TLS session and the server requires that. `too-slow`:
 * the data connection moved fewer bytes than the server's minimum rate (a slow-drip client).
 */
export type TransferFailure =
  | "data-connection"
  | "aborted"
  | "connection-lost"
  | "timeout"
  | "too-slow"
  | "tls-failed"
  | "tls-not-resumed";

/** Actions the server session asks the I/O layer to take, in order. */
export type ServerEvent =
  | { readonly type: "reply"; readonly code: number; readonly lines: readonly string[]; readonly bytes: Uint8Array }
  | { readonly type: "command"; readonly command: Command }
  | { readonly type: "authenticate"; readonly id: number; readonly user: string; readonly password: string }
  | { readonly type: "login"; readonly user: string }
  | { readonly type: "login-failed"; readonly user: string; readonly attempts: number }
  | { readonly type: "storage"; readonly id: number; readonly request: StorageRequest }
  | { readonly type: "open-passive"; readonly id: number; readonly family: 4 | 6 }
  | { readonly type: "close-data" }
  | { readonly type: "transfer"; readonly id: number; readonly request: TransferRequest }
  | { readonly type: "abort-transfer"; readonly id: number }
  /**
   * Start TLS on the control connection (AUTH, RFC 4217 §4): once the 234 before it is
   * flushed, stop feeding the clear socket's bytes, run the handshake and report it with
   * `handleSecureResult`; later bytes come from the TLS layer.
   */
  | { readonly type: "secure-control"; readonly id: number }
  /**
   * End TLS on the control connection (CCC, RFC 4217 §5): once the 200 before it is
   * flushed, send close_notify, keep the TCP connection, and read clear text from it again
   * (skipping the client's own close_notify if it sends one); report with
   * `handleClearResult`. Data connections keep their PROT level and TLS.
   */
  | { readonly type: "clear-control"; readonly id: number }
  | { readonly type: "protocol-error"; readonly code: string; readonly line: string }
  | { readonly type: "close"; readonly reason: CloseReason };

export type CloseReason =
  | "quit"
  | "idle-timeout"
  | "login-timeout"
  /** A command line was started and not finished within `lineTimeout` (a slow sender, "slowloris"). */
  | "line-timeout"
  /** The client kept pipelining commands over `commandRate` for `floodTimeout`. */
  | "command-flood"
  | "too-many-failures"
  | "eof"
  | "refused"
  /** The I/O layer ended the session with `handleDisconnect` (e.g. its address was banned). */
  | "disconnected"
  | "shutdown";

export interface ServerSessionOptions {
  /** The control connection's remote address (for the bounce check, RFC 2577 §3). */
  readonly peerAddress: string;
  /** Address family of the control connection (PASV is IPv4-only, RFC 2428 §1). */
  readonly family?: 4 | 6;
  /** The clock at construction, in milliseconds (time is an input; the core reads no clock). */
  readonly now: number;
  /** 220 greeting text. */
  readonly greeting?: string | readonly string[];
  /**
   * Refuse the connection: the greeting is replaced by `421 <refuse>` and the session closes
   * at once (RFC 959 §5.4, connection establishment: "120, 220, 421"). For a server over its
   * connection limits.
   */
  readonly refuse?: string;
  /**
   * The control connection is already TLS (implicit FTPS). As MS-FTPS §3.2.5.1 specifies
   * for implicit FTPS, `PBSZ 0` and `PROT P` are then in effect from the start.
   */
  readonly secure?: boolean;
  readonly tls?: {
    /** AUTH TLS offered. */
    readonly available: boolean;
    /** USER/PASS refused with 530 on a clear control connection. */
    readonly requireForControl?: boolean;
    /** Transfers refused with 521 unless PROT P (RFC 4217 §10.2). */
    readonly requireForData?: boolean;
    /**
     * CCC (RFC 4217 §5, RFC 2228 §3) honoured: after login, on a control connection made
     * secure by AUTH, when neither the server nor the account requires TLS on it. Default
     * false: CCC gets 534 (RFC 4217 §5 lets a server refuse it). CCC exists for firewalls
     * that must read PORT/PASV; it gives up the integrity of every later command.
     */
    readonly allowCcc?: boolean;
  };
  /** Milliseconds of inactivity after login before 421 and close (default 300000, vsftpd's idle_session_timeout). */
  readonly idleTimeout?: number;
  /** Milliseconds allowed from connect to login (default 60000). */
  readonly loginTimeout?: number;
  /** Failed PASS attempts per connection before 421 and close (default 3, vsftpd's max_login_fails). */
  readonly maxLoginAttempts?: number;
  /** Delay in ms before answering a failed login (default 1000, vsftpd's delay_failed_login). */
  readonly failedLoginDelay?: number;
  /** Longest command line in bytes (default 8192). */
  readonly maxLineLength?: number;
  /** Commands buffered while one runs, before the session stops asking for input (default 64). */
  readonly maxQueuedCommands?: number;
  /**
   * Milliseconds a command line may take from its first byte to its end (default 30000).
   * A client that trickles a line ("slowloris") gets 421 and the session closes
   * (`line-timeout`). Partial lines never count as activity for `idleTimeout`, and the login
   * timeout runs from the connection, so neither is reset by them. 0 disables.
   */
  readonly lineTimeout?: number;
  /**
   * Commands per second a session may run on average (a token bucket; default 0: no limit).
   * Over the rate the session stops taking lines (`wantsInput` false once `maxQueuedCommands`
   * wait), which is back-pressure on the client: a client that waits for each reply is only
   * slowed down, never refused.
   */
  readonly commandRate?: number;
  /** Commands allowed at once above the rate after a quiet period (default `2 * commandRate`, at least 1). */
  readonly commandBurst?: number;
  /**
   * Milliseconds a client may keep pipelining commands (at least `FLOOD_BACKLOG` complete lines
   * waiting) while over `commandRate`, before 421 and close (`command-flood`; default 10000).
   * 0 never closes (back-pressure only).
   */
  readonly floodTimeout?: number;
  /** Hash algorithms for HASH (default all four). */
  readonly hashAlgorithms?: readonly HashAlgorithm[];
  /** RFC 7151 host names accepted by HOST; undefined accepts any. */
  readonly virtualHosts?: readonly string[];
  /** The storage supports SITE CHMOD. */
  readonly chmod?: boolean;
  /** SYST answer (default "UNIX Type: L8", which every client understands). */
  readonly systemType?: string;
}
