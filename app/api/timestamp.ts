/**
 * Strict parsing of the API's timestamps: `2020-08-29 12:34:56`, ISO 8601
 * (`2020-08-29T12:34:56.789Z`, `…+02:00`) or a bare date. Calendar-checked, so 2020-02-30 is refused.
 *
 * Like the pipeline (DuckDB casts text to a TIMESTAMP without time zone), the date and time are
 * taken as written: an offset is validated but does not move the date.
 */
export interface WallTimestamp {
  /** Days since 1970-01-01 of the written date. */
  day: number;
  /** Milliseconds since 1970-01-01T00:00 of the written date and time (for ordering only). */
  ms: number;
}

const DAY_MS = 86_400_000;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month - 1]!;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil); no Date allocation on the hot path. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const ZERO = 48;
const DASH = 45;
const COLON = 58;
const DOT = 46;
const PLUS = 43;
const SPACE = 32;
const T = 84;
const Z = 90;

/** The value of two ASCII digits at `i`, or -1 (also past the end: charCodeAt gives NaN). */
function twoDigits(text: string, i: number): number {
  const a = text.charCodeAt(i) - ZERO;
  const b = text.charCodeAt(i + 1) - ZERO;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The timestamp, or undefined when the text is not a real date and time in an accepted form:
 * exactly `YYYY-MM-DD([T ]hh:mm(:ss(.f{1,9})?)?(Z|±hh(:?mm)?)?)?`, nothing before or after.
 * Read character by character rather than with a regular expression: this runs up to three
 * times per /getVoucher/ request. The fraction is truncated to milliseconds.
 */
export function parseTimestamp(text: string): WallTimestamp | undefined {
  const len = text.length;
  if (len < 10 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return undefined;
  const hi = twoDigits(text, 0);
  const lo = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const dayOfMonth = twoDigits(text, 8);
  if (hi < 0 || lo < 0 || month < 0 || dayOfMonth < 0) return undefined;
  const year = hi * 100 + lo;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let i = 10;
  if (i < len) {
    const sep = text.charCodeAt(i);
    if (sep !== T && sep !== SPACE) return undefined;
    hour = twoDigits(text, i + 1);
    minute = twoDigits(text, i + 4);
    if (hour < 0 || text.charCodeAt(i + 3) !== COLON || minute < 0) return undefined;
    i += 6;
    if (text.charCodeAt(i) === COLON) {
      second = twoDigits(text, i + 1);
      if (second < 0) return undefined;
      i += 3;
      if (text.charCodeAt(i) === DOT) {
        const start = ++i;
        for (let c = text.charCodeAt(i) - ZERO; c >= 0 && c <= 9; c = text.charCodeAt(++i) - ZERO) {
          if (i - start < 3) millis = millis * 10 + c;
        }
        const digits = i - start;
        if (digits < 1 || digits > 9) return undefined;
        if (digits === 1) millis *= 100;
        else if (digits === 2) millis *= 10;
      }
    }
    if (i < len) {
      // The offset: Z, ±hh, ±hhmm or ±hh:mm; checked, but it does not move the date (see above).
      const sign = text.charCodeAt(i);
      if (sign === Z) i += 1;
      else if (sign === PLUS || sign === DASH) {
        const oh = twoDigits(text, i + 1);
        if (oh < 0 || oh > 23) return undefined;
        i += 3;
        if (i < len) {
          if (text.charCodeAt(i) === COLON) i += 1;
          const om = twoDigits(text, i);
          if (om < 0 || om > 59) return undefined;
          i += 2;
        }
      } else return undefined;
    }
    if (i !== len) return undefined;
  }
  if (year < 1 || month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const day = daysFromCivil(year, month, dayOfMonth);
  return { day, ms: day * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + millis };
}

/** Days since 1970-01-01 of an instant's UTC date. */
export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}
