/**
 * `ftpkit serve --accounts-db URL`: the state several server nodes share, so that any node
 * can serve any client. Accounts (passwords, roots, permissions, quotas, limits) come from
 * PostgreSQL through @ftpkit/accounts-pg (schema migrated at start, safe when nodes start
 * together); accounts with an S3 root are served by S3FileSystem; the defender keeps its
 * scores and bans in the same database (a ban on one node refuses the address on all); quota
 * usage is counted in the account's row (the authenticator attaches its usage store).
 *
 * pg, @ftpkit/accounts-pg and the AWS SDK are loaded only here, on demand: `ftpkit serve DIR`
 * does not pay for them.
 */
import type { Authenticator, DefenderStore } from "@ftpkit/server";
import { CliError, CliUsageError } from "./errors.js";
import { EXIT } from "./exit-codes.js";

/** Settings of the S3 clients of S3 roots (an account's own endpoint and region win). */
export interface S3Settings {
  readonly endpoint?: string;
  readonly region?: string;
  /** Path-style URLs; default: on with an endpoint (S3-compatible stores), off for AWS. */
  readonly forcePathStyle?: boolean;
  /** Static keys for roots without a credentials name; default: the AWS SDK's chain. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

export interface SharedStateOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  readonly s3: S3Settings;
  /** Where credentials names of S3 roots are looked up (`FTPKIT_S3_<NAME>_...`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface SharedState {
  readonly authenticate: Authenticator;
  /** The defender's store: bans shared by every node on the database. */
  readonly defenderStore: DefenderStore;
  /** The URL without its password, for people. */
  readonly where: string;
  /** The schema migrations applied at this start (empty when up to date). */
  readonly migrated: readonly number[];
  /** Releases the S3 clients and the database pool. */
  close(): Promise<void>;
}

/** The URL as it may be printed: the password replaced by `****`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "****";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/**
 * Connects to the accounts database, migrates it, and builds the authenticator (S3 roots on
 * S3FileSystem with `WHEN_REQUIRED` checksums, as Ceph RGW and older MinIO need) and the
 * defender's store.
 * @throws CliError: exit 3 when the database cannot be reached or refuses the login, exit 1
 *   when its schema is newer than this version or a migration fails; CliUsageError for a URL
 *   pg cannot use.
 */
export async function openSharedState(options: SharedStateOptions): Promise<SharedState> {
  const where = redactUrl(options.url);
  const [{ default: pg }, accounts, { createFileSystemFor, credentialsEnvPrefix }] = await Promise.all([
    import("pg"),
    import("@ftpkit/accounts-pg"),
    import("@ftpkit/accounts-pg/s3"),
  ]);
  let pool: InstanceType<typeof pg.Pool>;
  try {
    // A pool per process: logins, ban checks and usage updates each take one connection briefly.
    pool = new pg.Pool({ connectionString: options.url, max: 10, connectionTimeoutMillis: 10_000 });
  } catch (cause) {
    throw new CliUsageError(`--accounts-db ${where}: ${(cause as Error).message}`, { cause });
  }
  // An idle client's connection dropping (database restart) must not kill the process; the
  // next query reconnects, and failures there reach the server's error event.
  pool.on("error", () => {});
  let migrated: readonly number[];
  try {
    migrated = (await accounts.migrate(pool)).applied;
  } catch (cause) {
    await pool.end().catch(() => {});
    if (accounts.AccountStoreError.isInstance(cause)) {
      throw new CliError(EXIT.failure, `accounts database ${where}: ${(cause as Error).message}`, { cause });
    }
    throw new CliError(EXIT.connection, `cannot use the accounts database ${where}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const s3 = options.s3;
  const fileSystemFor = createFileSystemFor({
    client: (root) => {
      const endpoint = root.endpoint ?? s3.endpoint;
      let credentials = s3.credentials;
      if (root.credentials !== undefined) {
        const prefix = credentialsEnvPrefix(root.credentials);
        const accessKeyId = options.env[`${prefix}ACCESS_KEY_ID`];
        const secretAccessKey = options.env[`${prefix}SECRET_ACCESS_KEY`];
        if (!accessKeyId || !secretAccessKey) {
          throw new accounts.AccountStoreError(
            `no S3 credentials named ${root.credentials} (set ${prefix}ACCESS_KEY_ID and ${prefix}SECRET_ACCESS_KEY)`,
            { code: "FTP_ERR_ACCOUNT_ROOT" },
          );
        }
        const sessionToken = options.env[`${prefix}SESSION_TOKEN`];
        credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
      }
      return {
        ...(endpoint === undefined ? {} : { endpoint }),
        region: root.region ?? s3.region ?? "us-east-1",
        forcePathStyle: s3.forcePathStyle ?? endpoint !== undefined,
        // Ceph RGW (and MinIO before 2024) reject the SDK's default streamed checksums
        // (aws-chunked with a trailer: 411 MissingContentLength): only where S3 requires them.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        ...(credentials === undefined ? {} : { credentials }),
      };
    },
  });
  return {
    authenticate: accounts.createPostgresAuthenticator(pool, { fileSystemFor }),
    defenderStore: new accounts.PostgresDefenderStore(pool),
    where,
    migrated,
    close: async () => {
      fileSystemFor.destroy();
      await pool.end().catch(() => {});
    },
  };
}
