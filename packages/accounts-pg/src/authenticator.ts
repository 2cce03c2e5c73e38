import {
  type Account,
  type Authenticator,
  type FileSystem,
  hashPassword,
  LocalFileSystem,
  type ScryptParameters,
  verifyPassword,
} from "@ftpkit/server";
import type { Pool } from "pg";
import {
  ACCOUNT_COLUMNS,
  type AccountRecord,
  type AccountRoot,
  type AccountRow,
  accountNameSchema,
  type QuotaUsageStore,
  toRecord,
} from "./account.js";
import { PostgresAccountStore } from "./account-store.js";
import { AccountStoreError } from "./errors.js";

/**
 * The {@link Account} the authenticator returns, with the stored limits in the shape of the
 * server's `Account.quota` and `Account.bandwidth`.
 */
export type PostgresAccount = Account & {
  /** The account's quotas (absent limits: unlimited) and its usage in the database. */
  readonly quota?: AccountRecord["quota"] & { readonly usage?: QuotaUsageStore };
  /** Transfer rate limits in bytes per second (absent: unlimited). */
  readonly bandwidth?: AccountRecord["bandwidth"];
};

export interface PostgresAuthenticatorOptions {
  /**
   * The file system of an account's root, at each login. Default: {@link localFileSystemFor}
   * (a `LocalFileSystem` for local roots; an S3 root fails the login, reported on the server's
   * `error` event). For S3 roots use `createFileSystemFor` from `@ftpkit/accounts-pg/s3`.
   */
  readonly fileSystemFor?: (root: AccountRoot, account: AccountRecord) => FileSystem | Promise<FileSystem>;
  /**
   * Changes the {@link Account} built from a record before it is returned (to add what the
   * server supports and the table does not carry, or to drop what it does).
   */
  readonly account?: (account: PostgresAccount, record: AccountRecord) => Account | Promise<Account>;
  /**
   * scrypt parameters of the dummy hash that unknown users are checked against, so that a
   * wrong name costs the same time as a wrong password. Use those of the stored hashes
   * (default: `hashPassword()`'s defaults).
   */
  readonly dummyHashParameters?: ScryptParameters;
  /**
   * Attach the account's usage in the database (`quota.usage`) to every account, so that the
   * server counts what it stores into `used_bytes`/`used_files` on every node, and a quota set
   * later starts from the truth. `false`: only to accounts with a quota. Default true.
   */
  readonly countUsage?: boolean;
}

/** A `LocalFileSystem` on a local root; an S3 root is an error (`FTP_ERR_ACCOUNT_ROOT`). */
export function localFileSystemFor(root: AccountRoot): FileSystem {
  if (root.kind === "local") return new LocalFileSystem(root.path);
  throw new AccountStoreError(
    "an S3 root needs @ftpkit/storage-s3: pass fileSystemFor from @ftpkit/accounts-pg/s3's createFileSystemFor",
    { code: "FTP_ERR_ACCOUNT_ROOT" },
  );
}

/** The server-facing fields of a record (`usage`: the account's usage store, see {@link PostgresAccountStore.usageStore}). */
export function toAccount(record: AccountRecord, fs: FileSystem, usage?: QuotaUsageStore): PostgresAccount {
  const limited = record.quota.bytes !== undefined || record.quota.files !== undefined;
  const rates = record.bandwidth.upload !== undefined || record.bandwidth.download !== undefined;
  return {
    fs,
    permissions: record.permissions,
    home: record.home,
    fxp: record.fxp,
    ...(record.maxSessions === undefined ? {} : { maxSessions: record.maxSessions }),
    ...(record.tls === undefined ? {} : { tls: record.tls }),
    ...(limited || usage !== undefined
      ? { quota: { ...record.quota, ...(usage === undefined ? {} : { usage }) } }
      : {}),
    ...(rates ? { bandwidth: record.bandwidth } : {}),
  };
}

/**
 * An {@link Authenticator} for `FtpServer` on the accounts table: one indexed lookup by name,
 * then scrypt verification of the password against the stored `hashPassword()` hash.
 *
 * - A disabled account is refused, after its password is checked all the same.
 * - An unknown name is checked against a dummy hash of the same cost, so that response times
 *   do not tell which names exist.
 * - The row becomes an {@link Account}: `fileSystemFor(root)` for `fs`, and permissions, home,
 *   FXP, TLS policy and session limit as stored, `quota: { bytes, files, usage }` with the
 *   account's usage in the database, and `bandwidth: { upload, download }` (see
 *   {@link PostgresAccount}).
 *
 * A database error rejects: the server answers 530 and reports it on its `error` event.
 */
export function createPostgresAuthenticator(pool: Pool, options: PostgresAuthenticatorOptions = {}): Authenticator {
  const fileSystemFor = options.fileSystemFor ?? localFileSystemFor;
  const store = new PostgresAccountStore(pool);
  const countUsage = options.countUsage ?? true;
  let dummy: Promise<string> | undefined;
  const dummyHash = () => {
    dummy ??= hashPassword("ftpkit unknown-user dummy", options.dummyHashParameters ?? {});
    return dummy;
  };
  // Hash the dummy now, so that the first unknown user does not pay for it (and stand out).
  dummyHash().catch(() => {});

  return async ({ user, password }) => {
    let row: (AccountRow & { password_hash: string }) | undefined;
    if (accountNameSchema.safeParse(user).success) {
      const { rows } = await pool.query<AccountRow & { password_hash: string }>(
        `SELECT ${ACCOUNT_COLUMNS}, password_hash FROM ftpkit.accounts WHERE name = $1`,
        [user],
      );
      row = rows[0];
    }
    if (row === undefined) {
      await verifyPassword(password, await dummyHash());
      return null;
    }
    const good = await verifyPassword(password, row.password_hash);
    if (!good || !row.enabled) return null;
    const record = toRecord(row);
    const limited = record.quota.bytes !== undefined || record.quota.files !== undefined;
    const usage = countUsage || limited ? store.usageStore(record.name) : undefined;
    const account = toAccount(record, await fileSystemFor(record.root, record), usage);
    return options.account === undefined ? account : options.account(account, record);
  };
}
