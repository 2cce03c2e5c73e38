import { type HashAlgorithm, isIPv4 } from "@ftpkit/protocol";
import { z } from "zod";
import type { Authenticator } from "./account.js";
import type { UsersTable } from "./auth/users.js";
import { type DefenderOptions, defenderOptionsSchema } from "./defender/defender.js";
import type { DefenderStore } from "./defender/defender-store.js";
import type { FileSystem, UploadMode } from "./fs/file-system.js";
import { parseTrustedProxy } from "./proxy/trusted-proxies.js";

/** Resource limits; every one has a default (vsftpd's where it has one). */
export interface FtpServerLimits {
  /** Control connections at once (default 512); the next gets `421 Too many connections` and is closed. */
  readonly maxConnections: number;
  /** Control connections at once from one IP address (default 32). */
  readonly maxConnectionsPerIp: number;
  /** ms without a command after login before 421 and close (default 300000: vsftpd `idle_session_timeout`). */
  readonly idleTimeout: number;
  /** ms from connect to login (default 60000). */
  readonly loginTimeout: number;
  /**
   * ms a data connection may take to be established (passive: the client to connect; active:
   * the server's connect) and may stay silent during a transfer (default 60000: vsftpd
   * `accept_timeout`/`connect_timeout`; a stalled transfer ends with 426, a missing connection with 425).
   */
  readonly dataTimeout: number;
  /** Failed PASS per connection before 421 and close (default 3: vsftpd `max_login_fails`). */
  readonly maxLoginAttempts: number;
  /** ms before a failed login is answered (default 1000: vsftpd `delay_failed_login`). */
  readonly failedLoginDelay: number;
  /** Longest command line in bytes (default 8192). */
  readonly maxLineLength: number;
  /** Entries one LIST/NLST/MLSD/STAT may return (default 100000); beyond, 451 after the entries sent. */
  readonly maxListEntries: number;
  /**
   * ms a command line may take from its first byte to its end (default 30000); a client that
   * trickles a line ("slowloris") gets 421 and is closed. Partial lines never reset the idle
   * or login timeout. 0 disables.
   */
  readonly lineTimeout: number;
  /**
   * Commands per second a session may run on average (default 1000; 0: no limit). Over the
   * rate the server stops reading the connection until the next command may run
   * (back-pressure): a client that waits for each reply is only slowed down. The default
   * stays above what a busy honest client needs: a mirror of small files runs about three
   * commands per file (TYPE/PASV/STOR), close to 1,000 a second on loopback; 200 capped a
   * 1,000-file upload at 12.5 s where it takes 3 s.
   */
  readonly commandRate: number;
  /** Commands that may run at once after a quiet period (default 2000). */
  readonly commandBurst: number;
  /**
   * ms a client may keep pipelining commands (8 or more waiting) while over `commandRate`
   * before 421 and close (default 10000; 0: back-pressure only, never close).
   */
  readonly floodTimeout: number;
  /**
   * Lowest average rate of a data connection, in bytes per second over `dataRateWindow`
   * (default 1024; 0 disables): a slower transfer (a 1-byte-a-second upload or a client that
   * barely reads) is ended with 426. For an account throttled below twice this rate, half
   * its throttle rate is the minimum instead.
   */
  readonly dataMinRate: number;
  /** ms over which `dataMinRate` is measured (default 30000). */
  readonly dataRateWindow: number;
  /**
   * `atomic` uploads: ms to wait after the client's data EOF before committing (default 50).
   * In stream mode a client killed mid-file ends its data connection just like a finished
   * upload (RFC 959 §3.4.1); its control connection ends within milliseconds, in either
   * order. If it ends within this delay the upload is discarded, so a half-sent file never
   * replaces the old one. 0 commits at once (after one turn of the event loop).
   */
  readonly atomicCommitDelay: number;
}

/** The defender's options (see {@link DefenderOptions}), and where it keeps its scores and bans. */
export type FtpServerDefenderOptions = DefenderOptions & {
  /**
   * Where scores and bans live (default: in memory, per server). A shared store (a database)
   * lets several server processes see the same bans.
   */
  readonly store?: DefenderStore;
};

export interface PassiveOptions {
  /** Inclusive port range for passive listeners (default: any free port). */
  readonly portRange?: readonly [number, number];
  /**
   * The IPv4 address PASV advertises (for NAT and cloud hosts), or a function of the client's
   * address returning one (or undefined for the control connection's local address).
   * EPSV carries only the port (RFC 2428 §3) and needs none.
   */
  readonly advertisedAddress?: string | ((clientAddress: string) => string | undefined);
  /**
   * Accept passive data connections from any address (default false: only from the control
   * connection's peer, RFC 2577 §8 "port stealing"). Per account, `fxp` does the same.
   */
  readonly allowForeignDataPeer?: boolean;
}

/** How much TLS the server requires (vsftpd's `force_local_logins_ssl` / `force_local_data_ssl`). */
export type TlsRequirement = "none" | "control" | "control+data";

/**
 * FTPS (RFC 4217 explicit `AUTH TLS`, and implicit TLS on `implicitPort`). Give `cert` and
 * `key`, or `selfSigned: true` for local development.
 */
export interface FtpServerTlsOptions {
  /**
   * The certificate chain (leaf first) as PEM text, or the path of a PEM file. A path is
   * read at `listen()` and again by `reloadCertificate()`.
   */
  readonly cert?: string;
  /** The private key as PEM text, or the path of a PEM file. */
  readonly key?: string;
  /** Passphrase of an encrypted key. */
  readonly passphrase?: string;
  /** Extra CA certificates (PEM text or file paths), sent only for chain building. */
  readonly ca?: string | readonly string[];
  /** Lowest TLS version accepted (default `TLSv1.2`; RFC 8996 retired 1.0 and 1.1). */
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
  /** Highest TLS version offered (default: the highest Node supports, TLSv1.3). */
  readonly maxVersion?: "TLSv1.2" | "TLSv1.3";
  /** A second listener for implicit FTPS (TLS before the 220; conventionally 990). 0 picks a free port. */
  readonly implicitPort?: number;
  /**
   * What clients must protect (default `none`: TLS offered, not required). `control`: USER
   * and PASS get 530 on a clear control connection. `control+data`: also a transfer without
   * `PROT P` gets 521. An account's `tls` overrides this for its session.
   */
  readonly require?: TlsRequirement;
  /**
   * Refuse a protected data connection that does not resume the control connection's TLS
   * session (522): only the client that holds the control connection's session secrets can
   * open data connections. Default: true when `require` is not `none` (as vsftpd's
   * `require_ssl_reuse` and ProFTPD do), false otherwise (Python's stock `ftplib.FTP_TLS`
   * never resumes).
   */
  readonly requireSessionReuse?: boolean;
  /**
   * Generate a throwaway self-signed certificate at `listen()`. LOCAL DEVELOPMENT ONLY: it
   * proves nothing to a client; the server emits a `warning` event (or a process warning).
   */
  readonly selfSigned?: boolean;
  /** Reload `cert`/`key`/`ca` files when they change: true (poll every 5 s) or the poll interval in ms. */
  readonly watch?: boolean | number;
  /**
   * Honour CCC (RFC 4217 §5): after login, on a control connection made secure by AUTH, the
   * server answers 200, exchanges close_notify and goes on in clear text on the same TCP
   * connection (data connections keep their PROT level). Default false (534). Needs
   * `require: "none"`. curl and lftp drop their TLS session at CCC, so with
   * `requireSessionReuse: true` their later protected data connections get 522.
   */
  readonly allowCcc?: boolean;
}

/**
 * The PROXY protocol (HAProxy's proxy-protocol.txt, v1 and v2) from TCP load balancers: a
 * connection from one of `trustedProxies` must start with a header, whose source address then
 * is the session's remote address (authentication, the defender, per-IP limits, events, the
 * RFC 2577 checks). Connections from any other address never have a header parsed.
 */
export interface ProxyProtocolOptions {
  /**
   * The load balancers' addresses or CIDR blocks (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`).
   * An IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`) matches its IPv4 form.
   */
  readonly trustedProxies: readonly string[];
  /** ms a trusted proxy has to send the whole header (default 5000); then the connection is closed, unanswered. */
  readonly headerTimeout?: number;
}

export interface FtpServerOptions {
  /** Address to listen on (default `127.0.0.1`; `::` or `0.0.0.0` for all interfaces). */
  readonly host?: string;
  /** Port (default 21); 0 picks a free port, see `address()`. */
  readonly port?: number;
  /** Who may log in. Give this or `users`. */
  readonly authenticate?: Authenticator;
  /** Built-in authenticator: a users table, or the path of a JSON/YAML users file. */
  readonly users?: UsersTable | string;
  /** With `users`: let `anonymous`/`ftp` in, read-only (default false). */
  readonly anonymous?: boolean;
  /**
   * With `users`: what a user sees when its entry has no `root`: a directory (served with
   * `LocalFileSystem`), one shared file system, or a function of the user name.
   */
  readonly root?: string | FileSystem | ((user: string) => FileSystem);
  readonly passive?: PassiveOptions;
  /** How uploads are written (default `atomic-resume`), see {@link UploadMode}. */
  readonly uploadMode?: UploadMode;
  readonly limits?: Partial<FtpServerLimits>;
  /** The 220 greeting (default "ftpkit ready."). */
  readonly greeting?: string | readonly string[];
  /** RFC 7151 HOST names accepted (default: any). */
  readonly virtualHosts?: readonly string[];
  /** HASH algorithms offered (default SHA-256, SHA-1, MD5, CRC32). */
  readonly hashAlgorithms?: readonly HashAlgorithm[];
  /** FTPS. Without it, AUTH gets 502 and nothing is encrypted. */
  readonly tls?: FtpServerTlsOptions;
  /**
   * The defender: scores what each remote address does wrong and bans it for a growing time
   * (on by default; see the README's "Defences"). `false` turns it off.
   */
  readonly defender?: FtpServerDefenderOptions | false;
  /** Accept PROXY protocol headers from these load balancers (default: from nobody). */
  readonly proxyProtocol?: ProxyProtocolOptions;
}

const port = z.number().int().min(0).max(65535);
/** One line of reply text: CR, LF or NUL would break the reply framing (RFC 959 §4.2). */
const line = z.string().regex(/^[^\r\n\0]*$/, { message: "must be one line (no CR, LF or NUL)" });
const ms = z.number().int().positive().max(2_147_483_647);

const limitsSchema = z
  .object({
    maxConnections: z.number().int().positive().default(512),
    maxConnectionsPerIp: z.number().int().positive().default(32),
    idleTimeout: ms.default(300_000),
    loginTimeout: ms.default(60_000),
    dataTimeout: ms.default(60_000),
    maxLoginAttempts: z.number().int().positive().default(3),
    failedLoginDelay: z.number().int().min(0).max(60_000).default(1000),
    maxLineLength: z
      .number()
      .int()
      .min(512)
      .max(1024 * 1024)
      .default(8192),
    maxListEntries: z.number().int().positive().default(100_000),
    lineTimeout: z.number().int().min(0).max(2_147_483_647).default(30_000),
    commandRate: z.number().min(0).max(1_000_000).default(1000),
    commandBurst: z.number().int().min(1).max(1_000_000).default(2000),
    floodTimeout: z.number().int().min(0).max(2_147_483_647).default(10_000),
    dataMinRate: z.number().min(0).default(1024),
    dataRateWindow: ms.min(100).default(30_000),
    atomicCommitDelay: z.number().int().min(0).max(10_000).default(50),
  })
  .strict();

const isDefenderStore = (v: unknown): v is DefenderStore =>
  typeof v === "object" &&
  v !== null &&
  ["addScore", "getBan", "setBan", "removeBan", "listBans"].every(
    (m) => typeof (v as Record<string, unknown>)[m] === "function",
  );

/** `defender: false` is `{ enabled: false }`. */
const defenderSchema = z.preprocess(
  (v) => (v === false ? { enabled: false } : v),
  defenderOptionsSchema.extend({
    store: z
      .custom<DefenderStore>(isDefenderStore, {
        message: "must be a DefenderStore (addScore, getBan, setBan, removeBan, listBans)",
      })
      .optional(),
  }),
);

const tlsVersion = z.enum(["TLSv1.2", "TLSv1.3"]);
const pemOrPath = z.string().min(1);
const VERSION_RANK = { "TLSv1.2": 2, "TLSv1.3": 3 } as const;

const tlsSchema = z
  .object({
    cert: pemOrPath.optional(),
    key: pemOrPath.optional(),
    passphrase: z.string().optional(),
    ca: z.union([pemOrPath, z.array(pemOrPath)]).optional(),
    minVersion: tlsVersion.default("TLSv1.2"),
    maxVersion: tlsVersion.optional(),
    implicitPort: port.optional(),
    require: z.enum(["none", "control", "control+data"]).default("none"),
    requireSessionReuse: z.boolean().optional(),
    selfSigned: z.boolean().default(false),
    watch: z.union([z.boolean(), z.number().int().min(100).max(3_600_000)]).default(false),
    allowCcc: z.boolean().default(false),
  })
  .strict()
  .refine(
    (t) => (t.selfSigned ? t.cert === undefined && t.key === undefined : t.cert !== undefined && t.key !== undefined),
    {
      message: "give `cert` and `key`, or `selfSigned: true` (not both)",
    },
  )
  .refine((t) => t.maxVersion === undefined || VERSION_RANK[t.maxVersion] >= VERSION_RANK[t.minVersion], {
    message: "maxVersion must not be below minVersion",
  })
  .refine((t) => !t.allowCcc || t.require === "none", {
    message: 'allowCcc needs require: "none" (CCC would clear a control connection that must stay encrypted)',
  })
  .transform((t) => ({
    ...t,
    requireSessionReuse: t.requireSessionReuse ?? t.require !== "none",
  }));

const proxyProtocolSchema = z
  .object({
    trustedProxies: z
      .array(
        z.string().refine((t) => parseTrustedProxy(t) !== undefined, {
          message: "must be an IP address or a CIDR block (10.0.0.0/8, fd00::/8)",
        }),
      )
      .min(1),
    headerTimeout: ms.default(5000),
  })
  .strict();

const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === "function";
const isFileSystem = (v: unknown): v is FileSystem =>
  typeof v === "object" && v !== null && typeof (v as FileSystem).stat === "function";

const optionsSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: port.default(21),
    authenticate: z.custom<Authenticator>(isFunction, { message: "must be a function" }).optional(),
    users: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
    anonymous: z.boolean().default(false),
    root: z
      .union([
        z.string().min(1),
        z.custom<FileSystem>(isFileSystem, { message: "must be a FileSystem" }),
        z.custom<(user: string) => FileSystem>(isFunction),
      ])
      .optional(),
    passive: z
      .object({
        portRange: z
          .tuple([port.min(1), port.min(1)])
          .refine(([a, b]) => a <= b, { message: "portRange must be [low, high] with low <= high" })
          .optional(),
        advertisedAddress: z
          .union([
            z.string().refine(isIPv4, { message: "must be an IPv4 address (PASV carries IPv4 only)" }),
            z.custom<(clientAddress: string) => string | undefined>(isFunction),
          ])
          .optional(),
        allowForeignDataPeer: z.boolean().default(false),
      })
      .strict()
      .default({ allowForeignDataPeer: false }),
    uploadMode: z.enum(["standard", "atomic", "atomic-resume"]).default("atomic-resume"),
    limits: limitsSchema.default(limitsSchema.parse({})),
    greeting: z.union([line, z.array(line).min(1)]).default("ftpkit ready."),
    virtualHosts: z.array(z.string().min(1)).optional(),
    hashAlgorithms: z
      .array(z.enum(["SHA-256", "SHA-1", "MD5", "CRC32"]))
      .min(1)
      .optional(),
    tls: tlsSchema.optional(),
    defender: defenderSchema.default(defenderOptionsSchema.parse({})),
    proxyProtocol: proxyProtocolSchema.optional(),
  })
  .strict()
  .refine((o) => (o.authenticate === undefined) !== (o.users === undefined && !o.anonymous), {
    message: "give either `authenticate` or `users`/`anonymous`",
  });

/** TLS options after validation, with defaults. @internal */
export type ResolvedTlsOptions = z.output<typeof tlsSchema>;

/** Options after validation, with defaults. @internal */
export type ResolvedOptions = z.output<typeof optionsSchema> & { readonly limits: FtpServerLimits };

/**
 * Validates server options.
 * @throws z.ZodError (with every problem listed) for invalid options.
 * @internal
 */
export function resolveOptions(options: FtpServerOptions): ResolvedOptions {
  return optionsSchema.parse(options) as ResolvedOptions;
}
