/**
 * @ftpkit/storage-s3: an S3 back-end for @ftpkit/server. `S3FileSystem` implements the
 * server's `FileSystem` on any S3-compatible store through `@aws-sdk/client-s3`.
 */
export { isNotFound, kindOfS3Error, S3_ERROR_KINDS, toFileSystemError } from "./errors.js";
export { S3FileSystem, type S3FileSystemOptions } from "./s3-file-system.js";
