import { LocalProtocolError, resolveVirtualPath, STORAGE_ERROR_REPLIES, type StorageErrorKind } from "@ftpkit/protocol";
import { describe, expect, it } from "vitest";
import { FileSystemError } from "./file-system-error.js";
import { STORAGE_ERROR_KIND_BY_CODE, storageErrorKindOf } from "./storage-error-kind.js";

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

const CASES: [code: string, kind: StorageErrorKind][] = [
  ["ENOENT", "not-found"],
  ["EACCES", "permission"],
  ["EPERM", "permission"],
  ["EROFS", "permission"],
  ["ELOOP", "permission"],
  ["EEXIST", "exists"],
  ["ENOTDIR", "not-directory"],
  ["EISDIR", "is-directory"],
  ["ENOTEMPTY", "not-empty"],
  ["ENOSPC", "no-space"],
  ["EDQUOT", "quota"],
  ["EFBIG", "too-large"],
  ["ENAMETOOLONG", "name-too-long"],
  ["EINVAL", "invalid-name"],
  ["EILSEQ", "invalid-name"],
  ["EBUSY", "busy"],
  ["ETXTBSY", "busy"],
  ["EMFILE", "busy"],
  ["ENFILE", "busy"],
  ["EXDEV", "not-supported"],
  ["ENOTSUP", "not-supported"],
  ["EIO", "io"],
  ["FTP_ERR_PATH_TOO_LONG", "name-too-long"],
  ["FTP_ERR_PATH_NUL", "invalid-name"],
];

describe("storageErrorKindOf", () => {
  it.each(CASES)("maps %s to %s", (code, kind) => {
    expect(storageErrorKindOf(errno(code))).toBe(kind);
  });

  it("maps every table entry to a kind the protocol has a reply for", () => {
    for (const kind of Object.values(STORAGE_ERROR_KIND_BY_CODE)) expect(STORAGE_ERROR_REPLIES[kind]).toBeDefined();
  });

  it("takes the kind of a FileSystemError, even with an errno cause that says otherwise", () => {
    const error = new FileSystemError("permission", "outside the root", { cause: errno("ENOENT") });
    expect(storageErrorKindOf(error)).toBe("permission");
  });

  it("follows cause links a few levels deep, but not forever", () => {
    expect(storageErrorKindOf(new Error("wrapped", { cause: new Error("again", { cause: errno("ENOSPC") }) }))).toBe(
      "no-space",
    );
    const cyclic: { code?: string; cause?: unknown } = {};
    cyclic.cause = cyclic;
    expect(storageErrorKindOf(cyclic)).toBe("io");
  });

  it("answers io for unknown codes, non-errors and codes inherited from the prototype", () => {
    expect(storageErrorKindOf(errno("EWHATEVER"))).toBe("io");
    expect(storageErrorKindOf(errno("toString"))).toBe("io");
    expect(storageErrorKindOf(undefined)).toBe("io");
    expect(storageErrorKindOf("ENOENT")).toBe("io");
    expect(storageErrorKindOf({ code: 2 })).toBe("io");
  });

  it("maps the protocol's path errors, so a back-end may let them through", () => {
    let thrown: unknown;
    try {
      resolveVirtualPath("/", "a\0b");
    } catch (error) {
      thrown = error;
    }
    expect(LocalProtocolError.isInstance(thrown)).toBe(true);
    expect(storageErrorKindOf(thrown)).toBe("invalid-name");
    expect(() => resolveVirtualPath("/", "x".repeat(256))).toThrow();
  });
});

describe("FileSystemError", () => {
  it("carries kind, code, cause and a brand that survives a second copy of the class", () => {
    const cause = errno("EACCES");
    const error = new FileSystemError("permission", "no", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("FileSystemError");
    expect(error.kind).toBe("permission");
    expect(error.code).toBe("FTP_ERR_FS");
    expect(error.cause).toBe(cause);
    expect(FileSystemError.isInstance(error)).toBe(true);
    // A structurally identical object from "another copy" carries the same global symbol.
    const foreign = { [Symbol.for("ftp.error.FileSystemError")]: true, kind: "busy" };
    expect(FileSystemError.isInstance(foreign)).toBe(true);
    expect(FileSystemError.isInstance(new Error("x"))).toBe(false);
    expect(FileSystemError.isInstance(null)).toBe(false);
  });

  it("defaults the message to the kind and leaves cause unset when none is given", () => {
    const error = new FileSystemError("exists");
    expect(error.message).toBe("exists");
    expect("cause" in error).toBe(false);
  });
});
