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
