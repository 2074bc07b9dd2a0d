import { describe, expect, it } from 'vitest';
import { macroSignatures } from '../../../src/templating/macro-signatures.js';

describe('macro signatures', () => {
  it('reads parameter names past defaults holding commas, brackets and quotes', () => {
    const sigs = macroSignatures(
      "{% macro test_a(model, column_name, values=['x,y', \"b)\"], opts={'k': (1, 2)}) %}select 1{% endmacro %}\n" +
        '{%- macro b() -%}{{ kwargs }}{%- endmacro %}\n{% macro c(x, y=f(1, 2)) %}{% endmacro %}',
    );
    expect(sigs.get('test_a')).toEqual({ params: ['model', 'column_name', 'values', 'opts'], acceptsAny: false });
    expect(sigs.get('b')).toEqual({ params: [], acceptsAny: true });
    expect(sigs.get('c')).toEqual({ params: ['x', 'y'], acceptsAny: false });
  });
});
