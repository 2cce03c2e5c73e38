/**
 * Who may log in to `ftpkit serve`, and how the server is reached: one user with a password
 * (given, from FTPKIT_PASSWORD, or generated), a users file with hashed passwords,
 * anonymous access (read-only unless `write`), the passive port range and the PASV address.
 */
import { randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIPv4 } from "node:net";
import {
  type Authenticator,
  createUsersAuthenticator,
  type FtpServerOptions,
  hashPassword,
  LocalFileSystem,
  loadUsersFile,
  type UserEntry,
} from "@ftpkit/server";
import { CliUsageError } from "./errors.js";

export interface AccessOptions {
  readonly user?: string;
  readonly password?: string;
  /** The password came from FTPKIT_PASSWORD (so it is not printed). */
  readonly passwordFromEnv?: boolean;
  /** `user` was given explicitly (it gets an account, with a generated password if none). */
  readonly userGiven?: boolean;
  readonly readOnly?: boolean;
  readonly usersFile?: string;
  readonly anonymous?: boolean;
  readonly write?: boolean;
  readonly passivePorts?: readonly [number, number];
  readonly advertise?: string;
}

export interface Access {
  /** What goes into `new FtpServer(...)`. */
  readonly serverOptions: Pick<FtpServerOptions, "authenticate" | "passive">;
  /** The one user with a password, when there is one. */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Put the password into the printed URL (typed on the command line, or generated). */
  readonly showPassword: boolean;
  /** Lines for people: who can log in. */
  readonly lines: string[];
}

const ANONYMOUS = new Set(["anonymous", "ftp"]);

/**
 * Builds the authenticator. The one user exists when a user name or a password is given (the
 * password also from the environment), or when neither a users file nor anonymous access is
 * asked for; without a password it gets a generated one, printed.
 * @throws UsageError for an unreadable or invalid users file, or an address that does not resolve.
 */
export async function buildAccess(root: string, options: AccessOptions): Promise<Access> {
  const lines: string[] = [];
  const users: Record<string, UserEntry> = {};
  if (options.usersFile !== undefined) {
    try {
      Object.assign(users, await loadUsersFile(options.usersFile));
    } catch (error) {
      throw new CliUsageError((error as Error).message, { cause: error });
    }
    const count = Object.keys(users).length;
    lines.push(`${count} user${count === 1 ? "" : "s"} from ${options.usersFile}`);
  }
  let user: string | undefined;
  let password: string | undefined;
  let showPassword = false;
  const single =
    options.password !== undefined ||
    options.userGiven === true ||
    (options.usersFile === undefined && options.anonymous !== true);
  if (single) {
    user = options.user ?? "ftpkit";
    password = options.password ?? randomBytes(9).toString("base64url");
    showPassword = options.passwordFromEnv !== true;
    users[user] = {
      password: await hashPassword(password),
      permissions: options.readOnly === true ? "read-only" : "all",
    };
    if (options.password === undefined) lines.push(`user ${user}, password ${password} (generated)`);
    else if (options.passwordFromEnv === true) lines.push(`user ${user}, password from FTPKIT_PASSWORD`);
  }
  const anonymous = options.anonymous === true;
  if (anonymous) {
    const writable = options.write === true && options.readOnly !== true;
    lines.push(`anonymous login allowed (user anonymous, any password), ${writable ? "READ-WRITE" : "read-only"}`);
  }
  const fileSystem = (_user: string, entry: UserEntry | undefined) => new LocalFileSystem(entry?.root ?? root);
  const table = createUsersAuthenticator({ users, anonymous: false, fileSystem });
  const authenticate: Authenticator = async (request) => {
    if (anonymous && users[request.user] === undefined && ANONYMOUS.has(request.user.toLowerCase())) {
      const writable = options.write === true && options.readOnly !== true;
      return { fs: new LocalFileSystem(root), permissions: writable ? "all" : "read-only" };
    }
    const account = await table(request);
    if (account && options.readOnly === true) return { ...account, permissions: "read-only" };
    return account;
  };
  const passive = await passiveOptions(options, lines);
  return {
    serverOptions: { authenticate, ...(passive === undefined ? {} : { passive }) },
    user,
    password,
    showPassword,
    lines,
  };
}

/**
 * The passive port range and the PASV address (resolved once, here), with a line for people
 * about each in `lines`.
 * @throws UsageError for an address that does not resolve to IPv4.
 */
export async function passiveOptions(
  options: Pick<AccessOptions, "passivePorts" | "advertise">,
  lines: string[],
): Promise<FtpServerOptions["passive"]> {
  let advertisedAddress: string | undefined;
  if (options.advertise !== undefined) {
    advertisedAddress = options.advertise;
    if (!isIPv4(advertisedAddress)) {
      try {
        advertisedAddress = (await lookup(options.advertise, { family: 4 })).address;
      } catch (cause) {
        throw new CliUsageError(
          `--advertise ${options.advertise}: not an IPv4 address and it does not resolve to one`,
          {
            cause,
          },
        );
      }
    }
    lines.push(`PASV replies advertise ${advertisedAddress}`);
  }
  if (options.passivePorts !== undefined)
    lines.push(`passive ports ${options.passivePorts[0]}-${options.passivePorts[1]}`);
  return options.passivePorts === undefined && advertisedAddress === undefined
    ? undefined
    : {
        ...(options.passivePorts === undefined ? {} : { portRange: options.passivePorts }),
        ...(advertisedAddress === undefined ? {} : { advertisedAddress }),
      };
}
