/**
 * The gateway's HTTP API, shared by the page and the gateway (types only, no runtime code
 * beyond constants: this file is bundled into the page).
 *
 * - `GET /api/session` → {@link SessionInfo}: creates the session (an HttpOnly, SameSite=Strict
 *   cookie) when there is none and hands the page its per-session CSRF token.
 * - Every other call sends the token: the `x-ftpkit-token` header (fetch, XHR) or, where a
 *   header cannot be set (EventSource), a `token` query parameter. Writes (POST/PUT) must
 *   also come from the page's own origin.
 * - `GET /api/events` is a server-sent-event stream of {@link GatewayEvent}s.
 */

export const TOKEN_HEADER = "x-ftpkit-token";

/** A connection preset the gateway was configured with (the bundled server, for `ftpkit dev`). */
export interface PresetInfo {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly secure: boolean;
  /** The gateway knows the password: leave the field empty to use it (it never reaches the page). */
  readonly passwordKnown: boolean;
  readonly label: string;
}

export interface SessionInfo {
  readonly token: string;
  readonly connected: boolean;
  /** `host:port` of the current connection, when connected. */
  readonly server?: string;
  readonly user?: string;
  readonly cwd?: string;
  /** The connection is protected by TLS. */
  readonly secure?: boolean;
  readonly preset?: PresetInfo;
  /** The `host:port` pairs this gateway may connect to (`host:*` for any port). */
  readonly allowed: readonly string[];
  /** Idle time after which the session and its FTP connection are closed, in ms. */
  readonly sessionTtl: number;
  /** The last event's `seq`: the event stream replays older ones, which describe the past. */
  readonly seq: number;
}

export interface ConnectRequest {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Empty: use the preset's password when host, port and user are the preset's. */
  readonly password: string;
  /** Explicit TLS (AUTH TLS). */
  readonly secure: boolean;
}

export interface ConnectResponse {
  readonly cwd: string;
  readonly server: string;
  readonly user: string;
  readonly secure: boolean;
}

export type EntryType = "file" | "directory" | "symlink" | "other";

/** One directory entry as the page shows it. */
export interface Entry {
  readonly name: string;
  readonly type: EntryType;
  readonly size: number | undefined;
  /** ISO 8601, when the server said. */
  readonly modified: string | undefined;
  /** `rwxr-xr-x`, or the MLSD `perm` fact (`adfrw`) when that is all the server sent. */
  readonly permissions: string | undefined;
  readonly target: string | undefined;
}

export interface ListResponse {
  /** The listed directory, absolute. */
  readonly path: string;
  readonly entries: readonly Entry[];
}

export interface DownloadTicket {
  /** A one-use URL (same origin) that streams the file as an attachment. */
  readonly url: string;
  readonly size: number | undefined;
}

export interface UploadResponse {
  readonly path: string;
  readonly bytes: number;
}

/** What every failed call answers (with a 4xx or 5xx status). */
export interface ApiError {
  readonly error: {
    /** A stable machine-readable kind. */
    readonly kind: ErrorKind;
    /** One sentence in plain words for the page. */
    readonly message: string;
    /** The FTP reply code, when the server refused. */
    readonly reply?: number;
  };
}

export type ErrorKind =
  | "bad-request"
  | "not-allowed"
  | "forbidden"
  | "no-session"
  | "not-connected"
  | "login-failed"
  | "refused"
  | "unreachable"
  | "timeout"
  | "connection-lost"
  | "not-found"
  | "too-many"
  | "internal";

/** One event on the `/api/events` stream. */
export type GatewayEvent =
  | {
      readonly type: "command";
      readonly seq: number;
      readonly time: number;
      readonly connection: number;
      /** The command line, PASS masked (`PASS ****`). */
      readonly text: string;
    }
  | {
      readonly type: "reply";
      readonly seq: number;
      readonly time: number;
      readonly connection: number;
      readonly code: number;
      readonly lines: readonly string[];
      /** The command it answers (masked), when there is one. */
      readonly command: string | undefined;
    }
  | {
      readonly type: "transfer";
      readonly seq: number;
      readonly time: number;
      readonly id: number;
      readonly direction: "upload" | "download";
      readonly path: string;
      readonly state: "running" | "done" | "failed";
      /** EPSV, PASV, EPRT or PORT: how the data connection was opened. */
      readonly mode: string | undefined;
      readonly bytes: number;
      readonly total: number | undefined;
      /** Bytes per second, averaged over the transfer so far. */
      readonly rate: number;
      readonly error?: string;
    }
  | {
      readonly type: "status";
      readonly seq: number;
      readonly time: number;
      readonly connected: boolean;
      readonly message?: string;
    };
