// The context dbt packages need beyond a model's: Python's `re` and `pytz` (as dbt's context
// offers them, core/dbt/context/base.py `get_context_modules`), relations' incorporate/include
// (core/dbt/adapters/base/relation.py), add_ephemeral_prefix, and macros under a package's name
// with adapter.dispatch's search order (core/dbt/context/providers.py, `dispatch`).
import { describe, expect, it } from 'vitest';
import { duckDbDialect } from '../../../../src/adapters/duckdb/duckdb-dialect.js';
import { TemplateEngine } from '../../../../src/templating/template-engine.js';
import { Relation } from '../../../../src/warehouse/relation.js';
import { engine, hooks, render } from '../../../helpers/templating.js';

describe('modules.re', () => {
  it.each([
    ["{{ modules.re.sub('(\\\\w+)@(\\\\w+)', '\\\\2 at \\\\1', 'ann@host') }}", 'host at ann'],
    ["{{ modules.re.findall('[0-9]+', 'a1b22c333') | join(',') }}", '1,22,333'],
    ["{{ modules.re.findall('(\\\\w)=(\\\\d)', 'a=1 b=2') | map('join', ':') | join(',') }}", 'a:1,b:2'],
    ["{% set r = modules.re.compile('^v(?P<major>\\\\d+)', modules.re.IGNORECASE) %}{{ r.match('V12.3').group('major') }}", '12'],
    ["{{ modules.re.match('b', 'abc') is none }}", 'True'],
    ["{{ modules.re.search('b', 'abc').group(0) }}", 'b'],
    ["{{ modules.re.split(',\\\\s*', 'a, b,c') | join('|') }}", 'a|b|c'],
    ["{{ modules.re.escape('a.b') }}", 'a\\.b'],
  ])('%s', (template, expected) => {
    expect(render(engine(), template)).toBe(expected);
  });
});

describe('modules.pytz', () => {
  it('checks a time-zone name and says which is unknown', () => {
    expect(render(engine(), "{{ modules.pytz.timezone('Europe/Riga') }}")).toBe('Europe/Riga');
    expect(() => render(engine(), "{{ modules.pytz.timezone('Mars/Olympus') }}")).toThrow(/pytz\.timezone\('Mars\/Olympus'\): unknown time zone/);
  });
});

describe('relations and names', () => {
  it('incorporates and includes parts, and names an ephemeral CTE', () => {
    const e = engine();
    const src = `{{ this.incorporate(path={'identifier': 'x__tmp'}) }}|{{ this.include(database=false) }}|{{ this.render() }}|{{ this.is_cte }}|{{ add_ephemeral_prefix('stg') }}`;
    const h = { ...hooks('models/m.sql', src), thisRelation: () => new Relation('db', 'main', 'm', duckDbDialect) };
    expect(e.render(e.compile('models/m.sql', src), h)).toBe('"db"."main"."x__tmp"|"main"."m"|"db"."main"."m"|False|__dbt__cte__stg');
  });
});

describe('what dbt_utils checks and calls', () => {
  // dbt_utils' _is_relation: `obj is mapping and obj.get("metadata", {}).get("type", "").endswith("Relation")`.
  it('a relation is a mapping whose metadata type ends with Relation', () => {
    const e = engine();
    const src = `{{ this is mapping and this.get('metadata', {}).get('type', '').endswith('Relation') }}|{{ 'x' is mapping }}`;
    const h = { ...hooks('models/m.sql', src), thisRelation: () => new Relation('db', 'main', 'm', duckDbDialect) };
    expect(e.render(e.compile('models/m.sql', src), h)).toBe('True|False');
  });

  // dbt's global_project materializations/configs.sql: should_store_failures() is the config, else the flag.
  it('should_store_failures() reads the store_failures config', () => {
    expect(render(engine(), '{{ should_store_failures() }}')).toBe('False');
  });

  // dbt-core context/providers.py raises MacroDispatchArgError for the pre-1.0 `packages=` argument.
  it('refuses adapter.dispatch(name, packages=[...]) and says to use macro_namespace', () => {
    expect(() => render(engine(), "{{ adapter.dispatch('star', packages=['dbt_utils'])() }}")).toThrow(
      /"packages" argument has been removed; use "macro_namespace"/,
    );
  });
});

describe('package namespaces', () => {
  it('calls a package macro by its package name, private names too, and dispatches in the root project first', () => {
    const e = new TemplateEngine({}, { name: 'dev', type: 'duckdb', schema: 'main', database: 'db', threads: 1, profile_name: 'p' }, duckDbDialect, {
      log: () => undefined,
      project: { name: 'shop', file: 'dbt_project.yml' },
    });
    e.loadMacroSource('macros/mine.sql', '{% macro default__greet() %}root{% endmacro %}');
    e.loadMacroSource(
      'dbt_packages/kit/macros/kit.sql',
      "{% macro greet() %}{{ return(adapter.dispatch('greet', 'kit')()) }}{% endmacro %}{% macro default__greet() %}kit{% endmacro %}{% macro _private() %}p{% endmacro %}",
      'kit',
    );
    expect(render(e, '{{ kit.greet() }}/{{ kit._private() }}')).toBe('root/p');
    e.configurePackages(new Map(), [{ macro_namespace: 'kit', search_order: ['kit'] }]);
    expect(render(e, '{{ kit.greet() }}')).toBe('kit');
    expect(() => render(e, "{{ adapter.dispatch('nothing', 'kit')() }}")).toThrow(/searched 'kit\.duckdb__nothing', 'kit\.default__nothing'/);
  });
});

// dbt-adapters base/column.py (Column(column, dtype, char_size, numeric_precision, numeric_scale) and
// its class methods) and base/relation.py (Relation.create(database, schema, identifier, type)), also
// as adapter.Relation; relation.render() is the bare name under --empty (EmptyRelation prints the subquery).
describe('api.Column, adapter.Relation and render()', () => {
  it.each([
    ["{{ api.Column('c', 'varchar').quoted }} {{ api.Column('c', 'varchar').data_type }}", '"c" varchar'],
    [
      "{{ api.Column('c', 'varchar', 10).data_type }}|{{ api.Column(column='n', dtype='numeric', numeric_precision=10, numeric_scale=2).data_type }}",
      'varchar(10)|numeric(10,2)',
    ],
    ["{% macro t(dt=api.Column.translate_type('string')) %}{{ dt }}{% endmacro %}{{ t() }}", 'TEXT'],
    ["{% set r = adapter.Relation.create('d', 's', 't', 'view') %}{{ r }} {{ r.is_view }}", '"d"."s"."t" True'],
    ["{{ api.Relation.create(identifier='x') }}", '"x"'],
  ])('%s', (template, expected) => {
    expect(render(engine(), template)).toBe(expected);
  });

  it('renders an --empty relation as its name with render(), as the subquery otherwise', async () => {
    const { EmptyRelation } = await import('../../../../src/warehouse/relation.js');
    const r = new EmptyRelation('db', 'main', 'seed', duckDbDialect);
    expect(r.render()).toBe('"db"."main"."seed"');
    expect(String(r)).toBe('(select * from "db"."main"."seed" where false limit 0) _dbt_limit_subq_seed');
  });
});
