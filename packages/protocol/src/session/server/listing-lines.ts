import type { Permission } from "../../command/index.js";
import { type FileType, formatMlsxEntry, formatUnixListingLine, type MlsxPermissionSet } from "../../listing/index.js";
import type { EntryInfo, TransferRequest } from "./types.js";

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

/** An entry of a listing transfer: LIST and MLSD get full entries; NLST may get names only. */
export type ListingTransferEntry = EntryInfo | { readonly name: string };

/** A name holding CR or LF would end its listing line early (and inject a forged one): never sent. */
const LINE_BREAK = /[\r\n]/;

/**
 * The data-connection form of a LIST, NLST or MLSD transfer (RFC 959 §4.1.3, RFC 3659 §7.2):
 * a function that gives each entry's line with its CRLF, or `undefined` for an entry the
 * listing leaves out. LIST and NLST hide dot files unless the options hold `a`/`A` (vsftpd's
 * behaviour); MLSD shows everything. NLST gives bare names, so it may be fed `{ name }` alone;
 * LIST and MLSD need full entries.
 */
export function listingLineFormatter(
  request: Pick<TransferRequest, "kind" | "listOptions" | "facts" | "permissions">,
  now: Date,
): (entry: ListingTransferEntry) => string | undefined {
  const { kind } = request;
  const showHidden = kind === "mlsd" || /[aA]/.test(request.listOptions);
  const format =
    kind === "nlst"
      ? (entry: ListingTransferEntry) => entry.name
      : kind === "mlsd"
        ? (entry: ListingTransferEntry) =>
            formatMlsxListingEntry(entry as EntryInfo, request.facts, request.permissions, entry.name)
        : (entry: ListingTransferEntry) => formatListingEntry(entry as EntryInfo, now);
  return (entry) => {
    if (LINE_BREAK.test(entry.name) || (!showHidden && entry.name.startsWith("."))) return undefined;
    return `${format(entry)}\r\n`;
  };
}
