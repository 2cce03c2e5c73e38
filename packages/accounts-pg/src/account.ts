import type { Permission } from "@ftpkit/protocol";
import { type AccountPermissions, isPasswordHash } from "@ftpkit/server";
import { z } from "zod";
import { AccountStoreError } from "./errors.js";

/** An account's files in a local directory (served with `LocalFileSystem`). */
export interface LocalRoot {
  readonly kind: "local";
  /** Absolute path of the directory. */
  readonly path: string;
}

/** An account's files under a key prefix of a bucket on an S3-compatible store. */
export interface S3Root {
  readonly kind: "s3";
  readonly bucket: string;
  /** Key prefix of the account's `/` (default `""`, the whole bucket). */
  readonly prefix: string;
  /** The store's endpoint URL (default: AWS). */
  readonly endpoint?: string;
  readonly region?: string;
  /**
   * The name of a set of credentials the application knows (`archive`, `tenant-7`): never a
   * secret itself. Default: the SDK's credential chain (environment, instance role...).
   */
  readonly credentials?: string;
}

export type AccountRoot = LocalRoot | S3Root;

/** Quotas; an absent limit is no limit. */
export interface AccountQuota {
  /** Most bytes the account may store. */
  readonly bytes?: number;
  /** Most files the account may store. */
  readonly files?: number;
}

/** What an account has stored, as counted by {@link PostgresAccountStore.recordUpload}. */
export interface AccountUsage {
  readonly bytes: number;
  readonly files: number;
}

/**
 * An account's usage as the server reads and changes it (`quota.usage` of the server's
 * `Account`): `get` before an upload, `add` with the change after it (negative for what was
 * freed). Backed by the `used_bytes`/`used_files` columns, so every node counts into the same row.
 */
export interface QuotaUsageStore {
  get(): Promise<AccountUsage>;
  add(delta: AccountUsage): Promise<void>;
  /**
   * Adds `delta` only if the usage stays within the quotas ({@link PostgresAccountStore.reserve}):
   * the server reserves each new file with it, so nodes sharing the database never store more
   * files than the quota between them.
   */
  reserve(delta: AccountUsage): Promise<boolean>;
}

/** Transfer rate limits in bytes per second; an absent limit is no limit. */
export interface AccountBandwidth {
  readonly upload?: number;
  readonly download?: number;
}

/** An account as stored, without its password hash. */
export interface AccountRecord {
  readonly id: number;
  readonly name: string;
  readonly enabled: boolean;
  readonly root: AccountRoot;
  readonly home: string;
  readonly permissions: AccountPermissions;
  readonly fxp: boolean;
  /** Overrides the server's TLS policy for this account; absent: the server's. */
  readonly tls?: "required" | "optional";
  readonly maxSessions?: number;
  readonly quota: AccountQuota;
  readonly usage: AccountUsage;
  readonly bandwidth: AccountBandwidth;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A new account. */
export interface NewAccount {
  readonly name: string;
  /** A `hashPassword()` string of @ftpkit/server (`scrypt$N$r$p$salt$hash`); nothing else. */
  readonly passwordHash: string;
  /** Default true. */
  readonly enabled?: boolean;
  readonly root: AccountRoot | (Omit<S3Root, "prefix"> & { readonly prefix?: string });
  /** Starting directory (virtual path); default `/`. */
  readonly home?: string;
  /** Default `"all"`. */
  readonly permissions?: AccountPermissions;
  readonly fxp?: boolean;
  readonly tls?: "required" | "optional";
  readonly maxSessions?: number;
  readonly quota?: AccountQuota;
  readonly bandwidth?: AccountBandwidth;
}

/** Changes to an account; `null` clears an optional setting (back to the server's default, or no limit). */
export interface AccountChanges {
  readonly enabled?: boolean;
  readonly root?: NewAccount["root"];
  readonly home?: string;
  readonly permissions?: AccountPermissions;
  readonly fxp?: boolean;
  readonly tls?: "required" | "optional" | null;
  readonly maxSessions?: number | null;
  readonly quota?: { readonly bytes?: number | null; readonly files?: number | null };
  readonly bandwidth?: { readonly upload?: number | null; readonly download?: number | null };
}

export const PERMISSIONS = [
  "list",
  "read",
  "write",
  "append",
  "delete",
  "rename",
  "mkdir",
  "rmdir",
  "chmod",
] as const satisfies readonly Permission[];

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const rate = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const virtualPath = z
  .string()
  .startsWith("/")
  .max(4096)
  .refine((p) => !/[\0\r\n]/.test(p), "no NUL, CR or LF");

export const accountNameSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((n) => !/\p{Cc}/u.test(n), "no control characters");

export const accountRootSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("local"), path: z.string().startsWith("/", "must be an absolute path") }).strict(),
  z
    .object({
      kind: z.literal("s3"),
      bucket: z.string().min(1).max(255),
      prefix: z.string().max(1024).default(""),
      endpoint: z.url().optional(),
      region: z.string().min(1).max(64).optional(),
      credentials: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, "a credentials name: letters, digits, _ . -")
        .optional(),
    })
    .strict(),
]);

const permissionsSchema = z.union([z.literal("all"), z.literal("read-only"), z.array(z.enum(PERMISSIONS))]);

const settings = {
  enabled: z.boolean(),
  root: accountRootSchema,
  home: virtualPath,
  permissions: permissionsSchema,
  fxp: z.boolean(),
};

export const newAccountSchema = z
  .object({
    name: accountNameSchema,
    passwordHash: z.string().refine(isPasswordHash, "must be a hashPassword() string: scrypt$N$r$p$salt$hash"),
    enabled: settings.enabled.optional(),
    root: settings.root,
    home: settings.home.optional(),
    permissions: settings.permissions.optional(),
    fxp: settings.fxp.optional(),
    tls: z.enum(["required", "optional"]).optional(),
    maxSessions: z
      .number()
      .int()
      .positive()
      .max(2 ** 31 - 1)
      .optional(),
    quota: z.object({ bytes: count.optional(), files: count.optional() }).strict().optional(),
    bandwidth: z.object({ upload: rate.optional(), download: rate.optional() }).strict().optional(),
  })
  .strict();

export const accountChangesSchema = z
  .object({
    enabled: settings.enabled.optional(),
    root: settings.root.optional(),
    home: settings.home.optional(),
    permissions: settings.permissions.optional(),
    fxp: settings.fxp.optional(),
    tls: z.enum(["required", "optional"]).nullable().optional(),
    maxSessions: z
      .number()
      .int()
      .positive()
      .max(2 ** 31 - 1)
      .nullable()
      .optional(),
    quota: z.object({ bytes: count.nullable().optional(), files: count.nullable().optional() }).strict().optional(),
    bandwidth: z
      .object({ upload: rate.nullable().optional(), download: rate.nullable().optional() })
      .strict()
      .optional(),
  })
  .strict();

/**
 * Validates with a schema; the error names the field (and never echoes a password hash).
 * @internal
 */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join(".") || "account";
  throw new AccountStoreError(`${field}: ${issue?.message ?? "invalid"}`, { code: "FTP_ERR_ACCOUNT_INVALID" });
}

/** The `permissions` column's form. @internal */
export function permissionsColumn(permissions: AccountPermissions): string[] {
  if (permissions === "all" || permissions === "read-only") return [permissions];
  return [...new Set(permissions)].sort((a, b) => PERMISSIONS.indexOf(a) - PERMISSIONS.indexOf(b));
}

/** The root columns (root_kind, root_path, s3_bucket, s3_prefix, s3_endpoint, s3_region, s3_credentials). @internal */
export function rootColumns(root: AccountRoot): [string, string | null, string | null, string, ...(string | null)[]] {
  if (root.kind === "local") return ["local", root.path, null, "", null, null, null];
  return ["s3", null, root.bucket, root.prefix, root.endpoint ?? null, root.region ?? null, root.credentials ?? null];
}

/** A row of `ftpkit.accounts` as selected by {@link ACCOUNT_COLUMNS}. @internal */
export interface AccountRow {
  id: string;
  name: string;
  enabled: boolean;
  root_kind: "local" | "s3";
  root_path: string | null;
  s3_bucket: string | null;
  s3_prefix: string;
  s3_endpoint: string | null;
  s3_region: string | null;
  s3_credentials: string | null;
  home: string;
  permissions: string[];
  fxp: boolean;
  tls: "required" | "optional" | null;
  max_sessions: number | null;
  quota_bytes: string | null;
  quota_files: string | null;
  used_bytes: string;
  used_files: string;
  upload_rate: string | null;
  download_rate: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Every column but the password hash. @internal */
export const ACCOUNT_COLUMNS =
  "id, name, enabled, root_kind, root_path, s3_bucket, s3_prefix, s3_endpoint, s3_region, s3_credentials, home, " +
  "permissions, fxp, tls, max_sessions, quota_bytes, quota_files, used_bytes, used_files, upload_rate, " +
  "download_rate, created_at, updated_at";

/** Maps a row to an {@link AccountRecord}. @internal */
export function toRecord(row: AccountRow): AccountRecord {
  const root: AccountRoot =
    row.root_kind === "local"
      ? { kind: "local", path: row.root_path ?? "" }
      : {
          kind: "s3",
          bucket: row.s3_bucket ?? "",
          prefix: row.s3_prefix,
          ...(row.s3_endpoint === null ? {} : { endpoint: row.s3_endpoint }),
          ...(row.s3_region === null ? {} : { region: row.s3_region }),
          ...(row.s3_credentials === null ? {} : { credentials: row.s3_credentials }),
        };
  const [first] = row.permissions;
  const permissions: AccountPermissions =
    row.permissions.length === 1 && (first === "all" || first === "read-only")
      ? first
      : (row.permissions as Permission[]);
  return {
    id: Number(row.id),
    name: row.name,
    enabled: row.enabled,
    root,
    home: row.home,
    permissions,
    fxp: row.fxp,
    ...(row.tls === null ? {} : { tls: row.tls }),
    ...(row.max_sessions === null ? {} : { maxSessions: row.max_sessions }),
    quota: {
      ...(row.quota_bytes === null ? {} : { bytes: Number(row.quota_bytes) }),
      ...(row.quota_files === null ? {} : { files: Number(row.quota_files) }),
    },
    usage: { bytes: Number(row.used_bytes), files: Number(row.used_files) },
    bandwidth: {
      ...(row.upload_rate === null ? {} : { upload: Number(row.upload_rate) }),
      ...(row.download_rate === null ? {} : { download: Number(row.download_rate) }),
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
