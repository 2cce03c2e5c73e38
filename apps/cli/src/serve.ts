import { stat } from "node:fs/promises";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { type Authenticator, type DefenderOptions, FtpServer, FtpServerError } from "@ftpkit/server";
import { type Access, buildAccess, passiveOptions } from "./serve-access.js";
import { attachSessionLog } from "./serve-log.js";
import { openSharedState, type SharedState, type SharedStateOptions } from "./serve-shared.js";

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  /** Default `ftpkit`. */
  readonly user?: string;
  /** Default: a random throwaway password, printed. */
  readonly password?: string;
  readonly readOnly?: boolean;
  /** The password came from FTPKIT_PASSWORD: it is not printed (the URL has the user only). */
  readonly passwordFromEnv?: boolean;
  /** `user` was given explicitly: it gets an account even next to a users file or anonymous access. */
  readonly userGiven?: boolean;
  /** A users file (JSON/YAML, hashed passwords). Without `password`, only its users log in. */
  readonly usersFile?: string;
  /** Let `anonymous`/`ftp` in with any password: read-only unless `write`. */
  readonly anonymous?: boolean;
  readonly write?: boolean;
  /** Inclusive passive port range. */
  readonly passivePorts?: readonly [number, number];
  /** The IPv4 address (or a name resolving to one) PASV replies advertise (NAT). */
  readonly advertise?: string;
  /** Receives one line per session event (connect, login, upload, ...). */
  readonly log?: (line: string) => void;
  /**
   * FTPS: certificate and key files, or a self-signed certificate (local development only).
   * TLS is then required for logins and data (vsftpd's force_local_*_ssl), and data
   * connections must resume the control connection's TLS session.
   */
  readonly tls?: { readonly cert: string; readonly key: string } | { readonly selfSigned: true };
  /** With `tls`: a second listener for implicit FTPS (0 picks a free port). */
  readonly implicitPort?: number;
  /** Receives warnings (a self-signed certificate in use), loud ones; default: process warnings. */
  readonly warn?: (line: string) => void;
  /**
   * Accounts, defender bans and quota usage in PostgreSQL, shared by every node on the same
   * database (`--accounts-db`); DIR and the local access options are then not used.
   */
  readonly shared?: SharedStateOptions;
  /** The defender's options, or false to turn it off (default: the server's defaults). */
  readonly defender?: DefenderOptions | false;
  /**
   * Load balancers (addresses or CIDR blocks) whose PROXY protocol header gives the client's
   * real address (`--proxy-protocol-from`); from them a header is required.
   */
  readonly proxyProtocolFrom?: readonly string[];
}

export interface RunningServe {
  readonly server: FtpServer;
  /** `ftp://user:password@host:port/`, ready to paste into a client. */
  readonly url: string;
  /** The one user with a password ("anonymous" when only anonymous access is on, "" for a users file alone). */
  readonly user: string;
  readonly password: string;
  /** Who can log in, for people (`user x, password y (generated)`, `3 users from FILE`, ...). */
  readonly access: readonly string[];
  /** With TLS: how to reach it securely, for people (explicit, implicit URL, fingerprint). */
  readonly tls: readonly string[];
  /** The directory served ("" with `shared`: each account has its own root). */
  readonly root: string;
  /** With `shared`: the accounts database's URL, password masked. */
  readonly accountsDb?: string;
  /** Graceful stop (running transfers get `deadline` ms). */
  stop(deadline?: number): Promise<void>;
}

/** Thrown for a problem the user can fix (printed as one line, exit code 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * `ftpkit serve [DIR]`: serves a directory of this machine: to one account, the users of a
 * users file, and/or anonymous users (see serve-access.ts).
 * @throws UsageError when DIR is not a directory; FtpServerError when the port is taken.
 */
export async function serve(dir: string, options: ServeOptions): Promise<RunningServe> {
  if (options.implicitPort !== undefined && options.tls === undefined) {
    throw new UsageError("--implicit-port needs --tls (or --cert and --key)");
  }
  let root = "";
  let access: Access;
  let shared: SharedState | undefined;
  if (options.shared === undefined) {
    root = resolve(dir);
    const info = await stat(root).catch(() => undefined);
    if (!info?.isDirectory()) throw new UsageError(`not a directory: ${root}`);
    access = await buildAccess(root, options);
  } else {
    const state = await openSharedState(options.shared);
    shared = state;
    try {
      access = await sharedAccess(state, options);
    } catch (error) {
      await state.close();
      throw error;
    }
  }
  const defender =
    options.defender === false
      ? false
      : shared === undefined
        ? options.defender
        : { ...options.defender, store: shared.defenderStore };
  const server = new FtpServer({
    host: options.host,
    port: options.port,
    ...access.serverOptions,
    ...(defender === undefined ? {} : { defender }),
    ...(options.proxyProtocolFrom === undefined
      ? {}
      : { proxyProtocol: { trustedProxies: options.proxyProtocolFrom } }),
    ...(options.tls === undefined
      ? {}
      : {
          tls: {
            ...options.tls,
            require: "control+data" as const,
            ...(options.implicitPort === undefined ? {} : { implicitPort: options.implicitPort }),
          },
        }),
  });
  const warn = options.warn;
  if (warn !== undefined) server.on("warning", (w) => warn(`WARNING: ${w.message}`));
  const stopLog = options.log === undefined ? undefined : attachSessionLog(server, options.log);
  const address = await server.listen().catch(async (error: unknown) => {
    stopLog?.();
    await shared?.close();
    // A certificate or key the user gave that cannot be used is theirs to fix, like a users file.
    if (FtpServerError.isInstance(error) && error.code === "FTP_ERR_TLS_CERT") throw new UsageError(error.message);
    throw error;
  });
  const user = access.user ?? (options.anonymous === true ? "anonymous" : "");
  const password = access.password ?? (options.anonymous === true ? "anonymous@" : "");
  const login =
    access.user === undefined
      ? ""
      : access.showPassword
        ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`
        : `${encodeURIComponent(user)}@`;
  const url = `ftp://${login}${urlHost(options.host)}:${address.port}/`;
  const tls: string[] = [];
  const certificate = server.certificate;
  if (certificate !== undefined) {
    tls.push(`FTPS required: explicit (AUTH TLS) on port ${address.port}, e.g. curl --ssl-reqd`);
    const implicit = server.implicitAddress();
    if (implicit !== undefined) tls.push(`implicit FTPS: ftps://${login}${urlHost(options.host)}:${implicit.port}/`);
    tls.push(
      `certificate ${certificate.selfSigned ? "SELF-SIGNED, for local development only" : certificate.subject.replace(/\n/g, ", ")}` +
        ` (SHA-256 ${certificate.fingerprint256})`,
    );
  }
  return {
    server,
    url,
    user,
    password,
    access: access.lines,
    tls,
    root,
    ...(shared === undefined ? {} : { accountsDb: shared.where }),
    stop: async (deadline = 5000) => {
      await server.close({ deadline });
      stopLog?.();
      await shared?.close();
    },
  };
}

/** Who logs in with `--accounts-db`: the database's accounts (read-only with `readOnly`). */
async function sharedAccess(state: SharedState, options: ServeOptions): Promise<Access> {
  const lines = [
    `accounts from ${state.where}${state.migrated.length > 0 ? ` (schema migrated: ${state.migrated.join(", ")})` : ""}`,
    "defender bans and quota usage shared through that database",
  ];
  const passive = await passiveOptions(options, lines);
  const authenticate: Authenticator =
    options.readOnly === true
      ? async (request) => {
          const account = await state.authenticate(request);
          return account ? { ...account, permissions: "read-only" } : account;
        }
      : state.authenticate;
  return {
    serverOptions: { authenticate, ...(passive === undefined ? {} : { passive }) },
    user: undefined,
    password: undefined,
    showPassword: false,
    lines,
  };
}
