/**
 * Calendar helpers for the listing parsers and formatters. @internal
 *
 * Every date here is UTC: listings carry no time zone, and RFC 3659 times are UTC.
 * Nothing here reads the clock; `now` is always a parameter.
 */

const DAY_MS = 86_400_000;

/**
 * Half a year, as the `ls`-style "recent" window: vsftpd prints `HH:MM` for files modified at
 * most 182 days before now and the year otherwise (and for future files); our formatter does
 * the same.
 */
export const RECENT_WINDOW_MS = 182 * DAY_MS;

/**
 * How far in the future a yearless date may lie and still be this year's: lftp's `guess_year`
 * (misc.cc) allows 6 days, FileZilla one day. Up to this much clock skew or time-zone offset
 * between server and client is absorbed. It must stay small: servers do not all use `ls`'s
 * six-month window for `HH:MM` (FileZilla Server 0.9 shows it for 350 days, IIS's Unix style
 * for the whole current year), and a file shown as `Dec 24 09:30` on 26 November is from the
 * previous December.
 */
export const FUTURE_TOLERANCE_MS = 6 * DAY_MS;

/**
 * Builds a UTC date, or returns undefined when a field is out of range or the day does not
 * exist in that month (30 February). Years 0 to 9999 (no `Date.UTC` two-digit-year mapping).
 */
export function utcDate(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  millisecond = 0,
): Date | undefined {
  if (!Number.isInteger(year) || year < 0 || year > 9999) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (millisecond < 0 || millisecond > 999) return undefined;
  if (year >= 100 && Number.isInteger(month) && Number.isInteger(day)) {
    // The common case, one Date and no setters (listings parse one date per line):
    // Date.UTC maps only years 0-99 to 1900-1999, and the day is checked against its month.
    if (day > daysInMonth(year, month)) return undefined;
    return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millisecond));
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millisecond);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return date;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days in a month (1-12) of a proleptic Gregorian year, as `Date` counts them. */
function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return MONTH_DAYS[month - 1] ?? 0;
}

/**
 * The date of a yearless `Mon DD HH:MM` listing time: `now`'s year, unless that puts it more
 * than {@link FUTURE_TOLERANCE_MS} after `now`, in which case the previous year (a listing
 * shows files that exist, so they were modified in the past). Undefined for an impossible
 * date (29 February of a common year).
 */
export function inferYear(
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  now: Date,
): Date | undefined {
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) return undefined;
  const year = now.getUTCFullYear();
  const sameYear = utcDate(year, month, day, hour, minute, second);
  if (sameYear !== undefined && sameYear.getTime() <= nowMs + FUTURE_TOLERANCE_MS) return sameYear;
  return utcDate(year - 1, month, day, hour, minute, second);
}

/**
 * Month names accepted in listings, lower-case, without a trailing dot: English (full and
 * abbreviated), and the abbreviations GNU `ls` prints in German, French, Spanish, Italian and
 * Dutch locales. Listed only where they differ from English.
 */
const MONTHS: ReadonlyMap<string, number> = new Map<string, number>([
  ["jan", 1],
  ["january", 1],
  ["feb", 2],
  ["february", 2],
  ["mar", 3],
  ["march", 3],
  ["apr", 4],
  ["april", 4],
  ["may", 5],
  ["jun", 6],
  ["june", 6],
  ["jul", 7],
  ["july", 7],
  ["aug", 8],
  ["august", 8],
  ["sep", 9],
  ["sept", 9],
  ["september", 9],
  ["oct", 10],
  ["october", 10],
  ["nov", 11],
  ["november", 11],
  ["dec", 12],
  ["december", 12],
  // German
  ["mär", 3],
  ["mrz", 3],
  ["mai", 5],
  ["okt", 10],
  ["dez", 12],
  // French
  ["janv", 1],
  ["févr", 2],
  ["fév", 2],
  ["mars", 3],
  ["avr", 4],
  ["juin", 6],
  ["juil", 7],
  ["août", 8],
  ["aoû", 8],
  ["déc", 12],
  // Spanish
  ["ene", 1],
  ["abr", 4],
  ["ago", 8],
  ["dic", 12],
  // Italian
  ["gen", 1],
  ["mag", 5],
  ["giu", 6],
  ["lug", 7],
  ["set", 9],
  ["ott", 10],
  // Dutch
  ["mrt", 3],
  ["mei", 5],
]);

const CJK_MONTH = /^(\d{1,2})[月월]$/;

/**
 * The month number (1-12) of a month token, case-insensitively, ignoring one trailing dot
 * (`janv.`). Also accepts the numeric CJK forms GNU `ls` prints in Chinese, Japanese and
 * Korean locales (`1月`, `12월`).
 */
export function monthNumber(token: string): number | undefined {
  // Fast path: the C locale's `Jan`..`Dec`, what nearly every server prints.
  const english = token.length === 3 ? ENGLISH_MONTH_NUMBERS.get(token) : undefined;
  if (english !== undefined) return english;
  let text = token.toLowerCase();
  if (text.endsWith(".")) text = text.slice(0, -1);
  const cjk = CJK_MONTH.exec(text);
  if (cjk !== null) {
    const month = Number(cjk[1]);
    return month >= 1 && month <= 12 ? month : undefined;
  }
  return MONTHS.get(text);
}

const ENGLISH_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

const ENGLISH_MONTH_NUMBERS: ReadonlyMap<string, number> = new Map(ENGLISH_MONTHS.map((name, i) => [name, i + 1]));

/** The English three-letter abbreviation of a date's UTC month, as `ls` prints it in the C locale. */
export function englishMonth(date: Date): string {
  return ENGLISH_MONTHS[date.getUTCMonth()] ?? "???";
}

/** Zero-pads a non-negative integer. */
export function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}
