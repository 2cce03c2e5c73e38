import type { Pool, PoolClient } from "pg";
import { AccountStoreError } from "./errors.js";

/**
 * The schema, as an ordered list of migrations. Each runs once, in its own transaction, and is
 * recorded in `ftpkit.schema_migrations`. Never edit a released migration: add the next one.
 *
 * Everything lives in the PostgreSQL schema `ftpkit`, so that the tables can share a database
 * with an application's own (whose `schema_migrations`, say Rails', stays its own).
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Lock keys (`pg_advisory_*(classid, objid)`): `ftpm` for migrations, `ftpd` for defender scores. */
export const MIGRATION_LOCK: readonly [number, number] = [0x6674706d, 0];
/** @internal */
export const DEFENDER_LOCK_CLASS = 0x66747064;

const PERMISSIONS = "'{list,read,write,append,delete,rename,mkdir,rmdir,chmod}'::text[]";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "accounts, defender bans and scores",
    sql: `
CREATE TABLE ftpkit.accounts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text NOT NULL UNIQUE
                   CHECK (length(name) BETWEEN 1 AND 256 AND name !~ '[[:cntrl:]]'),
  -- hashPassword() of @ftpkit/server: scrypt$N$r$p$salt$hash; nothing else is accepted.
  password_hash  text NOT NULL
                   CHECK (password_hash ~ '^scrypt\\$[0-9]+\\$[0-9]+\\$[0-9]+\\$[A-Za-z0-9+/]+={0,2}\\$[A-Za-z0-9+/]+={0,2}$'),
  enabled        boolean NOT NULL DEFAULT true,
  -- The account's root: a local directory, or a bucket and key prefix on an S3-compatible store.
  root_kind      text NOT NULL CHECK (root_kind IN ('local', 's3')),
  root_path      text,
  s3_bucket      text,
  s3_prefix      text NOT NULL DEFAULT '',
  s3_endpoint    text,
  s3_region      text,
  -- A name the application resolves to S3 credentials; never a secret itself.
  s3_credentials text CHECK (s3_credentials ~ '^[A-Za-z0-9_.-]{1,64}$'),
  home           text NOT NULL DEFAULT '/' CHECK (home LIKE '/%'),
  -- {all}, {read-only}, or a set of the server's permission names.
  permissions    text[] NOT NULL DEFAULT '{all}'
                   CHECK (permissions = '{all}' OR permissions = '{read-only}' OR permissions <@ ${PERMISSIONS}),
  fxp            boolean NOT NULL DEFAULT false,
  -- NULL: the server's policy.
  tls            text CHECK (tls IN ('required', 'optional')),
  max_sessions   integer CHECK (max_sessions > 0),
  -- Quotas (NULL: unlimited) and what is used against them.
  quota_bytes    bigint CHECK (quota_bytes >= 0),
  quota_files    bigint CHECK (quota_files >= 0),
  used_bytes     bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
  used_files     bigint NOT NULL DEFAULT 0 CHECK (used_files >= 0),
  -- Bytes per second (NULL: unlimited).
  upload_rate    bigint CHECK (upload_rate > 0),
  download_rate  bigint CHECK (download_rate > 0),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  -- coalesce: a NULL (a missing path or bucket) must fail the check, not pass it.
  CONSTRAINT accounts_root_shape CHECK (coalesce(CASE root_kind
    WHEN 'local' THEN root_path LIKE '/%' AND s3_bucket IS NULL AND s3_prefix = ''
                      AND s3_endpoint IS NULL AND s3_region IS NULL AND s3_credentials IS NULL
    WHEN 's3' THEN root_path IS NULL AND s3_bucket <> ''
  END, false))
);

-- The defender's bans, shared by every server node: one row per address, kept after the ban
-- ends (lifted) so that the next ban of the address lasts longer.
CREATE TABLE ftpkit.defender_bans (
  address    text PRIMARY KEY CHECK (length(address) BETWEEN 1 AND 100),
  until      timestamptz NOT NULL,
  count      integer NOT NULL CHECK (count > 0),
  lifted     boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX defender_bans_in_force ON ftpkit.defender_bans (until) WHERE NOT lifted;

-- Offence scores, one row per offence, summed over the observation window.
CREATE TABLE ftpkit.defender_scores (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address text NOT NULL,
  at      timestamptz NOT NULL,
  score   double precision NOT NULL CHECK (score >= 0)
);
CREATE INDEX defender_scores_address_at ON ftpkit.defender_scores (address, at);
CREATE INDEX defender_scores_at ON ftpkit.defender_scores (at);

-- Adds a score and returns the address's total since p_from, serialized per address by an
-- advisory lock: each statement of a PL/pgSQL function takes a new snapshot (READ COMMITTED),
-- so the sum after the lock sees every score committed before it, from every node.
CREATE FUNCTION ftpkit.defender_add_score(p_address text, p_at timestamptz, p_score double precision, p_from timestamptz)
RETURNS double precision LANGUAGE plpgsql AS $fn$
DECLARE
  total double precision;
BEGIN
  PERFORM pg_advisory_xact_lock(${DEFENDER_LOCK_CLASS}, hashtext(p_address));
  DELETE FROM ftpkit.defender_scores WHERE address = p_address AND at < p_from;
  INSERT INTO ftpkit.defender_scores (address, at, score) VALUES (p_address, p_at, p_score);
  SELECT coalesce(sum(score), 0) INTO total FROM ftpkit.defender_scores WHERE address = p_address;
  RETURN total;
END
$fn$;
`,
  },
];

/** The newest schema version this package knows. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was up to date). */
  readonly applied: readonly number[];
  /** The schema's version now. */
  readonly version: number;
}

/**
 * Brings the database's `ftpkit` schema up to {@link SCHEMA_VERSION}: creates the schema and its
 * `schema_migrations` table if needed, then applies each missing migration in its own
 * transaction. Idempotent. Safe when several nodes start at once: the whole run holds a
 * session-level advisory lock, so the others wait, then find nothing left to do.
 *
 * @returns the versions applied and the version now.
 * @throws AccountStoreError (`FTP_ERR_SCHEMA_NEWER`) when the database has a version this
 *   package does not know (a newer ftpkit migrated it): nothing is changed.
 * @throws the database's error when a migration fails (that migration is rolled back).
 */
export async function migrate(
  pool: Pool,
  options: { readonly migrations?: readonly Migration[] } = {},
): Promise<MigrateResult> {
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query("SELECT pg_advisory_lock($1, $2)", [...MIGRATION_LOCK]);
    try {
      return await migrateLocked(client, migrations);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1, $2)", [...MIGRATION_LOCK]);
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // After any failure the connection is closed rather than pooled: a session-level advisory
    // lock it might still hold would otherwise stop every other node's migrate() for good.
    client.release(failed);
  }
}

async function migrateLocked(client: PoolClient, migrations: readonly Migration[]): Promise<MigrateResult> {
  await client.query("CREATE SCHEMA IF NOT EXISTS ftpkit");
  await client.query(`CREATE TABLE IF NOT EXISTS ftpkit.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<{ version: number }>("SELECT version FROM ftpkit.schema_migrations");
  const done = new Set(rows.map((r) => r.version));
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...done].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new AccountStoreError(
      `the database has schema version ${Math.max(...unknown)}, newer than this @ftpkit/accounts-pg knows (${Math.max(0, ...known)}): upgrade it`,
      { code: "FTP_ERR_SCHEMA_NEWER" },
    );
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    await client.query("BEGIN");
    try {
      await client.query(migration.sql);
      await client.query("INSERT INTO ftpkit.schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw new AccountStoreError(`migration ${migration.version} (${migration.name}) failed: ${String(error)}`, {
        code: "FTP_ERR_MIGRATION",
        cause: error,
      });
    }
    applied.push(migration.version);
    done.add(migration.version);
  }
  return { applied, version: Math.max(0, ...done) };
}

/** The schema version the database is at (0 before the first migration). */
export async function schemaVersion(pool: Pool): Promise<number> {
  const exists = await pool.query<{ table: string | null }>("SELECT to_regclass('ftpkit.schema_migrations') AS table");
  if (exists.rows[0]?.table == null) return 0;
  const { rows } = await pool.query<{ version: number | null }>(
    "SELECT max(version) AS version FROM ftpkit.schema_migrations",
  );
  return rows[0]?.version ?? 0;
}
