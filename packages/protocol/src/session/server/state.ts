import type { Permission } from "../../command/index.js";
import type { LoginState } from "./login-state.js";
import type { DataEndpoint, HashAlgorithm } from "./types.js";

/** Everything a server session remembers between commands (RFC 959 §5.1 minimum state and extensions). */
export interface SessionState {
  login: LoginState;
  user: string | undefined;
  permissions: Set<Permission>;
  fxp: boolean;
  /** The account's data-protection policy (undefined: the server's). */
  requireSecureData: boolean | undefined;
  cwd: string;
  /** RFC 959 §3.1.1: the default representation type is ASCII. */
  representation: "ascii" | "binary";
  restOffset: number;
  renameFrom: string | undefined;
  data: DataEndpoint | undefined;
  /** RFC 2428 §3: after EPSV ALL only EPSV may set up data connections. */
  epsvAll: boolean;
  secure: boolean;
  /** CCC was honoured: the control connection is clear again (RFC 4217 §5); data keeps its PROT. */
  controlCleared: boolean;
  /** The logged-in account may use only a TLS control connection (so CCC is refused). */
  requireSecureControl: boolean;
  pbsz: boolean;
  prot: "C" | "P";
  mlstFacts: string[];
  hashAlgorithm: HashAlgorithm;
  failedLogins: number;
  host: string | undefined;
}

/** MLSx facts offered (RFC 3659 §7.8), and which are on by default (marked `*` in FEAT). */
export const MLST_FACTS = ["type", "size", "modify", "perm", "unique", "unix.mode"] as const;
export const DEFAULT_MLST_FACTS = ["type", "size", "modify", "perm", "unix.mode"];

export const ALL_PERMISSIONS: readonly Permission[] = [
  "list",
  "read",
  "write",
  "append",
  "delete",
  "rename",
  "mkdir",
  "rmdir",
  "chmod",
];

/**
 * A fresh session's state. `secure` is true on an implicit FTPS connection: MS-FTPS
 * §3.2.5.1 has the server assume `PBSZ 0` and `PROT P` there.
 */
export function initialState(secure: boolean): SessionState {
  return {
    login: "no-user",
    user: undefined,
    permissions: new Set(),
    fxp: false,
    requireSecureData: undefined,
    cwd: "/",
    representation: "ascii",
    restOffset: 0,
    renameFrom: undefined,
    data: undefined,
    epsvAll: false,
    secure,
    controlCleared: false,
    requireSecureControl: false,
    pbsz: secure,
    prot: secure ? "P" : "C",
    mlstFacts: [...DEFAULT_MLST_FACTS],
    hashAlgorithm: "SHA-256",
    failedLogins: 0,
    host: undefined,
  };
}
