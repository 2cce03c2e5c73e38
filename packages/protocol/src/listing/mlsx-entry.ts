/**
 * The server side of MLSD/MLST: the standard facts of one entry (RFC 3659 §7.5), as one line.
 */

import { LocalProtocolError } from "../errors/index.js";
import type { FileType } from "./file-info.js";
import { S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFSOCK } from "./internal/unix-mode.js";
import { formatMlsxLine, type MlsxFact } from "./mlsx.js";
import { formatMlsxTime } from "./mlsx-time.js";

/**
 * The facts {@link formatMlsxEntry} can produce, in the order it writes them. A server lists
 * them in FEAT (`MLST type*;size*;modify*;...`, RFC 3659 §7.8) and accepts them in `OPTS MLST`.
 */
export const MLSX_SUPPORTED_FACTS = [
  "type",
  "size",
  "sizd",
  "modify",
  "create",
  "perm",
  "unique",
  "unix.mode",
] as const;

/** A fact name {@link formatMlsxEntry} knows. */
export type MlsxSupportedFact = (typeof MLSX_SUPPORTED_FACTS)[number];

/**
 * The facts a server enables until the client sends `OPTS MLST` (RFC 3659 §7.9: the server
 * chooses the default set): those that every client understands and that are cheap to compute.
 */
export const MLSX_DEFAULT_FACTS: readonly MlsxSupportedFact[] = [
  "type",
  "size",
  "modify",
  "perm",
  "unix.mode",
  "unique",
];

/**
 * What the client may do with an entry, from which the `perm` fact is computed. Each flag maps
 * to one RFC 3659 §7.5.5 letter, and letters that do not apply to the entry's type are left out
 * (the RFC defines `a r w` for files only and `c e l m p` for directories only).
 */
export interface MlsxPermissionSet {
  /** `a`: APPE may append to this file. */
  append?: boolean;
  /** `c`: STOR/STOU may create files in this directory. */
  createFile?: boolean;
  /** `d`: DELE (file) or RMD (directory) may delete this entry. */
  delete?: boolean;
  /** `e`: CWD may enter this directory. */
  enter?: boolean;
  /** `f`: RNFR may rename this entry. */
  rename?: boolean;
  /** `l`: LIST, NLST and MLSD may list this directory. */
  list?: boolean;
  /** `m`: MKD may create directories in this directory. */
  makeDirectory?: boolean;
  /** `p`: the directory's contents may be deleted (purged). */
  purge?: boolean;
  /** `r`: RETR may read this file. */
  read?: boolean;
  /** `w`: STOR may overwrite this file. */
  write?: boolean;
}

/** The information {@link formatMlsxEntry} needs about one entry. */
export interface MlsxEntry {
  /** The name (MLSD) or the pathname (MLST) to send. */
  name: string;
  type: FileType;
  /**
   * For directories: `cdir` for the listed directory itself and `pdir` for its parent
   * (RFC 3659 §7.5.1). Default: `dir`.
   */
  directoryKind?: "dir" | "cdir" | "pdir";
  /** Size in bytes: sent as `size` for non-directories, as `sizd` for directories (if asked). */
  size?: number;
  modifiedAt?: Date;
  createdAt?: Date;
  /** Sent as `unix.mode`, permission bits only (`0o7777`); `S_IFMT` bits name the type of `"unknown"` entries. */
  unixMode?: number;
  /** Sent as `unique` (RFC 3659 §7.5.2), e.g. device and inode in hex as proftpd does (`FE00U20C1BD`). */
  unique?: string;
  /** A symlink's target, sent in `type=OS.unix=slink:<target>` when it fits a fact value. */
  target?: string;
  /** What the client may do; without it no `perm` fact is sent. */
  perm?: MlsxPermissionSet;
}

/**
 * The RFC 3659 §7.5.5 `perm` fact value for an entry of `type` with the given rights. Letters
 * come in the RFC's order (`a c d e f l m p r w`), limited to those defined for the type.
 *
 * @returns the letters, possibly empty. Never throws.
 */
export function formatMlsxPerm(type: FileType, permissions: MlsxPermissionSet): string {
  const isDirectory = type === "directory";
  let text = "";
  for (const [flag, letter, appliesTo] of PERM_LETTERS) {
    if (permissions[flag] !== true) continue;
    if (appliesTo === "any" || (appliesTo === "dir") === isDirectory) text += letter;
  }
  return text;
}

/** RFC 3659 §7.5.5 letters in the RFC's order, with the entry types each is defined for. */
const PERM_LETTERS: readonly (readonly [keyof MlsxPermissionSet, string, "file" | "dir" | "any"])[] = [
  ["append", "a", "file"],
  ["createFile", "c", "dir"],
  ["delete", "d", "any"],
  ["enter", "e", "dir"],
  ["rename", "f", "any"],
  ["list", "l", "dir"],
  ["makeDirectory", "m", "dir"],
  ["purge", "p", "dir"],
  ["read", "r", "file"],
  ["write", "w", "file"],
];

/**
 * The lower-cased set of the last facts array seen, and a copy of that array: MLSD formats
 * every entry of a listing with the same facts, so the set is built once per listing rather
 * than once per line. The copy is compared element by element (a caller may reuse and change
 * its array); other iterables are not cached, since they may yield differently next time.
 */
let lastFacts: readonly string[] = [];
let lastWanted: ReadonlySet<string> = new Set();

function wantedSet(factsWanted: Iterable<string>): ReadonlySet<string> {
  const array = Array.isArray(factsWanted) ? (factsWanted as readonly string[]) : undefined;
  if (array !== undefined && sameFacts(array, lastFacts)) return lastWanted;
  const wanted = new Set<string>();
  for (const fact of factsWanted) wanted.add(fact.toLowerCase());
  if (array !== undefined) {
    lastFacts = [...array];
    lastWanted = wanted;
  }
  return wanted;
}

function sameFacts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Formats one MLSD line (or MLST entry) for an entry, with the requested facts that apply to
 * it, in the order of {@link MLSX_SUPPORTED_FACTS}:
 *
 * - `type`: `file`, `dir` (or `cdir`/`pdir`), `OS.unix=slink:<target>` for a symlink whose
 *   target fits a fact value (else `OS.unix=symlink`, the form of the RFC 3659 errata),
 *   `OS.unix=chr`/`blk`/`fifo`/`socket` for unknown entries whose `unixMode` has those type
 *   bits; left out for other unknown entries.
 * - `size` for non-directories, `sizd` for directories (RFC 3659 §7.5.7 defines `size` for
 *   files only; `sizd` is proftpd's and pure-ftpd's extension).
 * - `modify`, `create`: RFC 3659 §2.3 time-vals, UTC, whole seconds.
 * - `perm`: from {@link MlsxEntry.perm} via {@link formatMlsxPerm}.
 * - `unique`, `unix.mode` (octal with a leading 0, as proftpd and pure-ftpd write it).
 *
 * Facts without data (no `size`, no `modifiedAt`, ...) are left out, as RFC 3659 §7.9 allows.
 *
 * @param entry - the entry.
 * @param factsWanted - the fact names the client enabled (`OPTS MLST`), case-insensitive;
 *   unknown names are ignored. Default: {@link MLSX_DEFAULT_FACTS}.
 * @returns the line, without a line terminator.
 * @throws LocalProtocolError (code `FTP_ERR_LISTING_NAME`) when the name is empty or contains CR,
 *   LF or NUL (see {@link formatMlsxLine}); (code `FTP_ERR_LISTING_FACT`) when `size` is not a
 *   non-negative safe integer, `unique` cannot be a fact value, or a date is invalid or
 *   outside years 0000-9999.
 */
export function formatMlsxEntry(entry: MlsxEntry, factsWanted: Iterable<string> = MLSX_DEFAULT_FACTS): string {
  const wanted = wantedSet(factsWanted);
  const isDirectory = entry.type === "directory";
  const facts: MlsxFact[] = [];

  if (wanted.has("type")) {
    const type = typeFact(entry);
    if (type !== undefined) facts.push(["type", type]);
  }
  if (entry.size !== undefined) {
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
      throw new LocalProtocolError(`size must be a non-negative safe integer, got ${entry.size}`, BAD_FACT);
    }
    if (!isDirectory && wanted.has("size")) facts.push(["size", String(entry.size)]);
    if (isDirectory && wanted.has("sizd")) facts.push(["sizd", String(entry.size)]);
  }
  if (entry.modifiedAt !== undefined && wanted.has("modify")) {
    facts.push(["modify", timeFact(entry.modifiedAt)]);
  }
  if (entry.createdAt !== undefined && wanted.has("create")) {
    facts.push(["create", timeFact(entry.createdAt)]);
  }
  if (entry.perm !== undefined && wanted.has("perm")) {
    facts.push(["perm", formatMlsxPerm(entry.type, entry.perm)]);
  }
  if (entry.unique !== undefined && wanted.has("unique")) {
    if (entry.unique === "" || /[; \r\n\0]/.test(entry.unique)) {
      throw new LocalProtocolError(`unique ${JSON.stringify(entry.unique)} cannot be an MLSx fact value`, BAD_FACT);
    }
    facts.push(["unique", entry.unique]);
  }
  if (entry.unixMode !== undefined && wanted.has("unix.mode")) {
    facts.push(["unix.mode", `0${(entry.unixMode & 0o7777).toString(8)}`]);
  }
  return formatMlsxLine(facts, entry.name);
}

const BAD_FACT = { replyHint: 501, code: "FTP_ERR_LISTING_FACT" } as const;

function timeFact(date: Date): string {
  try {
    return formatMlsxTime(date);
  } catch (error) {
    throw new LocalProtocolError(`cannot send ${String(date)} as an MLSx time`, { ...BAD_FACT, cause: error });
  }
}

function typeFact(entry: MlsxEntry): string | undefined {
  switch (entry.type) {
    case "file":
      return "file";
    case "directory":
      return entry.directoryKind ?? "dir";
    case "symlink":
      // RFC 3659 §7.7.4's example writes OS.unix=slink:<target>, and FileZilla and lftp read
      // it; a target that would break the fact framing falls back to the target-less form.
      return entry.target !== undefined && entry.target !== "" && !/[; \r\n\0]/.test(entry.target)
        ? `OS.unix=slink:${entry.target}`
        : "OS.unix=symlink";
    case "unknown": {
      const bits = (entry.unixMode ?? 0) & S_IFMT;
      if (bits === S_IFCHR) return "OS.unix=chr";
      if (bits === S_IFBLK) return "OS.unix=blk";
      if (bits === S_IFIFO) return "OS.unix=fifo";
      if (bits === S_IFSOCK) return "OS.unix=socket";
      return undefined;
    }
  }
}
