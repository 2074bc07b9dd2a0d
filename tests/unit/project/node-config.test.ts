import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeConfigSchema, parseNodeConfig } from '../../../src/project/schemas.js';

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
});
