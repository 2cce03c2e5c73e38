import type { StorageErrorKind } from "@ftpkit/protocol";
import { FileSystemError } from "@ftpkit/server";

/**
 * S3 error codes (the `name` of an SDK service exception, the `<Code>` of the XML error) and
 * the storage error kind each means. Anything else is `io`.
 *
 * - `busy` (450, "try again") for throttling and conflicts that pass: the SDK has already
 *   retried these a few times. `PreconditionFailed` means the object changed while a resumed
 *   upload was copying from it.
 * - Credential and signature errors are `io`, not `permission`: they are the server's
 *   configuration, not something this client may not do.
 */
export const S3_ERROR_KINDS: Readonly<Record<string, StorageErrorKind>> = Object.freeze({
  NoSuchKey: "not-found",
  NotFound: "not-found",
  AccessDenied: "permission",
  AllAccessDisabled: "permission",
  AccountProblem: "permission",
  QuotaExceeded: "quota",
  InsufficientStorage: "no-space",
  InsufficientCapacity: "no-space",
  EntityTooLarge: "too-large",
  KeyTooLongError: "name-too-long",
  InvalidObjectName: "invalid-name",
  SlowDown: "busy",
  ServiceUnavailable: "busy",
  Throttling: "busy",
  ThrottlingException: "busy",
  TooManyRequests: "busy",
  TooManyRequestsException: "busy",
  RequestLimitExceeded: "busy",
  OperationAborted: "busy",
  ConcurrentModification: "busy",
  PreconditionFailed: "busy",
  SignatureDoesNotMatch: "io",
  InvalidAccessKeyId: "io",
  InvalidToken: "io",
  ExpiredToken: "io",
  AuthorizationHeaderMalformed: "io",
  RequestTimeTooSkewed: "io",
});

/** What an SDK error looks like: a name (the S3 code) and the HTTP status in `$metadata`. */
interface ServiceErrorLike {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** The S3 error code of an SDK error (`NoSuchKey`, `SlowDown`...), if it is one. */
export function s3ErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { name, Code } = error as ServiceErrorLike;
  if (typeof Code === "string") return Code;
  return typeof name === "string" ? name : undefined;
}

/** The HTTP status of an SDK error, if the store answered. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as ServiceErrorLike).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/** The object (or bucket) is not there: `NoSuchKey`, `NotFound`, or a bare 404. */
export function isNotFound(error: unknown): boolean {
  const code = s3ErrorCode(error);
  return code === "NoSuchKey" || code === "NotFound" || (httpStatusOf(error) === 404 && code !== "NoSuchBucket");
}

/** A conditional write lost: the key exists already (`If-None-Match: *`). */
export function isPreconditionFailed(error: unknown): boolean {
  return s3ErrorCode(error) === "PreconditionFailed" || httpStatusOf(error) === 412;
}

/** The storage error kind of an S3 or network error. */
export function kindOfS3Error(error: unknown): StorageErrorKind {
  const code = s3ErrorCode(error);
  if (code !== undefined && Object.hasOwn(S3_ERROR_KINDS, code)) return S3_ERROR_KINDS[code] as StorageErrorKind;
  const status = httpStatusOf(error);
  if (status === 404) return code === "NoSuchBucket" ? "io" : "not-found";
  if (status === 403) return "permission";
  if (status === 429 || status === 503) return "busy";
  if (status === 507) return "no-space";
  return "io";
}

/**
 * Turns anything an S3 call threw into a {@link FileSystemError}. The message names the
 * operation, the virtual path and the S3 code, never the bucket, a key or the endpoint; the
 * original error stays in `cause` for logs. A FileSystemError passes through unchanged.
 */
export function toFileSystemError(error: unknown, operation: string, path?: string): FileSystemError {
  if (FileSystemError.isInstance(error)) return error;
  const code = s3ErrorCode(error);
  const status = httpStatusOf(error);
  const what = status !== undefined ? `${code ?? "error"} (HTTP ${status})` : networkCode(error);
  return new FileSystemError(kindOfS3Error(error), `S3 ${operation}${path ? ` of ${path}` : ""} failed: ${what}`, {
    cause: error,
  });
}

function networkCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : "unknown error";
}
