/**
 * The server's FileSystem conformance suite (the one MemoryFileSystem and LocalFileSystem pass)
 * on S3FileSystem against the real RADOS Gateway: each test gets a fresh prefix of one bucket as
 * its root, and the prefix is emptied (multipart uploads aborted too) afterwards.
 *
 * Features declared absent, and why:
 * - `symlinks`: S3 has no links.
 * - `chmod`: S3 objects have no permission bits (SITE CHMOD is answered 502).
 * The big-directory test lists 5,000 entries rather than 10,000 (see the features below).
 * Everything else runs, including sparse writes (the gap is stored as zeros) and replacing an
 * empty directory by rename.
 * - `visibleWhileUploading`: S3 publishes an object only when its upload completes, so even a
 *   `standard`-mode upload cannot be seen under its final name while it runs.
 */
import { describeFileSystemConformance } from "@ftpkit/server/testing";
import { describe, it } from "vitest";
import { S3FileSystem } from "../src/index.js";
import { emptyPrefix, putEmpty, s3Environment, uniqueName, useBucket } from "./s3-environment.js";

const environment = s3Environment();
if ("unavailable" in environment) {
  describe("S3FileSystem conformance", () => {
    // A missing store is a failure to see, never a skipped test.
    it("has an S3 store to test against", () => {
      throw new Error(`no S3 store: ${environment.unavailable}`);
    });
  });
} else {
  const context = useBucket("conformance");

  describeFileSystemConformance(
    "S3FileSystem",
    async () => {
      const prefix = `${uniqueName("t")}/`;
      const fs = new S3FileSystem({ client: context.client, bucket: context.bucket, prefix });
      return {
        fs,
        async cleanup() {
          fs.destroy();
          await emptyPrefix(context.client, context.bucket, prefix);
        },
        async populate(directory, names) {
          const base = `${prefix}${directory.replace(/^\/+/, "")}/`;
          await putEmpty(
            context.environment,
            context.bucket,
            names.map((name) => base + name),
          );
        },
      };
    },
    // 5,000 entries (five ListObjectsV2 pages) instead of 10,000: the objects are made through
    // the gateway one PUT each (~350/s on a busy 2-core machine), inside the test's fixed 60 s.
    { symlinks: false, chmod: false, visibleWhileUploading: false, manyEntries: 5_000 },
  );
}
