/**
 * One test per change src/templating/nunjucks-patches.ts makes to nunjucks, through the real
 * nunjucks, and one per nunjucks internal the engine reads. Most patches rely on nunjucks'
 * internals (runtime functions, compiler methods, the shape of the compiled JavaScript), which an
 * upgrade may change without a word: these tests are what says so, naming the patch that broke.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import {
  addTest,
  compileToCode,
  createEnvironment,
  envGlobals,
  getTest,
  isKwargs,
  makeKeywordArgs,
  NUNJUCKS_PATCHES,
  preprocess,
  PY_CLASS,
  returnFromMacro,
  stripKwargs,
  templateExports,
  templateFromCode,
  undefinedAt,
  withUndefinedOutput,
} from '../../../src/templating/nunjucks-patches.js';
import { offsetOf, UNDEFINED_OUTPUT_MESSAGE } from '../../../src/templating/undefined-output-error.js';

/**
 * The nunjucks versions the patches were checked against. After an upgrade: run this file, check
 * every patch and internal below against the new version's source, then add the version here.
 */
const CHECKED_NUNJUCKS_VERSIONS = ['3.2.4'];

const broke = (patch: string, what: string) => `nunjucks upgrade broke patch '${patch}': ${what}`;
const brokeInternal = (what: string) => `nunjucks upgrade broke an internal the engine reads: ${what}`;

/** Renders with a fresh patched environment and `ctx` as the template's names. */
function render(source: string, ctx: Record<string, unknown> = {}): string {
  return createEnvironment().renderString(source, ctx);
}

/** The JavaScript the patched compiler emits for `source`. */
function code(source: string): string {
  return compileToCode(createEnvironment(), preprocess(source), 't.sql');
}

const tested = new Set<string>();

/** A test of the patch `name` (the name it has in NUNJUCKS_PATCHES); an error it throws names the patch too. */
function patchTest(name: string, title: string, fn: () => void): void {
  tested.add(name);
  it(`${name}: ${title}`, () => {
    try {
      fn();
    } catch (e) {
      if (e instanceof Error && e.name === 'AssertionError') throw e;
      throw new Error(broke(name, e instanceof Error ? e.message : String(e)), { cause: e });
    }
  });
}

describe('the nunjucks version', () => {
  it('is one the patches were checked against', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const { version } = JSON.parse(readFileSync(path.resolve(here, '../../../node_modules/nunjucks/package.json'), 'utf8')) as { version: string };
    expect(
      CHECKED_NUNJUCKS_VERSIONS,
      `nunjucks is ${version}, but the patches in src/templating/nunjucks-patches.ts were checked against ${CHECKED_NUNJUCKS_VERSIONS.join(', ')} only: ` +
        `re-check every patch against nunjucks ${version} (they rely on its internals), then add it to CHECKED_NUNJUCKS_VERSIONS in ${path.basename(fileURLToPath(import.meta.url))}`,
    ).toContain(version);
  });
});

describe('each change to nunjucks', () => {
  patchTest('jinja-compat', 'True/False/None, slices, and list and dict methods', () => {
    expect(render('{{ True }}|{{ None === none }}|{{ [1, 2, 3][1:] | join }}'), broke('jinja-compat', 'Python literals and list slices')).toBe('True|True|23');
    // `{% set ns.x = … %}` becomes a dict update (the namespace-set patch).
    const out = render(
      "{% set d = {'a': 1} %}{% set l = [] %}{% if d.update({'b': 2}) %}{% endif %}{% if l.append(d.items() | length) %}{% endif %}{{ l[0] }}",
    );
    expect(out, broke('jinja-compat', 'dict.update(), dict.items() and list.append()')).toBe('2');
  });

  patchTest('python-member-lookup', "Python's string methods on strings", () => {
    expect(render("{{ 'a,b'.split(',') | join('|') }} {{ ' x '.strip() }}{{ 'abc'.upper() }}"), broke('python-member-lookup', 'string methods')).toBe(
      'a|b xABC',
    );
  });

  // Python's slice bounds (docs.python.org, "Common Sequence Operations", note 4: bounds past the
  // end are the length): dbt-project-evaluator's insert_resources_from_graph batches with
  // `values[lower_bound : upper_bound]`, the last batch running past the end.
  patchTest('python-member-lookup', 'slices clamp to the sequence, with negative bounds and steps', () => {
    const ctx = { v: [1, 2, 3, 4, 5] };
    expect(render('{{ v[4:6] }}|{{ v[2:] }}|{{ v[:-3] }}|{{ v[-2:] }}|{{ v[::2] }}|{{ v[::-1] }}|{{ v[7:9] }}|{{ v[3:1] }}', ctx)).toBe(
      '[5]|[3, 4, 5]|[1, 2]|[4, 5]|[1, 3, 5]|[5, 4, 3, 2, 1]|[]|[]',
    );
    expect(render("{{ 'abcdef'[1:3] }}|{{ 'abc'[5:] }}|{{ 'abc'[::-1] }}")).toBe('bc||cba');
  });

  // Slices are jinja-compat's; this patch makes a string's slice a string.
  // dbt_expectations' expect_column_values_to_be_of_type calls `column_type.lower()` on the
  // output of `{{ dbt_expectations.type_datetime() }}`: a macro's output is a str in dbt.
  patchTest('python-member-lookup', "Python's string methods on a macro's output", () => {
    expect(
      render('{% macro t() %} Timestamp {% endmacro %}{% set v = t() %}{{ v.strip().lower() }}|{{ t().upper() }}'),
      broke('python-member-lookup', "string methods on a macro's SafeString"),
    ).toBe('timestamp| TIMESTAMP ');
  });

  patchTest('python-member-lookup', 'a slice of a string is a string', () => {
    expect(render("{{ '2018-08-01 10:00'[:10] }}"), broke('python-member-lookup', 'a string slice printed as a list')).toBe('2018-08-01');
  });

  patchTest('python-member-lookup', 'negative indexes count from the end', () => {
    expect(render("{{ [1, 2, 3][-1] }}{{ 'abc'[-2] }}"), broke('python-member-lookup', 'negative indexes')).toBe('3b');
  });

  patchTest('python-member-lookup', "an object's own methods win over Python's dict methods", () => {
    const table = { values: () => ['a', 'b'] };
    expect(render("{{ t.values() | join('|') }}", { t: table }), broke('python-member-lookup', "own methods (a run_query table's values())")).toBe('a|b');
  });

  patchTest('python-member-lookup', 'a Python class keeps its attributes', () => {
    const cls = Object.assign(() => 'constructed', { now: () => 'now', [PY_CLASS]: true });
    expect(
      render('{{ m.cls() }} {{ m.cls.now() }}', { m: { cls } }),
      broke('python-member-lookup', "a class's attributes (modules.datetime.datetime.now())"),
    ).toBe('constructed now');
  });

  patchTest('macro-return', "return() ends only the macro that called it, and restores the caller's frame", () => {
    const source =
      "{% macro inner() %}{{ return('in') }}never{% endmacro %}{% macro outer() %}{% set v = inner() %}[{{ v }}]{% endmacro %}" +
      "{% set a = 'top' %}{{ outer() }}{{ a }}";
    const env = createEnvironment();
    env.addGlobal('return', returnFromMacro);
    expect(code(source), broke('macro-return', 'the compiled macro no longer has the shape the rewrite matches')).toContain('e.macroReturn === true');
    expect(env.renderString(source, {}), broke('macro-return', 'a macro called from a macro of the same file')).toBe('[in]top');
  });

  it("macro-return: return() inside a {% call %} body ends the macro that called caller(), as dbt's MacroReturn does", () => {
    // dbt's MacroGenerator of the called macro catches it (dbt_utils' get_column_values returns
    // from inside `{% call statement(...) %}`); nunjucks' caller used to swallow it itself.
    const source =
      '{% macro run(name) %}[{{ caller() }}]never{% endmacro %}' +
      "{% macro values() %}{% call run('x') %}{{ return(['y', 'z']) }}{% endcall %}|after{% endmacro %}{{ values() }}";
    const env = createEnvironment();
    env.addGlobal('return', returnFromMacro);
    expect(env.renderString(source, {})).toBe("['y', 'z']|after");
  });

  patchTest('undefined-output', 'outside a handler (and in strict mode), printing an undefined value throws, saying where; none prints nothing', () => {
    // Rendered at the top: nunjucks re-wraps the error; its message carries the 1-based line and column.
    const source = 'select 1,\n  {{ nope }}{{ none }}';
    let message = '';
    try {
      render(source);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message, broke('undefined-output', 'printing an undefined name must throw')).toContain(UNDEFINED_OUTPUT_MESSAGE);
    const m = /\[Line (\d+), Column (\d+)\]/.exec(message);
    const printed = source.indexOf('{{ nope');
    expect(m && source.lastIndexOf('{{', offsetOf(source, Number(m[1]), Number(m[2]) - 1) + 1), broke('undefined-output', 'the position of `{{ nope }}`')).toBe(
      printed,
    );
    // Inside a macro (where the engine's wrapper catches it, before nunjucks re-wraps): the exact place travels beside.
    const macros = '{% macro m() %}\n  {{ nope }}{% endmacro %}';
    const exported = templateExports(new nunjucks.Template(macros, createEnvironment(), 'macros.sql', true));
    let error: unknown;
    try {
      (exported.m as () => unknown)();
    } catch (e) {
      error = e;
    }
    const at = undefinedAt(error);
    expect(at, broke('undefined-output', 'the error thrown in a macro must carry where the value was printed')).toBeDefined();
    expect(macros.lastIndexOf('{{', offsetOf(macros, at!.line, at!.column) + 1), broke('undefined-output', 'the position in the macro')).toBe(
      macros.indexOf('{{ nope'),
    );
    expect(render('a{{ none }}b'), broke('undefined-output', 'none prints nothing')).toBe('ab');
  });

  patchTest('undefined-output', 'with a handler that allows it, an undefined value prints an empty string and the handler learns where', () => {
    const seen: [number, number][] = [];
    const out = withUndefinedOutput(
      (line, column) => seen.push([line, column]) > 0,
      () => render('select 1,\n  {{ nope }}!'),
    );
    expect(out, broke('undefined-output', 'an empty string')).toBe('select 1,\n  !');
    expect(seen, broke('undefined-output', 'the 1-based line and 0-based column')).toEqual([[2, 2]]);
  });

  patchTest('undefined-lookup', 'an attribute of an undefined name is an error naming it; of none it is undefined; a callee stays lenient', () => {
    expect(() => render('{{ nope.x }}'), broke('undefined-lookup', 'attribute of undefined')).toThrow(/'nope' is undefined, so it has no attribute 'x'/);
    expect(
      withUndefinedOutput(
        () => true,
        () => render('[{{ n.x }}]', { n: null }),
      ),
      broke('undefined-lookup', 'attribute of none'),
    ).toBe('[]');
    expect(() => render('{{ nope.x() }}'), broke('undefined-lookup', 'calling an attribute of undefined')).toThrow(/Unable to call `nope\["x"\]`/);
  });

  patchTest('python-output', 'lists, dicts and booleans print as Python prints them', () => {
    expect(render("{{ [1, 'a', none, true] }}|{{ {'k': \"it's\"} }}|{{ false }}|{{ 'plain' }}"), broke('python-output', 'Python printing')).toBe(
      "[1, 'a', None, True]|{'k': \"it's\"}|False|plain",
    );
  });

  patchTest('call-syntax', 'trailing commas, `*args`/`**kwargs` in calls, expression dict keys, `*varargs`/`**kwargs` parameters', () => {
    const env = createEnvironment();
    const t = (src: string, ctx: Record<string, unknown> = {}) => env.renderString(src, ctx);
    expect(t("{{ f(1, 2,) }}|{{ [1, 2,] | length }}|{{ {'a': 1,} | length }}|{{ (1,) | length }}", { f: (a: number, b: number) => a + b })).toBe('3|2|1|1');
    expect(t("{% set c = {'column': 'k'} %}{{ {c.column: 1}['k'] }}")).toBe('1');
    // A bare name as a key is the variable's value, as in Jinja (dbt_utils union_relations: `{relation: []}`); keyword arguments keep their names.
    expect(
      t("{% set rel = 'orders' %}{% set d = {rel: []} %}{{ 'orders' in d }}|{{ d[rel] | length }}|{{ f(rel=1) }}", { f: (kw: { rel: number }) => kw.rel }),
    ).toBe('True|0|1');
    expect(t("{% macro m(a, b=2) %}{{ a }}{{ b }}{% endmacro %}{% set kw = {'b': 5} %}{{ m(*[1], **kw) }}")).toBe('15');
    expect(t('{% macro m(a, *rest, **opts) %}{{ rest | join }}{{ opts.k }}{% endmacro %}{{ m(1, 2, 3, k=4) }}')).toBe('234');
  });

  patchTest('macro-varargs', 'every macro has `varargs` and `kwargs`', () => {
    expect(code('{% macro m(a) %}{% endmacro %}'), broke('macro-varargs', 'the compiled macro no longer has the shape the rewrite matches')).toContain(
      'runtime.macroVarargs(kwargs)',
    );
    expect(render("{% macro m(a, b='x') %}{{ a }}{{ b }}{{ varargs | join }}{{ kwargs.c }}{% endmacro %}{{ m(1, 2, 3, c=4) }}")).toBe('1234');
  });

  // Jinja tests Python's truth value (jinja2/nodes.py: Not, And, Or, CondExpr evaluate with Python's
  // `not`/`and`/`or`); dbt_utils' union_relations (`if exclude and include` on two empty lists) and
  // pivot (`if not values`) depend on it.
  patchTest('python-truthiness', 'empty lists and dicts are false; `and`/`or` give back an operand', () => {
    expect(code('{% if a %}{% endif %}'), broke('python-truthiness', 'the compiled if no longer tests runtime.pyTruthy')).toContain('runtime.pyTruthy(');
    const ctx = { e: [], d: {}, full: [1], s: '' };
    expect(render('{% if e %}y{% else %}n{% endif %}|{% if not d %}empty{% endif %}|{% if e and full %}both{% else %}no{% endif %}', ctx)).toBe('n|empty|no');
    expect(render("{{ e or 'fallback' }}|{{ full and 'second' }}|{{ 'yes' if full else 'no' }}|{{ 'yes' if s else 'no' }}", ctx)).toBe(
      'fallback|second|yes|no',
    );
    expect(render('{% if 0 %}a{% elif full %}b{% endif %}', ctx)).toBe('b');
  });

  // Jinja's loop filter (jinja2 docs, "For": `{% for user in users if not user.hidden %}`, with
  // loop.index counting the kept items only); dbt_utils and codegen filter their loops this way.
  patchTest('loop-filters', '`{% for x in xs if cond %}` keeps the items the condition holds for', () => {
    const ctx = { cols: ['a', 'b', 'c', 'd'], ex: ['b'], d: { k1: 1, k2: 2 } };
    expect(render('{% for c in cols if c not in ex %}{{ loop.index }}{{ c }}{% if not loop.last %},{% endif %}{% endfor %}', ctx)).toBe('1a,2c,3d');
    expect(render('{% for k, v in d.items() if v > 1 %}{{ k }}={{ v }}{% endfor %}', ctx)).toBe('k2=2');
    expect(render("{% for c in cols if c == 'z' %}{{ c }}{% else %}none{% endfor %}", ctx)).toBe('none');
    // The condition reads the item, not a variable of the same name outside the loop.
    expect(render("{% set c = 'b' %}{% for c in cols if c != 'a' %}{{ c }}{% endfor %}|{{ c }}", ctx)).toBe('bcd|b');
    // A conditional iterable in parentheses is still an inline if.
    expect(render('{% for c in (cols if false else ex) %}{{ c }}{% endfor %}', ctx)).toBe('b');
  });

  // Jinja's `{% set a, b = pair %}` unpacks (jinja2 docs, "Assignments": "top-level tuple
  // unpacking"); dbt-project-evaluator's select_from_values reads `('is_enabled', 'boolean')` so.
  patchTest('set-unpacking', '`{% set a, b = pair %}` unpacks the value; a wrong count is an error', () => {
    expect(render("{% set n, t = ('x', 'boolean') %}{{ n }}|{{ t }}")).toBe('x|boolean');
    expect(render("{% for c in [('a', 'int'), ('b', 'text')] %}{% set n, t = c %}{{ n }}:{{ t }};{% endfor %}")).toBe('a:int;b:text;');
    expect(render('{% macro m(x) %}{% set x, y = [1, 2] %}{{ x }}{{ y }}{% endmacro %}{{ m(9) }}')).toBe('12');
    expect(render("{% set a = 'one' %}{{ a }}")).toBe('one');
    expect(() => render('{% set a, b = [1, 2, 3] %}')).toThrow(/too many values to unpack/);
    expect(() => render('{% set a, b = [1] %}')).toThrow(/not enough values to unpack/);
  });

  patchTest('python-strings', 'string literals as Python reads them', () => {
    expect(render("{{ 'a\\\nb' }}|{{ '\\d+' }}|{{ 'x\\ty' }}|{{ '\\'' }}|{{ '\\x41' }}")).toBe("ab|\\d+|x\ty|'|A");
  });

  patchTest('call-names', 'a method called on a string literal with a newline or backslash compiles (dbt_utils safe_add)', () => {
    expect(render("{{ 'a\n{}\\\nb'.format('x') }}|{{ 'c\\\\'.upper() }}")).toBe('a\nxb|C\\');
  });

  patchTest('python-equality', '`==`/`!=` compare lists, dicts and sets by value, as Python does (dbt_utils equality test)', () => {
    expect(code('{{ a == b }}'), broke('python-equality', 'the compiler no longer emits runtime.pyEq')).toContain('runtime.pyEq(');
    expect(render("{{ [1, 'a'] == [1, 'a'] }}|{{ [1] != [2] }}|{{ {'k': [1]} == {'k': [1]} }}|{{ 'a' == 'a' }}|{{ none == x }}|{{ 1 < 2 < 3 }}")).toBe(
      'True|True|True|True|True|True',
    );
  });

  patchTest('python-arithmetic', '`list + list` concatenates; numbers add and strings join as before', () => {
    expect(render("{{ (['a'] + ['b', 'c']) | join('-') }}|{{ 1 + 2 }}|{{ 'x' + 'y' }}")).toBe('a-b-c|3|xy');
  });

  patchTest('percent-operator', "`'%s' % x` formats a string; `%` on numbers is the remainder", () => {
    expect(code('{{ a % b }}'), broke('percent-operator', 'the compiler no longer emits runtime.pyMod')).toContain('runtime.pyMod(');
    expect(render("{{ '%s-%d' % ['a', 2.7] }}|{{ '%s!' % 'x' }}|{{ 7 % 3 }}|{{ -7 % 3 }}"), broke('percent-operator', 'Python string formatting')).toBe(
      'a-2|x!|1|2',
    );
    expect(render("{{ '%03d|%-4s|%5.2f|%+d|%x' % (7, 'ab', 3.14159, 3, 255) }}|{{ '%(k)s' % {'k': 'v'} }}")).toBe('007|ab  | 3.14|+3|ff|v');
  });

  patchTest('repeat-operator', "`'-' * 3` repeats a string; `*` on numbers multiplies", () => {
    expect(render("{{ '-' * 3 }}|{{ 2 * 'ab' }}|{{ 2 * 3 }}"), broke('repeat-operator', 'string repetition')).toBe('---|abab|6');
  });

  // jinja2/compiler.py visit_Concat joins `str()` of each operand (jinja2/utils.py str_join).
  patchTest('python-concat', '`~` joins `str()` of each side: lists, booleans, None as Python prints them', () => {
    expect(code('{{ a ~ b }}'), broke('python-concat', 'the compiler no longer emits runtime.pyConcat')).toContain('runtime.pyConcat(');
    expect(
      render("{{ 'x' ~ ['y', 'z'] }}|{{ 'a' ~ false }}|{{ true ~ 1 }}|{{ 'n' ~ none }}|{{ {'k': 1} ~ '' }}|{{ 'p' ~ 2 ~ 'q' }}|{{ 'r' ~ rel }}", {
        rel: { toString: () => '"db"."s"."t"' },
      }),
      broke('python-concat', 'Python str() of the operands'),
    ).toBe(`x['y', 'z']|aFalse|True1|nNone|{'k': 1}|p2q|r"db"."s"."t"`);
  });

  // dbt_expectations' integration tests: `modules.datetime.date.today() - modules.datetime.timedelta(365)`.
  patchTest('python-arithmetic', '`date - timedelta`, `date + timedelta`, `date - date`; numbers and strings as before', () => {
    const day = { ms: 86_400_000 };
    const dateLike = (ms: number): unknown => ({
      ms,
      __add__: (o: { ms: number }) => dateLike(ms + o.ms),
      __sub__: (o: { ms: number }) => dateLike(ms - o.ms),
      toString: () => new Date(ms).toISOString().slice(0, 10),
    });
    expect(
      render('{{ d - td }}|{{ d + td }}|{{ 5 - 2 }}|{{ 1 + 2 }}|{{ "a" + "b" }}', { d: dateLike(Date.UTC(2024, 2, 1)), td: day }),
      broke('python-arithmetic', '+/- through __add__/__sub__'),
    ).toBe('2024-02-29|2024-03-02|3|3|ab');
  });

  patchTest('tuples', '`(a, b)` is a list, `(a)` a parenthesised value', () => {
    expect(render("{% set t = (1, 'b') %}{{ t | length }}{{ t | join }}{{ (3) }}"), broke('tuples', 'a tuple is a list')).toBe('21b3');
  });

  patchTest('dict-loops', '`{% for k in dict %}` walks the keys', () => {
    expect(code('{% for k in d %}{{ k }}{% endfor %}'), broke('dict-loops', 'the compiled loop no longer has the shape the rewrite matches')).toContain(
      'runtime.pyKeys(',
    );
    expect(
      render("{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}|{% for x in [1, 2] %}{{ x }}{% endfor %}"),
      broke('dict-loops', 'looping over a dict'),
    ).toBe('ab|12');
  });

  patchTest('do-tag', '`{% do expr %}` runs the expression and prints nothing', () => {
    const calls: unknown[] = [];
    expect(render('a{% do f(1) %}b', { f: (x: unknown) => calls.push(x) }), broke('do-tag', 'the do tag')).toBe('ab');
    expect(calls, broke('do-tag', 'the expression must run')).toEqual([1]);
  });

  patchTest('loop-controls', '`{% break %}` and `{% continue %}` leave or skip a loop turn', () => {
    const source = '{% for i in [1, 2, 3, 4] %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}';
    expect(code(source), broke('loop-controls', 'the compiled tags no longer have the shape the rewrite matches')).not.toContain(
      'getExtension("LoopControls")',
    );
    expect(render(source), broke('loop-controls', 'break and continue')).toBe('13');
  });

  patchTest('namespace-set', '`{% set ns.attr = value %}` updates the namespace, lines kept', () => {
    const source = "{% set ns = {'n': 0} %}\n{% for x in [1, 2] %}{% set ns.n = ns.n + x %}{%- set ns.seen = true -%}{% endfor %}\n{{ ns.n }} {{ ns.seen }}";
    expect(preprocess(source).split('\n').length, broke('namespace-set', 'the rewrite must keep line numbers')).toBe(3);
    expect(render(preprocess(source)), broke('namespace-set', 'namespace attributes')).toBe('\n\n3 True');
  });

  patchTest('namespace-set-block', '`{% set ns.attr %}…{% endset %}` captures into the namespace, lines kept', () => {
    const source = "{% set ns = {'x': 1} %}{% set ns.x %}\nhi {{ 1 + 1 }}{% endset %}[{{ ns.x }}]";
    expect(preprocess(source).split('\n').length, broke('namespace-set-block', 'the rewrite must keep line numbers')).toBe(2);
    expect(render(preprocess(source)), broke('namespace-set-block', 'the captured text')).toBe('[\nhi 2]');
  });

  patchTest('test-blocks', "dbt's `{% test name() %}` block is the macro `test_name`", () => {
    const source = '{% test positive(model, column_name) %}\nselect {{ column_name }}\n{%- endtest %}{{ test_positive(1, "c") }}';
    expect(preprocess(source), broke('test-blocks', 'the rewrite')).toBe(
      '{% macro test_positive(model, column_name) %}\nselect {{ column_name }}\n{%- endmacro %}{{ test_positive(1, "c") }}',
    );
    expect(render(preprocess(source)), broke('test-blocks', 'a test block is a macro')).toBe('\nselect c');
  });

  it('has a test above for every patch in NUNJUCKS_PATCHES', () => {
    const untested = NUNJUCKS_PATCHES.map((p) => p.name).filter((name) => !tested.has(name));
    expect(untested, 'each patch in src/templating/nunjucks-patches.ts needs a patchTest here').toEqual([]);
    expect(
      [...tested].filter((name) => !NUNJUCKS_PATCHES.some((p) => p.name === name)),
      'a patchTest names a patch that does not exist',
    ).toEqual([]);
  });
});

describe('the nunjucks internals the engine reads', () => {
  it('keyword arguments arrive as a trailing object tagged __keywords', () => {
    let received: unknown[] = [];
    render('{{ f(1, k=2) }}', { f: (...args: unknown[]) => (received = args) && '' });
    expect(received[0], brokeInternal('positional arguments')).toBe(1);
    expect(isKwargs(received[1]), brokeInternal('keyword arguments are no longer tagged __keywords')).toBe(true);
    expect(stripKwargs(received[1]), brokeInternal('keyword arguments')).toEqual({ k: 2 });
    expect(isKwargs(makeKeywordArgs({ a: 1 })), brokeInternal('runtime.makeKeywordArgs (the fast tier calls macros with it)')).toBe(true);
  });

  it("a template's macros are read synchronously with getExported", () => {
    const env = createEnvironment();
    const exported = templateExports(new nunjucks.Template('{% macro m(x) %}<{{ x }}>{% endmacro %}', env, 'macros.sql', true));
    expect(typeof exported.m, brokeInternal('Template#getExported')).toBe('function');
    expect(String((exported.m as (x: string) => unknown)('a')), brokeInternal('calling an exported macro')).toBe('<a>');
  });

  it('compiled code can be turned back into a template (precompiled built-in macros)', () => {
    const env = createEnvironment();
    // What scripts/bundle.mjs writes: the code as the body of a function returning the template object.
    const obj = new Function(compileToCode(env, '{{ 1 + 1 }}{{ x }}', 'p.sql'))() as Record<string, unknown>;
    expect(templateFromCode(obj, env, 'p.sql').render({ x: 'y' }), brokeInternal("compiler.compile or Template({ type: 'code' })")).toBe('2y');
  });

  it("globals are the environment's `globals` object, getters included, and tests are added with addTest", () => {
    const env = createEnvironment();
    Object.defineProperty(envGlobals(env), 'late', { get: () => 'read at use', enumerable: true });
    const odd = (v: unknown) => Number(v) % 2 === 1;
    addTest(env, 'odd', odd);
    expect(env.renderString('{{ late }} {{ 3 is odd }}', {}), brokeInternal('Environment#globals or addTest')).toBe('read at use True');
    expect(getTest(env, 'odd'), brokeInternal('Environment#getTest')).toBe(odd);
  });

  it('error messages have the shape the engine parses for file, line and cause', () => {
    const message = (source: string) => {
      try {
        render(source);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    // template-engine.ts reads "(file) [Line L, Column C]\n  message" and these texts to explain errors.
    const positioned = /\(([^)]*)\)\s*\[Line (\d+), Column (\d+)\]\s*([\s\S]*)$/;
    expect(message('a\n{{ f() }}'), brokeInternal('the "Unable to call" message')).toMatch(/Unable to call `f`, which is undefined or falsey/);
    expect(message('a\n{{ f() }}'), brokeInternal('the "(file) [Line, Column]" prefix of render errors')).toMatch(positioned);
    expect(message('{% snapshot s %}{% endsnapshot %}'), brokeInternal('the "unknown block tag" message')).toMatch(/unknown block tag: snapshot/);
    expect(message('{% if x %}'), brokeInternal('the "end of file" message of an unclosed block')).toMatch(/end of file/);
  });
});
