/**
 * A drop-in for `schema.safeParse(data)` that first runs a plain check derived from the zod
 * schema itself, and answers without zod when the data certainly passes unchanged. zod 4 spends
 * tens of microseconds on each object it walks; a project with a thousand documented models hands
 * it thousands of them, and nearly all are valid. The schema stays the single source of truth:
 * the check is built from its definition, and anything it cannot decide exactly (defaults,
 * transforms, custom refinements, checks it does not know) goes to zod, as does every invalid
 * value, so error messages are zod's.
 *
 * "Unchanged" matters: an accepted value is returned as it is, so the check accepts only where
 * zod would return an equal value (no default filled in, no key stripped).
 */
import type { z } from './zod.js';

/** yes: zod accepts it unchanged; no: zod rejects it; unknown: ask zod. */
type Verdict = 0 | 1 | 2;
const NO: Verdict = 0;
const YES: Verdict = 1;
const UNKNOWN: Verdict = 2;

type Check = (value: unknown) => Verdict;

interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  innerType?: Schema;
  element?: Schema;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  options?: Schema[];
  keyType?: Schema;
  valueType?: Schema;
  entries?: Record<string, unknown>;
  values?: unknown[];
}
interface CheckDef {
  check: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  length?: number;
  format?: string;
  pattern?: RegExp;
}
interface Schema {
  _zod: { def: Def };
}

const compiled = new WeakMap<object, Check>();

export function safeParseFast<S extends z.ZodType>(schema: S, data: unknown): z.ZodSafeParseResult<z.output<S>> {
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = build(schema as unknown as Schema)));
  if (check(data) === YES) return { success: true, data: data as z.output<S> };
  // The input is kept on each issue so a message can say what was found instead of what was expected only.
  return schema.safeParse(data, { reportInput: true });
}

/** What zod's object schemas accept: a plain object literal (stricter than util's isPlainObject). */
const isObjectLiteral = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

const always =
  (v: Verdict): Check =>
  () =>
    v;

function build(schema: Schema): Check {
  const def = schema._zod.def;
  const checks = def.checks ?? [];
  const extra = checks.map((c) => buildCheck(c._zod.def));
  if (extra.includes(undefined)) return always(UNKNOWN);
  const withChecks = (base: Check): Check =>
    extra.length === 0
      ? base
      : (v) => {
          const r = base(v);
          if (r !== YES) return r;
          for (const c of extra) if (!c!(v)) return NO;
          return YES;
        };
  switch (def.type) {
    case 'string':
      return withChecks((v) => (typeof v === 'string' ? YES : NO));
    case 'number':
      return withChecks((v) => (typeof v === 'number' && Number.isFinite(v) ? YES : NO));
    case 'boolean':
      return withChecks((v) => (typeof v === 'boolean' ? YES : NO));
    case 'unknown':
    case 'any':
      return withChecks(always(YES));
    case 'enum': {
      const allowed = new Set(Object.values(def.entries ?? {}));
      return withChecks((v) => (allowed.has(v) ? YES : NO));
    }
    case 'literal': {
      const allowed = new Set(def.values ?? []);
      return withChecks((v) => (allowed.has(v) ? YES : NO));
    }
    case 'optional': {
      const inner = build(def.innerType!);
      return withChecks((v) => (v === undefined ? YES : inner(v)));
    }
    case 'nullable': {
      const inner = build(def.innerType!);
      return withChecks((v) => (v === null ? YES : inner(v)));
    }
    case 'default': {
      // A missing value would be filled in: zod's job.
      const inner = build(def.innerType!);
      return withChecks((v) => (v === undefined ? UNKNOWN : inner(v)));
    }
    case 'array': {
      const element = build(def.element!);
      return withChecks((v) => {
        if (!Array.isArray(v)) return NO;
        let verdict: Verdict = YES;
        for (const item of v) {
          const r = element(item);
          if (r === NO) return NO;
          if (r === UNKNOWN) verdict = UNKNOWN;
        }
        return verdict;
      });
    }
    case 'record': {
      if (def.keyType!._zod.def.type !== 'string' || (def.keyType!._zod.def.checks ?? []).length) return always(UNKNOWN);
      const value = build(def.valueType!);
      return withChecks((v) => {
        if (!isObjectLiteral(v)) return typeof v === 'object' && v !== null ? UNKNOWN : NO;
        let verdict: Verdict = YES;
        for (const k of Object.keys(v)) {
          const r = value(v[k]);
          if (r === NO) return NO;
          if (r === UNKNOWN) verdict = UNKNOWN;
        }
        return verdict;
      });
    }
    case 'object': {
      const fields = Object.entries(def.shape ?? {}).map(([k, s]) => [k, build(s)] as const);
      const known = new Set(fields.map(([k]) => k));
      // Loose objects keep unknown keys as they are; strict ones reject them and plain ones strip
      // them, so with unknown keys present only zod can say what comes out.
      const loose = def.catchall?._zod.def.type === 'unknown';
      if (def.catchall && !loose) {
        // A strict object (or a typed catchall): decide only when there are no unknown keys.
        if (def.catchall._zod.def.type !== 'never') return always(UNKNOWN);
      }
      return withChecks((v) => {
        if (!isObjectLiteral(v)) return typeof v === 'object' && v !== null && !Array.isArray(v) ? UNKNOWN : NO;
        let verdict: Verdict = YES;
        for (const [k, check] of fields) {
          const r = check(v[k]);
          if (r === NO) return NO;
          if (r === UNKNOWN) verdict = UNKNOWN;
        }
        if (!loose) for (const k of Object.keys(v)) if (!known.has(k)) return UNKNOWN;
        return verdict;
      });
    }
    case 'union': {
      // zod returns the first option that passes: decide only while every earlier option
      // certainly fails.
      const options = (def.options ?? []).map(build);
      return withChecks((v) => {
        for (const option of options) {
          const r = option(v);
          if (r !== NO) return r;
        }
        return NO;
      });
    }
    default:
      return always(UNKNOWN);
  }
}

/** A zod check this module can run exactly (true = passes), or undefined when it cannot. */
function buildCheck(def: CheckDef): ((v: unknown) => boolean) | undefined {
  switch (def.check) {
    case 'min_length':
      return (v) => (v as { length: number }).length >= def.minimum!;
    case 'max_length':
      return (v) => (v as { length: number }).length <= def.maximum!;
    case 'length_equals':
      return (v) => (v as { length: number }).length === def.length;
    case 'string_format':
      if (def.format !== 'regex' || !def.pattern) return undefined;
      return (v) => {
        def.pattern!.lastIndex = 0;
        return def.pattern!.test(v as string);
      };
    case 'greater_than':
      if (typeof def.value !== 'number') return undefined;
      return (v) => (def.inclusive ? (v as number) >= (def.value as number) : (v as number) > (def.value as number));
    case 'less_than':
      if (typeof def.value !== 'number') return undefined;
      return (v) => (def.inclusive ? (v as number) <= (def.value as number) : (v as number) < (def.value as number));
    case 'number_format':
      if (def.format !== 'safeint') return undefined;
      return (v) => Number.isSafeInteger(v);
    default:
      return undefined;
  }
}
