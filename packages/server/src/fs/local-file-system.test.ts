import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { splitVirtualPath } from "@ftpkit/protocol";
import { describeFileSystemConformance } from "../testing/file-system-conformance.js";
import { LocalFileSystem } from "./local-file-system.js";

describeFileSystemConformance("LocalFileSystem", async () => {
  const root = await mkdtemp(join(tmpdir(), "ftpkit-conformance-"));
  return {
    fs: new LocalFileSystem(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
    symlink: (target, link) => symlink(target, join(root, ...splitVirtualPath(link))),
  };
});
