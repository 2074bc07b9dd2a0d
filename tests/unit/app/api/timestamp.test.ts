import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../../../app/api/timestamp.js';
import { timestampText, validTimestampText } from '../../../helpers/timestamps.js';

/** The grammar as a regular expression (the parser's former implementation), with the same calendar checks. */
const PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
function reference(text: string): { day: number; ms: number } | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offset = m[8];
  if (offset && offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || (offset.length > 3 && Number(offset.slice(-2)) > 59))) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || year < 1) return undefined;
  const when = new Date(0);
  when.setUTCFullYear(year, month - 1, day);
  // A day or month past the end of its range shows as another date.
  if (month < 1 || when.getUTCMonth() !== month - 1 || when.getUTCDate() !== day) return undefined;
  when.setUTCHours(hour, minute, second, millis);
  return { day: Math.floor(when.getTime() / 86_400_000), ms: when.getTime() };
}

describe('parseTimestamp', () => {
  it('reads every real calendar date as the day JavaScript dates give', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        const iso = d.toISOString();
        const parsed = parseTimestamp(iso);
        expect(parsed?.day).toBe(Math.floor(d.getTime() / 86_400_000));
        expect(parsed?.ms).toBe(d.getTime());
        expect(parseTimestamp(iso.slice(0, 19).replace('T', ' '))?.day).toBe(parsed?.day);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the grammar as a regular expression, on valid and damaged texts', () => {
    fc.assert(
      fc.property(fc.oneof(timestampText, validTimestampText, fc.string({ maxLength: 30 })), (text) => {
        expect(parseTimestamp(text), text).toEqual(reference(text));
      }),
      { numRuns: 20_000 },
    );
    for (const text of [
      '2020-02-29',
      '2019-02-29',
      '2020-08-29T12:34:56.1234567891Z',
      '2020-08-29T12:34.5',
      '2020-08-29 12:34+05',
      '2020-08-29 12:34:56+05:',
      '2020-08-29 12:34:56 ',
    ]) {
      expect(parseTimestamp(text), text).toEqual(reference(text));
    }
  });

  it('truncates a fraction to milliseconds', () => {
    const base = parseTimestamp('2020-08-29 12:34:56')!.ms;
    expect(parseTimestamp('2020-08-29 12:34:56.5')!.ms).toBe(base + 500);
    expect(parseTimestamp('2020-08-29 12:34:56.05')!.ms).toBe(base + 50);
    expect(parseTimestamp('2020-08-29 12:34:56.123999999')!.ms).toBe(base + 123);
  });

  it('refuses dates that are not on the calendar', () => {
    for (const bad of ['2019-02-29', '1900-02-29', '2020-04-31', '2020-00-10', '2020-01-00', '0000-01-01']) expect(parseTimestamp(bad), bad).toBeUndefined();
    expect(parseTimestamp('2000-02-29')).toBeDefined();
  });
});
