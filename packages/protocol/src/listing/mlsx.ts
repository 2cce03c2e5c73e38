/**
 * MLSD/MLST entries (RFC 3659 §7): parse one line into a {@link FileInfo}, and format facts
 * and a name into one line.
 *
 * RFC 3659 §7.2:
 *
 * ```text
 * entry   = [ facts ] SP pathname
 * facts   = 1*( fact ";" )
 * fact    = factname "=" value
 * value   = *SCHAR                  ; no ";" and no SP
 * ```
 *
 * "The pathname is everything after the space": it may itself contain `;`, `=` and spaces,
 * including leading spaces. MLST replies on the control connection prefix each entry with one
 * more SP (RFC 3659 §7.2, "response line"); strip it before calling {@link parseMlsxLine}.
 */

import { LocalProtocolError } from "../errors/index.js";
import type { FileInfo, FileType } from "./file-info.js";
import { permissionLetters } from "./internal/unix-mode.js";
import { readMlsxTime } from "./mlsx-time.js";

/**
 * Fact names: RFC 3659 §7.1 allows the standard names, `<IANA OS name>.<token>` and
 * `X.<token>`. We accept any printable US-ASCII except `;` and `=`, which would break the
 * framing, and compare case-insensitively (RFC 3659 §7.1: "Fact names are case-insensitive").
 */
const FACT_NAME = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;
const DIGITS = /^\d+$/;
const OCTAL = /^[0-7]{1,7}$/;
/** `OS.unix=slink:<target>` (proftpd with FactsOptions UseSlink, pure-ftpd, RFC 3659 §7.7.4 example), `OS.unix=symlink`. */
const UNIX_SYMLINK = /^os\.unix=(?:slink|symlink)(?::([\s\S]*))?$/i;

/** One fact as a name/value pair, for callers that care about the order of facts. */
export type MlsxFact = readonly [name: string, value: string];

/** Options for {@link parseMlsxLine}. */
export interface ParseMlsxLineOptions {
  /**
   * Require at least one fact. RFC 3659 §7.2 allows an entry with no facts (a line that is a
   * space and a name), but so little is also what any line starting with a space looks like;
   * the listing-level detector uses this to avoid reading other formats as MLSx.
   */
  requireFacts?: boolean;
}

/**
 * Parses one MLSD line, or one MLST entry with its leading response-line space removed.
 *
 * Facts (RFC 3659 §7.5 and the common OS facts): `type` (`file`; `dir`, `cdir`, `pdir` give a
 * directory; `OS.unix=slink:<target>` and `OS.unix=symlink` a symlink; anything else
 * unknown), `size` and `sizd` (proftpd and pure-ftpd send `sizd` for directories), `modify`,
 * `unix.mode` (octal), `unix.ownername`/`unix.owner`/`unix.uid` and
 * `unix.groupname`/`unix.group`/`unix.gid`. Every fact, known or not, is kept in
 * {@link FileInfo.facts} under its lower-cased name; when a fact appears twice, the first wins.
 *
 * @param line - the entry, without its line terminator (a trailing CR is tolerated and dropped).
 * @returns the entry; `facts.type` is `cdir`/`pdir` for the listed directory and its parent,
 *   which listing-level callers drop. `undefined` when the line breaks the RFC 3659 §7.2
 *   grammar (no space, facts not `;`-terminated, a fact without `=`, an empty pathname).
 *   Never throws.
 */
export function parseMlsxLine(line: string, options: ParseMlsxLineOptions = {}): FileInfo | undefined {
  const raw = line.endsWith("\r") ? line.slice(0, -1) : line;
  // RFC 3659 §7.2: entry = [ facts ] SP pathname. The first space ends the facts, since a
  // value cannot contain SP; everything after it is the pathname, exactly.
  const space = raw.indexOf(" ");
  if (space < 0) return undefined;
  const factsText = raw.slice(0, space);
  const name = raw.slice(space + 1);
  if (name === "") return undefined;
  if (factsText === "" && options.requireFacts === true) return undefined;
  // RFC 3659 §7.2: facts = 1*( fact ";" ): every fact is terminated by ";".
  if (factsText !== "" && !factsText.endsWith(";")) return undefined;

  // A null-prototype record, so that a fact named "__proto__" is kept like any other.
  const facts: Record<string, string> = Object.create(null);
  if (factsText !== "") {
    for (const fact of factsText.slice(0, -1).split(";")) {
      // RFC 3659 §7.2: fact = factname "=" value; the value may contain "=" (OS.unix=slink:...).
      const equals = fact.indexOf("=");
      if (equals <= 0) return undefined;
      const factName = fact.slice(0, equals);
      if (!FACT_NAME.test(factName)) return undefined;
      const key = factName.toLowerCase();
      if (!Object.hasOwn(facts, key)) facts[key] = fact.slice(equals + 1);
    }
  }
  return fileInfoFromFacts(name, facts, raw);
}

function fileInfoFromFacts(name: string, facts: Record<string, string>, raw: string): FileInfo {
  // Destructured: the keys of a fact record are data, not properties (noPropertyAccessFromIndexSignature).
  const { type: typeFact, size: sizeFact, sizd, modify } = facts;
  const info: FileInfo = { name, type: mlsxType(typeFact), raw };
  const size = readSize(sizeFact) ?? readSize(sizd);
  if (size !== undefined) info.size = size;
  if (modify !== undefined) {
    info.rawModifiedAt = modify;
    // RFC 3659 §7.5.3: the modify fact is a time-val, in UTC (§2.3).
    const modifiedAt = readMlsxTime(modify);
    if (modifiedAt !== undefined) info.modifiedAt = modifiedAt;
  }
  const mode = facts["unix.mode"];
  if (mode !== undefined && OCTAL.test(mode)) {
    info.unixMode = Number.parseInt(mode, 8);
    info.permissions = permissionLetters(info.unixMode);
  }
  // proftpd sends the numeric id in UNIX.owner and the name in UNIX.ownername; pure-ftpd UNIX.uid.
  const owner = facts["unix.ownername"] ?? facts["unix.owner"] ?? facts["unix.uid"];
  if (owner !== undefined) info.owner = owner;
  const group = facts["unix.groupname"] ?? facts["unix.group"] ?? facts["unix.gid"];
  if (group !== undefined) info.group = group;
  if (info.type === "symlink" && typeFact !== undefined) {
    // pure-ftpd sends "OS.unix=slink:" with an empty target.
    const target = UNIX_SYMLINK.exec(typeFact)?.[1];
    if (target !== undefined && target !== "") info.target = target;
  }
  info.facts = facts;
  return info;
}

/** RFC 3659 §7.5.1 type fact, compared case-insensitively. */
function mlsxType(value: string | undefined): FileType {
  if (value === undefined) return "unknown";
  const type = value.toLowerCase();
  if (type === "file") return "file";
  if (type === "dir" || type === "cdir" || type === "pdir") return "directory";
  if (UNIX_SYMLINK.test(value)) return "symlink";
  return "unknown";
}

function readSize(value: string | undefined): number | undefined {
  if (value === undefined || !DIGITS.test(value)) return undefined;
  const size = Number(value);
  return Number.isSafeInteger(size) ? size : undefined;
}

/**
 * Formats one MLSD line (or MLST entry, without the response-line space): each fact as
 * `name=value;` in the given order, one SP, then the name (RFC 3659 §7.2).
 *
 * @param facts - a record (its key order is kept) or an ordered list of `[name, value]` pairs.
 * @param name - the name (MLSD) or pathname (MLST), sent exactly; it may contain `;`, `=` and
 *   leading or trailing spaces.
 * @returns the line, without a line terminator.
 * @throws LocalProtocolError (code `FTP_ERR_LISTING_NAME`) when the name is empty or contains
 *   CR, LF or NUL: a listing line must not be able to inject another line (RFC 3659 §7.2
 *   forbids CR and LF in pathnames; RFC 959 Telnet strings cannot carry NUL). Refused rather
 *   than escaped: there is no escape syntax a client would undo.
 * @throws LocalProtocolError (code `FTP_ERR_LISTING_FACT`) when a fact name is empty or holds
 *   characters outside printable US-ASCII or `;`/`=`, when two facts share a name
 *   (case-insensitively), or when a value contains `;`, SP, CR, LF or NUL (RFC 3659 §7.2:
 *   `value = *SCHAR`, which excludes `;` and SP).
 */
export function formatMlsxLine(facts: Readonly<Record<string, string>> | readonly MlsxFact[], name: string): string {
  assertListableName(name);
  const pairs: readonly MlsxFact[] = isFactList(facts) ? facts : Object.entries(facts);
  const seen = new Set<string>();
  let text = "";
  for (const [factName, value] of pairs) {
    if (!FACT_NAME.test(factName)) {
      throw new LocalProtocolError(`invalid MLSx fact name ${JSON.stringify(factName)}`, BAD_FACT);
    }
    const key = factName.toLowerCase();
    if (seen.has(key)) throw new LocalProtocolError(`duplicate MLSx fact ${JSON.stringify(factName)}`, BAD_FACT);
    seen.add(key);
    if (/[; \r\n\0]/.test(value)) {
      throw new LocalProtocolError(
        `MLSx fact ${factName} value ${JSON.stringify(value)} contains ";", SP, CR, LF or NUL`,
        BAD_FACT,
      );
    }
    text += `${factName}=${value};`;
  }
  return `${text} ${name}`;
}

function isFactList(facts: Readonly<Record<string, string>> | readonly MlsxFact[]): facts is readonly MlsxFact[] {
  return Array.isArray(facts);
}

const BAD_FACT = { replyHint: 501, code: "FTP_ERR_LISTING_FACT" } as const;
const BAD_NAME = { replyHint: 501, code: "FTP_ERR_LISTING_NAME" } as const;

/**
 * Refuses names a listing line cannot carry. @internal
 * @throws LocalProtocolError (code `FTP_ERR_LISTING_NAME`) for an empty name or one with CR, LF or NUL.
 */
export function assertListableName(name: string, what = "name"): void {
  if (name === "") throw new LocalProtocolError(`cannot list an empty ${what}`, BAD_NAME);
  if (/[\r\n\0]/.test(name)) {
    throw new LocalProtocolError(
      `cannot list ${what} ${JSON.stringify(name)}: CR, LF and NUL would break the listing's line framing`,
      BAD_NAME,
    );
  }
}
