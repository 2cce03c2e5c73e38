import type { Permission } from "@ftpkit/protocol";
import type { FileSystem } from "./fs/file-system.js";

/** What an {@link Authenticator} is asked. */
export interface AuthenticateRequest {
  readonly user: string;
  /** The password as sent. Never log it. */
  readonly password: string;
  /** The control connection's peer address, normalized (`::ffff:1.2.3.4` is `1.2.3.4`). */
  readonly remoteAddress: string;
  readonly connectionId: number;
}

/** Permissions of an account: every action, read-only (`list` + `read`), or a list. */
export type AccountPermissions = "all" | "read-only" | readonly Permission[];

/** A logged-in account: what it sees and what it may do. */
export interface Account {
  /** The account's file system; its root is the account's `/`. `close()` is called when the session ends. */
  readonly fs: FileSystem;
  /** Default `"all"`. A refused action gets 550 and nothing happens. */
  readonly permissions?: AccountPermissions;
  /** Starting directory (virtual path, default `/`). */
  readonly home?: string;
  /** Allow PORT/EPRT to, and passive data connections from, a host other than the control peer (FXP). */
  readonly fxp?: boolean;
  /**
   * Concurrent sessions allowed for this user name (counted across the server). A login over
   * the limit is answered 421 and the connection closed.
   */
  readonly maxSessions?: number;
  /**
   * This account's TLS policy, overriding the server's `tls.require` for its session:
   * `required` refuses its login on a clear control connection (530, even with the right
   * password) and its transfers without PROT P (521); `optional` allows PROT C after login
   * even when the server requires protected data. (The server's `control` requirement still
   * applies before login: the account is not known until PASS.)
   */
  readonly tls?: "required" | "optional";
  /**
   * Upload quota: the most bytes and files the account may store. An upload that would go
   * over gets 552 (before the 150 when the file count is reached; after it, with the data
   * connection closed, when the bytes run out mid-file); what was received is then handled as
   * the upload mode says (`atomic`: nothing kept; `atomic-resume` and `standard`: the bytes
   * up to the quota stay, to resume once room is made).
   */
  readonly quota?: AccountQuota;
  /**
   * Bandwidth of each transfer of this account's sessions, in bytes per second (as vsftpd's
   * `local_max_rate`): uploads are read and downloads sent no faster, with back-pressure
   * (nothing is buffered beyond the usual stream buffers).
   */
  readonly bandwidth?: AccountBandwidth;
}

/** Bytes and files an account stores. */
export interface QuotaUsage {
  readonly bytes: number;
  readonly files: number;
}

/**
 * Where an account's usage is kept, so that an account store (a database) can keep it
 * across server processes. `get` is called before each upload; `add` after each change the
 * server made (an upload stored or a partial kept, a file deleted or replaced), with negative
 * numbers for what was freed. The server counts uploads of one user name that run at once in
 * this process on top of `get()`.
 */
export interface QuotaUsageStore {
  get(): QuotaUsage | Promise<QuotaUsage>;
  add(delta: QuotaUsage): void | Promise<void>;
  /**
   * Optional: adds `delta` only if the usage then stays within the account's quotas, atomically
   * against every other process using the same store (a database row), and tells whether it
   * did. When present, the server reserves each new file with it (`{ bytes: 0, files: 1 }`)
   * before the upload starts, instead of comparing `get()` with the file quota, so that several
   * server nodes cannot together store more files than the quota (each would otherwise see the
   * last free slot); a refusal is 552 before the 150. The reservation is counted as the file's
   * `add`: the upload's later `add` carries only the rest of the change (and `files: -1` gives
   * the slot back when the upload left no file). Bytes are still checked against `get()`.
   */
  reserve?(delta: QuotaUsage): boolean | Promise<boolean>;
}

/** {@link Account.quota}. */
export interface AccountQuota {
  /** Most bytes stored (default: no byte limit). */
  readonly bytes?: number;
  /** Most files stored (default: no file limit). */
  readonly files?: number;
  /**
   * The account's usage. Default: the server counts it once per user name (walking the
   * account's file system at the first upload or deletion that needs it) and keeps it in
   * memory from then on.
   */
  readonly usage?: QuotaUsageStore;
}

/** {@link Account.bandwidth}, in bytes per second (absent or 0: unlimited). */
export interface AccountBandwidth {
  readonly upload?: number;
  readonly download?: number;
}

/**
 * Decides who may log in. Return the account, or `null`/`undefined`/`false` to refuse (530
 * after `failedLoginDelay`). A thrown error is reported on the server's `error` event and the
 * client gets 530.
 */
export type Authenticator = (
  request: AuthenticateRequest,
) => Account | null | undefined | false | Promise<Account | null | undefined | false>;

const READ_ONLY: readonly Permission[] = Object.freeze(["list", "read"]);

/** The protocol's form of an account's permissions. @internal */
export function resolvePermissions(permissions: AccountPermissions | undefined): "all" | readonly Permission[] {
  if (permissions === undefined || permissions === "all") return "all";
  if (permissions === "read-only") return READ_ONLY;
  return permissions;
}
