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

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
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

/** The timestamp, or undefined when the text is not a real date and time in an accepted form. */
export function parseTimestamp(text: string): WallTimestamp | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const dayOfMonth = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`);
  if (year < 1 || month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = m[8];
  if (offset && offset !== 'Z') {
    const oh = Number(offset.slice(1, 3));
    const om = offset.length > 3 ? Number(offset.slice(-2)) : 0;
    if (oh > 23 || om > 59) return undefined;
  }
  const day = daysFromCivil(year, month, dayOfMonth);
  const ms = day * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + Math.floor(fraction * 1000);
  return { day, ms };
}

/** Days since 1970-01-01 of an instant's UTC date. */
export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}
