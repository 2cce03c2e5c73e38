/**
 * RFC 3659 §2.3 `time-val`, the time format of MLSx `modify`/`create` facts and of MDTM/MFMT:
 *
 * ```text
 * time-val = 14DIGIT [ "." 1*DIGIT ]      ; YYYYMMDDHHMMSS[.sss]
 * ```
 *
 * "Time values are always represented in UTC (GMT)" (RFC 3659 §2.3). "The range of values
 * for SS is 00 to 60, with 60 used only for leap seconds" (ibid.).
 */

import { LocalProtocolError, type ParseResult, safeParse } from "../errors/index.js";
import { pad, utcDate } from "./internal/calendar.js";

const TIME_VAL = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?$/;

const BAD_TIME = { replyHint: 501, code: "FTP_ERR_TIME_VAL" } as const;

/** Options for {@link formatMlsxTime}. */
export interface FormatMlsxTimeOptions {
  /** Append `.sss` milliseconds (RFC 3659 §2.3 allows any number of fraction digits). Default: false. */
  milliseconds?: boolean;
}

/**
 * Parses an RFC 3659 §2.3 `time-val` (`YYYYMMDDHHMMSS[.sss]`, UTC).
 *
 * Fraction digits beyond milliseconds are truncated. A leap second (`SS` = 60) is read as
 * 59.999 s, since `Date` has no leap seconds. No surrounding whitespace is accepted.
 *
 * @param text - the time-val, e.g. `20240131141500` or `20240131141500.123`.
 * @returns the instant, as a `Date`.
 * @throws LocalProtocolError (replyHint 501, code `FTP_ERR_TIME_VAL`) when the text is not a
 *   time-val or names a date that does not exist (e.g. `20230229000000`).
 */
export function parseMlsxTime(text: string): Date {
  const date = readMlsxTime(text);
  if (date === undefined) {
    throw new LocalProtocolError(`not an RFC 3659 time-val (YYYYMMDDHHMMSS[.sss]): ${JSON.stringify(text)}`, BAD_TIME);
  }
  return date;
}

/**
 * Non-throwing {@link parseMlsxTime}.
 *
 * @returns `{ success: true, value }` with the instant, or `{ success: false, error }` with the
 *   `LocalProtocolError` that `parseMlsxTime` would throw. Never throws.
 */
export function safeParseMlsxTime(text: string): ParseResult<Date> {
  return safeParse(() => parseMlsxTime(text));
}

/**
 * Formats an instant as an RFC 3659 §2.3 `time-val` in UTC: `YYYYMMDDHHMMSS`, or
 * `YYYYMMDDHHMMSS.sss` with `{ milliseconds: true }`. Without milliseconds the time is
 * truncated (not rounded) to the second, as servers do with `st_mtime`.
 *
 * @returns the time-val text.
 * @throws LocalProtocolError (code `FTP_ERR_TIME_VAL`) for an invalid Date or a year outside
 *   0000-9999, which four digits cannot carry.
 */
export function formatMlsxTime(date: Date, options: FormatMlsxTimeOptions = {}): string {
  const time = date.getTime();
  if (!Number.isFinite(time)) throw new LocalProtocolError("cannot format an invalid Date as a time-val", BAD_TIME);
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) {
    throw new LocalProtocolError(`year ${year} does not fit the four digits of an RFC 3659 time-val`, BAD_TIME);
  }
  const text =
    pad(year, 4) +
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2);
  return options.milliseconds === true ? `${text}.${pad(date.getUTCMilliseconds(), 3)}` : text;
}

/** The non-throwing core of {@link parseMlsxTime}, for the listing parsers. @internal */
export function readMlsxTime(text: string): Date | undefined {
  const m = TIME_VAL.exec(text);
  if (m === null) return undefined;
  let second = Number(m[6]);
  let millisecond = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  if (second === 60) {
    // RFC 3659 §2.3: SS may be 60 for a leap second.
    second = 59;
    millisecond = 999;
  }
  return utcDate(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), second, millisecond);
}
