/**
 * Connection options: validated once with zod at the edge (STYLE S6), defaults filled in,
 * and the URL forms `ftp://`, `ftps://` (implicit FTPS) and `ftpes://` (explicit FTPS).
 */
import tls from "node:tls";
import { z } from "zod";
import { type Transport, tcpTransport } from "./transport/transport.js";

/**
 * node:tls options for FTPS connections (control and data): `ca`, `cert`/`key`/`pfx`/
 * `passphrase` (client certificates), `servername`, `rejectUnauthorized`, `checkServerIdentity`,
 * `minVersion`/`maxVersion`, `ciphers`, `secureContext` ... The client sets `socket`, `host`,
 * `port` and `session` itself; they are refused here.
 */
export type SecureOptions = Omit<tls.ConnectionOptions, (typeof CLIENT_OWNED_TLS_OPTIONS)[number]>;

/** node:tls options the client sets itself. */
const CLIENT_OWNED_TLS_OPTIONS = ["socket", "host", "port", "path", "session", "lookup", "timeout", "onread"] as const;

const secureOptionsSchema = z.custom<SecureOptions>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  { error: "secureOptions must be an object of node:tls connect options" },
);

const milliseconds = z.number().int().nonnegative().finite();
const port = z.number().int().min(0).max(65535);

const optionsSchema = z
  .object({
    host: z.string().min(1),
    /** Default 21, or 990 for implicit FTPS. */
    port: port.optional(),
    user: z.string().default("anonymous"),
    password: z.string().default("anonymous@"),
    /** ACCT information, sent when the server asks for it (332). */
    account: z.string().optional(),
    /**
     * FTPS (RFC 4217). `true` or `"explicit"`: AUTH TLS right after the greeting, before
     * anything else is sent. `"implicit"`: TLS from the first byte (port 990 by default).
     * Default `false`: plain FTP.
     */
    secure: z.union([z.boolean(), z.enum(["explicit", "implicit"])]).default(false),
    /** node:tls options for every TLS connection (control and data). */
    secureOptions: secureOptionsSchema.optional(),
    /**
     * FTPS: `private` (PROT P, the default) protects data connections with TLS too; `clear`
     * (PROT C) sends file contents and listings unencrypted (the control connection stays
     * protected).
     */
    dataProtection: z.enum(["private", "clear"]).optional(),
    /** Default for all three timeouts below, in ms. */
    timeout: milliseconds.optional(),
    connectTimeout: milliseconds.optional(),
    replyTimeout: milliseconds.optional(),
    dataIdleTimeout: milliseconds.optional(),
    /** NOOP every this many ms while the client is idle; 0 or false disables it. */
    keepAlive: z.union([milliseconds, z.literal(false)]).default(30_000),
    /** How often a transfer is retried on a new connection after the connection dropped. */
    retries: z.number().int().min(0).max(100).default(3),
    /** First back-off delay in ms; doubled on every further retry. */
    retryDelay: milliseconds.default(500),
    /** Longest back-off delay in ms. */
    maxRetryDelay: milliseconds.default(10_000),
    /** Data connection mode: passive (EPSV, then PASV) or active (EPRT, then PORT). */
    mode: z.enum(["passive", "active"]).default("passive"),
    /** Active mode: the address to listen on and announce (default: the control connection's local address). */
    activeAddress: z.string().optional(),
    /** Active mode: the inclusive port range to listen on (default: any free port). */
    activePortRange: z
      .tuple([port.min(1), port.min(1)])
      .refine(([lo, hi]) => lo <= hi, { error: "activePortRange must be [low, high]" })
      .optional(),
    /**
     * Use the address in a 227 reply even when it is not the control connection's peer.
     * Off by default: a server (or a man in the middle) could otherwise point the data
     * connection anywhere (the PASV-redirect attack; curl and CPython ignore it too).
     */
    trustPasvAddress: z.boolean().default(false),
    /** List with MLSD when FEAT offers MLST (default true); false always uses LIST. */
    mlsd: z.boolean().default(true),
    /** Longest reply line accepted, in bytes. */
    maxReplyLineLength: z.number().int().min(64).optional(),
  })
  .strict();

export type ConnectOptions = z.input<typeof optionsSchema> & {
  /** @internal How sockets are opened (plain TCP; the FTPS issue adds TLS). */
  transport?: Transport;
};

/** The options after validation, with every default applied. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly account: string | undefined;
  readonly connectTimeout: number;
  readonly replyTimeout: number;
  readonly dataIdleTimeout: number;
  readonly keepAlive: number;
  readonly retries: number;
  readonly retryDelay: number;
  readonly maxRetryDelay: number;
  readonly mode: "passive" | "active";
  readonly activeAddress: string | undefined;
  readonly activePortRange: readonly [number, number] | undefined;
  readonly trustPasvAddress: boolean;
  readonly mlsd: boolean;
  readonly maxReplyLineLength: number | undefined;
  /** `false` (plain FTP), `"explicit"` (AUTH TLS) or `"implicit"`. */
  readonly secure: false | "explicit" | "implicit";
  /** The node:tls options as given (empty when none). */
  readonly secureOptions: Readonly<SecureOptions>;
  /** PROT P (`private`) or PROT C (`clear`); `clear` without FTPS. */
  readonly dataProtection: "private" | "clear";
  /** The TLS context built from `secureOptions` once, for every connection of the client (and of its pools). */
  readonly secureContext: tls.SecureContext | undefined;
  readonly transport: Transport;
}

const DEFAULT_TIMEOUT = 30_000;

/** Every object {@link resolveOptions} returned (so they are not validated twice). */
const resolvedOptions = new WeakSet<ResolvedOptions>();

/** True for options {@link resolveOptions} returned. @internal */
export function isResolvedOptions(options: unknown): options is ResolvedOptions {
  return typeof options === "object" && options !== null && resolvedOptions.has(options as ResolvedOptions);
}

/**
 * Validates options (or an `ftp://` URL, with further options merged over it).
 * @throws TypeError describing the first invalid option.
 */
export function resolveOptions(
  input: ConnectOptions | string | URL,
  extra: Partial<ConnectOptions> = {},
): ResolvedOptions {
  const base = typeof input === "string" || input instanceof URL ? optionsFromUrl(input) : input;
  const { transport, ...rest } = { ...base, ...extra } as ConnectOptions;
  const parsed = optionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`invalid FTP client option ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  const o = parsed.data;
  const timeout = o.timeout ?? DEFAULT_TIMEOUT;
  const secure = o.secure === true ? "explicit" : o.secure;
  const secureOptions: SecureOptions = { ...(o.secureOptions ?? {}) };
  for (const key of CLIENT_OWNED_TLS_OPTIONS) {
    if (key in secureOptions) throw new TypeError(`invalid FTP client option secureOptions.${key}: set by the client`);
  }
  if (secure === false && o.dataProtection === "private") {
    throw new TypeError('invalid FTP client option dataProtection: "private" needs secure');
  }
  const resolved: ResolvedOptions = Object.freeze({
    host: o.host,
    port: o.port ?? (secure === "implicit" ? 990 : 21),
    user: o.user,
    password: o.password,
    account: o.account,
    connectTimeout: o.connectTimeout ?? timeout,
    replyTimeout: o.replyTimeout ?? timeout,
    dataIdleTimeout: o.dataIdleTimeout ?? timeout,
    keepAlive: o.keepAlive === false ? 0 : o.keepAlive,
    retries: o.retries,
    retryDelay: o.retryDelay,
    maxRetryDelay: o.maxRetryDelay,
    mode: o.mode,
    activeAddress: o.activeAddress,
    activePortRange: o.activePortRange,
    trustPasvAddress: o.trustPasvAddress,
    mlsd: o.mlsd,
    maxReplyLineLength: o.maxReplyLineLength,
    secure,
    secureOptions: Object.freeze(secureOptions),
    dataProtection: secure === false ? "clear" : (o.dataProtection ?? "private"),
    secureContext: secure === false ? undefined : secureContextFor(secureOptions),
    transport: transport ?? tcpTransport,
  });
  resolvedOptions.add(resolved);
  return resolved;
}

/**
 * The TLS context every connection shares (the CA list and client certificate are parsed
 * once). A bad certificate or key fails here, at construction.
 * @throws TypeError
 */
function secureContextFor(options: SecureOptions): tls.SecureContext {
  if (options.secureContext !== undefined) return options.secureContext;
  try {
    return tls.createSecureContext(options);
  } catch (cause) {
    throw new TypeError(`invalid FTP client option secureOptions: ${(cause as Error).message}`, { cause });
  }
}

const URL_SECURITY: Readonly<Record<string, ConnectOptions["secure"]>> = {
  "ftp:": false,
  "ftpes:": "explicit",
  "ftps:": "implicit",
};

/**
 * `ftp://user:password@host:port/`: user and password are percent-decoded (RFC 1738 §3.2.2);
 * the path is ignored. `ftps://` is implicit FTPS (port 990 by default, as curl, lftp and
 * FileZilla read it); `ftpes://` is explicit FTPS (AUTH TLS on port 21, as FileZilla and
 * WinSCP write it).
 */
function optionsFromUrl(input: string | URL): ConnectOptions {
  let url: URL;
  try {
    url = input instanceof URL ? input : new URL(input);
  } catch (cause) {
    throw new TypeError(`not an ftp:// URL: ${String(input)}`, { cause });
  }
  const secure = URL_SECURITY[url.protocol];
  if (secure === undefined) {
    throw new TypeError(`unsupported URL scheme ${url.protocol} (ftp:, ftps: and ftpes: are supported)`);
  }
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const options: ConnectOptions = { host, secure };
  if (url.port !== "") options.port = Number(url.port);
  if (url.username !== "") options.user = decodeURIComponent(url.username);
  if (url.password !== "") options.password = decodeURIComponent(url.password);
  return options;
}
