/**
 * zod, configured once for the engine. `jitless`: zod 4 compiles each object schema with
 * `new Function` on first use, which costs far more than it saves when a command validates a
 * few hundred small objects once (half a second of start-up on the shipped project).
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };

/**
 * `schema.safeParse(value, { reportInput: true })`, answered from memory when the same schema
 * already accepted an equal value: a project hands zod the same few small values again and again
 * (a test's config `{}`, `materialized='table'`, a folder's tags), and each zod run costs tens of
 * microseconds in a cold process. zod stays the only judge: only values it accepted are
 * remembered, and only plain ones (see `plainKey`), keyed by their JSON text; what zod gave back
 * is handed out as a new copy each time, as zod makes one. Rejected values always go to zod, so
 * every message is zod's.
 */
export function safeParseRemembered<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  const key = plainKey(value);
  let seen = accepted.get(schema);
  if (key !== undefined && seen?.has(key)) return { success: true, data: copyPlain(seen.get(key)) as z.output<S> };
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success && key !== undefined && plainKey(r.data) !== undefined) {
    if (!seen) accepted.set(schema, (seen = new Map()));
    if (seen.size < 1000) seen.set(key, copyPlain(r.data));
  }
  return r;
}

const accepted = new WeakMap<z.ZodType, Map<string, unknown>>();

const isPlainScalar = (v: unknown): boolean =>
  typeof v === 'string' || typeof v === 'boolean' || v === null || (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0));

/** A list of plain scalars, without holes. */
const isScalarList = (v: unknown): v is unknown[] => {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!isPlainScalar(v[i])) return false;
  return true;
};

/**
 * JSON text of a plain value: a string, finite number (not -0), boolean or null, a list of those,
 * or an object literal whose values are those or lists of those (no undefined). Over these, JSON
 * text tells any two values apart; anything else (NaN, nested mappings, class instances) gives
 * undefined and is not remembered.
 */
function plainKey(v: unknown): string | undefined {
  if (isPlainScalar(v) || isScalarList(v)) return JSON.stringify(v);
  if (typeof v !== 'object' || v === null) return undefined;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const k in v) {
    // Copying a `__proto__` key would set a prototype instead.
    if (k === '__proto__') return undefined;
    const x = (v as Record<string, unknown>)[k];
    if (!isPlainScalar(x) && !isScalarList(x)) return undefined;
  }
  return JSON.stringify(v);
}

function copyPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.slice();
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = Array.isArray(x) ? x.slice() : x;
  return out;
}
