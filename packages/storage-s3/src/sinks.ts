import { PassThrough } from "node:stream";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { FileSystemError } from "@ftpkit/server";
import { toFileSystemError } from "./errors.js";
import { copySource } from "./keys.js";
import type { UploadSink } from "./write-target.js";

const MiB = 1024 * 1024;
/** S3's smallest part (all but the last part of a multipart upload). */
export const MIN_PART_SIZE = 5 * MiB;
/** S3's largest part, and the largest object a single CopyObject copies. */
export const MAX_PART_SIZE = 5 * 1024 * MiB;
/** S3's most parts in one multipart upload. */
export const MAX_PARTS = 10_000;
/** Pieces of a server-side copy: large, since no byte passes through this process. */
const COPY_PIECE = 1024 * MiB;

function noop(): void {}

/** Where an upload goes and how it is cut. */
export interface SinkTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** The virtual path, for error messages. */
  readonly path: string;
  readonly partSize: number;
  readonly queueSize: number;
}

/**
 * A fresh upload through `@aws-sdk/lib-storage`'s `Upload`, fed by a PassThrough: parts of
 * `partSize` go out while the client still sends, at most `queueSize` at a time, so the memory
 * held is about `(queueSize + 2) × partSize` whatever the file's size. An upload smaller than
 * one part becomes a single PutObject when it completes. Nothing is visible under the key
 * before `complete()`.
 */
export function createFreshSink(target: SinkTarget): UploadSink {
  const body = new PassThrough({ highWaterMark: 256 * 1024 });
  const upload = new Upload({
    client: target.client,
    params: { Bucket: target.bucket, Key: target.key, Body: body },
    partSize: target.partSize,
    queueSize: target.queueSize,
    leavePartsOnError: false,
  });
  let bytes = 0;
  let failure: FileSystemError | undefined;
  let pending: ((error: Error) => void) | undefined;
  // done() starts reading the body. It settles once the body has ended (complete) or failed
  // (discard, or an S3 error), and only after a failed multipart upload has been aborted.
  const done = upload.done().then(noop, (error: unknown) => {
    failure = toFileSystemError(error, "upload", target.path);
    pending?.(failure);
    body.destroy();
    throw failure;
  });
  done.catch(noop);
  return {
    write(chunk) {
      if (failure) return Promise.reject(failure);
      bytes += chunk.length;
      return new Promise<void>((resolve, reject) => {
        pending = reject;
        body.write(chunk, (error) => {
          pending = undefined;
          if (error) reject(failure ?? error);
          else resolve();
        });
      });
    },
    async complete() {
      if (failure) throw failure;
      body.end();
      await done;
      return bytes;
    },
    async discard() {
      // A destroyed body fails lib-storage's read loop; it then aborts the multipart upload
      // (if one was started) before done() settles, so no part is left behind.
      if (!body.destroyed) body.destroy(new Error("upload discarded"));
      await done.catch(noop);
    },
  };
}

/** A range of an existing object, for the composed upload. */
export interface SourceObject {
  readonly key: string;
  readonly size: number;
  /** Pins the version read: S3 refuses (412) a GET or part copy of a changed object. */
  readonly etag: string | undefined;
}

/**
 * Builds one object from ranges of an existing object, zeros and new bytes, in order, as a
 * multipart upload: REST+STOR (`start` > 0) and APPE, which S3 cannot do in place.
 *
 * Every part but the last must be at least 5 MiB. A range of the old object of 5 MiB or more
 * is copied inside S3 (UploadPartCopy): none of its bytes pass through this process. A smaller
 * one is read (ranged GET, at most 5 MiB) and sent with the new bytes, and so is the start of a
 * range that must fill up a part begun with new bytes. Memory: about `(queueSize + 2) ×
 * partSize`, as for a fresh upload. When the result is smaller than one part, it is one
 * PutObject instead.
 */
export class PartAssembler {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private uploadId: Promise<string> | undefined;
  private readonly parts: Promise<CompletedPart>[] = [];
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;
  /** Bytes of the object so far, copied ranges included. */
  size = 0;

  constructor(
    private readonly target: SinkTarget,
    private readonly source: SourceObject | undefined,
  ) {}

  /** Adds new bytes. Resolves when they are taken (parts are sent as they fill). */
  async addBytes(data: Buffer): Promise<void> {
    this.throwIfFailed();
    if (data.length === 0) return;
    this.chunks.push(data);
    this.buffered += data.length;
    this.size += data.length;
    while (this.buffered >= this.target.partSize) await this.sendBuffered(this.target.partSize);
  }

  /** Adds `length` zero bytes (a REST offset past the end), a part at a time. */
  async addZeros(length: number): Promise<void> {
    let left = length;
    while (left > 0) {
      const n = Math.min(left, ZEROS.length);
      await this.addBytes(ZEROS.subarray(0, n));
      left -= n;
    }
  }

  /**
   * Adds bytes `[start, end)` of the source object.
   *
   * @param last - Nothing follows: the range may become the (small) last part as a copy.
   */
  async addRange(start: number, end: number, last: boolean): Promise<void> {
    while (start < end) {
      this.throwIfFailed();
      if (this.buffered > 0 && this.buffered < MIN_PART_SIZE) {
        // A part begun with new bytes is filled up with read bytes to the 5 MiB minimum.
        const n = Math.min(MIN_PART_SIZE - this.buffered, end - start);
        await this.addBytes(await this.readRange(start, start + n));
        start += n;
        continue;
      }
      if (this.buffered > 0) await this.sendBuffered(this.buffered);
      const remaining = end - start;
      if (remaining >= MIN_PART_SIZE || last) {
        const pieces = Math.ceil(remaining / COPY_PIECE);
        for (let i = 0; i < pieces; i++) {
          const from = start + Math.floor((remaining * i) / pieces);
          const to = start + Math.floor((remaining * (i + 1)) / pieces);
          this.size += to - from;
          await this.schedule((partNumber, uploadId) => this.copyPart(partNumber, uploadId, from, to));
        }
      } else {
        await this.addBytes(await this.readRange(start, end));
      }
      start = end;
    }
  }

  /** Sends what is left and makes the object. @returns Its size. */
  async finish(): Promise<number> {
    this.throwIfFailed();
    if (this.uploadId === undefined) {
      const body = this.take(this.buffered);
      await this.send("upload", () =>
        this.target.client.send(
          new PutObjectCommand({
            Bucket: this.target.bucket,
            Key: this.target.key,
            Body: body,
            ContentLength: body.length,
          }),
        ),
      );
      return this.size;
    }
    if (this.buffered > 0) await this.sendBuffered(this.buffered);
    await Promise.all(this.running);
    this.throwIfFailed();
    const parts = await Promise.all(this.parts);
    const uploadId = await this.uploadId;
    await this.send("upload", () =>
      this.target.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.target.bucket,
          Key: this.target.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    );
    return this.size;
  }

  /** Drops everything: waits for the parts in flight, then aborts the multipart upload. Never rejects. */
  async discard(): Promise<void> {
    this.failure ??= new FileSystemError("io", `upload of ${this.target.path} discarded`);
    this.chunks = [];
    this.buffered = 0;
    await Promise.all(this.running);
    const uploadId = await this.uploadId?.catch(() => undefined);
    if (uploadId === undefined) return;
    await this.target.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.target.key, UploadId: uploadId }))
      .catch(noop);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw toFileSystemError(this.failure, "upload", this.target.path);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(0, n);
  }

  private async sendBuffered(n: number): Promise<void> {
    const body = this.take(n);
    await this.schedule((partNumber, uploadId) =>
      this.send("upload part", async () => {
        const result = await this.target.client.send(
          new UploadPartCommand({
            Bucket: this.target.bucket,
            Key: this.target.key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.length,
          }),
        );
        return { PartNumber: partNumber, ETag: result.ETag };
      }),
    );
  }

  private copyPart(partNumber: number, uploadId: string, from: number, to: number): Promise<CompletedPart> {
    const source = this.requireSource();
    return this.send("copy part", async () => {
      const result = await this.target.client.send(
        new UploadPartCopyCommand({
          Bucket: this.target.bucket,
          Key: this.target.key,
          UploadId: uploadId,
          PartNumber: partNumber,
          CopySource: copySource(this.target.bucket, source.key),
          CopySourceRange: `bytes=${from}-${to - 1}`,
          CopySourceIfMatch: source.etag,
        }),
      );
      return { PartNumber: partNumber, ETag: result.CopyPartResult?.ETag };
    });
  }

  /** Starts a part once fewer than `queueSize` are in flight; creates the multipart upload on the first. */
  private async schedule(run: (partNumber: number, uploadId: string) => Promise<CompletedPart>): Promise<void> {
    while (this.running.size >= this.target.queueSize) await Promise.race(this.running);
    this.throwIfFailed();
    const partNumber = this.parts.length + 1;
    if (partNumber > MAX_PARTS) {
      throw new FileSystemError("too-large", `upload of ${this.target.path}: more than ${MAX_PARTS} parts`);
    }
    this.uploadId ??= this.send("upload", async () => {
      const created = await this.target.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.target.key }),
      );
      if (created.UploadId === undefined) throw new FileSystemError("io", "CreateMultipartUpload gave no UploadId");
      return created.UploadId;
    });
    const part = this.uploadId.then((uploadId) => run(partNumber, uploadId));
    this.parts.push(part);
    const tracked: Promise<void> = part
      .then(noop, (error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /** Bytes `[start, end)` of the source (at most 5 MiB), pinned to its ETag. */
  private async readRange(start: number, end: number): Promise<Buffer> {
    const source = this.requireSource();
    return this.send("read", async () => {
      const response = await this.target.client.send(
        new GetObjectCommand({
          Bucket: this.target.bucket,
          Key: source.key,
          Range: `bytes=${start}-${end - 1}`,
          IfMatch: source.etag,
        }),
      );
      const bytes = Buffer.from(await response.Body!.transformToByteArray());
      if (bytes.length !== end - start) {
        throw new FileSystemError("busy", `upload of ${this.target.path}: the old file changed while it was resumed`);
      }
      return bytes;
    });
  }

  private requireSource(): SourceObject {
    if (this.source === undefined) throw new Error("no source object to copy from");
    return this.source;
  }

  private async send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toFileSystemError(error, operation, this.target.path);
    }
  }
}

const ZEROS = Buffer.alloc(MiB);

/**
 * The layout of a resumed upload (REST `start`, or APPE at the end of a file of `oldSize`
 * bytes): the old bytes before the offset, zeros up to it when it lies past the end, the new
 * bytes, then the old bytes after them (REST does not truncate).
 */
export function createComposedSink(
  target: SinkTarget,
  source: SourceObject | undefined,
  offset: number,
): UploadSink & { readonly assembler: PartAssembler } {
  const oldSize = source?.size ?? 0;
  const assembler = new PartAssembler(target, source);
  let written = 0;
  // The head goes first, without waiting for the client's bytes: its copy runs meanwhile.
  let chain: Promise<void> = (async () => {
    await assembler.addRange(0, Math.min(offset, oldSize), false);
    if (offset > oldSize) await assembler.addZeros(offset - oldSize);
  })();
  chain.catch(noop);
  let completed: Promise<number> | undefined;
  return {
    assembler,
    write(chunk) {
      written += chunk.length;
      chain = chain.then(() => assembler.addBytes(chunk));
      return chain;
    },
    complete() {
      completed ??= (async () => {
        await chain;
        const tailStart = offset + written;
        if (tailStart < oldSize) await assembler.addRange(tailStart, oldSize, true);
        return assembler.finish();
      })();
      return completed;
    },
    async discard() {
      await chain.catch(noop);
      await assembler.discard();
    },
  };
}
