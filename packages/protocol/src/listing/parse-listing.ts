/**
 * Whole listings: split the text into lines, detect the format once per listing, parse each
 * line, and drop what is not an entry.
 *
 * Theory of operation:
 * 1. Lines are split on LF; one CR before it is dropped (servers send CRLF, RFC 959 §3.1.1.1;
 *    a few send bare LF). Blank lines are skipped. A leading UTF-8 BOM is dropped.
 * 2. The format is detected from the first {@link DETECTION_LINES} non-blank lines: the format
 *    whose parser accepts most of them wins (ties go to the earlier format in
 *    {@link LISTING_FORMATS}). MLSx needs at least one fact here, since a bare ` name` line
 *    would otherwise look like MLSx.
 * 3. Each line goes to the detected format's parser first; when that parser rejects it, the
 *    other parsers are tried in {@link LISTING_FORMATS} order (basic-ftp's ordered candidates,
 *    but per line, so a listing that mixes formats still parses). Lines no parser accepts
 *    (`total 12`, banners) are skipped.
 * 4. `.` and `..`, and MLSx `cdir`/`pdir` entries, are dropped (RFC 3659 §7.5.1: they describe
 *    the listed directory and its parent, not its contents).
 *
 * Every step is linear in the input and nothing throws.
 */

import { parseDosLine } from "./dos-parser.js";
import { parseEplfLine } from "./eplf-parser.js";
import type { FileInfo } from "./file-info.js";
import type { LineParseOptions } from "./line-options.js";
import { parseMlsxLine } from "./mlsx.js";
import { parseNetwareLine } from "./netware-parser.js";
import { parseUnixLine } from "./unix-parser.js";

/** The listing formats this module reads, in the order they are tried. */
export const LISTING_FORMATS = ["unix", "dos", "eplf", "netware", "mlsx"] as const;

/** A listing format: `unix` (`ls -l`), `dos` (IIS), `eplf`, `netware`, `mlsx` (MLSD). */
export type ListingFormat = (typeof LISTING_FORMATS)[number];

/** How many non-blank lines {@link detectListingFormat} looks at. */
export const DETECTION_LINES = 20;

/** Options for {@link parseListing}. */
export interface ParseListingOptions extends LineParseOptions {
  /**
   * Parse every line with this format only, skipping detection and the per-line fallback.
   * Use it when the command tells the format (MLSD is always `mlsx`).
   */
  format?: ListingFormat;
}

type LineParser = (line: string, options: LineParseOptions) => FileInfo | undefined;

const PARSERS: Readonly<Record<ListingFormat, LineParser>> = {
  unix: parseUnixLine,
  dos: (line) => parseDosLine(line),
  eplf: (line) => parseEplfLine(line),
  netware: parseNetwareLine,
  mlsx: (line) => parseMlsxLine(line),
};

/** For detection and fallback, MLSx must show a fact: any line starting with SP is an MLSx entry without facts. */
const STRICT_PARSERS: Readonly<Record<ListingFormat, LineParser>> = {
  ...PARSERS,
  mlsx: (line) => parseMlsxLine(line, { requireFacts: true }),
};

/**
 * Guesses the format of a listing from its first {@link DETECTION_LINES} non-blank lines.
 *
 * @param lines - the listing's lines, without terminators (a trailing CR is tolerated).
 * @returns the format whose parser accepts most of those lines (ties: {@link LISTING_FORMATS}
 *   order), or `undefined` when none accepts any. Never throws.
 */
export function detectListingFormat(lines: readonly string[]): ListingFormat | undefined {
  const sample: string[] = [];
  for (const line of lines) {
    if (sample.length >= DETECTION_LINES) break;
    if (!isBlank(line)) sample.push(line);
  }
  let best: ListingFormat | undefined;
  let bestCount = 0;
  for (const format of LISTING_FORMATS) {
    const parse = STRICT_PARSERS[format];
    let count = 0;
    for (const line of sample) if (parse(line, {}) !== undefined) count++;
    if (count > bestCount) {
      best = format;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Parses a whole LIST or MLSD listing.
 *
 * @param text - the listing as received on the data connection, decoded (see
 *   `decodeUtf8OrLatin1` in `text/utf8.ts` for bytes).
 * @param options - `format` to skip detection; `now` for the year of `HH:MM` dates.
 * @returns the entries in listing order, without `.`, `..`, `cdir` and `pdir`; each keeps its
 *   original line in `raw`. Lines that are not entries are skipped, so unknown formats give
 *   an empty array. Never throws, on any input.
 */
export function parseListing(text: string, options: ParseListingOptions = {}): FileInfo[] {
  const lines = splitListingLines(text);
  const lineOptions: LineParseOptions = options.now === undefined ? {} : { now: options.now };
  const forced = options.format;
  const primary = forced ?? detectListingFormat(lines);
  const entries: FileInfo[] = [];
  for (const line of lines) {
    if (isBlank(line)) continue;
    let info = primary === undefined ? undefined : PARSERS[primary](line, lineOptions);
    if (info === undefined && forced === undefined) {
      for (const format of LISTING_FORMATS) {
        if (format === primary) continue;
        info = STRICT_PARSERS[format](line, lineOptions);
        if (info !== undefined) break;
      }
    }
    if (info !== undefined && isContentEntry(info)) entries.push(info);
  }
  return entries;
}

/**
 * Parses an MLSD listing (RFC 3659 §7): every line with {@link parseMlsxLine}, dropping
 * `cdir`/`pdir` entries and `.`/`..` (some servers send `type=dir; .`, basic-ftp issue #99)
 * and lines that break the MLSx grammar.
 *
 * @returns the entries in listing order. Never throws.
 */
export function parseMlsdListing(text: string): FileInfo[] {
  return parseListing(text, { format: "mlsx" });
}

/**
 * Splits listing text into lines: on LF, dropping one CR before it, and a leading BOM. @internal
 */
export function splitListingLines(text: string): string[] {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.endsWith("\r")) lines[i] = line.slice(0, -1);
  }
  return lines;
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

const TYPE_FACT = "type";

function isContentEntry(info: FileInfo): boolean {
  if (info.name === "." || info.name === "..") return false;
  const type = info.facts?.[TYPE_FACT]?.toLowerCase();
  return type !== "cdir" && type !== "pdir";
}
