import type { Pool } from "pg";
import {
  ACCOUNT_COLUMNS,
  type AccountChanges,
  type AccountRecord,
  type AccountRow,
  type AccountUsage,
  accountChangesSchema,
  accountNameSchema,
  type NewAccount,
  newAccountSchema,
  permissionsColumn,
  type QuotaUsageStore,
  rootColumns,
  toRecord,
  validate,
} from "./account.js";
import { AccountStoreError } from "./errors.js";

/** What {@link PostgresAccountStore.reserve} answers. */
export interface Reservation {
  /** False when the account is unknown or the change would pass a quota (then nothing changed). */
  readonly ok: boolean;
  /** Usage after the change (or as it stands when refused); absent for an unknown account. */
  readonly usage?: AccountUsage;
  /** Which quota refused it. */
  readonly exceeded?: "bytes" | "files";
}

const UNIQUE_VIOLATION = "23505";

/**
 * The accounts in PostgreSQL (`ftpkit.accounts`, created by {@link migrate}): add, change,
 * list and remove accounts, set passwords, and count quota usage. Every method is one
 * statement, so any number of server nodes and admin tools can use the table at once.
 * Password hashes are written, compared by the authenticator, and never read back out.
 */
export class PostgresAccountStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Adds an account.
   * @throws AccountStoreError `FTP_ERR_ACCOUNT_INVALID` naming the bad field (a password that is
   *   not a `hashPassword()` string included), `FTP_ERR_ACCOUNT_EXISTS` for a taken name.
   */
  async add(account: NewAccount): Promise<AccountRecord> {
    const a = validate(newAccountSchema, account);
    try {
      const { rows } = await this.pool.query<AccountRow>(
        `INSERT INTO ftpkit.accounts (name, password_hash, enabled, root_kind, root_path, s3_bucket, s3_prefix,
           s3_endpoint, s3_region, s3_credentials, home, permissions, fxp, tls, max_sessions, quota_bytes, quota_files,
           upload_rate, download_rate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         RETURNING ${ACCOUNT_COLUMNS}`,
        [
          a.name,
          a.passwordHash,
          a.enabled ?? true,
          ...rootColumns(a.root),
          a.home ?? "/",
          permissionsColumn(a.permissions ?? "all"),
          a.fxp ?? false,
          a.tls ?? null,
          a.maxSessions ?? null,
          a.quota?.bytes ?? null,
          a.quota?.files ?? null,
          a.bandwidth?.upload ?? null,
          a.bandwidth?.download ?? null,
        ],
      );
      return toRecord(rows[0] as AccountRow);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new AccountStoreError(`account ${a.name} exists`, { code: "FTP_ERR_ACCOUNT_EXISTS", cause: error });
      }
      throw error;
    }
  }

  /**
   * Changes an account's settings (only the fields given; `null` clears one).
   * @returns the account as changed, or undefined when there is none of that name.
   * @throws AccountStoreError `FTP_ERR_ACCOUNT_INVALID` naming the bad field.
   */
  async update(name: string, changes: AccountChanges): Promise<AccountRecord | undefined> {
    const c = validate(accountChangesSchema, changes);
    const sets: string[] = [];
    const values: unknown[] = [name];
    const set = (column: string, value: unknown) => {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    };
    if (c.enabled !== undefined) set("enabled", c.enabled);
    if (c.root !== undefined) {
      const columns = rootColumns(c.root);
      const names = ["root_kind", "root_path", "s3_bucket", "s3_prefix", "s3_endpoint", "s3_region", "s3_credentials"];
      for (const [i, column] of names.entries()) set(column, columns[i]);
    }
    if (c.home !== undefined) set("home", c.home);
    if (c.permissions !== undefined) set("permissions", permissionsColumn(c.permissions));
    if (c.fxp !== undefined) set("fxp", c.fxp);
    if (c.tls !== undefined) set("tls", c.tls);
    if (c.maxSessions !== undefined) set("max_sessions", c.maxSessions);
    if (c.quota?.bytes !== undefined) set("quota_bytes", c.quota.bytes);
    if (c.quota?.files !== undefined) set("quota_files", c.quota.files);
    if (c.bandwidth?.upload !== undefined) set("upload_rate", c.bandwidth.upload);
    if (c.bandwidth?.download !== undefined) set("download_rate", c.bandwidth.download);
    if (sets.length === 0) return this.get(name);
    const { rows } = await this.pool.query<AccountRow>(
      `UPDATE ftpkit.accounts SET ${sets.join(", ")}, updated_at = now() WHERE name = $1 RETURNING ${ACCOUNT_COLUMNS}`,
      values,
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /**
   * Replaces an account's password hash.
   * @returns false when there is no account of that name.
   * @throws AccountStoreError `FTP_ERR_ACCOUNT_INVALID` when `passwordHash` is not a `hashPassword()` string.
   */
  async setPassword(name: string, passwordHash: string): Promise<boolean> {
    validate(newAccountSchema.shape.passwordHash, passwordHash);
    const result = await this.pool.query(
      "UPDATE ftpkit.accounts SET password_hash = $2, updated_at = now() WHERE name = $1",
      [name, passwordHash],
    );
    return result.rowCount === 1;
  }

  /** Enables or disables an account (a disabled one cannot log in). @returns false when there is none. */
  async setEnabled(name: string, enabled: boolean): Promise<boolean> {
    const result = await this.pool.query(
      "UPDATE ftpkit.accounts SET enabled = $2, updated_at = now() WHERE name = $1",
      [name, enabled],
    );
    return result.rowCount === 1;
  }

  async get(name: string): Promise<AccountRecord | undefined> {
    if (!accountNameSchema.safeParse(name).success) return undefined;
    const { rows } = await this.pool.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM ftpkit.accounts WHERE name = $1`,
      [name],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /** Every account, by name. */
  async list(): Promise<AccountRecord[]> {
    const { rows } = await this.pool.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM ftpkit.accounts ORDER BY name COLLATE "C"`,
    );
    return rows.map(toRecord);
  }

  /** Deletes an account (its files stay where they are). @returns false when there was none. */
  async remove(name: string): Promise<boolean> {
    const result = await this.pool.query("DELETE FROM ftpkit.accounts WHERE name = $1", [name]);
    return result.rowCount === 1;
  }

  // --- quota usage ---

  /**
   * Counts an upload against the account's usage, atomically (one `UPDATE ... SET used = used +
   * n`: concurrent calls from any number of nodes add up exactly). Negative numbers count a
   * deletion or a truncation; usage never goes below zero. Does not check the quota: see
   * {@link reserve} for that.
   * @param bytes bytes the account's storage grew by (for an overwrite: new size minus old).
   * @param files files it gained (0 for an overwrite or an append).
   * @returns the usage after the change, or undefined for an unknown account.
   */
  async recordUpload(name: string, bytes: number, files = 1): Promise<AccountUsage | undefined> {
    checkDelta(bytes, files);
    const { rows } = await this.pool.query<{ used_bytes: string; used_files: string }>(
      `UPDATE ftpkit.accounts
          SET used_bytes = greatest(used_bytes + $2::bigint, 0), used_files = greatest(used_files + $3::bigint, 0)
        WHERE name = $1 RETURNING used_bytes, used_files`,
      [name, bytes, files],
    );
    return rows[0] === undefined ? undefined : usageOf(rows[0]);
  }

  /** {@link recordUpload} with the signs turned: a deleted file of `bytes` bytes. */
  async recordDelete(name: string, bytes: number, files = 1): Promise<AccountUsage | undefined> {
    checkDelta(bytes, files);
    return this.recordUpload(name, -bytes, -files);
  }

  /**
   * Adds to the usage only if the result stays within the account's quotas, atomically: of
   * concurrent reservations from any number of nodes, exactly those that fit succeed. Use it
   * before an upload (with the bytes expected, or as the upload goes) and give back what was
   * not used with {@link recordDelete}.
   */
  async reserve(name: string, bytes: number, files = 0): Promise<Reservation> {
    checkDelta(bytes, files);
    const { rows } = await this.pool.query<{
      used_bytes: string;
      used_files: string;
      ok: boolean;
      bytes_over: boolean;
    }>(
      // FOR UPDATE waits for concurrent reservations and reads the row as they left it (READ
      // COMMITTED re-reads a row locked by another transaction), so the check and the refusal
      // reason use the current usage; the UPDATE then works on the row this statement holds.
      `WITH cur AS (
         SELECT id, used_bytes, used_files,
                quota_bytes IS NULL OR $2::bigint <= 0 OR used_bytes + $2::bigint <= quota_bytes AS bytes_fit,
                quota_files IS NULL OR $3::bigint <= 0 OR used_files + $3::bigint <= quota_files AS files_fit
           FROM ftpkit.accounts WHERE name = $1 FOR UPDATE
       ), updated AS (
         UPDATE ftpkit.accounts a
            SET used_bytes = greatest(a.used_bytes + $2::bigint, 0), used_files = greatest(a.used_files + $3::bigint, 0)
           FROM cur
          WHERE a.id = cur.id AND cur.bytes_fit AND cur.files_fit
          RETURNING a.used_bytes, a.used_files
       )
       SELECT coalesce(u.used_bytes, c.used_bytes) AS used_bytes, coalesce(u.used_files, c.used_files) AS used_files,
              u.used_bytes IS NOT NULL AS ok, NOT c.bytes_fit AS bytes_over
         FROM cur c LEFT JOIN updated u ON true`,
      [name, bytes, files],
    );
    const row = rows[0];
    if (row === undefined) return { ok: false };
    if (row.ok) return { ok: true, usage: usageOf(row) };
    return { ok: false, usage: usageOf(row), exceeded: row.bytes_over ? "bytes" : "files" };
  }

  /** The account's usage and quota, or undefined for an unknown account. */
  async usage(name: string): Promise<(AccountUsage & { readonly quota: AccountRecord["quota"] }) | undefined> {
    const { rows } = await this.pool.query<{
      used_bytes: string;
      used_files: string;
      quota_bytes: string | null;
      quota_files: string | null;
    }>("SELECT used_bytes, used_files, quota_bytes, quota_files FROM ftpkit.accounts WHERE name = $1", [name]);
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      ...usageOf(row),
      quota: {
        ...(row.quota_bytes === null ? {} : { bytes: Number(row.quota_bytes) }),
        ...(row.quota_files === null ? {} : { files: Number(row.quota_files) }),
      },
    };
  }

  /**
   * The account's usage as a {@link QuotaUsageStore}, for the server's `quota.usage`: `get`
   * reads the counters, `add` is {@link recordUpload}. The authenticator attaches one to every
   * account it returns.
   * @throws (from `get`) AccountStoreError `FTP_ERR_ACCOUNT_INVALID` when the account is gone.
   */
  usageStore(name: string): QuotaUsageStore {
    return {
      get: async () => {
        const usage = await this.usage(name);
        if (usage === undefined) {
          throw new AccountStoreError(`account ${name} no longer exists`, { code: "FTP_ERR_ACCOUNT_INVALID" });
        }
        return { bytes: usage.bytes, files: usage.files };
      },
      add: async (delta) => {
        await this.recordUpload(name, delta.bytes, delta.files);
      },
      reserve: async (delta) => (await this.reserve(name, delta.bytes, delta.files)).ok,
    };
  }

  /** Sets the usage outright (after counting the account's files anew). @returns false when there is no such account. */
  async setUsage(name: string, usage: AccountUsage): Promise<boolean> {
    if (
      !Number.isSafeInteger(usage.bytes) ||
      usage.bytes < 0 ||
      !Number.isSafeInteger(usage.files) ||
      usage.files < 0
    ) {
      throw new RangeError("usage bytes and files must be non-negative integers");
    }
    const result = await this.pool.query(
      "UPDATE ftpkit.accounts SET used_bytes = $2, used_files = $3 WHERE name = $1",
      [name, usage.bytes, usage.files],
    );
    return result.rowCount === 1;
  }
}

function checkDelta(bytes: number, files: number): void {
  if (!Number.isSafeInteger(bytes) || !Number.isSafeInteger(files)) {
    throw new RangeError("bytes and files must be integers");
  }
}

function usageOf(row: { used_bytes: string; used_files: string }): AccountUsage {
  return { bytes: Number(row.used_bytes), files: Number(row.used_files) };
}
