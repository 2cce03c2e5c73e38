/**
 * The local side of directory operations: walking a local tree and creating directories.
 * Plain `node:fs`, nothing FTP (STYLE §8.7: local file-system helpers apart from the
 * protocol sequencing).
 */
import { lstat, mkdir, readdir } from "node:fs/promises";
import path from "node:path";

export interface LocalEntry {
  /** Path relative to the walked root, with `/` separators. */
  readonly path: string;
  readonly type: "file" | "directory";
  readonly size: number;
  readonly modifiedAt: Date;
}

/**
 * Every file and directory under `root`, parents before children. Symbolic links and
 * other special files are returned in `skipped` (relative paths) and not followed.
 */
export async function walkLocal(root: string): Promise<{ entries: LocalEntry[]; skipped: string[] }> {
  const entries: LocalEntry[] = [];
  const skipped: string[] = [];
  const visit = async (relative: string): Promise<void> => {
    const names = await readdir(path.join(root, relative));
    names.sort();
    for (const name of names) {
      const child = relative === "" ? name : `${relative}/${name}`;
      const info = await lstat(path.join(root, child));
      if (info.isDirectory()) {
        entries.push({ path: child, type: "directory", size: 0, modifiedAt: info.mtime });
        await visit(child);
      } else if (info.isFile()) {
        entries.push({ path: child, type: "file", size: info.size, modifiedAt: info.mtime });
      } else {
        skipped.push(child);
      }
    }
  };
  await visit("");
  return { entries, skipped };
}

/** The local path of a relative tree path. */
export function localPath(root: string, relative: string): string {
  return relative === "" ? root : path.join(root, ...relative.split("/"));
}

/** mkdir -p. */
export async function ensureLocalDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
