import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testConfigSchema } from '../../../src/parse/data-tests/test-declaration.js';
import { nodeConfigSchema, parseNodeConfig } from '../../../src/project/schemas.js';
import { safeParseRemembered, type z } from '../../../src/core/zod.js';

describe('parseNodeConfig', () => {
  it('gives the verdict and value of the whole schema, for any config() call', () => {
    const keys = [...Object.keys(nodeConfigSchema.shape), 'custom_key', 'meta'];
    const value = fc.oneof(
      fc.constantFrom('table', 'view', 'merge', 'x', '', 'a,b', 'ignore', 'append_new_columns', 'delete+insert'),
      fc.boolean(),
      fc.constant(null),
      fc.integer({ min: -2, max: 5 }),
      fc.array(fc.constantFrom('a', 'b'), { maxLength: 2 }),
      fc.dictionary(fc.constantFrom('k', 'sql'), fc.oneof(fc.string(), fc.boolean())),
      fc.constant([1]),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 4 }), (config) => {
        const whole = nodeConfigSchema.safeParse(config);
        const byKey = parseNodeConfig(config);
        expect(byKey.success).toBe(whole.success);
        if (whole.success && byKey.success) expect(byKey.data).toEqual(whole.data);
        if (!whole.success && !byKey.success) expect(whole.error.issues.map((i) => i.path[0])).toContain(byKey.issues[0]!.path[0]);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers a value zod accepted before as zod did, never sharing a list or mapping between answers', () => {
    const first = parseNodeConfig({ tags: ['a', 'b'], materialized: 'table' });
    const again = parseNodeConfig({ tags: ['a', 'b'], materialized: 'table' });
    expect(again).toEqual(first);
    expect(first.success && again.success && again.data.tags).not.toBe(first.success && first.data.tags);
    if (again.success) (again.data.tags as string[]).push('c');
    expect(parseNodeConfig({ tags: ['a', 'b'] })).toEqual({ success: true, data: { tags: ['a', 'b'] } });
    // Values that print alike in JSON are told apart.
    expect(parseNodeConfig({ limit: null }).success).toBe(true);
    expect(parseNodeConfig({ limit: Number.NaN }).success).toBe(false);
    expect(parseNodeConfig({ limit: 1 }).success).toBe(true);
    expect(parseNodeConfig({ limit: '1' }).success).toBe(false);
    // Transforms are zod's: the remembered answer is the transformed value, each time a new object.
    const t1 = safeParseRemembered(testConfigSchema, { severity: 'WARN', tags: ['x'] });
    const t2 = safeParseRemembered(testConfigSchema, { severity: 'WARN', tags: ['x'] });
    expect(t2).toEqual({ success: true, data: { severity: 'warn', tags: ['x'] } });
    expect(t1.success && t2.success && t2.data).not.toBe(t1.success && t1.data);
    // A rejected value is asked of zod every time, with zod's message and the input it found.
    for (let i = 0; i < 2; i++) {
      const bad = safeParseRemembered(testConfigSchema, { severity: 'loud' });
      expect(bad.success).toBe(false);
      expect(bad.error!.issues[0]).toMatchObject({ path: ['severity'], message: "must be 'error' or 'warn'" });
    }
  });

  it('agrees with safeParse on repeated values, for any schema of the engine', () => {
    const scalar = fc.oneof(
      fc.constantFrom('', 'x', 'warn', 'ERROR', '>10', 'table'),
      fc.boolean(),
      fc.constant(null),
      fc.integer({ min: -2, max: 3 }),
      fc.constantFrom(Number.NaN, -0, 0.5),
    );
    const value = fc.oneof(
      scalar,
      fc.array(scalar, { maxLength: 2 }),
      fc.dictionary(fc.constantFrom(...Object.keys(testConfigSchema.shape), 'other'), fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })), { maxKeys: 3 }),
    );
    const schemas: z.ZodType[] = [testConfigSchema, ...Object.values(nodeConfigSchema.shape as Record<string, z.ZodType>)];
    fc.assert(
      fc.property(fc.constantFrom(...schemas), value, (schema, v) => {
        for (let i = 0; i < 2; i++) {
          const remembered = safeParseRemembered(schema, v);
          const zod = schema.safeParse(v, { reportInput: true });
          expect(remembered.success).toBe(zod.success);
          if (remembered.success && zod.success) expect(remembered.data).toEqual(zod.data);
          if (!remembered.success && !zod.success) expect(remembered.error.issues).toEqual(zod.error.issues);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
