/** Walking a remote tree with listings (MLSD or LIST), one directory at a time. */
import type { FileInfo } from "@ftpkit/protocol";
import { remoteChild } from "../operations/paths.js";
import type { DirRunner } from "./runner.js";

export interface RemoteEntry {
  /** Path relative to the walked root, with `/` separators. */
  readonly path: string;
  readonly type: "file" | "directory";
  readonly info: FileInfo;
}

/**
 * Every file and directory under the absolute remote `root`, parents before children.
 * Symbolic links and entries of unknown type are returned in `skipped`: following a link
 * could loop, and what it points to is not known from the listing.
 */
export async function walkRemote(
  runner: DirRunner,
  root: string,
  signal: AbortSignal | undefined,
): Promise<{ entries: RemoteEntry[]; skipped: string[] }> {
  const entries: RemoteEntry[] = [];
  const skipped: string[] = [];
  const visit = async (relative: string): Promise<void> => {
    const listed = await runner.list(relative === "" ? root : remoteChild(root, relative), withSignal(signal));
    listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const info of listed) {
      // A name with a slash cannot be addressed below this directory (a broken listing line).
      if (info.name.includes("/") || info.name === "") continue;
      const child = relative === "" ? info.name : `${relative}/${info.name}`;
      if (info.type === "directory") {
        entries.push({ path: child, type: "directory", info });
        await visit(child);
      } else if (info.type === "file") {
        entries.push({ path: child, type: "file", info });
      } else {
        skipped.push(child);
      }
    }
  };
  await visit("");
  return { entries, skipped };
}

/** The absolute remote path of a relative tree path. */
export function remotePath(root: string, relative: string): string {
  return relative === "" ? root : remoteChild(root, relative);
}

export function withSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}
