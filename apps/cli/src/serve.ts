import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { FtpServer, hashPassword } from "@ftpkit/server";

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  /** Default `ftpkit`. */
  readonly user?: string;
  /** Default: a random throwaway password, printed. */
  readonly password?: string;
  readonly readOnly?: boolean;
}

export interface RunningServe {
  readonly server: FtpServer;
  /** `ftp://user:password@host:port/`, ready to paste into a client. */
  readonly url: string;
  readonly user: string;
  readonly password: string;
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
 * `ftpkit serve [DIR]`: serves a directory of this machine to one account.
 * @throws UsageError when DIR is not a directory; FtpServerError when the port is taken.
 */
export async function serve(dir: string, options: ServeOptions): Promise<RunningServe> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`not a directory: ${root}`);
  const user = options.user ?? "ftpkit";
  const password = options.password ?? randomBytes(9).toString("base64url");
  const server = new FtpServer({
    host: options.host,
    port: options.port,
    root,
    users: {
      [user]: {
        password: await hashPassword(password),
        permissions: options.readOnly ? "read-only" : "all",
      },
    },
  });
  const address = await server.listen();
  const url = `ftp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${urlHost(options.host)}:${address.port}/`;
  return { server, url, user, password, root, stop: (deadline = 5000) => server.close({ deadline }) };
}
