/**
 * The API's request and answer shapes, as zod schemas: they validate requests, type the code
 * (`z.infer`) and are published as the OpenAPI document (`z.toJSONSchema`).
 */
import { z } from 'zod';
import { parseTimestamp, type WallTimestamp } from './timestamp.js';

/** The segment types the pipeline measures: total_orders and days since last order. */
export const SEGMENT_TYPES = ['frequent_segment', 'recency_segment'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

/** What a failed format check on a field means, as a 422 `rule`. */
export const FORMAT_RULES: Record<string, FieldRule> = {
  last_order_ts: 'timestamp_format',
  first_order_ts: 'timestamp_format',
  reference_ts: 'timestamp_format',
  total_orders: 'whole_number',
  country_code: 'required',
};

/** Why a field was refused: the `rule` of a 422 answer. */
export type FieldRule =
  | 'required'
  | 'type'
  | 'allowed_values'
  | 'max_length'
  | 'timestamp_format'
  | 'whole_number'
  | 'zero_orders_with_order_timestamps'
  | 'last_order_before_first_order';

const TIMESTAMP_HELP = 'a timestamp such as 2020-08-29 12:34:56 or ISO 8601 (2020-08-29T12:34:56Z), on a real calendar date';

/**
 * Checks are built-in zod checks on each field plus one refinement for what needs several
 * fields or a calendar; no per-field transform, which costs zod several microseconds each and
 * this is the hot path. `normalizeRequest` then turns the valid text into values.
 */
const TIMESTAMP_SHAPE = /^(\s*|\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?)$/;
const NUMBER_TEXT = /^\s*([+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)?\s*$/i;
const NOT_BLANK = /\S/;

const TIMESTAMP_FIELDS = ['last_order_ts', 'first_order_ts', 'reference_ts'] as const;
type TimestampField = (typeof TIMESTAMP_FIELDS)[number];
/** The timestamps the refinement parsed, per validated body, so they are not parsed twice. */
const parsedStamps = new WeakMap<object, Partial<Record<TimestampField, WallTimestamp | null | undefined>>>();

const timestampField = (description: string, example: string) =>
  z
    .string({ error: `must be ${TIMESTAMP_HELP}, or null` })
    .max(64, { error: 'must be at most 64 characters' })
    .regex(TIMESTAMP_SHAPE, { error: `must be ${TIMESTAMP_HELP}` })
    .nullable()
    .optional()
    .meta({ description, examples: [example] });

export const voucherRequestSchema = z
  .object({
    customer_id: z
      .union([z.string().min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }), z.number()], {
        error: 'must be a string or a number',
      })
      .meta({ description: 'echoed back in the answer', examples: [123] }),
    country_code: z
      .string({ error: 'must be a country name such as Peru' })
      .max(100, { error: 'must be at most 100 characters' })
      .regex(NOT_BLANK, { error: 'must not be blank' })
      .meta({ description: "the customer's country, e.g. Peru; compared trimmed and case-insensitively", examples: ['Peru'] }),
    last_order_ts: timestampField(`${TIMESTAMP_HELP}; null, blank or absent when unknown`, '2018-05-03 00:00:00'),
    first_order_ts: timestampField(`${TIMESTAMP_HELP}; null, blank or absent when unknown`, '2017-05-03 00:00:00'),
    total_orders: z
      .union(
        [
          z.number(),
          z.string().max(32, { error: 'must be at most 32 characters' }).regex(NUMBER_TEXT, { error: 'must be a whole number of orders' }),
          z.null(),
        ],
        { error: 'must be a whole number of orders (a number or numeric text such as "4.0")' },
      )
      .optional()
      .meta({ description: 'orders placed so far: a whole number, as a number or text ("4.0" is 4); required', examples: [15, '4.0'] }),
    segment_name: z
      .enum(SEGMENT_TYPES, { error: `must be one of ${SEGMENT_TYPES.join(', ')} (the segment type to use)` })
      .meta({ description: 'the segment *type* to use', examples: ['recency_segment'] }),
    reference_ts: timestampField(
      `the moment "days since last order" is counted to (${TIMESTAMP_HELP}); default: the request's time, in UTC`,
      '2018-07-31 00:00:00',
    ),
  })
  .superRefine(
    (r, ctx) => {
      // Runs even when the body failed its shape (see `when`), so it may not even be an object.
      if (typeof r !== 'object' || r === null || Array.isArray(r)) return;
      const issue = (field: string, rule: FieldRule, message: string) => ctx.addIssue({ code: 'custom', path: [field], message, params: { rule } });
      // Every problem is named at once: check only the fields that have the right shape.
      const stamps: Partial<Record<TimestampField, WallTimestamp | null | undefined>> = {};
      parsedStamps.set(r, stamps);
      for (const field of TIMESTAMP_FIELDS) {
        const v = r[field];
        if (typeof v !== 'string' || !TIMESTAMP_SHAPE.test(v)) continue;
        if (v.trim() === '') stamps[field] = null;
        else {
          stamps[field] = parseTimestamp(v);
          if (!stamps[field]) issue(field, 'timestamp_format', `must be ${TIMESTAMP_HELP}; got '${v}'`);
        }
      }
      const orders = ordersOf(r.total_orders);
      if (orders === null) issue('total_orders', 'required', 'is required: a row without total_orders is removed by the cleaning rules');
      else if (orders !== undefined && !(Number.isInteger(orders) && orders >= 0 && orders <= Number.MAX_SAFE_INTEGER)) {
        issue('total_orders', 'whole_number', `must be a whole number of orders, 0 or more; got ${JSON.stringify(r.total_orders)}`);
      }
      // The cleaning rules of the stage layer: a request that breaks one is not a customer the pipeline would keep.
      const last = stamps.last_order_ts;
      const first = stamps.first_order_ts;
      if (orders === 0 && (last || first)) {
        issue(
          'total_orders',
          'zero_orders_with_order_timestamps',
          'is 0 while last_order_ts or first_order_ts is set: a customer with order timestamps has orders',
        );
      }
      if (last && first && last.ms < first.ms)
        issue('last_order_ts', 'last_order_before_first_order', 'is before first_order_ts: the last order cannot come before the first');
    },
    { when: () => true },
  );

/** total_orders as a number; null when blank or missing; undefined when of the wrong type (already reported). */
function ordersOf(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !NUMBER_TEXT.test(value)) return undefined;
  return value.trim() === '' ? null : Number(value);
}

/** The request as the body gives it (after validation). */
export type VoucherRequestBody = z.output<typeof voucherRequestSchema>;

/** A validated request with its values read: what the segment lookup works on. */
export interface VoucherRequest {
  customer_id: string | number;
  country_code: string;
  segment_name: SegmentType;
  total_orders: number;
  last_order_ts: WallTimestamp | null;
  first_order_ts: WallTimestamp | null;
  reference_ts: WallTimestamp | null;
}

const stamp = (v: string | null | undefined): WallTimestamp | null => (v && v.trim() !== '' ? (parseTimestamp(v) ?? null) : null);

export function normalizeRequest(body: VoucherRequestBody): VoucherRequest {
  const parsed = parsedStamps.get(body);
  if (parsed) {
    return {
      customer_id: body.customer_id,
      country_code: body.country_code,
      segment_name: body.segment_name,
      total_orders: ordersOf(body.total_orders) ?? 0,
      last_order_ts: parsed.last_order_ts ?? null,
      first_order_ts: parsed.first_order_ts ?? null,
      reference_ts: parsed.reference_ts ?? null,
    };
  }
  return {
    customer_id: body.customer_id,
    country_code: body.country_code,
    segment_name: body.segment_name,
    total_orders: ordersOf(body.total_orders) ?? 0,
    last_order_ts: stamp(body.last_order_ts),
    first_order_ts: stamp(body.first_order_ts),
    reference_ts: stamp(body.reference_ts),
  };
}

/**
 * `voucherRequestSchema` and `normalizeRequest` in one pass, by hand, for the hot path: the
 * normalized request when the schema accepts `body`, else undefined, and then the caller runs the
 * schema, which says what is wrong. So this only ever decides a yes: every refusal, and its 422
 * naming field and rule, still comes from the schema, which stays the contract (and the OpenAPI
 * document). It must accept exactly what the schema accepts and read it the same way:
 * tests/unit/app/api/fast-request.test.ts compares the two on random bodies. Change them together.
 */
export function fastVoucherRequest(body: unknown): VoucherRequest | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const r = body as Record<string, unknown>;
  const id = r.customer_id;
  // z.number() refuses Infinity (JSON.parse gives it for 1e999) and NaN.
  if (typeof id === 'string' ? id.length < 1 || id.length > 200 : typeof id !== 'number' || !Number.isFinite(id)) return undefined;
  const country = r.country_code;
  if (typeof country !== 'string' || country.length > 100 || !NOT_BLANK.test(country)) return undefined;
  const segment = r.segment_name;
  if (!(SEGMENT_TYPES as readonly unknown[]).includes(segment)) return undefined;
  // total_orders: required (missing, null and blank text are refused), a whole number 0 or more.
  const given = r.total_orders;
  let orders: number;
  if (typeof given === 'number') orders = given;
  else if (typeof given === 'string' && given.length <= 32 && NUMBER_TEXT.test(given) && given.trim() !== '') orders = Number(given);
  else return undefined;
  if (!Number.isInteger(orders) || orders < 0 || orders > Number.MAX_SAFE_INTEGER) return undefined;
  const last = fastStamp(r.last_order_ts);
  const first = fastStamp(r.first_order_ts);
  const reference = fastStamp(r.reference_ts);
  if (last === false || first === false || reference === false) return undefined;
  // The cleaning rules, as in the schema's refinement.
  if (orders === 0 && (last || first)) return undefined;
  if (last && first && last.ms < first.ms) return undefined;
  return {
    customer_id: id as string | number,
    country_code: country,
    segment_name: segment as SegmentType,
    total_orders: orders,
    last_order_ts: last,
    first_order_ts: first,
    reference_ts: reference,
  };
}

/** A timestamp field as `timestampField` and the refinement read it: null when absent, null or blank; false when the schema refuses it. */
function fastStamp(value: unknown): WallTimestamp | null | false {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > 64) return false;
  // Only blank text matches TIMESTAMP_SHAPE's first branch; parseTimestamp accepts exactly its second, calendar-checked.
  if (value.trim() === '') return null;
  return parseTimestamp(value) ?? false;
}

export const voucherAnswerSchema = z.object({
  voucher_amount: z.number().meta({ description: 'the voucher amount used most often in the segment' }),
  segment_type: z.enum(SEGMENT_TYPES),
  segment_name: z.string().meta({ description: 'the matched segment, e.g. 61-90', examples: ['61-90'] }),
  customer_id: z.union([z.string(), z.number()]),
});
export type VoucherAnswer = z.infer<typeof voucherAnswerSchema>;

export const errorAnswerSchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'stable, machine-readable', examples: ['invalid_request', 'no_segment', 'country_not_covered'] }),
    message: z.string(),
    field: z.string().optional().meta({ description: 'the request field at fault (422)' }),
    rule: z.string().optional().meta({ description: 'the rule it breaks (422)' }),
    issues: z.array(z.object({ field: z.string(), rule: z.string(), message: z.string() })).optional(),
  }),
});
export type ErrorAnswer = z.infer<typeof errorAnswerSchema>;

const statusCounts = z.record(z.string(), z.number());

export const pipelineAnswerSchema = z.object({
  status: z.enum(['success', 'error', 'interrupted']).meta({ description: 'error when a node or a data test failed' }),
  nodes: z.object({ total: z.number(), by_status: statusCounts }),
  tests: z.object({ total: z.number(), by_status: statusCounts }),
  duration_seconds: z.number(),
  failed: z.array(z.object({ node: z.string(), status: z.string() })).meta({ description: 'nodes that failed; details are in the server log' }),
  answer: z.object({
    reloaded: z.boolean().meta({ description: 'whether /getVoucher/ now answers from this run' }),
    rows: z.number().nullable(),
    built_at: z.string().nullable(),
  }),
});
export type PipelineAnswer = z.infer<typeof pipelineAnswerSchema>;

export const healthAnswerSchema = z.object({
  status: z.enum(['ok', 'not_loaded']),
  answer: z.object({
    loaded: z.boolean(),
    rows: z.number().nullable(),
    built_at: z.string().nullable().meta({ description: 'when the answer table was built, when known' }),
    loaded_at: z.string().nullable(),
    countries: z.array(z.string()).meta({ description: 'the countries the pipeline covered' }),
    problem: z.string().nullable().meta({ description: 'why the answer is not loaded' }),
  }),
  pipeline: z.object({ running: z.boolean() }),
});
export type HealthAnswer = z.infer<typeof healthAnswerSchema>;

/** A zod schema as the JSON Schema Fastify puts in the OpenAPI document (request side as accepted on input). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}
