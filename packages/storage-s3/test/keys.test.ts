/** Key mapping and option checks: no S3 needed. */
import { kindOf } from "@ftpkit/server/testing";
import { describe, expect, it } from "vitest";
import { S3FileSystem } from "../src/index.js";
import { copySource, decodeListedKey, isReachableName, KeyMap, normalizePrefix } from "../src/keys.js";

describe("keys", () => {
  it("normalizes the prefix to no leading and one trailing slash", () => {
    expect(normalizePrefix(undefined)).toBe("");
    expect(normalizePrefix("/")).toBe("");
    expect(normalizePrefix("users/alice")).toBe("users/alice/");
    expect(normalizePrefix("/users/alice//")).toBe("users/alice/");
    for (const bad of ["a//b", "a/../b", "./a", "a\nb"]) expect(() => normalizePrefix(bad)).toThrow(TypeError);
  });

  it("maps virtual paths to file keys and directory prefixes, and refuses keys over 1,024 bytes", async () => {
    const keys = new KeyMap("p/");
    expect(keys.locate("/")).toMatchObject({ isRoot: true, key: "p/", dirPrefix: "p/", name: "/" });
    expect(keys.locate("/a/./b/../c d")).toMatchObject({ key: "p/a/c d", dirPrefix: "p/a/c d/", name: "c d" });
    expect(keys.locate("\\a\\b").key).toBe("p/a/b");
    const deep = `/${Array.from({ length: 5 }, () => "x".repeat(250)).join("/")}`;
    expect(await kindOf(async () => keys.locate(deep))).toBe("name-too-long");
    expect(await kindOf(async () => keys.locate(`/${"n".repeat(256)}`))).toBe("name-too-long");
    expect(await kindOf(async () => keys.locate("/a\r\nb"))).toBe("invalid-name");
  });

  it("decodes listed keys in both URL encodings (AWS: + for space; Ceph: %20)", () => {
    expect(decodeListedKey("a+b%2Bc%20d", true)).toBe("a b+c d");
    expect(decodeListedKey("100%25%20sure", true)).toBe("100% sure");
    expect(decodeListedKey("100% sure", false)).toBe("100% sure");
    expect(decodeListedKey("bad%E0%A4%A", true)).toBeUndefined();
  });

  it("leaves out names no virtual path can reach", () => {
    for (const name of ["ok", "with space", "café", ".hidden"]) expect(isReachableName(name)).toBe(true);
    for (const name of ["", ".", "..", "a\\b", "a/b", "cr\rlf", "nul\0", "n".repeat(256)]) {
      expect(isReachableName(name)).toBe(false);
    }
  });

  it("URL-encodes copy sources segment by segment", () => {
    expect(copySource("bucket", "a b/it's (x)!*/ü+#?")).toBe("bucket/a%20b/it%27s%20%28x%29%21%2A/%C3%BC%2B%23%3F");
  });
});

describe("options", () => {
  it("refuses a missing bucket and out-of-range sizes", () => {
    const client = { endpoint: "http://127.0.0.1:9" };
    expect(() => new S3FileSystem({ bucket: "" })).toThrow(TypeError);
    expect(() => new S3FileSystem({ client, bucket: "b", partSize: 1024 })).toThrow(RangeError);
    expect(() => new S3FileSystem({ client, bucket: "b", queueSize: 0 })).toThrow(RangeError);
    expect(() => new S3FileSystem({ client, bucket: "b", maxRenameBytes: -1 })).toThrow(RangeError);
    expect(() => new S3FileSystem({ client, bucket: "b", multipartCopyThreshold: 1 })).toThrow(RangeError);
    expect(() => new S3FileSystem({ client, bucket: "b", listModifiedTimes: "sometimes" as "listing" })).toThrow(
      TypeError,
    );
    const fs = new S3FileSystem({ client, bucket: "b", prefix: "/x/" });
    expect(fs.prefix).toBe("x/");
    fs.destroy();
  });

  it("refuses bad offsets and modes before any request", async () => {
    const fs = new S3FileSystem({ client: { endpoint: "http://127.0.0.1:9" }, bucket: "b" });
    await expect(fs.openWrite("/f", { mode: "standard", start: -1 })).rejects.toThrow(RangeError);
    await expect(fs.openWrite("/f", { mode: "sideways" as "standard" })).rejects.toThrow(TypeError);
    await expect(fs.createReadStream("/f", { start: 1.5 })).rejects.toThrow(RangeError);
    await expect(fs.setModifiedTime("/f", new Date(Number.NaN))).rejects.toThrow(RangeError);
    fs.destroy();
  });
});
