import { describe, expect, it } from 'vitest';
import { duckDbDialect } from '../../../src/adapters/duckdb/duckdb-dialect.js';
import { snowflakeDialect } from '../../../src/adapters/snowflake/snowflake-dialect.js';
import { ProjectError } from '../../../src/core/errors.js';
import { TemplateEngine } from '../../../src/templating/template-engine.js';
import { engine, hooks, render } from '../../helpers/templating.js';

describe('template engine', () => {
  it('dispatches cross-database macros on the target type', () => {
    expect(render(engine(duckDbDialect), "{{ datediff('a', 'b', 'day') }}")).toBe("datediff('day', a, b)");
    expect(render(engine(snowflakeDialect), "{{ datediff('a', 'b', 'day') }}")).toBe('datediff(day, a, b)');
    expect(render(engine(snowflakeDialect), "{{ dbt.safe_cast('x', type_timestamp()) }}")).toBe('try_cast(cast(x as varchar) as timestamp_ntz)');
    expect(render(engine(duckDbDialect), "{{ dateadd('day', 3, 'd') }}")).toBe('(d + interval (3) day)');
  });

  it("has dbt's other cross-database macros and generate_schema_name_for_env", () => {
    const e = engine();
    expect(
      render(
        e,
        "{{ dbt.hash('x') }}|{{ dbt.split_part('s', \"','\", 2) }}|{{ dbt.listagg('n', \"','\", 'order by n') }}|{{ dbt.bool_or('b') }}|{{ dbt.escape_single_quotes(\"it's\") }}|{{ dbt.except() }}",
      ),
    ).toBe("md5(cast(x as varchar))|split_part(s, ',', 2)|string_agg(n, ',' order by n)|bool_or(b)|it''s|except");
    expect(render(engine(snowflakeDialect), "{{ dbt.listagg('n', \"','\", 'order by n') }}|{{ dbt.bool_or('b') }}")).toBe(
      "listagg(n, ',') within group (order by n)|boolor_agg(b)",
    );
    expect(render(e, "{{ generate_schema_name_for_env('finance', none) }}")).toBe('main');
    const prod = new TemplateEngine({}, { name: 'prod', type: 'duckdb', schema: 'main', database: 'db', threads: 1, profile_name: 'p' }, duckDbDialect, {
      log: () => undefined,
    });
    expect(render(prod, "{{ generate_schema_name_for_env('finance', none) }}|{{ generate_schema_name_for_env(none, none) }}")).toBe('finance|main');
  });

  it('lets a project macro override a dispatched implementation', () => {
    const e = engine();
    e.loadMacroSource('macros/over.sql', '{% macro duckdb__datediff(a, b, part) %}my_diff({{ a }}, {{ b }}){% endmacro %}');
    expect(render(e, "{{ datediff('x', 'y', 'day') }}")).toBe('my_diff(x, y)');
  });

  it('renders literals safely for each dialect', () => {
    expect(render(engine(duckDbDialect), '{{ literal("it\'s; -- x") }}')).toBe("'it''s; -- x'");
    expect(render(engine(snowflakeDialect), "{{ literal('a\\\\b') }}")).toBe("'a\\\\b'");
    expect(render(engine(duckDbDialect, { c: ['Peru', "O'Hara"] }), "{{ literal(var('c')) }}")).toBe("'Peru', 'O''Hara'");
  });

  it('supports return(), do, loops, string methods and slices', () => {
    const e = engine();
    e.loadMacroSource('macros/m.sql', '{% macro two() %}{% do return([1, 2]) %}{% endmacro %}');
    expect(render(e, '{% set xs = two() %}{% for x in xs %}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}')).toBe('1,2');
    expect(render(e, "{{ 'abc'.upper() }} {{ 'a,b'.split(',') | join('|') }} {{ '2018-08-01 10:00'[:10] }}")).toBe('ABC a|b 2018-08-01');
  });

  // dbt-core's DuplicateMacroInPackageError (contracts/graph/manifest.py): two macros of one name in
  // one project or package. An old dbt_expectations file declares a second
  // `expect_column_distinct_count_to_be_less_than` test; dbt refuses the package.
  it('refuses two macros of one name in one project or package, naming both files', () => {
    const e = engine();
    e.loadMacroSource('macros/a.sql', '{% macro dup() %}a{% endmacro %}');
    e.loadMacroSource('macros/a.sql', '{% macro dup() %}a again{% endmacro %}');
    e.loadMacroSource('dbt_packages/p/macros/x.sql', '{% test t(model) %}select 1{% endtest %}', 'p');
    e.loadMacroSource('dbt_packages/q/macros/x.sql', '{% test t(model) %}select 2{% endtest %}', 'q');
    e.loadMacroSource('macros/b.sql', '{% macro datediff(a, b, p) %}x{% endmacro %}');
    const refused = (file: string, source: string, pkg?: string) => {
      try {
        e.loadMacroSource(file, source, pkg);
      } catch (err) {
        return err as ProjectError;
      }
      throw new Error('expected an error');
    };
    const err = refused('macros/c.sql', '\n{% macro dup() %}c{% endmacro %}');
    expect(err.message).toMatch(
      /^dbt found two macros named "dup" in the project "[^"]+"\. To fix this error, rename or remove one of the following macros:\n - macros\/a\.sql\n - macros\/c\.sql$/,
    );
    expect(err.location).toMatchObject({ file: 'macros/c.sql', line: 2 });
    expect(refused('dbt_packages/p/macros/y.sql', '{% test t(model) %}select 3{% endtest %}', 'p').message).toMatch(
      /two macros named "test_t" in the project "p"/,
    );
  });

  it('names file and line for a missing var, and the macro chain for an error inside a macro', () => {
    const e = engine();
    try {
      render(e, "select 1\nfrom t where x = {{ var('missing') }}");
      throw new Error('expected an error');
    } catch (err) {
      expect((err as ProjectError).headline).toBe("models/m.sql:2:21: error [template]: var 'missing' is not set and has no default");
    }
    e.loadMacroSource('macros/inner.sql', "{% macro inner() %}{{ exceptions.raise_compiler_error('bad input') }}{% endmacro %}");
    e.loadMacroSource('macros/outer.sql', '{% macro outer() %}{{ inner() }}{% endmacro %}');
    try {
      render(e, 'select\n{{ outer() }}');
      throw new Error('expected an error');
    } catch (err) {
      const pe = err as ProjectError;
      expect(pe.location?.file).toBe('models/m.sql');
      expect(pe.location?.line).toBe(2);
      expect(pe.message).toBe("bad input (in macro 'outer' of macros/outer.sql ← macro 'inner' of macros/inner.sql)");
    }
  });

  // dbt renders with Jinja's default Undefined (dbt-core core/dbt/clients/jinja.py, dbt_common's
  // get_environment: only parse-time capture swaps the class): an undefined name prints ''.
  it('prints an undefined name, attribute or key as an empty string with a warning naming file:line and the expression, as dbt renders', () => {
    const warnings: string[] = [];
    const e = engine(undefined, {}, { warnings });
    // The fast path and nunjucks' compiled templates both.
    expect(render(e, "{% set partiion = 'p' %}\nselect {{ partition }}")).toBe('\nselect ');
    expect(render(e, 'select 1\n{% for c in [1] %}{{ colum }}{% endfor %}')).toBe('select 1\n');
    expect(render(e, "select '{{ target.dbname }}', '{{ {'a': 1}['b'] }}'")).toBe("select '', ''");
    expect(warnings[0]).toMatch(/^models\/m\.sql:2:8: '\{\{ partition \}\}' is undefined and prints as an empty string/);
    expect(warnings[1]).toMatch(/^models\/m\.sql:2:19: '\{\{ colum \}\}' is undefined/);
    expect(warnings[2]).toMatch(/^models\/m\.sql:1:9: '\{\{ target\.dbname \}\}' is undefined/);
    expect(warnings[2]).toMatch(/--strict-undefined/);
    // Warned once per place, however often it renders.
    render(e, "{% set partiion = 'p' %}\nselect {{ partition }}");
    expect(warnings.length).toBe(4);
    // Inside a macro: the macro's file and line are named.
    e.loadMacroSource('macros/m.sql', '{% macro m(col) %}\n{{ col }} + {{ offsett }}\n{% endmacro %}');
    expect(render(e, "select {{ m('a') }}")).toBe('select \na + \n');
    expect(warnings.at(-1)).toMatch(/^macros\/m\.sql:2:13: '\{\{ offsett \}\}' is undefined/);
    // Reading an attribute of an undefined name, or calling one, stays an error, as in dbt.
    expect(() => render(e, 'select {{ nope.attr }}')).toThrow(/'nope' is undefined, so it has no attribute 'attr'/);
    expect(() => render(e, 'select {{ nope() }}')).toThrow(/'nope\(\)' is not a macro or function/);
  });

  it('makes printing an undefined name an error at its line in strict mode (--strict-undefined)', () => {
    const fails = (source: string, message: RegExp, line: number) => {
      try {
        render(engine(undefined, {}, { strictUndefined: true }), source);
      } catch (e) {
        expect(e).toBeInstanceOf(ProjectError);
        expect((e as ProjectError).message).toMatch(message);
        expect((e as ProjectError).location?.line).toBe(line);
        return;
      }
      throw new Error(`no error for ${source}`);
    };
    // The fast path and nunjucks' compiled templates both.
    fails("{% set partiion = 'p' %}\nselect {{ partition }}", /'partition' is undefined/, 2);
    fails('select 1\n{% for c in [1] %}{{ colum }}{% endfor %}', /'colum' is undefined/, 2);
    fails('select {{ this.nope }}', /'this.nope' is undefined/, 1);
    // Inside a macro: the macro's file and line are named.
    const e = engine(undefined, {}, { strictUndefined: true });
    e.loadMacroSource('macros/m.sql', '{% macro m(col) %}\n{{ col }} + {{ offsett }}\n{% endmacro %}');
    expect(() => render(e, "select {{ m('a') }}")).toThrow(/'offsett' is undefined at macros\/m.sql:2/);
    // What dbt allows stays allowed: default, is defined, a none printed as nothing.
    expect(render(engine(undefined, {}, { strictUndefined: true }), "{{ nope | default('d') }}{% if nope is defined %}{{ nope }}{% endif %}{{ none }}")).toBe(
      'd',
    );
  });

  it('reports a syntax error with its line', () => {
    try {
      engine().compile('models/bad.sql', 'select 1\n{% if %}');
      throw new Error('expected an error');
    } catch (err) {
      expect((err as ProjectError).headline).toMatch(/^models\/bad\.sql:2:\d+: error \[template\]: template syntax error/);
    }
  });

  it('says which Jinja feature is unsupported', () => {
    try {
      engine().compile('models/bad.sql', 'select 1\n{% materialization foo %}{% endmaterialization %}');
      throw new Error('expected an error');
    } catch (err) {
      expect((err as ProjectError).hint).toMatch(/'materialization' is a Jinja feature this engine does not support/);
    }
  });
});

describe('default relation naming', () => {
  it('gives what the built-in generate_*_name macros render, until a project overrides them', () => {
    for (const dialect of [duckDbDialect, snowflakeDialect]) {
      const e = engine(dialect);
      const h = hooks('models/m.sql', '');
      for (const custom of [null, undefined, '', ' ', 'sales', '  padded\t']) {
        const node = { name: 'orders', config: {} };
        for (const [kind, macro] of [
          ['schema', 'generate_schema_name'],
          ['alias', 'generate_alias_name'],
          ['database', 'generate_database_name'],
        ] as const) {
          expect(e.defaultName(kind, custom, 'orders'), `${kind} ${JSON.stringify(custom)}`).toBe(String(e.callMacro(macro, [custom ?? null, node], h)));
        }
      }
      expect(e.defaultName('schema', 42, 'orders')).toBeUndefined();
      e.loadMacroSource('macros/s.sql', `{% macro ${dialect.type}__generate_schema_name(c, node) %}x{% endmacro %}`);
      expect(e.defaultName('schema', 'sales', 'orders')).toBeUndefined();
      expect(e.defaultName('alias', 'a', 'orders')).toBe('a');
      e.loadMacroSource('macros/a.sql', '{% macro generate_alias_name(c, node) %}x{% endmacro %}');
      expect(e.defaultName('alias', 'a', 'orders')).toBeUndefined();
    }
  });
});

describe('dbt Jinja', () => {
  // Jinja's do_trim is `soft_str(value).strip(chars)` (jinja2 filters.py): a boolean prints first.
  // dbt-project-evaluator's get_nodes writes `"cast(" ~ node.config.enabled | trim ~ " as boolean)"`.
  it('join of a string joins its characters, as Jinja iterates a string', () => {
    const e = engine();
    expect(render(e, "{{ 'abc' | join(', ') }}|{{ ['a', 'b'] | join('-') }}|{{ [{'n': 1}, {'n': 2}] | join(',', attribute='n') }}")).toBe('a, b, c|a-b|1,2');
  });

  it('trim prints a non-string value first and strips the characters given', () => {
    const e = engine();
    expect(render(e, "{{ 'cast(' ~ true | trim ~ ' as boolean)' }}|{{ 12 | trim }}|{{ ' a ' | trim }}|{{ 'xxaxx' | trim('x') }}")).toBe(
      'cast(True as boolean)|12|a|a',
    );
  });

  it('graph is empty without a parsed project and is what the render hooks give at execute time', () => {
    const e = engine();
    expect(render(e, '{{ graph.nodes | length }}{{ graph.sources | length }}{{ graph.exposures | length }}')).toBe('000');
    const graph = { nodes: { 'model.p.a': { name: 'a', depends_on: { nodes: ['source.p.s.t'] } } }, sources: {} };
    const src = "{% for n in graph.nodes.values() %}{{ n.name }}<-{{ n.depends_on.nodes | join(',') }}{% endfor %}";
    expect(e.render(e.compile('x.sql', src), { ...hooks('x.sql', src), graph: () => graph })).toBe('a<-source.p.s.t');
  });

  it('has the filters and globals dbt projects reach for', () => {
    const e = engine();
    expect(render(e, "{{ ['B', ' a '] | map('trim') | map('lower') | join(',') }} {{ [{'n': 1}, {'n': 2}] | map(attribute='n') | join }}")).toBe('b,a 12');
    expect(render(e, "{{ [1, 1, 2] | unique | join }} {{ [3, 9, 4] | max }} {{ [3, 9, 4] | min }} {{ '%s=%d' | format('x', 2.7) }}")).toBe('12 9 3 x=2');
    expect(render(e, "{{ [{'k': 'a', 'on': true}, {'k': 'b', 'on': false}] | selectattr('on') | map(attribute='k') | join }}")).toBe('a');
    expect(render(e, "{{ [{'k': 'a', 'n': 1}, {'k': 'b', 'n': 2}] | rejectattr('n', 'equalto', 1) | map(attribute='k') | join }}")).toBe('b');
    expect(render(e, "{{ dict(a=1).a }} {{ [1, 2, 3][-1] }} {{ 'abc'[-2] }} {{ {'x': 1} | items | list | length }}")).toBe('1 3 b 1');
    // Jinja's list(dict) is the keys; list('ab') the characters.
    expect(render(e, "{{ {'a': 1, 'b': 2} | list }} {{ 'ab' | list }} {{ {'a': 1}.keys() | list }}")).toBe("['a', 'b'] ['a', 'b'] ['a']");
  });

  it('supports namespace() and {% set ns.attr = … %} without shifting line numbers', () => {
    const e = engine();
    const src =
      '{% set ns = namespace(n=0, seen=false) %}{% for x in [1, 2, 3] %}{% set ns.n = ns.n + x %}{%- set ns.seen = true -%}{% endfor %}{{ ns.n }} {{ ns.seen }}';
    expect(render(e, src)).toBe('6 True');
    try {
      render(e, "{% set ns = namespace(a=1) %}\n{% set ns.a = 2 %}\n{{ var('nope') }}");
      throw new Error('expected an error');
    } catch (err) {
      expect((err as ProjectError).location?.line).toBe(3);
    }
  });

  it('answers run_query() and statement blocks from the render hooks, and returns none while parsing', () => {
    const e = engine();
    e.loadMacroSource(
      'macros/q.sql',
      "{% macro vals() %}{% set r = run_query('select 1') %}{% if execute %}{{ return(r.columns[0].values()) }}{% endif %}{{ return([]) }}{% endmacro %}" +
        "{% macro n() %}{% call statement('c', fetch_result=True) %}select 2{% endcall %}{{ return(load_result('c')['data'][0][0] if execute else 0) }}{% endmacro %}",
    );
    const src = "{{ vals() | join('|') }} {{ n() }} {% if execute %}{{ run_query('select 1').rows[1]['v'] }}{% endif %}";
    const asked: string[] = [];
    const h = {
      ...hooks('models/m.sql', src),
      runQuery: (sql: string) => {
        asked.push(sql);
        return sql === 'select 2'
          ? { columns: [{ name: 'c', type: 'INTEGER' }], rows: [[7]] }
          : { columns: [{ name: 'v', type: 'VARCHAR' }], rows: [['a'], ['b']] };
      },
    };
    expect(e.render(e.compile('models/m.sql', src), h)).toBe('a|b 7 b');
    expect(asked).toEqual(['select 1', 'select 2', 'select 1']);
    expect(e.render(e.compile('models/m.sql', src), { ...hooks('models/m.sql', src), execute: false })).toBe(' 0 ');
    // Unguarded, it fails while parsing, as in dbt (run_query() is none then): hence `{% if execute %}`.
    const bare = "{{ run_query('select 1').rows[1]['v'] }}";
    expect(() => e.render(e.compile('models/m.sql', bare), { ...hooks('models/m.sql', bare), execute: false })).toThrow(/is undefined/);
  });

  it("dbt_utils' constructs: set(), columns.items(), and return() inside a statement block returns its value, running nothing", () => {
    const e = engine();
    // Restated from dbt_utils' equality test, get_query_results_as_dict and get_column_values.
    e.loadMacroSource(
      'macros/u.sql',
      "{% macro as_dict() %}{% call statement('q', fetch_result=True) %}select 1{% endcall %}{% set out = {} %}" +
        "{% for name, col in load_result('q').table.columns.items() %}{% do out.update({name: col.values()}) %}{% endfor %}{{ return(out) }}{% endmacro %}" +
        "{% macro vals(default) %}{%- call statement('v', fetch_result=True) %}{{ return(default) }}{% endcall -%}{{ return(load_result('v') or ['none']) }}{% endmacro %}",
    );
    const src =
      "{{ set(['A', 'b', 'a'] | map('lower')) == set(['a', 'b']) }} {{ set(['a']) != set(['a', 'c']) }} {{ 'b' in set(['b']) }} " +
      "{{ as_dict() }} {{ vals(['y', 'z']) | join(',') }}";
    const asked: string[] = [];
    const h = {
      ...hooks('models/m.sql', src),
      runQuery: (sql: string) => {
        asked.push(sql);
        return {
          columns: [
            { name: 'col_1', type: 'INTEGER' },
            { name: 'col_2', type: 'VARCHAR' },
          ],
          rows: [
            [1, 'a'],
            [2, 'b'],
          ],
        };
      },
    };
    expect(e.render(e.compile('models/m.sql', src), h)).toBe("True True True {'col_1': [1, 2], 'col_2': ['a', 'b']} none");
    expect(asked).toEqual(['select 1']);
  });

  it("adapter.quote() and Column.quoted double-quote the name as written on every target (dbt-adapters' BaseAdapter.quote; dbt-snowflake does not override it)", () => {
    const src =
      "{{ adapter.quote('table_name') }} {{ adapter.quote('Customer_Id') }} {{ (adapter.get_columns_in_relation(api.Relation.create(database='db', schema='s', identifier='t')) | first).quoted }}";
    for (const dialect of [duckDbDialect, snowflakeDialect]) {
      const e = engine(dialect);
      const h = {
        ...hooks('models/m.sql', src),
        runQuery: (sql: string) =>
          /information_schema/.test(sql)
            ? { columns: [{ name: 'table_catalog', type: 'VARCHAR' }], rows: [['db', 's', 't']] }
            : { columns: [{ name: 'FIELD_1', type: 'VARCHAR' }], rows: [] },
      };
      expect(e.render(e.compile('models/m.sql', src), h), dialect.type).toBe('"table_name" "Customer_Id" "FIELD_1"');
    }
  });

  it('adapter.get_columns_in_relation() of a relation that is not there is [], as dbt answers from the information schema', () => {
    const e = engine();
    const src = "{{ adapter.get_columns_in_relation(api.Relation.create(database='db', schema='main', identifier='gone')) | length }}";
    const asked: string[] = [];
    const h = {
      ...hooks('models/m.sql', src),
      runQuery: (sql: string) => {
        asked.push(sql);
        return { columns: [{ name: 'table_catalog', type: 'VARCHAR' }], rows: [] };
      },
    };
    expect(e.render(e.compile('models/m.sql', src), h)).toBe('0');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/information_schema\.tables/);
  });

  it('names what is not there: an undefined macro, a package macro, an unsupported tag', () => {
    const e = engine();
    e.loadMacroSource('macros/m.sql', '{% macro cents_to_dollars(c) %}{{ c }}{% endmacro %}');
    const fail = (src: string) => {
      try {
        render(e, src);
      } catch (err) {
        return err as ProjectError;
      }
      throw new Error('expected an error');
    };
    const a = fail("select 1\n  {{ cents_to_dolar('x') }}");
    expect(a.headline).toMatch(/^models\/m\.sql:2:\d+: error \[template\]: 'cents_to_dolar\(\)' is not a macro or function/);
    expect(a.hint).toBe("did you mean 'cents_to_dollars'?");
    const b = fail("select\n\n{{ dbt_utils.star(ref('x')) }}");
    expect(b.headline).toMatch(/^models\/m\.sql:3:\d+: .*'dbt_utils\.star\(\)' is not defined/);
    expect(b.hint).toMatch(/packages/);
    try {
      e.compile('models/s.sql', 'select 1\n{% snapshot s %}{% endsnapshot %}');
      throw new Error('expected an error');
    } catch (err) {
      expect((err as ProjectError).headline).toMatch(/^models\/s\.sql:2:\d+: .*unknown block tag: snapshot/);
      // A block outside the snapshot paths: say where snapshot blocks go.
      expect((err as ProjectError).hint).toMatch(/belong in a \.sql file under the snapshot paths/);
    }
  });
});
