/** Stable codes of {@link AccountStoreError}. */
export type AccountStoreErrorCode =
  /** `add`: an account with that name exists. */
  | "FTP_ERR_ACCOUNT_EXISTS"
  /** An account's fields do not validate (the message names the field, never a password). */
  | "FTP_ERR_ACCOUNT_INVALID"
  /** The database's schema is newer than this package. */
  | "FTP_ERR_SCHEMA_NEWER"
  /** A migration failed (and was rolled back). */
  | "FTP_ERR_MIGRATION"
  /** An account's root cannot be served (e.g. an S3 root with no S3 support configured). */
  | "FTP_ERR_ACCOUNT_ROOT";

const BRAND = Symbol.for("ftp.error.AccountStoreError");

/** An error of the account store, with a stable {@link AccountStoreErrorCode}. */
export class AccountStoreError extends Error {
  override readonly name = "AccountStoreError";
  readonly code: AccountStoreErrorCode;
  readonly [BRAND] = true;

  constructor(message: string, options: { code: AccountStoreErrorCode; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }

  /** Works across copies of the package. */
  static isInstance(error: unknown): error is AccountStoreError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
  }
}
