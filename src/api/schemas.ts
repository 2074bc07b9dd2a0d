/**
 * The API's request and answer shapes, as zod schemas: they validate requests, type the code
 * (`z.infer`) and are published as the OpenAPI document (`z.toJSONSchema`).
 */
import { z } from 'zod';
import { parseTimestamp, type WallTimestamp } from './timestamp.js';

/** The segment types the pipeline measures: total_orders and days since last order. */
export const SEGMENT_TYPES = ['frequent_segment', 'recency_segment'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

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

function fail(ctx: z.RefinementCtx, rule: FieldRule, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message, params: { rule } });
  return z.NEVER;
}

/** A timestamp, or null/''/absent for "not set" (the pipeline reads a blank as NULL). */
const optionalTimestamp = z
  .union([z.string().max(64, { error: 'must be at most 64 characters' }), z.null()], { error: `must be ${TIMESTAMP_HELP}, or null` })
  .optional()
  .transform((value, ctx): WallTimestamp | null => {
    if (value === undefined || value === null || value.trim() === '') return null;
    return parseTimestamp(value.trim()) ?? fail(ctx, 'timestamp_format', `must be ${TIMESTAMP_HELP}; got '${value}'`);
  })
  .meta({ description: `${TIMESTAMP_HELP}; null or absent when unknown`, examples: ['2020-08-29 12:34:56'] });

/** `total_orders`: a whole number of orders, as a number or as text ("4.0" in the original data). */
const totalOrders = z
  .union([z.number(), z.string().max(32, { error: 'must be at most 32 characters' }), z.null()], { error: 'must be a whole number of orders (a number or numeric text such as "4.0")' })
  .optional()
  .transform((value, ctx): number => {
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      return fail(ctx, 'required', 'is required: a row without total_orders is removed by the cleaning rules');
    }
    const n = typeof value === 'number' ? value : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!Number.isFinite(n) || !Number.isInteger(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) {
      return fail(ctx, 'whole_number', `must be a whole number of orders, 0 or more; got ${JSON.stringify(value)}`);
    }
    return n;
  })
  .meta({ description: 'orders placed so far: a whole number, as a number or text ("4.0" is 4)', examples: [4, '4.0'] });

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
      .refine((s) => s.trim() !== '', { error: 'must not be blank', params: { rule: 'required' } })
      .meta({ description: "the customer's country, e.g. Peru; compared trimmed and case-insensitively", examples: ['Peru'] }),
    last_order_ts: optionalTimestamp,
    first_order_ts: optionalTimestamp,
    total_orders: totalOrders,
    segment_name: z
      .enum(SEGMENT_TYPES, { error: `must be one of ${SEGMENT_TYPES.join(', ')} (the segment type to use)` })
      .meta({ description: 'the segment *type* to use', examples: ['recency_segment'] }),
    reference_ts: optionalTimestamp.meta({
      description: `the moment "days since last order" is counted to (${TIMESTAMP_HELP}); default: the request's time, in UTC`,
      examples: ['2018-08-01 00:00:00'],
    }),
  })
  .superRefine((r, ctx) => {
    // The cleaning rules of the stage layer: a request that breaks one is not a customer the pipeline would keep.
    if (r.total_orders === 0 && (r.last_order_ts || r.first_order_ts)) {
      ctx.addIssue({
        code: 'custom',
        path: ['total_orders'],
        message: 'is 0 while last_order_ts or first_order_ts is set: a customer with order timestamps has orders',
        params: { rule: 'zero_orders_with_order_timestamps' },
      });
    }
    if (r.last_order_ts && r.first_order_ts && r.last_order_ts.ms < r.first_order_ts.ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['last_order_ts'],
        message: 'is before first_order_ts: the last order cannot come before the first',
        params: { rule: 'last_order_before_first_order' },
      });
    }
  });

export type VoucherRequest = z.output<typeof voucherRequestSchema>;

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
