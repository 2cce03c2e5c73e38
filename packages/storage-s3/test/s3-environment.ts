/**
 * The S3 store of the test run (started by global-setup.ts) and helpers around it: a client,
 * a bucket per test file, a fresh prefix per test, and a clean-up that also aborts multipart
 * uploads left behind.
 */

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, inject } from "vitest";

const execFileAsync = promisify(execFile);

export type S3TestEnvironment =
  | {
      readonly endpoint: string;
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly region: string;
    }
  | { readonly unavailable: string };

/** A store the tests can use. */
export type Available = Exclude<S3TestEnvironment, { unavailable: string }>;

declare module "vitest" {
  export interface ProvidedContext {
    s3: S3TestEnvironment;
  }
}

/**
 * The store's settings, or the reason there is none. Under CI a missing store is an error (the
 * S3 tests must run there); elsewhere the caller skips its tests with the reason.
 */
export function s3Environment(): Available | { unavailable: string } {
  const environment = inject("s3");
  if ("unavailable" in environment && process.env["CI"]) throw new Error(environment.unavailable);
  return environment;
}

export function createTestClient(environment: Available, options: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    endpoint: environment.endpoint,
    region: environment.region,
    credentials: { accessKeyId: environment.accessKeyId, secretAccessKey: environment.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: 256 } },
    ...options,
  });
}

/** A name no earlier run used. */
export function uniqueName(stem: string): string {
  return `${stem}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** Every key under `prefix` (all pages). */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) keys.push(object.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** Multipart uploads started and neither completed nor aborted, under `prefix`. */
export async function openMultipartUploads(client: S3Client, bucket: string, prefix: string) {
  const result = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return result.Uploads ?? [];
}

/** Deletes everything under `prefix` and aborts its open multipart uploads. */
export async function emptyPrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  const keys = await listKeys(client, bucket, prefix);
  for (let i = 0; i < keys.length; i += 1000) {
    await client.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
  for (const upload of await openMultipartUploads(client, bucket, prefix)) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
  }
}

/**
 * Puts empty objects (files, or markers for keys ending in `/`) with curl: 32 requests in
 * flight over reused connections, SigV4-signed by curl itself. The SDK costs a few
 * milliseconds of CPU per request, too much for the 10,000 keys of the big-directory tests on a
 * busy 2-core machine; curl makes them in seconds.
 */
export async function putEmpty(environment: Available, bucket: string, keys: readonly string[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "ftpkit-s3-put-"));
  try {
    const empty = join(dir, "empty");
    await writeFile(empty, "");
    const encode = (key: string) => key.split("/").map(encodeURIComponent).join("/");
    const lines = keys.flatMap((key) => [
      `url = "${environment.endpoint}/${bucket}/${encode(key)}"`,
      `upload-file = "${empty}"`,
      'output = "/dev/null"',
    ]);
    const config = join(dir, "curl.cfg");
    await writeFile(config, `${lines.join("\n")}\n`);
    const { stdout } = await execFileAsync(
      "curl",
      [
        "--silent",
        "--path-as-is", // keys such as `a/./b` or `a//b` as they are
        "--show-error",
        "--parallel",
        "--parallel-max",
        "32",
        "--aws-sigv4",
        `aws:amz:${environment.region}:s3`,
        "--user",
        `${environment.accessKeyId}:${environment.secretAccessKey}`,
        // curl 7.88 does not send the payload hash itself, and RGW requires it.
        "--header",
        "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "--write-out",
        "%{http_code}\\n",
        "--config",
        config,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const codes = stdout.trim().split("\n");
    const failed = codes.filter((code) => code !== "200");
    if (codes.length !== keys.length || failed.length > 0) {
      throw new Error(`curl PUT: ${failed.length} of ${keys.length} failed (${failed.slice(0, 3).join(", ")})`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Registers a bucket for the test file: created in beforeAll, emptied and deleted in afterAll.
 * `client` and `bucket` are valid from beforeAll on.
 */
export function useBucket(stem: string): {
  client: S3Client;
  bucket: string;
  environment: Available;
} {
  const context = {} as {
    client: S3Client;
    bucket: string;
    environment: Available;
  };
  beforeAll(async () => {
    const environment = s3Environment();
    if ("unavailable" in environment) return;
    context.environment = environment;
    context.client = createTestClient(environment);
    context.bucket = uniqueName(stem);
    await context.client.send(new CreateBucketCommand({ Bucket: context.bucket }));
  });
  afterAll(async () => {
    if (!context.client) return;
    try {
      await emptyPrefix(context.client, context.bucket, "");
      await context.client.send(new DeleteBucketCommand({ Bucket: context.bucket }));
    } finally {
      context.client.destroy();
    }
  });
  return context;
}
