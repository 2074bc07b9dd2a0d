import { describe, expect, it } from 'vitest';
import { junitXml, xmlEscape } from '../../../src/execute/junit.js';
import { parseTestEntry } from '../../../src/parse/data-tests/test-declaration.js';
import { genericTestUniqueId, md5, pyRepr, syntheticTestNames } from '../../../src/parse/data-tests/test-names.js';
import { holds, parseThreshold, testStatus, type Threshold } from '../../../src/parse/data-tests/thresholds.js';
import { ProjectError } from '../../../src/core/errors.js';
import type { Node } from '../../../src/parse/nodes.js';
import { parseYaml } from '../../../src/project/yaml-file.js';
import type { RunSummary } from '../../../src/execute/results.js';

describe('dbt test names', () => {
  it('names built-in tests as dbt does', () => {
    expect(syntheticTestNames('not_null', 'orders', { column_name: 'amount' }).fullName).toBe('not_null_orders_amount');
    expect(syntheticTestNames('unique', 'orders', { column_name: 'id' }).fullName).toBe('unique_orders_id');
    expect(syntheticTestNames('accepted_values', 'orders', { column_name: 'status', values: ['placed', 'shipped'] }).fullName).toBe(
      'accepted_values_orders_status__placed__shipped',
    );
    // Arguments sorted by name; ref('customers') cleaned to ref_customers_.
    expect(syntheticTestNames('relationships', 'orders', { to: "ref('customers')", field: 'id', column_name: 'customer_id' }).fullName).toBe(
      'relationships_orders_customer_id__id__ref_customers_',
    );
    // Python's str() of booleans; the model argument never counts.
    expect(syntheticTestNames('accepted_values', 'o', { column_name: 'n', values: [1, 2], quote: false, model: 'x' }).fullName).toBe(
      'accepted_values_o_n__False__1__2',
    );
  });

  it('truncates names of 64 characters or more with an md5, as dbt does', () => {
    const values = ['a_rather_long_value', 'another_long_value', 'and_a_third_one'];
    const { shortName, fullName } = syntheticTestNames('accepted_values', 'customer_orders', { column_name: 'status', values });
    expect(fullName).toBe('accepted_values_customer_orders_status__a_rather_long_value__another_long_value__and_a_third_one');
    expect(shortName).toBe(`accepted_values_customer_order_${md5(fullName)}`);
    expect(syntheticTestNames('unique', 'o', { column_name: 'x' }).shortName).toBe('unique_o_x');
  });

  it("computes the unique id's hash from the name and Python's repr of the metadata", () => {
    const kwargs = { column_name: 'id', model: "{{ get_where_subquery(ref('orders')) }}" };
    expect(pyRepr({ kwargs, name: 'unique', namespace: 'None' })).toBe(
      `{'kwargs': {'column_name': 'id', 'model': "{{ get_where_subquery(ref('orders')) }}"}, 'name': 'unique', 'namespace': 'None'}`,
    );
    const id = genericTestUniqueId('shop', 'unique_orders_id', { name: 'unique', kwargs });
    const hash = md5(
      `unique_orders_id{'kwargs': {'column_name': 'id', 'model': "{{ get_where_subquery(ref('orders')) }}"}, 'name': 'unique', 'namespace': 'None'}`,
    ).slice(-10);
    expect(id).toBe(`test.shop.unique_orders_id.${hash}`);
  });
});

describe('thresholds', () => {
  it('parses comparisons and rejects anything else', () => {
    expect(parseThreshold('>10')).toMatchObject({ op: '>', value: 10 });
    expect(parseThreshold(' != 0 ')).toMatchObject({ op: '!=', value: 0 });
    expect(parseThreshold('<>3')).toMatchObject({ op: '!=', value: 3 });
    expect(parseThreshold('=2')).toMatchObject({ op: '==', value: 2 });
    expect(typeof parseThreshold('more than 10')).toBe('string');
    expect(typeof parseThreshold('>')).toBe('string');
    expect(typeof parseThreshold('> 1; drop table x')).toBe('string');
  });

  it('gives dbt statuses: error_if decides fail, then warn_if decides warn', () => {
    const t = (s: string) => parseThreshold(s) as Threshold;
    expect(holds(t('>=5'), 5)).toBe(true);
    expect(testStatus(0, 'error', t('!=0'), t('!=0'))).toBe('pass');
    expect(testStatus(3, 'error', t('!=0'), t('!=0'))).toBe('fail');
    expect(testStatus(3, 'error', t('!=0'), t('>10'))).toBe('warn');
    expect(testStatus(30, 'error', t('!=0'), t('>10'))).toBe('fail');
    expect(testStatus(30, 'warn', t('!=0'), t('>10'))).toBe('warn');
  });
});

describe('test entries in properties YAML', () => {
  const yaml = parseYaml(
    'models/schema.yml',
    [
      'tests:',
      '  - not_null',
      '  - accepted_values:',
      '      values: [a, b]',
      '      severity: warn',
      '  - relationships:',
      '      arguments:',
      "        to: ref('c')",
      '        field: id',
      '      config:',
      '        where: "x > 1"',
      '        error_if: ">10"',
      '  - unique:',
      '      severity: warn',
      '      config: {severity: error}',
      '  - test_name: unique',
      '    name: my_unique',
      '  - not_null: {config: {limt: 3}}',
      '  - {a: 1, b: 2}',
    ].join('\n'),
  );
  const entries = (yaml.data as { tests: unknown[] }).tests;
  const parse = (i: number) => parseTestEntry(entries[i], yaml, ['tests', i]);

  it('reads names, arguments and configs in each form dbt accepts', () => {
    expect(parse(0)).toMatchObject({ name: 'not_null', kwargs: {}, config: {}, location: { file: 'models/schema.yml', line: 2 } });
    expect(parse(1)).toMatchObject({ name: 'accepted_values', kwargs: { values: ['a', 'b'] }, config: { severity: 'warn' }, location: { line: 3 } });
    expect(parse(2)).toMatchObject({ name: 'relationships', kwargs: { to: "ref('c')", field: 'id' }, config: { where: 'x > 1', error_if: '>10' } });
    expect(parse(4)).toMatchObject({ name: 'unique', customName: 'my_unique' });
  });

  it('reports mistakes at their line', () => {
    const both = parse(3) as ProjectError[];
    expect(both[0]!.message).toMatch(/'severity' is set both/);
    expect(both[0]!.location).toMatchObject({ line: 14 });
    const typo = parse(5) as ProjectError[];
    expect(typo[0]!.message).toBe("unknown test config 'limt'");
    expect(typo[0]!.hint).toBe("did you mean 'limit'?");
    expect(typo[0]!.location).toMatchObject({ line: 18 });
    const two = parse(6) as ProjectError[];
    expect(two[0]!.message).toMatch(/exactly one key/);
    expect(two[0]!.location).toMatchObject({ line: 19 });
  });
});

describe('Jinja in test configs', () => {
  // dbt-core core/dbt/parser/generic_test_builders.py (TestBuilder.__init__): each string config is
  // rendered with get_rendered(value, render_ctx, native=True). metaplane/dbt-expectations'
  // integration tests set `enabled: "{{ target.type not in ['bigquery', 'spark'] }}"` and
  // `severity: "{{ 'warn' if target.type in ['spark'] else 'error' }}"`.
  const yaml = parseYaml(
    'models/schema.yml',
    [
      'tests:',
      '  - not_null:',
      '      config:',
      '        enabled: "{{ off }}"',
      '        severity: "{{ sev }}"',
      '        limit: "{{ n }}"',
      '  - unique:',
      '      config: {enabled: "{{ boom }}"}',
    ].join('\n'),
  );
  const entries = (yaml.data as { tests: unknown[] }).tests;
  const values: Record<string, string> = { '{{ off }}': 'False', '{{ sev }}': 'warn', '{{ n }}': '3' };
  const render = (text: string) => {
    if (text in values) return values[text]!;
    throw new ProjectError('template', "'boom' is undefined");
  };

  it('renders them and reads the result as dbt native rendering does', () => {
    expect(parseTestEntry(entries[0], yaml, ['tests', 0], render)).toMatchObject({ config: { enabled: false, severity: 'warn', limit: 3 } });
  });

  it('reports a template mistake at the config', () => {
    const errs = parseTestEntry(entries[1], yaml, ['tests', 1], render) as ProjectError[];
    expect(errs[0]!.message).toBe("test config 'enabled': 'boom' is undefined");
    expect(errs[0]!.location).toMatchObject({ line: 8 });
  });

  it('leaves a config without Jinja, or no renderer, alone', () => {
    expect(parseTestEntry(entries[0], yaml, ['tests', 0])).toSatisfy((r) => Array.isArray(r));
  });
});

describe('JUnit XML', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    expect(xmlEscape(`a<b>&"c'\u0001d`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;d');
  });

  it('writes a failure with its rows, an error, a skip and a warning', () => {
    const node = (name: string): Node =>
      ({ uniqueId: `test.p.${name}`, resourceType: 'test', name, fqn: ['p', 'm', name], file: 'models/s.yml' }) as unknown as Node;
    const at = new Date(0);
    const r = (name: string, status: 'pass' | 'fail' | 'error' | 'skipped' | 'warn', message: string, details?: string[]) => ({
      node: node(name),
      status,
      message,
      details,
      failures: status === 'fail' || status === 'warn' ? 2 : undefined,
      startedAt: at,
      completedAt: at,
      threadId: 't',
    });
    const summary: RunSummary = {
      results: [
        r('ok', 'pass', 'PASS'),
        r('bad', 'fail', 'Got 2 results', ['| a<b |']),
        r('broken', 'error', 'boom & bust'),
        r('later', 'skipped', 'skipped'),
        r('meh', 'warn', 'Got 2'),
      ],
      startedAt: at,
      elapsedSeconds: 1,
      interrupted: false,
    };
    const xml = junitXml(summary, 'model test');
    expect(xml).toContain('tests="5" failures="1" errors="1" skipped="1"');
    expect(xml).toContain('<testcase name="ok" classname="test.p.m" file="models/s.yml" time="0.000"/>');
    expect(xml).toContain('<failure message="Got 2 results (2 failing rows)" type="fail">Got 2 results\n| a&lt;b |</failure>');
    expect(xml).toContain('<error message="boom &amp; bust" type="error">');
    expect(xml).toContain('<skipped message="skipped"/>');
    expect(xml).toContain('<system-out>WARN: Got 2</system-out>');
  });
});
