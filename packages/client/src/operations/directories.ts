/**
 * MKD and RMD, each alone or for a whole path / tree. Recursive forms work on absolute
 * paths, so the server's current directory is only borrowed (to test whether a directory
 * exists) and always restored.
 */
import { resolveVirtualPath, virtualDirname } from "@ftpkit/protocol";
import { listDirectory } from "../listing.js";
import { type Connection, check } from "../transport/connection.js";
import { remoteChild } from "./paths.js";

export async function makeDirectory(
  connection: Connection,
  path: string,
  recursive: boolean,
  signal?: AbortSignal,
): Promise<void> {
  if (!recursive) {
    await connection.expect("MKD", path, signal);
    return;
  }
  const target = resolveVirtualPath(connection.cwd, path);
  let moved = false;
  // Fast path first: the parent usually exists, so one MKD does it.
  const ensure = async (dir: string): Promise<void> => {
    if (dir === "/") return;
    const made = await connection.control.request("MKD", dir, signal);
    if (made.outcome === "success") return;
    const exists = await connection.control.request("CWD", dir, signal);
    if (exists.outcome === "success") {
      moved = true;
      return;
    }
    const parent = virtualDirname(dir);
    if (parent === dir) check(made);
    await ensure(parent);
    check(await connection.control.request("MKD", dir, signal));
  };
  try {
    await ensure(target);
  } finally {
    if (moved && connection.usable) await connection.expect("CWD", connection.cwd, signal);
  }
}

export async function removeDirectory(
  connection: Connection,
  path: string,
  recursive: boolean,
  signal?: AbortSignal,
): Promise<void> {
  if (recursive) {
    const dir = path.startsWith("/") ? path : resolveVirtualPath(connection.cwd, path);
    for (const entry of await listDirectory(connection, dir, signal)) {
      const child = remoteChild(dir, entry.name);
      if (entry.type === "directory") await removeDirectory(connection, child, true, signal);
      else await connection.expect("DELE", child, signal);
    }
  }
  await connection.expect("RMD", path, signal);
}
