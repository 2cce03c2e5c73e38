export { crc32 } from "./crc32.js";
export { createFileHash, type FileHash } from "./file-hash.js";
export type { FileSystem, UniqueWriteOptions, UploadMode, WriteOptions, WriteTarget } from "./file-system.js";
export { FileSystemError } from "./file-system-error.js";
export { LocalFileSystem, type LocalFileSystemOptions } from "./local-file-system.js";
export { MemoryFileSystem, type MemoryFileSystemOptions, type MemoryFileSystemSeed } from "./memory-file-system.js";
export { STORAGE_ERROR_KIND_BY_CODE, storageErrorKindOf } from "./storage-error-kind.js";
