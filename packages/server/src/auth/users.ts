import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Permission } from "@ftpkit/protocol";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Account, AccountPermissions, Authenticator } from "../account.js";
import { FtpServerError } from "../errors/index.js";
import type { FileSystem } from "../fs/file-system.js";
import { hashPassword, isPasswordHash, verifyPassword } from "./password.js";

/** One account of the built-in authenticator. */
export interface UserEntry {
  /** A {@link hashPassword} string (`scrypt$N$r$p$salt$hash`); plain passwords are refused. */
  readonly password: string;
  /** This user's directory on disk (served with `LocalFileSystem`); default: the server's `root`. */
  readonly root?: string;
  /** Starting directory inside the root (virtual path). */
  readonly home?: string;
  readonly permissions?: AccountPermissions;
  readonly fxp?: boolean;
  readonly maxSessions?: number;
  /** Upload quota (bytes and file count; usage counted by the server). */
  readonly quota?: { readonly bytes?: number; readonly files?: number };
  /** Bandwidth per transfer, bytes per second. */
  readonly bandwidth?: { readonly upload?: number; readonly download?: number };
}

/** Users by name: a password hash alone, or an entry. */
export type UsersTable = Readonly<Record<string, string | UserEntry>>;

const PERMISSIONS = ["list", "read", "write", "append", "delete", "rename", "mkdir", "rmdir", "chmod"] as const;

const passwordHash = z
  .string()
  .refine(isPasswordHash, { message: "must be a hashPassword() string: scrypt$N$r$p$salt$hash" });

const userEntrySchema = z.union([
  passwordHash,
  z
    .object({
      password: passwordHash,
      root: z.string().min(1).optional(),
      home: z.string().startsWith("/").optional(),
      permissions: z
        .union([z.literal("all"), z.literal("read-only"), z.array(z.enum(PERMISSIONS) satisfies z.ZodType<Permission>)])
        .optional(),
      fxp: z.boolean().optional(),
      maxSessions: z.number().int().positive().optional(),
      quota: z
        .object({
          bytes: z.number().int().nonnegative().optional(),
          files: z.number().int().nonnegative().optional(),
        })
        .strict()
        .optional(),
      bandwidth: z
        .object({
          upload: z.number().positive().optional(),
          download: z.number().positive().optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
]);

/** The shape of a users table (and of a users file). */
export const usersTableSchema = z.record(z.string().min(1).max(256), userEntrySchema);

/**
 * Reads a users file: JSON or YAML (YAML is a superset of JSON), a map of user name to a
 * password hash or a {@link UserEntry}. A relative `root` is taken relative to the file.
 * @throws FtpServerError (`FTP_ERR_USERS_FILE`) when it cannot be read or does not validate;
 *   the message names the file and the offending key, never a password.
 */
export async function loadUsersFile(path: string): Promise<Record<string, UserEntry>> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(path, "utf8"));
  } catch (cause) {
    throw new FtpServerError(`users file ${path}: cannot read or parse it`, { code: "FTP_ERR_USERS_FILE", cause });
  }
  const result = usersTableSchema.safeParse(parsed ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new FtpServerError(`users file ${path}: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`, {
      code: "FTP_ERR_USERS_FILE",
    });
  }
  const base = dirname(resolve(path));
  const out: Record<string, UserEntry> = {};
  for (const [name, entry] of Object.entries(result.data)) {
    const e: UserEntry = typeof entry === "string" ? { password: entry } : (entry as UserEntry);
    out[name] = e.root === undefined ? e : { ...e, root: resolve(base, e.root) };
  }
  return out;
}

export interface UsersAuthenticatorOptions {
  readonly users: UsersTable;
  /** Let `anonymous` and `ftp` log in with any password, read-only (off unless asked for). */
  readonly anonymous?: boolean;
  /** The file system of a user (called at each login). */
  readonly fileSystem: (user: string, entry: UserEntry | undefined) => FileSystem;
}

const ANONYMOUS = new Set(["anonymous", "ftp"]);
let dummyHash: Promise<string> | undefined;

/**
 * The built-in authenticator: users with scrypt-hashed passwords, and read-only anonymous
 * access when asked for. An unknown user costs the same scrypt work as a known one, so user
 * names cannot be probed by timing.
 * @throws FtpServerError (`FTP_ERR_USERS_FILE`) for a table that does not validate.
 */
export function createUsersAuthenticator(options: UsersAuthenticatorOptions): Authenticator {
  const checked = usersTableSchema.safeParse(options.users);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new FtpServerError(`users: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`, {
      code: "FTP_ERR_USERS_FILE",
    });
  }
  const table = new Map<string, UserEntry>();
  for (const [name, entry] of Object.entries(options.users)) {
    table.set(name, typeof entry === "string" ? { password: entry } : entry);
  }
  return async ({ user, password }): Promise<Account | null> => {
    const entry = table.get(user);
    if (entry === undefined) {
      if (options.anonymous === true && ANONYMOUS.has(user.toLowerCase())) {
        return { fs: options.fileSystem(user, undefined), permissions: "read-only" };
      }
      dummyHash ??= hashPassword("ftpkit-dummy");
      await verifyPassword(password, await dummyHash);
      return null;
    }
    if (!(await verifyPassword(password, entry.password))) return null;
    return {
      fs: options.fileSystem(user, entry),
      permissions: entry.permissions ?? "all",
      ...(entry.home === undefined ? {} : { home: entry.home }),
      ...(entry.fxp === undefined ? {} : { fxp: entry.fxp }),
      ...(entry.maxSessions === undefined ? {} : { maxSessions: entry.maxSessions }),
      ...(entry.quota === undefined ? {} : { quota: entry.quota }),
      ...(entry.bandwidth === undefined ? {} : { bandwidth: entry.bandwidth }),
    };
  };
}
