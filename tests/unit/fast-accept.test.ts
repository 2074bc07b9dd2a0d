import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testConfigSchema } from '../../src/parse/data-tests/test-declaration.js';
import { safeParseFast } from '../../src/core/fast-accept.js';
import { nodeConfigSchema, projectFileSchema, propertiesFileSchema } from '../../src/project/schemas.js';
import { z } from '../../src/core/zod.js';

/** YAML-shaped values, biased towards what these schemas expect so that both verdicts occur. */
const scalar = fc.oneof(
  fc.constantFrom('', 'x', 'id', 'table', 'error', 'warn', 'merge', '>10', 'a b', 'm_1'),
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: -3, max: 20 }),
  fc.double({ noNaN: false }),
);
const keys = fc.constantFrom('name', 'description', 'columns', 'tests', 'data_tests', 'config', 'meta', 'tags', 'models', 'seeds', 'sources', 'tables', 'version', 'materialized', 'schema', 'severity', 'limit', 'where', 'external', 'location', 'format', 'quote', 'enabled', 'unknown_key', 'model-paths', 'vars');
const yamlValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(keys, tie('v'), { maxKeys: 5 })),
})).v;

/** Plausible property files: mostly valid, with a random value somewhere now and then. */
const column = fc.record({ name: fc.constantFrom('id', 'amount'), description: fc.option(fc.constantFrom('The key', ''), { nil: undefined }), data_tests: fc.option(fc.array(fc.constantFrom('unique', 'not_null')), { nil: undefined }) }, { requiredKeys: ['name'] });
const model = fc.record({ name: fc.constantFrom('m1', 'm2', ''), description: fc.option(fc.string(), { nil: undefined }), columns: fc.option(fc.array(column, { maxLength: 2 }), { nil: undefined }), config: fc.option(fc.dictionary(keys, yamlValue, { maxKeys: 2 }), { nil: undefined }), extra: fc.option(yamlValue, { nil: undefined }) }, { requiredKeys: ['name'] });
const propertiesFile = fc.record({ version: fc.constantFrom(2, '2', undefined), models: fc.option(fc.array(model, { maxLength: 3 }), { nil: undefined }) });

function same(schema: z.ZodType, data: unknown): void {
  const fast = safeParseFast(schema, data);
  const zod = schema.safeParse(data);
  expect(fast.success, JSON.stringify(data)).toBe(zod.success);
  if (fast.success && zod.success) expect(fast.data).toEqual(zod.data);
}

describe('safeParseFast', () => {
  it('agrees with zod on every value, for the engine schemas', () => {
    for (const schema of [propertiesFileSchema, nodeConfigSchema, testConfigSchema, projectFileSchema]) {
      fc.assert(fc.property(yamlValue, (data) => same(schema, data)), { numRuns: 1500 });
    }
    fc.assert(fc.property(propertiesFile, (data) => same(propertiesFileSchema, data)), { numRuns: 1500 });
  });

  it('answers without zod for a valid document, and leaves defaults and transforms to zod', () => {
    const doc = { version: 2, models: [{ name: 'm', description: 'd', columns: [{ name: 'id', data_tests: ['unique'] }], config: { materialized: 'table', tags: ['a'] } }] };
    const r = safeParseFast(propertiesFileSchema, doc);
    expect(r.success && r.data).toBe(doc);
    const withDefault = z.object({ a: z.string().default('x') });
    expect(safeParseFast(withDefault, {})).toEqual({ success: true, data: { a: 'x' } });
    const stripped = z.object({ a: z.string() });
    expect(safeParseFast(stripped, { a: 'x', b: 1 })).toEqual({ success: true, data: { a: 'x' } });
    const transformed = z.union([z.string().transform((s) => s.toUpperCase()), z.string()]);
    expect(safeParseFast(transformed, 'x')).toEqual({ success: true, data: 'X' });
  });
});
