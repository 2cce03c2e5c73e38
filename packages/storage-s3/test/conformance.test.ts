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
 *
 * One test of the suite states what no object store can do and has no feature switch yet:
 * "while a fresh upload runs, the final name shows the bytes written" in `standard` mode (an
 * in-place write, visible while it runs). S3 publishes an object only when its upload completes,
 * so S3FileSystem's `standard` mode hides the upload like `atomic-resume`. That one test is
 * marked as expected to fail, and only at the assertion that reads the old content back (any
 * other failure in it is reported as a failure), until the suite gets a feature for it.
 *
 * And one work-around: the suite leaves its `describe("chmod (SITE CHMOD)")` in place, empty, when
 * `chmod: false` (only the symlink block is left out whole), and vitest fails an empty suite as
 * "No test found". That empty block is set aside before it runs; it holds no test to skip.
 */
import { describeFileSystemConformance } from "@ftpkit/server/testing";
import type { RunnerTask } from "vitest";
import { beforeEach, describe, it, onTestFinished } from "vitest";
import { S3FileSystem } from "../src/index.js";
import { emptyPrefix, putEmpty, s3Environment, uniqueName, useBucket } from "./s3-environment.js";

const IN_PLACE_VISIBILITY = {
  suite: "openWrite in standard mode",
  test: "while a fresh upload runs, the final name shows the bytes written",
  failure: /expected 'OLD-CONTENT' to be 'partial'/,
};

/** Suites of features declared absent that the conformance suite leaves empty. */
const EMPTY_FEATURE_SUITES = new Set(["chmod (SITE CHMOD)"]);

function* suitesOf(task: RunnerTask): Generator<RunnerTask> {
  if (task.type !== "suite") return;
  yield task;
  for (const child of task.tasks) yield* suitesOf(child);
}

const environment = s3Environment();
if ("unavailable" in environment) {
  describe("S3FileSystem conformance", () => {
    it.skip(`needs an S3 store: ${environment.unavailable}`, () => {});
  });
} else {
  const context = useBucket("conformance");

  let setAside = false;
  beforeEach(({ task }) => {
    if (setAside) return;
    setAside = true; // the first test runs before the suites it walks: mark them once
    for (const suite of suitesOf(task.file)) {
      if (suite.type === "suite" && EMPTY_FEATURE_SUITES.has(suite.name) && suite.tasks.length === 0) {
        (suite as { mode: string }).mode = "skip";
      }
    }
  });

  beforeEach(({ task }) => {
    if (task.name !== IN_PLACE_VISIBILITY.test || task.suite?.name !== IN_PLACE_VISIBILITY.suite) return;
    const marked = task as { fails?: boolean };
    marked.fails = true;
    onTestFinished(() => {
      const errors = task.result?.errors ?? [];
      const expected = errors.length === 1 && IN_PLACE_VISIBILITY.failure.test(errors[0]?.message ?? "");
      if (!expected) marked.fails = false; // report any other outcome as it is
    });
  });

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
    { symlinks: false, chmod: false, manyEntries: 5_000 },
  );
}
