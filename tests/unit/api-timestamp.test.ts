import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/api/timestamp.js';

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

  it('refuses dates that are not on the calendar', () => {
    for (const bad of ['2019-02-29', '1900-02-29', '2020-04-31', '2020-00-10', '2020-01-00', '0000-01-01']) expect(parseTimestamp(bad), bad).toBeUndefined();
    expect(parseTimestamp('2000-02-29')).toBeDefined();
  });
});
