/**
 * Random timestamp texts for property tests: mostly in the API's accepted shape, with parts that
 * are out of range (month 13, Feb 30, 24:00, offset +24), separators, fractions and offsets that
 * are malformed, so both the shape and the calendar checks get exercised.
 */
import fc from 'fast-check';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

const date = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
  .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);

const offset = fc.oneof(
  fc.constant(''),
  fc.constantFrom('Z', 'z', '+', '-', '+1', '+05:', '+05:3', '+0530x'),
  fc
    .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 25 }), fc.constantFrom('', ':', '!'), fc.option(fc.integer({ min: 0, max: 61 })))
    .map(([sign, h, sep, m]) => `${sign}${pad(h, 2)}${m === null ? '' : `${sep}${pad(m, 2)}`}`),
);

const time = fc
  .tuple(
    fc.constantFrom('T', ' ', 'T', ' ', 't', '_'),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.option(fc.integer({ min: 0, max: 61 })),
    fc.option(fc.stringMatching(/^\d{0,11}$/)),
    offset,
  )
  .map(
    ([sep, h, mi, s, fraction, off]) => `${sep}${pad(h, 2)}:${pad(mi, 2)}${s === null ? '' : `:${pad(s, 2)}${fraction === null ? '' : `.${fraction}`}`}${off}`,
  );

/** A date, with a time part most of the time, sometimes damaged by one replaced or added character. */
export const timestampText: fc.Arbitrary<string> = fc
  .tuple(date, fc.option(time, { freq: 3 }), fc.option(fc.tuple(fc.nat(), fc.constantFrom('', '0', ' ', ':', '-', 'T', '.', '\n', '٣'))))
  .map(([d, t, damage]) => {
    const text = `${d}${t ?? ''}`;
    if (!damage) return text;
    const i = damage[0] % (text.length + 1);
    return text.slice(0, i) + damage[1] + text.slice(i + 1);
  });

/** A real date and time in one of the accepted forms (bare date, space or T, seconds, fraction, offset). */
export const validTimestampText: fc.Arbitrary<string> = fc
  .tuple(
    fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2030-12-31T23:59:59Z'), noInvalidDate: true }),
    fc.constantFrom('date', 'space', 'T', 'minutes', 'fraction', 'offset', 'colonless'),
  )
  .map(([d, form]) => {
    const iso = d.toISOString(); // 2018-05-03T12:34:56.789Z
    switch (form) {
      case 'date':
        return iso.slice(0, 10);
      case 'space':
        return iso.slice(0, 19).replace('T', ' ');
      case 'T':
        return iso;
      case 'minutes':
        return iso.slice(0, 16);
      case 'fraction':
        return `${iso.slice(0, 23)}456`;
      case 'offset':
        return `${iso.slice(0, 19)}+05:30`;
      default:
        return `${iso.slice(0, 19)}-0800`;
    }
  });
