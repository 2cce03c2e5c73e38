import type { Permission } from "../../command/index.js";
import { type FileType, formatMlsxEntry, formatUnixListingLine, type MlsxPermissionSet } from "../../listing/index.js";
import type { EntryInfo } from "./types.js";

/**
 * Maps a storage entry onto the listing module's formatters, so that LIST, STAT, MLSD and
 * MLST all describe an entry the same way. Used by the server session and by I/O layers
 * that stream listings over data connections.
 */

function fileType(entry: EntryInfo): FileType {
  return entry.type === "other" ? "unknown" : entry.type;
}

/** One `ls -l` line (vsftpd layout) for LIST and STAT. */
export function formatListingEntry(entry: EntryInfo, now: Date): string {
  // One plain object per line (absent fields as undefined, which the formatter treats as
  // absent): a listing formats this once per entry, 100,000 times for a big directory, and
  // conditional spreads cost a temporary object each.
  return formatUnixListingLine(
    {
      name: entry.name,
      type: fileType(entry),
      size: entry.size,
      modifiedAt: entry.modifiedAt,
      unixMode: entry.mode,
      owner: entry.owner,
      group: entry.group,
      hardLinks: entry.hardLinks,
      target: entry.target,
    },
    now,
  );
}

/** RFC 3659 §7.5.5: what the account may do with the entry, as `perm` letters. */
export function mlsxPermissions(entry: EntryInfo, permissions: ReadonlySet<Permission>): MlsxPermissionSet {
  if (entry.type === "directory") {
    return {
      createFile: permissions.has("write"),
      delete: permissions.has("rmdir"),
      enter: true,
      rename: permissions.has("rename"),
      list: permissions.has("list"),
      makeDirectory: permissions.has("mkdir"),
      purge: permissions.has("delete"),
    };
  }
  return {
    append: permissions.has("append"),
    delete: permissions.has("delete"),
    rename: permissions.has("rename"),
    read: permissions.has("read"),
    write: permissions.has("write"),
  };
}

/** One MLSx entry line (facts, a space, the name) for MLSD and MLST. */
export function formatMlsxListingEntry(
  entry: EntryInfo,
  facts: readonly string[],
  permissions: ReadonlySet<Permission>,
  name: string,
): string {
  return formatMlsxEntry(
    {
      name,
      type: fileType(entry),
      size: entry.size,
      modifiedAt: entry.modifiedAt,
      unixMode: entry.mode === undefined ? undefined : entry.mode & 0o7777,
      unique: entry.unique,
      target: entry.target,
      perm: mlsxPermissions(entry, permissions),
    },
    facts,
  );
}
