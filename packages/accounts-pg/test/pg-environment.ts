/**
 * The PostgreSQL the tests run against (started by global-setup.ts), and databases of their
 * own for the test files, so that files run in parallel without seeing each other's rows.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import { migrate } from "../src/index.js";

export type PostgresTestEnvironment = { readonly url: string } | { readonly unavailable: string };

export interface TestDatabase {
  /** Connection string of the database. */
  readonly url: string;
  /** A new pool on it (ended after the file's tests). */
  pool(options?: pg.PoolConfig): pg.Pool;
}

/** URL of another database on the same server. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(url: string, f: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end();
  }
}

/**
 * A `describe` whose tests need PostgreSQL: without one, a single failing test says why (a
 * missing database is a failure to see, never a skipped test).
 */
export function describePostgres(title: string, body: (serverUrl: string) => void): void {
  const env = inject("postgres");
  if ("unavailable" in env) {
    describe(title, () => {
      it("has a PostgreSQL server to test against", () => {
        throw new Error(env.unavailable);
      });
    });
    return;
  }
  describe(title, () => body(env.url));
}

/**
 * Registers hooks that create an empty database before the enclosing block's tests (migrated
 * unless `migrated: false`) and drop it after them; returns it (usable inside tests and hooks).
 */
export function useDatabase(serverUrl: string, label: string, options: { migrated?: boolean } = {}): TestDatabase {
  const name = `ftpkit_${label.replace(/\W/g, "_").slice(0, 30)}_${randomBytes(4).toString("hex")}`.toLowerCase();
  const url = withDatabase(serverUrl, name);
  const pools: pg.Pool[] = [];
  const database: TestDatabase = {
    url,
    pool(poolOptions = {}) {
      const pool = new pg.Pool({ connectionString: url, max: 10, ...poolOptions });
      pool.on("error", () => {});
      pools.push(pool);
      return pool;
    },
  };
  beforeAll(async () => {
    await admin(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    if (options.migrated !== false) {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      await migrate(pool);
      await pool.end();
    }
  });
  afterAll(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end()));
    await admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  return database;
}
