/**
 * Reading a `/getVoucher/` body, shared by the Fastify route, the fast path and the front thread
 * (voucher-front-worker.ts): a hand-written check for a well-formed body, else zod, which names
 * what is wrong (a 422 per field and rule).
 */
import { ApiError } from './api-error.js';
import { fastVoucherRequest, FORMAT_RULES, normalizeRequest, voucherRequestSchema, type FieldRule, type VoucherRequest } from './schemas.js';

/** A failed zod parse as a 422 naming each field and the rule it breaks. */
export function validationError(
  body: unknown,
  issues: readonly { path: PropertyKey[]; code?: string; message: string; params?: Record<string, unknown> }[],
): ApiError {
  const list = issues.map((issue) => {
    const field = issue.path.map(String).join('.') || 'body';
    const given = issue.path.length === 1 && body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[String(issue.path[0])] : body;
    let rule = issue.params?.rule as FieldRule | undefined;
    let message = issue.message;
    if (!rule) {
      if (given === undefined && issue.path.length > 0) {
        rule = 'required';
        message = 'is required';
      } else if (issue.code === 'invalid_format') rule = FORMAT_RULES[field] ?? 'type';
      else if (issue.code === 'invalid_value') rule = 'allowed_values';
      else if (issue.code === 'too_big') rule = 'max_length';
      else if (issue.code === 'too_small') rule = 'required';
      else rule = 'type';
    }
    if (field === 'body') message = 'the body must be a JSON object';
    return { field, rule, message: `${field} ${message}` };
  });
  const first = list[0]!;
  return new ApiError(422, 'invalid_request', list.map((i) => i.message).join('; '), { field: first.field, rule: first.rule, issues: list });
}

/** A validated, normalized request, or an ApiError (400 for text that is not JSON, 422 naming the field). */
export function readVoucherRequest(raw: unknown): VoucherRequest {
  let body = raw;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
    }
  }
  const fast = fastVoucherRequest(body);
  if (fast) return fast;
  const parsed = voucherRequestSchema.safeParse(body);
  if (!parsed.success) throw validationError(body, parsed.error.issues);
  return normalizeRequest(parsed.data);
}

/** The 503 of a request that came before any answer was loaded. */
export function answerNotLoaded(problem: string | null): ApiError {
  return new ApiError(
    503,
    'answer_not_loaded',
    `no answer loaded: run the pipeline first (POST /runPipeline/ or \`model build\`)${problem ? `; ${problem}` : ''}`,
  );
}
