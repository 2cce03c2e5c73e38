/**
 * `mirror`: make the target tree (local for `download`, remote for `upload`) like the
 * source tree, transferring only what changed. The plan is computed first from the two
 * walks (a pure step, `planMirror`), then carried out unless `dryRun`.
 *
 * Comparing times: a listing shows times at its own precision: MLSD to the second, a Unix
 * LIST line to the minute (`Jan 31 14:15`) or to the day (`Jan 31 2023`). A file counts as
 * changed by time when the source is newer than the target at the coarser precision of the
 * two. After a transfer the target gets the source's time (utimes locally, MFMT remotely
 * when the server has it), so an unchanged tree transfers nothing the next time; where a
 * server cannot set times, its copy is newer than the source and is not sent again.
 */
import { rm, utimes } from "node:fs/promises";
import type { FileInfo } from "@ftpkit/protocol";
import { ensureLocalDir, type LocalEntry, localPath, walkLocal } from "./local-tree.js";
import { type RemoteEntry, remotePath, walkRemote, withSignal } from "./remote-tree.js";
import { type DirRunner, runLimited } from "./runner.js";

export interface MirrorOptions {
  /** `download`: remote to local. `upload`: local to remote. */
  direction: "download" | "upload";
  /** Remove target entries the source does not have (default false). */
  delete?: boolean;
  /** Only compute and return the plan (default false). */
  dryRun?: boolean;
  /** What makes a file changed (default `size+mtime`). */
  compare?: "size" | "mtime" | "size+mtime";
  /** Transfer this many files at once. */
  parallel?: number;
  signal?: AbortSignal;
}

export interface MirrorAction {
  readonly action: "mkdir" | "transfer" | "delete";
  /** Relative to the roots, with `/` separators. */
  readonly path: string;
  readonly type: "file" | "directory";
  /** missing: not in the target; size/mtime: changed; type: file vs directory; extra: not in the source. */
  readonly reason: "missing" | "size" | "mtime" | "type" | "extra";
}

export interface MirrorResult {
  /** What was done (or, with `dryRun`, what would be done), in order. */
  readonly actions: readonly MirrorAction[];
  /** Bytes moved. */
  readonly bytes: number;
  /** Entries left out: links, special files, and type conflicts when `delete` is off. */
  readonly skipped: readonly string[];
}

/** One side of the comparison. */
export interface TreeEntry {
  readonly type: "file" | "directory";
  readonly size: number | undefined;
  readonly modifiedAt: Date | undefined;
  /** The time's resolution in ms. */
  readonly precision: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

/** How precise a listing's time is (see the module comment). */
function listingPrecision(info: FileInfo): number {
  if (info.facts !== undefined) return SECOND;
  if (info.rawModifiedAt?.includes(":") === true) return MINUTE;
  return DAY;
}

export function remoteTreeEntry(entry: RemoteEntry): TreeEntry {
  return {
    type: entry.type,
    size: entry.info.size,
    modifiedAt: entry.info.modifiedAt,
    precision: listingPrecision(entry.info),
  };
}

export function localTreeEntry(entry: LocalEntry): TreeEntry {
  return { type: entry.type, size: entry.size, modifiedAt: entry.modifiedAt, precision: 1 };
}

/** Why `source` should replace `target`, or undefined when it is the same. */
export function changed(
  source: TreeEntry,
  target: TreeEntry,
  compare: "size" | "mtime" | "size+mtime",
): "size" | "mtime" | undefined {
  if (compare !== "mtime" && (source.size === undefined || source.size !== target.size)) return "size";
  if (compare === "size") return undefined;
  if (source.modifiedAt === undefined || target.modifiedAt === undefined) return "mtime";
  const precision = Math.max(source.precision, target.precision);
  return Math.floor(source.modifiedAt.getTime() / precision) > Math.floor(target.modifiedAt.getTime() / precision)
    ? "mtime"
    : undefined;
}

/** The actions that make `target` like `source` (parents before children; extra deletions last). */
export function planMirror(
  source: ReadonlyMap<string, TreeEntry>,
  target: ReadonlyMap<string, TreeEntry>,
  options: { delete: boolean; compare: "size" | "mtime" | "size+mtime" },
): { actions: MirrorAction[]; conflicts: string[] } {
  const actions: MirrorAction[] = [];
  const conflicts: string[] = [];
  const replaced = new Set<string>();
  const under = (path: string, dirs: Set<string>) => {
    for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
      if (dirs.has(path.slice(0, i))) return true;
    }
    return false;
  };
  for (const [path, entry] of source) {
    const existing = target.get(path);
    if (existing !== undefined && under(path, replaced)) continue;
    if (existing !== undefined && existing.type !== entry.type) {
      if (!options.delete) {
        conflicts.push(path);
        continue;
      }
      actions.push({ action: "delete", path, type: existing.type, reason: "type" });
      if (existing.type === "directory") replaced.add(path);
    }
    const missing = existing === undefined || existing.type !== entry.type;
    const reason = missing ? (existing === undefined ? "missing" : "type") : undefined;
    if (entry.type === "directory") {
      if (reason !== undefined) actions.push({ action: "mkdir", path, type: "directory", reason });
      continue;
    }
    const why = reason ?? changed(entry, existing as TreeEntry, options.compare);
    if (why !== undefined) actions.push({ action: "transfer", path, type: "file", reason: why });
  }
  if (options.delete) {
    const removed = new Set<string>();
    for (const [path, entry] of target) {
      if (source.has(path) || under(path, removed) || under(path, replaced)) continue;
      actions.push({ action: "delete", path, type: entry.type, reason: "extra" });
      if (entry.type === "directory") removed.add(path);
    }
  }
  return { actions, conflicts };
}

export async function mirror(
  runner: DirRunner,
  remoteDir: string,
  localDir: string,
  options: MirrorOptions,
): Promise<MirrorResult> {
  const signal = withSignal(options.signal);
  const root = await runner.resolvePath(remoteDir, signal);
  const download = options.direction === "download";
  if (download) await ensureLocalDir(localDir);
  else await runner.mkdir(root, { ...signal, recursive: true });
  const remote = await walkRemote(runner, root, options.signal);
  const local = await walkLocal(localDir);
  const remoteMap = new Map(remote.entries.map((e) => [e.path, remoteTreeEntry(e)] as const));
  const localMap = new Map(local.entries.map((e) => [e.path, localTreeEntry(e)] as const));
  const { actions, conflicts } = planMirror(download ? remoteMap : localMap, download ? localMap : remoteMap, {
    delete: options.delete === true,
    compare: options.compare ?? "size+mtime",
  });
  const skipped = [...remote.skipped, ...local.skipped, ...conflicts];
  if (options.dryRun === true) return { actions, bytes: 0, skipped };

  const remoteOf = (path: string) => remotePath(root, path);
  const localOf = (path: string) => localPath(localDir, path);
  const sourceTimes = new Map(
    download
      ? remote.entries.map((e) => [e.path, e.info.modifiedAt] as const)
      : local.entries.map((e) => [e.path, e.modifiedAt] as const),
  );
  const remove = async (action: MirrorAction) => {
    if (download) await rm(localOf(action.path), { recursive: true, force: true });
    else if (action.type === "directory") await runner.rmdir(remoteOf(action.path), { ...signal, recursive: true });
    else await runner.remove(remoteOf(action.path), signal);
  };
  // Structure first, in plan order (a type conflict's deletion comes before its mkdir).
  for (const action of actions) {
    if (action.action === "delete" && action.reason === "type") await remove(action);
    if (action.action !== "mkdir") continue;
    if (download) await ensureLocalDir(localOf(action.path));
    else await runner.mkdir(remoteOf(action.path), { ...signal, recursive: true });
  }
  let bytes = 0;
  const transfers = actions
    .filter((action) => action.action === "transfer")
    .map((action) => async () => {
      const time = sourceTimes.get(action.path);
      if (download) {
        const result = await runner.download(remoteOf(action.path), localOf(action.path), signal);
        bytes += result.bytes;
        if (time !== undefined) await utimes(localOf(action.path), new Date(), time);
      } else {
        const result = await runner.upload(localOf(action.path), remoteOf(action.path), signal);
        bytes += result.bytes;
        // Best effort: a server without MFMT keeps its own (newer) time, see the module comment.
        if (time !== undefined) await runner.setLastModified(remoteOf(action.path), time, signal).catch(() => {});
      }
    });
  await runLimited(transfers, options.parallel ?? 1);
  for (const action of actions) {
    if (action.action === "delete" && action.reason === "extra") await remove(action);
  }
  return { actions, bytes, skipped };
}
