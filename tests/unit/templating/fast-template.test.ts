import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duckDbDialect } from '../../../src/adapters/duckdb/duckdb-dialect.js';
import type { ProjectError } from '../../../src/core/errors.js';
import { compileFast } from '../../../src/templating/fast-template.js';
import { CompiledTemplate } from '../../../src/templating/template-engine.js';
import { engine, hooks } from '../../helpers/templating.js';

describe('the fast path renders exactly as nunjucks does', () => {
  const corpus = [
    'select * from {{ ref(\'a\') }} join {{ ref("b") }} using (id)',
    "{{ config(materialized='table', tags=['x', 'y'], unique_key=\"id\") }}\nselect 1",
    "select {{ var('n') }} as n, {{ var('missing', 'dflt') }} as d, {{ var('list') }} as l",
    "select\n  {{- ref('a') -}}\n  , x {# a comment #} from t {#- trimmed -#}\n  where 1",
    "{{ datediff('a', 'b', 'day') }} {{ dbt.safe_cast('x', type_timestamp()) }} {{ adapter.quote('timestamp') }}",
    "select '{' || x || '}' from {{ this }} -- { not a tag",
    `{{ none }}{{ True }}{{ 3.5 }}{{ -2 }}{{ [1, 'two', [3]] }}{{ literal("it's") }}`,
    "{{ mac(1, k='v') }} and {{ mac('x') }}",
    'select 1 {% if is_incremental() %}where x > (select max(x) from {{ this }}){% endif %}',
    "{% if var('n') > 5 %}big{% elif var('n') == 5 %}five{% else %}small{% endif %} {% if not var('missing', none) %}none{% endif %}",
    "{% if var('n') >= 7 and (var('list') or false) %}a{% endif %}{% if var('n') != '7' or mac(1) %}b{% endif %}{% if var('n') === '7' %}c{% elseif var('n') !== 7 %}d{% endif %}",
    "a\n  {%- if true -%}\n  b {% if none %}x{% else %}{% if 1 < 2 %}{{ ref('n') }}{% endif %}{% endif %}\n  {%- endif %}\n c {%- if False %}{% endif -%} d",
    "{% if mac('') %}a macro's output is an object, always true{% endif %}{% if undefined_name %}x{% endif %}",
    "{{ mac('a' ~ var('n'), k=1 == 1) }} {{ [1 ~ 2, var('n') > 3] }} {{ mac(not none, k=(1 ~ 2)) }}",
    "{%- set countries = var('list') -%}\nselect {{ literal(countries) }}, {{ 'a' ~ var('n') ~ none }}{% if var('n') %}{% set late = 1 %}{% endif %}{{ late }}",
    // Lists compare by value, as Python's == (the python-equality patch).
    "{% if var('list') == ['a', 'b'] %}same{% endif %}{% if var('list') != ['a'] %} differ{% endif %}",
  ];
  const e = engine(duckDbDialect, { n: 7, list: ['a', 'b'] });
  e.loadMacroSource('macros/mac.sql', "{% macro mac(a, k='d') %}[{{ a }}|{{ k }}]{% endmacro %}");
  for (const source of corpus) {
    it(source.slice(0, 40), () => {
      const fast = e.compile('models/m.sql', source);
      expect(fast.fast, 'expected the fast path to take this template').toBeDefined();
      const slow = new CompiledTemplate('models/m.sql', source, undefined);
      expect(e.render(fast, hooks('models/m.sql', source))).toBe(e.render(slow, hooks('models/m.sql', source)));
    });
  }
  it('prints what nunjucks prints for generated if/elif/else templates', () => {
    const literal = fc.oneof(
      fc.constantFrom('0', '1', '5', '7', '-1', '2.5', "'7'", "''", "'a'", 'true', 'false', 'none', 'True', '[]'),
      fc.constantFrom("var('n')", "var('missing', none)", "var('list')", 'unknown_name', "mac('')", 'is_incremental()', 'v', 'w'),
      fc.tuple(fc.constantFrom("'a'", '1', 'v', "var('n')", 'none'), fc.constantFrom("'b'", '2', 'w', 'mac(1)')).map(([a, b]) => `${a} ~ ${b}`),
    );
    const cond: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
      c: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        literal,
        fc.tuple(literal, fc.constantFrom('==', '!=', '===', '!==', '<', '>', '<=', '>='), literal).map(([a, op, b]) => `${a} ${op} ${b}`),
        tie('c').map((x) => `not ${x}`),
        fc.tuple(tie('c'), fc.constantFrom('and', 'or'), tie('c')).map(([a, op, b]) => `${a} ${op} ${b}`),
        tie('c').map((x) => `(${x})`),
        fc.tuple(tie('c'), fc.option(tie('c'))).map(([a, k]) => (k === null ? `mac(${a})` : `mac(${a}, k=${k})`)),
        fc.tuple(tie('c'), tie('c')).map(([a, b]) => `[${a}, ${b}]`),
      ),
    })).c;
    const space = fc.constantFrom(' ', '  ', '\t', '\n', '\u00a0', '\u2003', '\r\n');
    const open = fc.constantFrom('{%', '{%-');
    const close = fc.constantFrom('%}', '-%}');
    const plain = fc.constantFrom(
      '',
      'x',
      ' y ',
      '\n  z\n',
      '{{ var("n") }}',
      "{{- ref('r') }}",
      ' {{ mac(1) -}} ',
      '{# c #}',
      ' {#- c -#} ',
      '{{ v }}',
      "{{ w ~ '|' }}",
    );
    const assignment = fc.tuple(open, fc.constantFrom('v', 'w'), cond, close).map(([o, name, c, cl]) => `${o} set ${name} = ${c} ${cl}`);
    const text = fc.oneof(plain, assignment);
    const block: fc.Arbitrary<string> = fc.letrec<{ b: string }>((tie) => ({
      b: fc.oneof(
        { depthSize: 'small' },
        text,
        fc
          .tuple(
            open,
            cond,
            close,
            tie('b'),
            fc.array(fc.tuple(open, cond, close, tie('b')), { maxLength: 2 }),
            fc.option(fc.tuple(open, close, tie('b'))),
            open,
            close,
            text,
            space,
          )
          .map(
            ([o, c, cl, body, elifs, other, eo, ec, after, sp]) =>
              `${o}${sp}if ${c}${sp}${cl}${body}${elifs.map(([o2, c2, cl2, b2]) => `${o2} elif ${c2} ${cl2}${b2}`).join('')}${other ? `${other[0]} else ${other[1]}${other[2]}` : ''}${eo} endif ${ec}${after}`,
          ),
        fc.tuple(tie('b'), tie('b')).map(([a, b]) => a + b),
      ),
    })).b;
    fc.assert(
      fc.property(block, (source) => {
        let fast: CompiledTemplate;
        try {
          fast = e.compile('models/m.sql', source);
        } catch {
          // A template nunjucks rejects must not have been taken by the fast path.
          expect(compileFast(source)).toBeUndefined();
          return;
        }
        if (!fast.fast) return;
        const slow = new CompiledTemplate('models/m.sql', source, undefined);
        // The same text, or the same error (printing an undefined name, here or in a macro). Where
        // it is reported can differ for a failing `{% if %}` condition spread over lines (the tag's
        // start or its expression's); the plain cases' lines are tested on their own.
        const outcome = (t: CompiledTemplate) => {
          try {
            return { text: e.render(t, hooks('models/m.sql', source)) };
          } catch (err) {
            return { error: (err as ProjectError).message };
          }
        };
        expect(outcome(fast)).toEqual(outcome(slow));
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
  });

  it('leaves statements, filters and operators to nunjucks', () => {
    for (const source of [
      '{% for x in [1] %}1{% endfor %}',
      '{% if x in [1] %}1{% endif %}',
      '{% if x is defined %}1{% endif %}',
      '{% if 1 < 2 < 3 %}1{% endif %}',
      '{% if x %}1',
      '{% if x %}1{% else %}2{% else %}3{% endif %}',
      '{% if x + 1 %}1{% endif %}',
      "{% set ref = 1 %}{{ ref('a') }}",
      '{% set x %}block{% endset %}',
      '{% set a, b = 1, 2 %}',
      '{% set x == 1 %}',
      '{{ x | upper }}',
      '{{ x.y }}',
      "{{ {'a': 1} }}",
    ]) {
      expect(compileFast(source), source).toBeUndefined();
    }
  });
});
