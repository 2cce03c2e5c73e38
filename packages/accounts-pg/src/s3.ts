/**
 * @ftpkit/accounts-pg/s3: serves accounts whose root is on an S3-compatible store with
 * `S3FileSystem` from @ftpkit/storage-s3 (an optional peer dependency, needed only here).
 */
import type { FileSystem } from "@ftpkit/server";
import { S3FileSystem, type S3FileSystemOptions } from "@ftpkit/storage-s3";
import type { AccountRoot, S3Root } from "./account.js";
import { localFileSystemFor } from "./authenticator.js";
import { AccountStoreError } from "./errors.js";

/** An S3 client (as `S3FileSystem` takes it), or the configuration to create one. */
export type S3ClientOrConfig = NonNullable<S3FileSystemOptions["client"]>;
/** An S3 client configuration (`S3ClientConfig` of `@aws-sdk/client-s3`). */
export type S3ClientConfig = Exclude<S3ClientOrConfig, S3FileSystem["client"]>;
/** Static credentials of an S3 client configuration. */
export type S3Credentials = {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
};

export interface S3FileSystemForOptions {
  /**
   * The client for a root: an `S3Client` (shared as it is) or a configuration (one client is
   * created per distinct endpoint, region and credentials name, and shared by their accounts).
   * Default: `{ endpoint, region, credentials: credentials(name) }` from the root.
   */
  readonly client?: (root: S3Root) => S3ClientOrConfig;
  /**
   * The credentials of a root's credentials name. Default: from the environment,
   * `FTPKIT_S3_<NAME>_ACCESS_KEY_ID` and `FTPKIT_S3_<NAME>_SECRET_ACCESS_KEY` (NAME upper-cased,
   * `-` and `.` as `_`). A root without a name uses the SDK's default chain.
   */
  readonly credentials?: (name: string) => S3Credentials | undefined;
  /** Other `S3FileSystem` options for every S3 root (part size, rename limits...). */
  readonly fileSystem?: Omit<S3FileSystemOptions, "client" | "bucket" | "prefix">;
  /** File systems of local roots. Default: `LocalFileSystem`. */
  readonly local?: (root: Extract<AccountRoot, { kind: "local" }>) => FileSystem;
  /** Environment for the default `credentials` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A `fileSystemFor` for both kinds of roots, and `destroy()` to release the S3 clients it made. */
export interface S3FileSystemFor {
  (root: AccountRoot): FileSystem;
  /** Releases every S3 client created from a configuration. */
  destroy(): void;
}

/** The environment variable prefix of a credentials name: `tenant-7` → `FTPKIT_S3_TENANT_7_`. */
export function credentialsEnvPrefix(name: string): string {
  return `FTPKIT_S3_${name.toUpperCase().replace(/[-.]/g, "_")}_`;
}

/**
 * Makes a `fileSystemFor` for `createPostgresAuthenticator`: `S3FileSystem` for S3 roots (bucket
 * and prefix from the account), `LocalFileSystem` for local ones. Clients are shared between
 * accounts with the same endpoint, region and credentials name.
 * @throws AccountStoreError (`FTP_ERR_ACCOUNT_ROOT`) at login for a credentials name that
 *   resolves to nothing.
 */
export function createFileSystemFor(options: S3FileSystemForOptions = {}): S3FileSystemFor {
  const env = options.env ?? process.env;
  const credentialsOf =
    options.credentials ??
    ((name: string): S3Credentials | undefined => {
      const prefix = credentialsEnvPrefix(name);
      const accessKeyId = env[`${prefix}ACCESS_KEY_ID`];
      const secretAccessKey = env[`${prefix}SECRET_ACCESS_KEY`];
      if (!accessKeyId || !secretAccessKey) return undefined;
      const sessionToken = env[`${prefix}SESSION_TOKEN`];
      return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    });
  const clientFor =
    options.client ??
    ((root: S3Root): S3ClientConfig => {
      let credentials: S3Credentials | undefined;
      if (root.credentials !== undefined) {
        credentials = credentialsOf(root.credentials);
        if (credentials === undefined) {
          throw new AccountStoreError(
            `no S3 credentials named ${root.credentials} (set ${credentialsEnvPrefix(root.credentials)}ACCESS_KEY_ID and ...SECRET_ACCESS_KEY)`,
            { code: "FTP_ERR_ACCOUNT_ROOT" },
          );
        }
      }
      return {
        ...(root.endpoint === undefined ? {} : { endpoint: root.endpoint }),
        ...(root.region === undefined ? {} : { region: root.region }),
        ...(credentials === undefined ? {} : { credentials }),
      };
    });
  const clients = new Map<string, S3FileSystem["client"]>();
  const owners: S3FileSystem[] = [];

  const fileSystemFor = ((root: AccountRoot): FileSystem => {
    if (root.kind === "local") return (options.local ?? localFileSystemFor)(root);
    const base = { ...options.fileSystem, bucket: root.bucket, prefix: root.prefix };
    const client = clientFor(root);
    if (typeof (client as { send?: unknown }).send === "function") return new S3FileSystem({ ...base, client });
    const key = JSON.stringify([root.endpoint ?? null, root.region ?? null, root.credentials ?? null]);
    const shared = clients.get(key);
    if (shared !== undefined) return new S3FileSystem({ ...base, client: shared });
    // The first file system of a configuration creates the client (with the settings
    // S3-compatible stores need); the later ones share it.
    const first = new S3FileSystem({ ...base, client });
    clients.set(key, first.client);
    owners.push(first);
    return first;
  }) as S3FileSystemFor;
  fileSystemFor.destroy = () => {
    for (const fs of owners.splice(0)) fs.destroy();
    clients.clear();
  };
  return fileSystemFor;
}
