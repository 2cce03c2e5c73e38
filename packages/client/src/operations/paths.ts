import { resolveVirtualPath } from "@ftpkit/protocol";

/**
 * A child's remote path: the parent as given, `/`, the name. The name is kept byte for byte
 * (a listing's names may hold spaces, leading dashes, backslashes).
 */
export function remoteChild(parent: string, name: string): string {
  return parent.endsWith("/") ? `${parent}${name}` : `${parent}/${name}`;
}

/** An absolute remote path for `path` seen from `cwd` (RFC 959 §4.1.1: relative to the working directory). */
export function absoluteRemote(cwd: string, path: string): string {
  return path.startsWith("/") ? path : resolveVirtualPath(cwd, path);
}
