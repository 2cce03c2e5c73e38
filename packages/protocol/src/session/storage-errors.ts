/**
 * What can go wrong in a file-system operation, independent of the storage behind it.
 * Storage back-ends map their own errors (errno codes, S3 error names) to these kinds;
 * this table maps the kinds to FTP replies, so every server answers alike and never sends
 * a host path or a stack trace to the client.
 */
export type StorageErrorKind =
  | "not-found"
  | "permission"
  | "exists"
  | "not-directory"
  | "is-directory"
  | "not-empty"
  | "no-space"
  | "quota"
  | "name-too-long"
  | "invalid-name"
  | "busy"
  | "not-supported"
  | "too-large"
  | "io";

export interface StorageErrorReply {
  readonly code: number;
  readonly text: string;
}

/**
 * RFC 959 §4.2.2: 550 file unavailable, 553 file name not allowed, 450 file busy,
 * 451 local error, 452 insufficient storage space, 552 exceeded storage allocation.
 */
export const STORAGE_ERROR_REPLIES: Readonly<Record<StorageErrorKind, StorageErrorReply>> = Object.freeze({
  "not-found": { code: 550, text: "No such file or directory." },
  permission: { code: 550, text: "Permission denied." },
  exists: { code: 550, text: "File exists." },
  "not-directory": { code: 550, text: "Not a directory." },
  "is-directory": { code: 550, text: "Is a directory." },
  "not-empty": { code: 550, text: "Directory not empty." },
  "no-space": { code: 452, text: "Insufficient storage space." },
  quota: { code: 552, text: "Exceeded storage allocation." },
  "name-too-long": { code: 553, text: "File name too long." },
  "invalid-name": { code: 553, text: "File name not allowed." },
  busy: { code: 450, text: "File busy." },
  "not-supported": { code: 502, text: "Not supported by this file system." },
  "too-large": { code: 451, text: "Too large to process." },
  io: { code: 451, text: "Local error in processing." },
});

/** The reply for a storage error kind. */
export function storageErrorReply(kind: StorageErrorKind): StorageErrorReply {
  return STORAGE_ERROR_REPLIES[kind];
}
