/**
 * @ftpkit/accounts-pg: the accounts of @ftpkit/server in PostgreSQL. Migrations
 * (`migrate`), the account table (`PostgresAccountStore`: accounts, hashed passwords, roots,
 * permissions, quotas and their usage, limits), an `Authenticator` for `FtpServer`
 * (`createPostgresAuthenticator`), and the defender's bans shared by every server node
 * (`PostgresDefenderStore`). S3 roots: `@ftpkit/accounts-pg/s3`.
 */
export type {
  AccountBandwidth,
  AccountChanges,
  AccountQuota,
  AccountRecord,
  AccountRoot,
  AccountUsage,
  LocalRoot,
  NewAccount,
  QuotaUsageStore,
  S3Root,
} from "./account.js";
export { PostgresAccountStore, type Reservation } from "./account-store.js";
export {
  createPostgresAuthenticator,
  localFileSystemFor,
  type PostgresAccount,
  type PostgresAuthenticatorOptions,
  toAccount,
} from "./authenticator.js";
export { PostgresDefenderStore } from "./defender-store.js";
export { AccountStoreError, type AccountStoreErrorCode } from "./errors.js";
export {
  MIGRATION_LOCK,
  MIGRATIONS,
  type MigrateResult,
  type Migration,
  migrate,
  SCHEMA_VERSION,
  schemaVersion,
} from "./migrations.js";
