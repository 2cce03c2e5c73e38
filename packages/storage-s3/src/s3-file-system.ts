import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import type { EntryInfo, HashAlgorithm } from "@ftpkit/protocol";
import {
  createFileHash,
  type FileSystem,
  FileSystemError,
  type UniqueWriteOptions,
  type UploadMode,
  type WriteOptions,
  type WriteTarget,
} from "@ftpkit/server";
import { isNotFound, isPreconditionFailed, toFileSystemError } from "./errors.js";
import { copySource, decodeListedKey, isReachableName, KeyMap, type Location, normalizePrefix } from "./keys.js";
import {
  createComposedSink,
  createFreshSink,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  type SinkTarget,
  type SourceObject,
} from "./sinks.js";
import { unique } from "./unique-names.js";
import { createUploadTarget } from "./write-target.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Options of {@link S3FileSystem}. */
export interface S3FileSystemOptions {
  /**
   * The S3 client, or the configuration to create one. A configuration gets the settings every
   * S3-compatible store needs (override any of them): with an `endpoint`, region `us-east-1` and
   * `forcePathStyle: true`; always `requestChecksumCalculation` and `responseChecksumValidation`
   * `WHEN_REQUIRED` (Ceph RGW and older MinIO reject the SDK's default streamed checksums), and
   * keep-alive sockets, up to 256 at once. A client you pass in is used as it is: create it
   * with those settings, and share one client between the file systems of many accounts.
   * Default: `{}` (credentials and region from the environment, AWS endpoints).
   */
  readonly client?: S3Client | S3ClientConfig;
  /** The bucket. It must exist. */
  readonly bucket: string;
  /** The account's root inside the bucket (`users/alice`); default the whole bucket. */
  readonly prefix?: string;
  /**
   * Largest directory a rename may move (the sum of its objects' sizes, in bytes): S3 renames
   * by copying every object, so a big tree costs time and requests. Above it, RNTO is refused
   * with `too-large`. Default 1 GiB.
   */
  readonly maxRenameBytes?: number;
  /** Most objects a directory rename may move; above it, `too-large`. Default 10,000. */
  readonly maxRenameObjects?: number;
  /**
   * Objects larger than this (bytes) are copied (rename, MFMT) as a multipart upload of
   * UploadPartCopy parts instead of one CopyObject: 5 GiB, S3's CopyObject limit, by default;
   * lower it for a store with a smaller limit. At least 5 MiB.
   */
  readonly multipartCopyThreshold?: number;
  /**
   * Part size of multipart uploads, in bytes: at least 5 MiB (S3's minimum). Up to 10,000
   * parts make an object, so this caps the size of a streamed upload at 10,000 × partSize
   * (5 MiB: about 48 GiB). Default 5 MiB.
   */
  readonly partSize?: number;
  /**
   * Parts of one upload sent at once. Memory per upload is about `(queueSize + 2) × partSize`
   * (the parts in flight, the one filling, a copy while it is cut). Default 2: about 20 MiB per
   * upload, and as fast as 4 against a store on the same network; raise it for a distant store.
   */
  readonly queueSize?: number;
  /**
   * Largest gap a REST offset past the end of a file may leave (filled with zero bytes, which S3
   * must store: it has no sparse objects). Above it, the upload is refused with `not-supported`.
   * Default 64 MiB; 0 refuses every gap.
   */
  readonly maxZeroFillBytes?: number;
  /**
   * Where listings take modification times from:
   * - `"listing"` (default): the objects' LastModified, as ListObjectsV2 returns it: one request
   *   per 1,000 entries. A time set by MFMT (stored as `x-amz-meta-mtime`) shows in `stat`
   *   (MDTM, MLST), not in LIST/MLSD. Directories without a listing time show 1970-01-01.
   * - `"metadata"`: one HEAD per entry on top (`queueSize × 4` at once), so listings show the
   *   MFMT time and the marker's time of directories too. For mirroring tools that compare
   *   times; slower for big directories.
   */
  readonly listModifiedTimes?: "listing" | "metadata";
  /**
   * The store honours `If-None-Match: *` on PutObject (AWS S3 since 2024, Ceph RGW, MinIO).
   * STOU and MKD then reserve names atomically. With `false`, `createUnique` is absent (the
   * server answers STOU with 502) and MKD checks before it writes. Default true.
   */
  readonly conditionalWrites?: boolean;
}

/** Modification time of a directory that has no marker object to keep one. */
const UNKNOWN_TIME = 0;
const EMPTY = new Uint8Array(0);
/** Metadata key (`x-amz-meta-mtime`) of a time set by MFMT, in seconds since the epoch (as rclone and s3fs). */
const MTIME_METADATA = "mtime";

interface ObjectInfo {
  readonly size: number;
  readonly modifiedAt: Date;
  readonly etag: string | undefined;
  readonly metadata: Record<string, string>;
  readonly contentType: string | undefined;
}

type Probe = { type: "file"; info: ObjectInfo } | { type: "directory"; marker: ObjectInfo | undefined } | undefined;

function noop(): void {}

/**
 * A {@link FileSystem} on an S3 bucket (AWS S3 or any S3-compatible store: Ceph RADOS Gateway,
 * MinIO...), through `@aws-sdk/client-s3`.
 *
 * Layout: the virtual path `/a/b.txt` is the object `prefix + "a/b.txt"`. A directory is a key
 * prefix ending in `/`; `mkdir` writes an empty marker object under exactly that prefix (`a/`)
 * so that empty directories exist, and a directory exists when its marker or any key below it
 * does. The root always exists.
 *
 * What S3 cannot do the POSIX way, and what this class does instead (the package README has the
 * table per FTP command):
 * - Objects appear whole: every upload (`openWrite`) is a multipart upload, or one PutObject when
 *   smaller than a part, that is visible only once complete. So all three upload modes hide an
 *   upload in progress; they differ in what an interrupted upload leaves: `atomic` drops it (the
 *   old object, if any, stays), `standard` and `atomic-resume` complete the object with the bytes
 *   received so far, so that REST/APPE can resume it (as SFTPGo does).
 * - REST+STOR and APPE rebuild the object: old bytes before the offset, the new bytes, old bytes
 *   after them, copied inside S3 (UploadPartCopy) where they are 5 MiB or more, else read and
 *   re-sent. The old object is replaced when the upload completes.
 * - Rename is copy + delete; a directory is moved object by object (not atomically for other
 *   readers) and refused above `maxRenameBytes` / `maxRenameObjects`.
 * - MFMT stores the time as `x-amz-meta-mtime` by copying the object onto itself (S3 has no way
 *   to set LastModified); `stat` prefers it, listings show it only with
 *   `listModifiedTimes: "metadata"`.
 * - No permission bits (no `chmod`), no symlinks, no sparse objects (a gap is stored as zeros).
 *
 * One instance serves every session of its accounts: it holds no per-session state, so the
 * server's per-session `close()` is not implemented; call {@link S3FileSystem.destroy} once
 * when done, to release a client it created.
 */
export class S3FileSystem implements FileSystem {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  /**
   * STOU: reserves a free name in `directory` with an empty object written with
   * `If-None-Match: *` (so two nodes never get the same name), then uploads as `openWrite`.
   * An aborted `atomic` upload removes the reservation again if it is still that empty object.
   * Absent with `conditionalWrites: false`.
   *
   * @throws {FileSystemError} `not-found`, `not-directory`, `invalid-name` (bad hint), `exists`.
   */
  readonly createUnique?: (
    directory: string,
    options: UniqueWriteOptions,
  ) => Promise<{ path: string; target: WriteTarget }>;

  private readonly keys: KeyMap;
  private readonly ownsClient: boolean;
  private readonly maxRenameBytes: number;
  private readonly maxRenameObjects: number;
  private readonly multipartCopyThreshold: number;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly maxZeroFillBytes: number;
  private readonly listMetadata: boolean;
  private readonly conditionalWrites: boolean;

  /**
   * @throws {TypeError} for a missing bucket or a bad prefix.
   * @throws {RangeError} for a part size outside 5 MiB to 5 GiB, or a bad count or limit.
   */
  constructor(options: S3FileSystemOptions) {
    if (typeof options?.bucket !== "string" || options.bucket === "") throw new TypeError("bucket is required");
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix);
    this.keys = new KeyMap(this.prefix);
    this.maxRenameBytes = nonNegative("maxRenameBytes", options.maxRenameBytes ?? GiB);
    this.maxRenameObjects = nonNegative("maxRenameObjects", options.maxRenameObjects ?? 10_000);
    this.multipartCopyThreshold = nonNegative(
      "multipartCopyThreshold",
      options.multipartCopyThreshold ?? MAX_PART_SIZE,
    );
    if (this.multipartCopyThreshold < MIN_PART_SIZE || this.multipartCopyThreshold > MAX_PART_SIZE) {
      throw new RangeError("multipartCopyThreshold must be between 5 MiB and 5 GiB");
    }
    this.partSize = nonNegative("partSize", options.partSize ?? 5 * MiB);
    if (this.partSize < MIN_PART_SIZE || this.partSize > MAX_PART_SIZE) {
      throw new RangeError("partSize must be between 5 MiB and 5 GiB");
    }
    this.queueSize = nonNegative("queueSize", options.queueSize ?? 2);
    if (this.queueSize < 1) throw new RangeError("queueSize must be at least 1");
    this.maxZeroFillBytes = nonNegative("maxZeroFillBytes", options.maxZeroFillBytes ?? 64 * MiB);
    const listTimes = options.listModifiedTimes ?? "listing";
    if (listTimes !== "listing" && listTimes !== "metadata") {
      throw new TypeError('listModifiedTimes must be "listing" or "metadata"');
    }
    this.listMetadata = listTimes === "metadata";
    this.conditionalWrites = options.conditionalWrites ?? true;
    if (isClient(options.client)) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      this.client = new S3Client(clientConfig(options.client ?? {}));
      this.ownsClient = true;
    }
    if (this.conditionalWrites)
      this.createUnique = (directory, uniqueOptions) => this.reserve(directory, uniqueOptions);
  }

  /** Releases the S3 client if this instance created it (not one passed in). Idempotent. */
  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }

  // --- reading ---

  /**
   * A file from HeadObject (size from ContentLength; time from `x-amz-meta-mtime`, else
   * LastModified); a directory from its marker (the same times) or, without one, a one-key
   * listing (time 1970-01-01); the root is always a directory.
   *
   * @throws {FileSystemError} `not-found`, `name-too-long`, or a mapped S3 error.
   */
  async stat(path: string): Promise<EntryInfo> {
    const location = this.keys.locate(path);
    if (location.isRoot) return directoryEntry("/", undefined);
    const probe = await this.probe(location);
    if (probe === undefined) throw new FileSystemError("not-found", `${location.path} not found`);
    return probe.type === "file"
      ? fileEntry(location.name, probe.info.size, probe.info.modifiedAt)
      : directoryEntry(location.name, probe.marker);
  }

  /**
   * The entries of a directory, from ListObjectsV2 (delimiter `/`, 1,000 keys a page), yielded
   * page by page as they arrive: the next page is requested while this one is consumed, and
   * nothing stays open when the caller stops early. Sub-directories come from CommonPrefixes,
   * files from Contents (the directory's own marker left out). Order: S3's (UTF-8 bytes), files
   * and directories of a page apart. Keys no virtual path can name (see `isReachableName`) are
   * left out. Modification times: see `listModifiedTimes`.
   *
   * @throws {FileSystemError} on the first iteration: `not-found`, `not-directory`.
   */
  async *list(path: string): AsyncIterable<EntryInfo> {
    const location = this.keys.locate(path);
    const prefix = location.dirPrefix;
    let next: Promise<ListObjectsV2CommandOutput> | undefined = this.listPage(prefix, "/", undefined);
    let first = true;
    while (next !== undefined) {
      const page: ListObjectsV2CommandOutput = await next;
      next = undefined;
      if (page.IsTruncated && page.NextContinuationToken) {
        next = this.listPage(prefix, "/", page.NextContinuationToken);
        next.catch(noop); // the caller may stop before it is awaited
      }
      if (first) {
        first = false;
        const empty = !page.IsTruncated && !page.Contents?.length && !page.CommonPrefixes?.length;
        if (!location.isRoot && empty) {
          throw await this.missingDirectoryError(location);
        }
      }
      const encoded = page.EncodingType === "url";
      const entries: EntryInfo[] = [];
      const keys: string[] = [];
      for (const common of page.CommonPrefixes ?? []) {
        const key = decodeListedKey(common.Prefix ?? "", encoded);
        if (key === undefined || !key.startsWith(prefix) || !key.endsWith("/")) continue;
        const name = key.slice(prefix.length, -1);
        if (!isReachableName(name)) continue;
        entries.push(directoryEntry(name, undefined));
        keys.push(key);
      }
      for (const object of page.Contents ?? []) {
        const key = decodeListedKey(object.Key ?? "", encoded);
        if (key === undefined || key === prefix || !key.startsWith(prefix)) continue;
        const name = key.slice(prefix.length);
        if (!isReachableName(name)) continue;
        entries.push(fileEntry(name, object.Size ?? 0, object.LastModified ?? new Date(UNKNOWN_TIME)));
        keys.push(key);
      }
      if (this.listMetadata) await this.fillListedTimes(entries, keys);
      yield* entries;
    }
  }

  /**
   * The object's bytes from `start`: a GET, ranged (`bytes=start-`) when `start` > 0. At or
   * past the end (S3 answers 416) the stream is empty. Destroying the stream closes the request.
   *
   * @throws {FileSystemError} `not-found`, `is-directory` (also the root).
   * @throws {RangeError} for a bad `start`.
   */
  async createReadStream(path: string, options: { start?: number } = {}): Promise<Readable> {
    const start = checkOffset(options.start);
    const location = this.keys.locate(path);
    const response = await this.getObject(location, start);
    if (response === undefined) {
      return new Readable({
        read() {
          this.push(null);
        },
      });
    }
    return response.Body as Readable;
  }

  /**
   * Streams the object through node:crypto (CRC32: the server's own) in this process.
   *
   * @throws {FileSystemError} `not-found`, `is-directory`.
   */
  async hash(path: string, algorithm: HashAlgorithm): Promise<{ digest: string; size: number }> {
    const location = this.keys.locate(path);
    const hash = createFileHash(algorithm);
    const response = await this.getObject(location, 0);
    let size = 0;
    try {
      for await (const chunk of response!.Body as Readable) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (error) {
      throw toFileSystemError(error, "read", location.path);
    }
    return { digest: hash.digest(), size };
  }

  // --- writing ---

  /**
   * An upload to `path`; the object appears (or is replaced) only when it completes. By mode:
   * - `atomic`: commit publishes, abort or a broken transfer publishes nothing (the multipart
   *   upload is aborted; an old object stays as it was);
   * - `standard` and `atomic-resume`: the same, except that abort or a broken transfer completes
   *   the object with the bytes received so far (what REST/APPE then resume). S3 cannot show
   *   the bytes of an upload in progress, so `standard` is not "in place" as on a disk.
   *
   * A fresh upload streams through lib-storage's `Upload`. A resumed one (`start` > 0 or
   * `append`) rebuilds the object from the old one and the new bytes (see {@link PartAssembler});
   * past the end, the gap is zeros, up to `maxZeroFillBytes`.
   *
   * @throws {FileSystemError} `is-directory` (a directory or the root), `not-found` (no parent),
   *   `not-directory` (the parent is a file), `name-too-long`, `not-supported` (a gap above
   *   `maxZeroFillBytes`).
   * @throws {RangeError} for a bad `start`. @throws {TypeError} for an unknown mode.
   */
  async openWrite(path: string, options: WriteOptions): Promise<WriteTarget> {
    const start = checkOffset(options.start);
    checkMode(options.mode);
    const location = this.keys.locate(path);
    if (location.isRoot) throw new FileSystemError("is-directory", "cannot write to the root");
    const resume = start > 0 || options.append === true;
    const [, isDirectory, existing] = await Promise.all([
      this.requireDirectory(this.keys.parent(location)),
      this.directoryExists(location),
      resume ? this.headObject(location.key, location.path) : undefined,
    ]);
    if (isDirectory) throw new FileSystemError("is-directory", `${location.path} is a directory`);
    const offset = start > 0 ? start : options.append ? (existing?.size ?? 0) : 0;
    return this.startUpload(location, options.mode, offset, existing);
  }

  private startUpload(
    location: Location,
    mode: UploadMode,
    offset: number,
    existing: ObjectInfo | undefined,
  ): WriteTarget {
    const target: SinkTarget = {
      client: this.client,
      bucket: this.bucket,
      key: location.key,
      path: location.path,
      partSize: this.partSize,
      queueSize: this.queueSize,
    };
    const onFailure = mode === "atomic" ? "discard" : "keep";
    if (offset === 0) return createUploadTarget(createFreshSink(target), onFailure, location.path);
    const oldSize = existing?.size ?? 0;
    if (offset - oldSize > this.maxZeroFillBytes) {
      throw new FileSystemError(
        "not-supported",
        `${location.path}: REST ${offset} leaves a gap of ${offset - oldSize} bytes, above maxZeroFillBytes`,
      );
    }
    const source: SourceObject | undefined =
      existing === undefined ? undefined : { key: location.key, size: existing.size, etag: existing.etag };
    return createUploadTarget(createComposedSink(target, source, offset), onFailure, location.path);
  }

  private async reserve(
    directory: string,
    options: UniqueWriteOptions,
  ): Promise<{ path: string; target: WriteTarget }> {
    checkMode(options.mode);
    const parent = this.keys.locate(directory);
    const candidates = unique(options.hint); // validates the hint first
    await this.requireDirectory(parent);
    for (const name of candidates) {
      const location = this.keys.child(parent, name);
      if (await this.directoryExists(location)) continue;
      let etag: string | undefined;
      try {
        etag = await this.putEmpty(location.key, { exclusive: true });
      } catch (error) {
        if (isPreconditionFailed(error)) continue;
        throw toFileSystemError(error, "reserve", location.path);
      }
      const target = this.startUpload(location, options.mode, 0, undefined);
      if (options.mode !== "atomic") return { path: location.path, target };
      return {
        path: location.path,
        target: {
          stream: target.stream,
          commit: () => target.commit(),
          abort: async () => {
            await target.abort();
            // Remove the reservation if it is still the empty object we wrote.
            const now = await this.headObject(location.key, location.path).catch(() => undefined);
            if (now !== undefined && now.size === 0 && now.etag === etag)
              await this.deleteKey(location.key).catch(noop);
          },
        },
      };
    }
    throw new FileSystemError("exists", "no free name for STOU");
  }

  // --- directories ---

  /**
   * Writes the marker object `dir/` (with `If-None-Match: *` when the store supports it).
   *
   * @throws {FileSystemError} `exists` (a file, a directory or the root), `not-found` (no
   *   parent), `not-directory` (the parent is a file).
   */
  async mkdir(path: string): Promise<void> {
    const location = this.keys.locate(path);
    if (location.isRoot) throw new FileSystemError("exists", "the root exists");
    const [, file, isDirectory] = await Promise.all([
      this.requireDirectory(this.keys.parent(location)),
      this.headObject(location.key, location.path),
      this.directoryExists(location),
    ]);
    if (file !== undefined || isDirectory) throw new FileSystemError("exists", `${location.path} exists`);
    try {
      await this.putEmpty(location.dirPrefix, { exclusive: this.conditionalWrites });
    } catch (error) {
      if (isPreconditionFailed(error)) throw new FileSystemError("exists", `${location.path} exists`);
      throw toFileSystemError(error, "mkdir", location.path);
    }
  }

  /**
   * Deletes the marker of an empty directory.
   *
   * @throws {FileSystemError} `not-empty` (any key below it but the marker), `not-directory`,
   *   `not-found`, `permission` (the root).
   */
  async rmdir(path: string): Promise<void> {
    const location = this.keys.locate(path);
    if (location.isRoot) throw new FileSystemError("permission", "cannot remove the root");
    const page = await this.listPage(location.dirPrefix, undefined, undefined, 2);
    const keys = (page.Contents ?? []).map((object) => decodeListedKey(object.Key ?? "", page.EncodingType === "url"));
    if (keys.length === 0) throw await this.missingDirectoryError(location);
    if (keys.some((key) => key !== location.dirPrefix)) {
      throw new FileSystemError("not-empty", `${location.path} is not empty`);
    }
    await this.deleteKey(location.dirPrefix, location.path);
    await this.keepDirectory(this.keys.parent(location));
  }

  /**
   * Deletes a file's object.
   *
   * @throws {FileSystemError} `not-found`, `is-directory` (also the root).
   */
  async unlink(path: string): Promise<void> {
    const location = this.keys.locate(path);
    if (location.isRoot) throw new FileSystemError("is-directory", "cannot unlink the root");
    const file = await this.headObject(location.key, location.path);
    if (file === undefined) {
      if (await this.directoryExists(location))
        throw new FileSystemError("is-directory", `${location.path} is a directory`);
      throw new FileSystemError("not-found", `${location.path} not found`);
    }
    await this.deleteKey(location.key, location.path);
    await this.keepDirectory(this.keys.parent(location));
  }

  /**
   * Moves an entry with rename(2)'s rules (a file replaces a file, a directory replaces an empty
   * directory, onto itself does nothing), by server-side copy then delete. Modification times
   * are kept (as `x-amz-meta-mtime`). A directory moves object by object: other readers may see
   * it half moved, and a failed copy removes the copies made (the source stays whole).
   *
   * @throws {FileSystemError} `not-found`, `permission` (the root), `invalid-name` (a directory
   *   into itself), `is-directory`, `not-directory`, `not-empty`, `too-large` (a directory above
   *   `maxRenameBytes` or `maxRenameObjects`).
   */
  async rename(from: string, to: string): Promise<void> {
    const source = this.keys.locate(from);
    const target = this.keys.locate(to);
    if (source.isRoot) throw new FileSystemError("permission", "cannot rename the root");
    if (target.isRoot) throw new FileSystemError("permission", "cannot rename onto the root");
    const [sourceProbe, targetProbe] = await Promise.all([
      this.probe(source),
      this.probe(target),
      this.requireDirectory(this.keys.parent(target)),
    ]);
    if (sourceProbe === undefined) throw new FileSystemError("not-found", `${source.path} not found`);
    if (source.key === target.key) return;
    if (sourceProbe.type === "directory") {
      if (target.key.startsWith(source.dirPrefix)) {
        throw new FileSystemError("invalid-name", `cannot move ${source.path} into itself`);
      }
      if (targetProbe?.type === "file") throw new FileSystemError("not-directory", `${target.path} is not a directory`);
      if (targetProbe?.type === "directory") {
        const page = await this.listPage(target.dirPrefix, undefined, undefined, 2);
        const keys = (page.Contents ?? []).map((o) => decodeListedKey(o.Key ?? "", page.EncodingType === "url"));
        if (keys.some((key) => key !== target.dirPrefix)) {
          throw new FileSystemError("not-empty", `${target.path} is not empty`);
        }
      }
      await this.moveDirectory(source, target);
    } else {
      if (targetProbe?.type === "directory") throw new FileSystemError("is-directory", `${target.path} is a directory`);
      await this.copyKeepingTime(source.key, target.key, sourceProbe.info, target.path);
      await this.deleteKey(source.key, source.path);
    }
    await this.keepDirectory(this.keys.parent(source));
  }

  /**
   * Stores `mtime` as `x-amz-meta-mtime` (seconds since the epoch, as rclone and s3fs write it):
   * on a file by copying it onto itself with the new metadata (S3 cannot change LastModified),
   * on a directory on its marker (written if there was none). `stat` shows it; listings do with
   * `listModifiedTimes: "metadata"`.
   *
   * @throws {FileSystemError} `not-found`; `not-supported` for the root (no object to hold it).
   * @throws {RangeError} for an invalid Date.
   */
  async setModifiedTime(path: string, mtime: Date): Promise<void> {
    if (Number.isNaN(mtime.getTime())) throw new RangeError("invalid date");
    const location = this.keys.locate(path);
    if (location.isRoot) throw new FileSystemError("not-supported", "the root has no object to hold a time");
    const probe = await this.probe(location);
    if (probe === undefined) throw new FileSystemError("not-found", `${location.path} not found`);
    const seconds = formatMtime(mtime);
    if (probe.type === "file") {
      await this.copyObject(
        location.key,
        location.key,
        probe.info,
        { ...probe.info.metadata, [MTIME_METADATA]: seconds },
        location.path,
      );
      return;
    }
    if (probe.marker !== undefined) {
      const metadata = { ...probe.marker.metadata, [MTIME_METADATA]: seconds };
      await this.copyObject(location.dirPrefix, location.dirPrefix, probe.marker, metadata, location.path);
      return;
    }
    await this.send("set time", location.path, () =>
      this.putEmpty(location.dirPrefix, { metadata: { [MTIME_METADATA]: seconds } }),
    );
  }

  // --- internals: lookups ---

  /** What is at a (non-root) path: a file, a directory (with its marker, if any), or nothing. */
  private async probe(location: Location): Promise<Probe> {
    if (location.isRoot) return { type: "directory", marker: undefined };
    const file = await this.headObject(location.key, location.path);
    if (file !== undefined) return { type: "file", info: file };
    const [marker, exists] = await Promise.all([
      this.headObject(location.dirPrefix, location.path),
      this.directoryExists(location),
    ]);
    if (marker !== undefined || exists) return { type: "directory", marker };
    return undefined;
  }

  /** The object's facts, or undefined when there is none. */
  private async headObject(key: string, path: string): Promise<ObjectInfo | undefined> {
    let head: HeadObjectCommandOutput;
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toFileSystemError(error, "stat", path);
    }
    const metadata = head.Metadata ?? {};
    return {
      size: head.ContentLength ?? 0,
      modifiedAt: parseMtime(metadata[MTIME_METADATA]) ?? head.LastModified ?? new Date(UNKNOWN_TIME),
      etag: head.ETag,
      metadata,
      contentType: head.ContentType,
    };
  }

  /** A directory exists when its marker or any key below it does: one key is enough to tell. */
  private async directoryExists(location: Location): Promise<boolean> {
    if (location.isRoot) return true;
    const page = await this.listPage(location.dirPrefix, undefined, undefined, 1);
    return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
  }

  /**
   * @throws {FileSystemError} `not-directory` when `location` is a file, `not-found` when it is
   *   nothing.
   */
  private async requireDirectory(location: Location): Promise<void> {
    if (await this.directoryExists(location)) return;
    throw await this.missingDirectoryError(location);
  }

  /** The error for a directory that is not there: `not-directory` if a file has its name. */
  private async missingDirectoryError(location: Location): Promise<FileSystemError> {
    if (!location.isRoot && (await this.headObject(location.key, location.path)) !== undefined) {
      return new FileSystemError("not-directory", `${location.path} is not a directory`);
    }
    return new FileSystemError("not-found", `${location.path} not found`);
  }

  private listPage(
    prefix: string,
    delimiter: string | undefined,
    continuationToken: string | undefined,
    maxKeys?: number,
  ): Promise<ListObjectsV2CommandOutput> {
    return this.send("list", undefined, () =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          ContinuationToken: continuationToken,
          MaxKeys: maxKeys,
          EncodingType: "url",
        }),
      ),
    );
  }

  /** Fills in listed entries' times from HEADs (`listModifiedTimes: "metadata"`), `queueSize × 4` at once. */
  private async fillListedTimes(entries: EntryInfo[], keys: readonly string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const index = next++;
        const entry = entries[index]!;
        const info = await this.headObject(keys[index]!, `/${entry.name}`);
        if (info !== undefined) entries[index] = { ...entry, modifiedAt: info.modifiedAt };
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.queueSize * 4, entries.length) }, worker));
  }

  /** GetObject from `start`; undefined for a read at or past the end (416). */
  private async getObject(location: Location, start: number): Promise<GetObjectCommandOutput | undefined> {
    if (location.isRoot) throw new FileSystemError("is-directory", "the root is a directory");
    try {
      return await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: location.key,
          Range: start > 0 ? `bytes=${start}-` : undefined,
        }),
      );
    } catch (error) {
      if (isNotFound(error)) {
        if (await this.directoryExists(location)) {
          throw new FileSystemError("is-directory", `${location.path} is a directory`);
        }
        throw new FileSystemError("not-found", `${location.path} not found`);
      }
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return undefined;
      throw toFileSystemError(error, "read", location.path);
    }
  }

  // --- internals: changes ---

  private async deleteKey(key: string, path?: string): Promise<void> {
    await this.send("delete", path, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  /** Deletes keys in batches of 1,000 (DeleteObjects). */
  private async deleteKeys(keys: readonly string[], path: string): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const result = await this.send("delete", path, () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
      if (result.Errors?.length) {
        throw new FileSystemError("io", `S3 delete of ${path} failed for ${result.Errors.length} objects`);
      }
    }
  }

  /**
   * After the last entry of a directory went away, keeps the directory (as POSIX does) by
   * writing its marker, for directories that only existed through the keys below them.
   */
  private async keepDirectory(location: Location): Promise<void> {
    if (location.isRoot || (await this.directoryExists(location))) return;
    await this.send("mkdir", location.path, () => this.putEmpty(location.dirPrefix));
  }

  /**
   * Writes an empty object (a directory marker, a STOU reservation); `exclusive` adds
   * `If-None-Match: *`, so the write fails with 412 when the key exists.
   *
   * @returns The new object's ETag.
   */
  private async putEmpty(
    key: string,
    options: { exclusive?: boolean; metadata?: Record<string, string> } = {},
  ): Promise<string | undefined> {
    const result = await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: EMPTY,
        ContentLength: 0,
        IfNoneMatch: options.exclusive ? "*" : undefined,
        Metadata: options.metadata,
      }),
    );
    return result.ETag;
  }

  /** Copies an object keeping its modification time: `x-amz-meta-mtime` is set from LastModified if absent. */
  private copyKeepingTime(fromKey: string, toKey: string, info: ObjectInfo, path: string): Promise<void> {
    const metadata = { ...info.metadata };
    metadata[MTIME_METADATA] ??= formatMtime(info.modifiedAt);
    return this.copyObject(fromKey, toKey, info, metadata, path);
  }

  /**
   * A server-side copy with new metadata (`MetadataDirective: REPLACE`; the content type is
   * kept): CopyObject up to `multipartCopyThreshold`, a multipart copy above (UploadPartCopy
   * parts of the threshold, at most 1 GiB, `queueSize` at once).
   */
  private async copyObject(
    fromKey: string,
    toKey: string,
    info: ObjectInfo,
    metadata: Record<string, string>,
    path: string,
  ): Promise<void> {
    const source = copySource(this.bucket, fromKey);
    if (info.size <= this.multipartCopyThreshold) {
      await this.send("copy", path, () =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: toKey,
            CopySource: source,
            CopySourceIfMatch: info.etag,
            MetadataDirective: "REPLACE",
            Metadata: metadata,
            ContentType: info.contentType,
          }),
        ),
      );
      return;
    }
    const created = await this.send("copy", path, () =>
      this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: toKey,
          Metadata: metadata,
          ContentType: info.contentType,
        }),
      ),
    );
    const uploadId = created.UploadId;
    try {
      const pieceSize = Math.max(Math.min(this.multipartCopyThreshold, GiB), Math.ceil(info.size / MAX_PARTS));
      const pieces = Math.ceil(info.size / pieceSize);
      const parts: CompletedPart[] = [];
      for (let i = 0; i < pieces; i += this.queueSize) {
        const batch = Array.from({ length: Math.min(this.queueSize, pieces - i) }, async (_, j) => {
          const partNumber = i + j + 1;
          const from = (partNumber - 1) * pieceSize;
          const to = Math.min(info.size, from + pieceSize);
          const result = await this.client.send(
            new UploadPartCopyCommand({
              Bucket: this.bucket,
              Key: toKey,
              UploadId: uploadId,
              PartNumber: partNumber,
              CopySource: source,
              CopySourceRange: `bytes=${from}-${to - 1}`,
              CopySourceIfMatch: info.etag,
            }),
          );
          return { PartNumber: partNumber, ETag: result.CopyPartResult?.ETag };
        });
        parts.push(...(await Promise.all(batch)));
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: toKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: toKey, UploadId: uploadId }))
        .catch(noop);
      throw toFileSystemError(error, "copy", path);
    }
  }

  /**
   * Moves every object below `source` to `target`: lists them all (refusing above the limits),
   * copies them (`queueSize × 4` at once, keeping times), writes the target's marker, then
   * deletes the sources. A failed copy deletes the copies made and leaves the source whole.
   */
  private async moveDirectory(source: Location, target: Location): Promise<void> {
    const objects: { key: string; size: number }[] = [];
    let total = 0;
    let token: string | undefined;
    do {
      const page = await this.listPage(source.dirPrefix, undefined, token);
      for (const object of page.Contents ?? []) {
        const key = decodeListedKey(object.Key ?? "", page.EncodingType === "url");
        if (key === undefined || !key.startsWith(source.dirPrefix)) continue;
        objects.push({ key, size: object.Size ?? 0 });
        total += object.Size ?? 0;
      }
      if (total > this.maxRenameBytes || objects.length > this.maxRenameObjects) {
        throw new FileSystemError(
          "too-large",
          `${source.path} is too big to rename on S3 (limits: ${this.maxRenameBytes} bytes, ${this.maxRenameObjects} objects)`,
        );
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);

    const copied: string[] = [];
    const targetKeyOf = (key: string) => target.dirPrefix + key.slice(source.dirPrefix.length);
    try {
      let index = 0;
      const worker = async () => {
        while (index < objects.length) {
          const object = objects[index++]!;
          const info = await this.headObject(object.key, source.path);
          if (info === undefined) continue; // removed meanwhile
          const to = targetKeyOf(object.key);
          await this.copyKeepingTime(object.key, to, info, target.path);
          copied.push(to);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.queueSize * 4, objects.length) }, worker));
      if (!objects.some((object) => object.key === source.dirPrefix)) {
        await this.send("mkdir", target.path, () => this.putEmpty(target.dirPrefix));
        copied.push(target.dirPrefix);
      }
    } catch (error) {
      await this.deleteKeys(copied, target.path).catch(noop);
      throw error;
    }
    await this.deleteKeys(
      objects.map((object) => object.key),
      source.path,
    );
  }

  private async send<T>(operation: string, path: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toFileSystemError(error, operation, path);
    }
  }
}

/** An S3Client, also one from another copy of @aws-sdk/client-s3 (where `instanceof` fails). */
function isClient(value: S3Client | S3ClientConfig | undefined): value is S3Client {
  return (
    value instanceof S3Client ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as { send?: unknown }).send === "function" &&
      typeof (value as { middlewareStack?: unknown }).middlewareStack === "object")
  );
}

/**
 * The settings S3-compatible stores need, under the caller's own. With an `endpoint` (not AWS):
 * region `us-east-1` (what RGW and MinIO expect unless configured otherwise) and path-style
 * URLs. Always: checksums only where an operation requires them (Ceph 16 rejects the SDK's
 * default aws-chunked uploads with trailing checksums: 411 MissingContentLength).
 */
function clientConfig(config: S3ClientConfig): S3ClientConfig {
  const custom = config.endpoint !== undefined;
  return {
    ...(custom ? { region: "us-east-1" } : {}),
    forcePathStyle: custom,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      httpAgent: { keepAlive: true, maxSockets: 256 },
      httpsAgent: { keepAlive: true, maxSockets: 256 },
    },
    ...config,
  };
}

function nonNegative(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

function checkOffset(start: number | undefined): number {
  const value = start ?? 0;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad offset ${String(start)}`);
  return value;
}

function checkMode(mode: UploadMode): void {
  if (mode !== "standard" && mode !== "atomic" && mode !== "atomic-resume") {
    throw new TypeError(`unknown upload mode ${String(mode)}`);
  }
}

/** Seconds since the epoch with milliseconds when there are any (`981173106`, `981173106.5`). */
function formatMtime(date: Date): string {
  return String(date.getTime() / 1000);
}

function parseMtime(value: string | undefined): Date | undefined {
  if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const ms = Math.round(Number.parseFloat(value) * 1000);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

function fileEntry(name: string, size: number, modifiedAt: Date): EntryInfo {
  return { name, type: "file", size, modifiedAt };
}

function directoryEntry(name: string, marker: ObjectInfo | undefined): EntryInfo {
  return { name, type: "directory", size: 0, modifiedAt: marker?.modifiedAt ?? new Date(UNKNOWN_TIME) };
}
