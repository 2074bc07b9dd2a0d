import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerKey, type Answer, type AnswerRow, type SegmentRule } from '../../../../app/api/answer-cache.js';
import { ApiError } from '../../../../app/api/api-error.js';
import { normalizeRequest, voucherRequestSchema } from '../../../../app/api/schemas.js';
import { daysSinceLastOrder, lookupVoucher, lookupVoucherJson, matchRule } from '../../../../app/api/segment-lookup.js';
import { parseTimestamp } from '../../../../app/api/timestamp.js';

/** The rules of DOMAIN.md, as the seed holds them. */
const RULES: SegmentRule[] = [
  ['frequent_segment', '1-4', 1, 4],
  ['frequent_segment', '5-13', 5, 13],
  ['frequent_segment', '14-37', 14, 37],
  ['recency_segment', '30-60', 30, 60],
  ['recency_segment', '61-90', 61, 90],
  ['recency_segment', '91-120', 91, 120],
  ['recency_segment', '121-180', 121, 180],
  ['recency_segment', '180+', 181, null],
].map(([segmentType, segmentName, min, max]) => ({ segmentType, segmentName, min, max }) as SegmentRule);

function answer(withoutData: string[] = []): Answer {
  const rules = new Map<string, SegmentRule[]>();
  const rows = new Map<string, AnswerRow>();
  RULES.forEach((r, i) => {
    rules.set(r.segmentType, [...(rules.get(r.segmentType) ?? []), r]);
    if (!withoutData.includes(r.segmentName)) {
      rows.set(answerKey(r.segmentType, r.segmentName), {
        segmentType: r.segmentType,
        segmentName: r.segmentName,
        voucherAmount: 1000 + i,
        voucherCount: 1,
        segmentRows: 1,
      });
    }
  });
  return { rules, rows, countries: new Set(['peru', 'latvia']), countryNames: ['Peru', 'Latvia'], builtAt: null, loadedAt: '', version: 1 };
}

const NOW = Date.parse('2018-08-01T10:00:00Z');

function request(fields: Record<string, unknown>) {
  return normalizeRequest(voucherRequestSchema.parse({ customer_id: 7, country_code: 'Peru', total_orders: 5, segment_name: 'frequent_segment', ...fields }));
}

function lookupError(fields: Record<string, unknown>, a = answer()): ApiError {
  try {
    lookupVoucher(a, request(fields), NOW);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('segment rules', () => {
  it('ranges are inclusive and an empty max is open', () => {
    const recency = RULES.filter((r) => r.segmentType === 'recency_segment');
    const cases: [number, string | undefined][] = [
      [29, undefined],
      [30, '30-60'],
      [60, '30-60'],
      [61, '61-90'],
      [90, '61-90'],
      [91, '91-120'],
      [120, '91-120'],
      [121, '121-180'],
      [180, '121-180'],
      [181, '180+'],
      [5000, '180+'],
      [-3, undefined],
    ];
    for (const [days, name] of cases) expect(matchRule(recency, days)?.segmentName, `${days} days`).toBe(name);
    const frequent = RULES.filter((r) => r.segmentType === 'frequent_segment');
    const orders: [number, string | undefined][] = [
      [0, undefined],
      [1, '1-4'],
      [4, '1-4'],
      [5, '5-13'],
      [13, '5-13'],
      [14, '14-37'],
      [37, '14-37'],
      [38, undefined],
    ];
    for (const [n, name] of orders) expect(matchRule(frequent, n)?.segmentName, `${n} orders`).toBe(name);
  });

  it('counts whole calendar days between dates, ignoring the time of day', () => {
    // 23:59 on May 3rd to 00:01 on Aug 1st: 90 calendar days, although less than 90 * 24 hours.
    expect(daysSinceLastOrder(request({ last_order_ts: '2018-05-03 23:59:59', reference_ts: '2018-08-01 00:00:01' }), NOW)).toBe(90);
    // Without reference_ts, the request time's UTC date counts.
    expect(daysSinceLastOrder(request({ last_order_ts: '2018-07-31T23:00:00' }), NOW)).toBe(1);
    expect(daysSinceLastOrder(request({ last_order_ts: null }), NOW)).toBeNull();
    // An offset does not move the written date, as in the pipeline's cast.
    expect(daysSinceLastOrder(request({ last_order_ts: '2018-07-01T23:30:00-05:00', reference_ts: '2018-07-31' }), NOW)).toBe(30);
  });
});

describe('lookupVoucher', () => {
  it('answers the amount of the matched segment and echoes the customer id', () => {
    expect(lookupVoucher(answer(), request({ total_orders: '13.0', customer_id: 'abc' }), NOW)).toEqual({
      voucher_amount: 1001,
      segment_type: 'frequent_segment',
      segment_name: '5-13',
      customer_id: 'abc',
    });
    expect(
      lookupVoucher(answer(), request({ segment_name: 'recency_segment', last_order_ts: '2018-05-03 12:00:00', country_code: '  LATVIA ' }), NOW),
    ).toMatchObject({
      segment_name: '61-90',
      voucher_amount: 1004,
    });
  });

  it('says which: country not covered, no segment, segment without data', () => {
    expect(lookupError({ country_code: 'China' })).toMatchObject({ statusCode: 404, code: 'country_not_covered' });
    expect(lookupError({ total_orders: 38 })).toMatchObject({ statusCode: 404, code: 'no_segment' });
    expect(lookupError({ total_orders: 38 }).message).toContain('total_orders 38');
    expect(lookupError({ segment_name: 'recency_segment', last_order_ts: '2018-07-20' })).toMatchObject({ code: 'no_segment' });
    expect(lookupError({ segment_name: 'recency_segment' })).toMatchObject({ code: 'no_segment', extra: { field: 'last_order_ts' } });
    expect(lookupError({ total_orders: 2 }, answer(['1-4']))).toMatchObject({ statusCode: 404, code: 'segment_without_data' });
  });
});

describe('lookupVoucherJson', () => {
  /** The outcome of a lookup as text: the answer's JSON, or the error's status, code and message. */
  const outcome = (f: () => unknown) => {
    try {
      const r = f();
      return typeof r === 'string' ? r : JSON.stringify(r);
    } catch (e) {
      const err = e as ApiError;
      return `${err.statusCode} ${JSON.stringify(err.toJSON())}`;
    }
  };

  it('is JSON.stringify of lookupVoucher, answers and errors alike, for any customer id', () => {
    const a = answer(['121-180']);
    fc.assert(
      fc.property(
        fc.record({
          customer_id: fc.oneof(
            fc.integer(),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.string({ minLength: 1, maxLength: 200 }),
            fc.constantFrom('"quoted"\\', '\u2028', 'ü', -0, 1e21),
          ),
          country_code: fc.constantFrom('Peru', ' latvia ', 'China'),
          total_orders: fc.integer({ min: 1, max: 40 }),
          segment_name: fc.constantFrom('frequent_segment', 'recency_segment'),
          last_order_ts: fc.option(
            fc.date({ min: new Date('2017-01-01T00:00:00Z'), max: new Date('2018-08-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
          ),
        }),
        (fields) => {
          const r = request(fields);
          expect(outcome(() => lookupVoucherJson(a, r, NOW))).toBe(outcome(() => lookupVoucher(a, r, NOW)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('request validation', () => {
  const issues = (fields: Record<string, unknown>) => {
    const r = voucherRequestSchema.safeParse({ customer_id: 1, country_code: 'Peru', total_orders: 5, segment_name: 'frequent_segment', ...fields });
    return r.success ? [] : r.error.issues.map((i) => ({ field: i.path.join('.'), rule: (i as { params?: { rule?: string } }).params?.rule }));
  };

  it('accepts the original data formats', () => {
    expect(issues({ total_orders: '4.0', last_order_ts: '2018-04-26', first_order_ts: '2018-03-25 00:00:00' })).toEqual([]);
    expect(issues({ last_order_ts: '2018-07-31 20:44:28.78', first_order_ts: '2018-03-25T00:00:00.123456Z', total_orders: 4 })).toEqual([]);
    expect(issues({ last_order_ts: '', first_order_ts: null, total_orders: 0 })).toEqual([]);
  });

  it('names the field and the rule', () => {
    expect(issues({ last_order_ts: '2020-02-30 00:00:00' })).toEqual([{ field: 'last_order_ts', rule: 'timestamp_format' }]);
    expect(issues({ first_order_ts: '2020-13-01' })).toEqual([{ field: 'first_order_ts', rule: 'timestamp_format' }]);
    expect(issues({ last_order_ts: '2020-01-01 24:00:00' })).toEqual([{ field: 'last_order_ts', rule: 'timestamp_format' }]);
    expect(issues({ total_orders: '4.5' })).toEqual([{ field: 'total_orders', rule: 'whole_number' }]);
    expect(issues({ total_orders: -1 })).toEqual([{ field: 'total_orders', rule: 'whole_number' }]);
    expect(issues({ total_orders: '' })).toEqual([{ field: 'total_orders', rule: 'required' }]);
    expect(issues({ total_orders: 0, last_order_ts: '2018-01-01' })).toEqual([{ field: 'total_orders', rule: 'zero_orders_with_order_timestamps' }]);
    expect(issues({ last_order_ts: '2018-01-01', first_order_ts: '2018-01-01 00:00:01' })).toEqual([
      { field: 'last_order_ts', rule: 'last_order_before_first_order' },
    ]);
  });

  it('parses timestamps strictly', () => {
    expect(parseTimestamp('2020-02-29')).toBeDefined();
    expect(parseTimestamp('2019-02-29')).toBeUndefined();
    expect(parseTimestamp('2020-08-29T12:34:56+02:00')).toEqual(parseTimestamp('2020-08-29 12:34:56'));
    for (const bad of ['2020-8-29', '29/08/2020', '2020-08-29T12:34:56+25:00', '2020-08-29 12:60', '2020-08-29x', 'now', '1e9']) {
      expect(parseTimestamp(bad), bad).toBeUndefined();
    }
  });
});
