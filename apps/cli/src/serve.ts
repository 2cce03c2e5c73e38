import { stat } from "node:fs/promises";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { FtpServer } from "@ftpkit/server";
import { buildAccess } from "./serve-access.js";
import { attachSessionLog } from "./serve-log.js";

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
  readonly root: string;
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
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`not a directory: ${root}`);
  const access = await buildAccess(root, options);
  const server = new FtpServer({
    host: options.host,
    port: options.port,
    ...access.serverOptions,
  });
  const stopLog = options.log === undefined ? undefined : attachSessionLog(server, options.log);
  const address = await server.listen().catch((error: unknown) => {
    stopLog?.();
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
  return {
    server,
    url,
    user,
    password,
    access: access.lines,
    root,
    stop: async (deadline = 5000) => {
      await server.close({ deadline });
      stopLog?.();
    },
  };
}
