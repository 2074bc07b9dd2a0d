/**
 * Which voucher a customer gets: the pure rule of DOMAIN.md, agreeing with the pipeline's
 * `voucher_segments` model. frequent_segment measures total_orders; recency_segment measures
 * whole calendar days from the date of last_order_ts to the date of the reference moment.
 * Ranges are inclusive; a rule without max is open.
 */
import { answerKey, type Answer, type AnswerRow, type SegmentRule } from './answer.js';
import { ApiError } from './api-error.js';
import type { VoucherAnswer, VoucherRequest } from './schemas.js';
import { utcDay } from './timestamp.js';

/** The first rule (by ascending min) whose inclusive range holds `measure`. */
export function matchRule(rules: readonly SegmentRule[], measure: number): SegmentRule | undefined {
  // A loop rather than find: no closure to make per request.
  for (const r of rules) if (measure >= r.min && (r.max === null || measure <= r.max)) return r;
  return undefined;
}

/** Days from the last order's date to the reference date (the request's UTC date unless given). */
export function daysSinceLastOrder(request: VoucherRequest, nowMs: number): number | null {
  if (!request.last_order_ts) return null;
  const referenceDay = request.reference_ts ? request.reference_ts.day : utcDay(nowMs);
  return referenceDay - request.last_order_ts.day;
}

function describeRanges(rules: readonly SegmentRule[]): string {
  return rules.map((r) => (r.max === null ? `${r.min} or more` : `${r.min}..${r.max}`)).join(', ');
}

/**
 * A rule's row of the answer, remembered per rule (with the rows it was found in, in case a rule
 * object outlives its answer): no key text to build and hash per request.
 */
const ruleRows = new WeakMap<SegmentRule, { rows: Answer['rows']; row: AnswerRow | undefined }>();

function ruleRow(answer: Answer, rule: SegmentRule): AnswerRow | undefined {
  const known = ruleRows.get(rule);
  if (known !== undefined && known.rows === answer.rows) return known.row;
  const row = answer.rows.get(answerKey(rule.segmentType, rule.segmentName));
  ruleRows.set(rule, { rows: answer.rows, row });
  return row;
}

/** The customer's segment rule and its row of the answer, or an ApiError (404) saying why there is none. */
function findSegment(answer: Answer, request: VoucherRequest, nowMs: number): AnswerRow {
  const country = request.country_code.trim().toLowerCase();
  if (!answer.countries.has(country)) {
    throw new ApiError(
      404,
      'country_not_covered',
      `the pipeline does not cover country '${request.country_code.trim()}'; it covers: ${answer.countryNames.join(', ')}`,
      { field: 'country_code' },
    );
  }
  const type = request.segment_name;
  const rules = answer.rules.get(type) ?? [];
  if (rules.length === 0) {
    throw new ApiError(404, 'no_segment', `the segment rules define no ${type} segment`, { field: 'segment_name' });
  }
  let measure: number;
  if (type === 'frequent_segment') measure = request.total_orders;
  else {
    const days = daysSinceLastOrder(request, nowMs);
    if (days === null) {
      throw new ApiError(404, 'no_segment', 'no last_order_ts: days since last order are unknown, so the customer is in no recency_segment', {
        field: 'last_order_ts',
      });
    }
    measure = days;
  }
  const rule = matchRule(rules, measure);
  if (!rule) {
    // The measure's wording is made only here, for the message.
    const measureName = type === 'frequent_segment' ? `total_orders ${measure}` : `${measure} days since last order`;
    throw new ApiError(404, 'no_segment', `the customer is in no ${type}: ${measureName} is in none of its ranges (${describeRanges(rules)})`);
  }
  const row = ruleRow(answer, rule);
  if (!row) {
    throw new ApiError(404, 'segment_without_data', `${type} '${rule.segmentName}' has no data in the pipeline's answer: no voucher of the source fell in it`);
  }
  return row;
}

/** The answer for a validated request, or an ApiError (404) saying why there is none. */
export function lookupVoucher(answer: Answer, request: VoucherRequest, nowMs: number): VoucherAnswer {
  const row = findSegment(answer, request, nowMs);
  return { voucher_amount: row.voucherAmount, segment_type: request.segment_name, segment_name: row.segmentName, customer_id: request.customer_id };
}

/**
 * Each row's answer as JSON text up to the customer id, made once per row: rows belong to one
 * loaded answer and never change (a pipeline run swaps in a new answer with new rows).
 */
const answerHeads = new WeakMap<AnswerRow, string>();

/** `JSON.stringify(lookupVoucher(...))`, without building and serializing the object each time. */
export function lookupVoucherJson(answer: Answer, request: VoucherRequest, nowMs: number): string {
  const row = findSegment(answer, request, nowMs);
  let head = answerHeads.get(row);
  if (head === undefined) {
    // The key order of lookupVoucher's object; a row's segment type is the request's (it is part of the row's key).
    head = `{"voucher_amount":${JSON.stringify(row.voucherAmount)},"segment_type":${JSON.stringify(row.segmentType)},"segment_name":${JSON.stringify(row.segmentName)},"customer_id":`;
    answerHeads.set(row, head);
  }
  return `${head}${JSON.stringify(request.customer_id)}}`;
}
