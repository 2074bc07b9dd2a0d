/**
 * The hand-written check of /getVoucher/ bodies (`fastVoucherRequest`) against the contract, the
 * zod schema (`voucherRequestSchema` + `normalizeRequest`): on random bodies, valid and invalid
 * field by field, both must accept the same bodies and read them to the same request.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastVoucherRequest, normalizeRequest, voucherRequestSchema } from '../../../../app/api/schemas.js';
import { timestampText, validTimestampText } from '../../../helpers/timestamps.js';

const ABSENT = Symbol('absent');

/** Every JSON value kind, for "wrong type" cases. */
const anyJson = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.constant([]), fc.constant({}));

const customerId = fc.oneof(
  fc.integer(),
  fc.double(), // includes NaN, ±Infinity and -0, which z.number() refuses or keeps
  fc.string({ maxLength: 20 }),
  fc.constant(''),
  fc.constant('x'.repeat(200)),
  fc.constant('x'.repeat(201)),
  fc.constant(1e999), // JSON.parse('1e999') is Infinity
  anyJson,
);

const countryCode = fc.oneof(
  fc.constantFrom('Peru', ' peru ', 'LATVIA', '', ' ', '\t\n', '\u00a0', ' x', 'x'.repeat(100), 'x'.repeat(101), ' '.repeat(101)),
  fc.string({ maxLength: 12 }),
  anyJson,
);

const timestamp = fc.oneof(
  { weight: 3, arbitrary: timestampText },
  { weight: 3, arbitrary: validTimestampText },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t',
      '\u2003',
      ' '.repeat(64),
      ' '.repeat(65),
      `2018-01-01${' '.repeat(60)}`,
      '2018-01-01T00:00:00.123456789+05:30'.padEnd(65, '0'),
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: anyJson },
);

const totalOrders = fc.oneof(
  fc.integer({ min: -3, max: 60 }),
  fc.double(),
  fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 4.5, 1e21, 1e999),
  fc.constantFrom(
    '4.0',
    ' 4 ',
    '+4',
    '-4',
    '4.',
    '.5',
    '-0',
    '0',
    '1e2',
    '1E2',
    '1e400',
    '',
    ' ',
    'abc',
    '0x10',
    '4,0',
    '0'.repeat(32),
    '0'.repeat(33),
    '\u00a07',
  ),
  fc.integer({ min: -3, max: 60 }).map(String),
  fc.string({ maxLength: 6 }),
  anyJson,
);

const segmentName = fc.oneof(fc.constantFrom('frequent_segment', 'recency_segment', 'recency_segment ', 'Frequent_segment', ''), anyJson);

/** A field's value, or absent; mostly well-formed so that whole bodies are often valid. */
const field = <T>(valid: fc.Arbitrary<T>, any: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 8, arbitrary: valid }, { weight: 2, arbitrary: any }, { weight: 1, arbitrary: fc.constant(ABSENT) });

const body = fc
  .record({
    customer_id: field(fc.oneof(fc.integer(), fc.string({ minLength: 1, maxLength: 10 })), customerId),
    country_code: field(fc.constantFrom('Peru', ' peru '), countryCode),
    last_order_ts: field(validTimestampText, timestamp),
    first_order_ts: field(validTimestampText, timestamp),
    total_orders: field(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom('4.0', '15')), totalOrders),
    segment_name: field(fc.constantFrom('frequent_segment', 'recency_segment'), segmentName),
    reference_ts: field(validTimestampText, timestamp),
    extra: field(anyJson, anyJson),
  })
  .map((fields) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ABSENT)));

/** What the schema makes of a body: the normalized request, or undefined when it refuses it. */
function bySchema(value: unknown) {
  const parsed = voucherRequestSchema.safeParse(value);
  return parsed.success ? normalizeRequest(parsed.data) : undefined;
}

describe('fastVoucherRequest', () => {
  it('accepts exactly the bodies the schema accepts, and reads them the same', () => {
    let accepted = 0;
    fc.assert(
      fc.property(body, (b) => {
        const fast = fastVoucherRequest(b);
        const schema = bySchema(b);
        expect(fast === undefined, JSON.stringify(b)).toBe(schema === undefined);
        if (schema) {
          accepted++;
          expect(fast).toEqual(schema);
        }
      }),
      { numRuns: 5000 },
    );
    // The generator is meant to make valid bodies often enough to compare their readings.
    expect(accepted).toBeGreaterThan(500);
  });

  it('agrees with the schema on bodies that are not objects', () => {
    for (const b of [undefined, null, [], [{}], 'text', 7, true]) {
      expect(fastVoucherRequest(b)).toBeUndefined();
      expect(bySchema(b)).toBeUndefined();
    }
  });

  it('refuses (so the schema names the problem) each cleaning rule', () => {
    const ok = {
      customer_id: 1,
      country_code: 'Peru',
      total_orders: 3,
      segment_name: 'frequent_segment',
      last_order_ts: '2018-05-03',
      first_order_ts: '2017-05-03',
    };
    expect(fastVoucherRequest(ok)).toBeDefined();
    expect(fastVoucherRequest({ ...ok, total_orders: 0 })).toBeUndefined();
    expect(fastVoucherRequest({ ...ok, last_order_ts: '2016-01-01' })).toBeUndefined();
    expect(fastVoucherRequest({ ...ok, first_order_ts: '2017-02-29' })).toBeUndefined();
    expect(fastVoucherRequest({ ...ok, total_orders: ' ' })).toBeUndefined();
  });

  it('keeps values as the schema does (-0 stays -0, text orders become numbers)', () => {
    const b = { customer_id: -0, country_code: ' Peru ', total_orders: '4.0', segment_name: 'frequent_segment' };
    expect(Object.is(fastVoucherRequest(b)!.customer_id, -0)).toBe(true);
    expect(fastVoucherRequest(b)).toEqual(bySchema(b));
    expect(fastVoucherRequest(b)!.total_orders).toBe(4);
  });
});
