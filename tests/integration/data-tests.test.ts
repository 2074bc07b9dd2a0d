import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryDuckDb, runModel, writeProject } from '../helpers/project.js';
import { duckdbOutput, profilesYml } from '../helpers/profiles.js';

/** The data planted in the seeds, kept here so the expected failures are computed in plain JS. */
interface Order {
  id: number;
  customer_id: number | null;
  status: string;
  amount: number | null;
}
const ORDERS: Order[] = [
  { id: 1, customer_id: 1, status: 'placed', amount: 10 },
  { id: 2, customer_id: 1, status: 'shipped', amount: 20 },
  { id: 3, customer_id: 2, status: 'returned', amount: 5 },
  { id: 4, customer_id: 9, status: 'placed', amount: null },
  { id: 4, customer_id: 3, status: "it's odd", amount: -1 },
  { id: 5, customer_id: null, status: 'placed', amount: 0 },
  { id: 6, customer_id: 7, status: 'weird', amount: 12 },
];
const CUSTOMERS = [1, 2, 3];
const ACCEPTED = ['placed', 'shipped', 'returned'];

const csv = (rows: Order[]) =>
  ['id,customer_id,status,amount', ...rows.map((r) => [r.id, r.customer_id ?? '', `"${r.status.replace(/"/g, '""')}"`, r.amount ?? ''].join(','))].join('\n') +
  '\n';

/** dbt's semantics, computed independently of the engine. */
function expectedFailures(rows: Order[]): Record<string, number> {
  const ids = new Map<number, number>();
  for (const r of rows) ids.set(r.id, (ids.get(r.id) ?? 0) + 1);
  return {
    not_null_orders_amount: rows.filter((r) => r.amount === null).length,
    unique_orders_id: [...ids.values()].filter((n) => n > 1).length,
    // accepted_values counts distinct bad values; NULL is not checked.
    accepted_values_orders_status__placed__shipped__returned: new Set(rows.map((r) => r.status).filter((s) => !ACCEPTED.includes(s))).size,
    relationships_orders_customer_id__id__ref_customers_: rows.filter((r) => r.customer_id !== null && !CUSTOMERS.includes(r.customer_id)).length,
    expression_is_true_orders_amount_0: rows.filter((r) => r.amount !== null && !(r.amount > 0)).length,
    positive_orders_amount: rows.filter((r) => r.amount !== null && r.amount <= 0).length,
    no_big_returns: rows.filter((r) => r.status === 'returned' && r.amount !== null && r.amount > 1).length,
  };
}

const PROFILES = profilesYml('shop', 'dev', { dev: duckdbOutput('target/shop.duckdb') });

const SCHEMA_YML = `version: 2
models:
  - name: orders
    data_tests:
      - expression_is_true:
          expression: "amount > 0"
    columns:
      - name: id
        data_tests: [unique]
      - name: amount
        tests:
          - not_null
          - positive
      - name: status
        data_tests:
          - accepted_values:
              arguments:
                values: ['placed', 'shipped', 'returned']
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('customers')
              field: id
`;

function shop(overrides: Record<string, string> = {}): string {
  return writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'profiles.yml': PROFILES,
    'seeds/raw_orders.csv': csv(ORDERS),
    'seeds/customers.csv': `id,name\n${CUSTOMERS.map((c) => `${c},c${c}`).join('\n')}\n`,
    'models/orders.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('raw_orders') }}\n",
    'models/big_orders.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('orders') }} where amount > 10\n",
    'models/schema.yml': SCHEMA_YML,
    'tests/generic/positive.sql': '{% test positive(model, column_name) %}\nselect * from {{ model }} where {{ column_name }} <= 0\n{% endtest %}\n',
    'tests/no_big_returns.sql': "select * from {{ ref('orders') }} where status = 'returned' and amount > 1\n",
    ...overrides,
  });
}

interface RunResult {
  unique_id: string;
  status: string;
  failures: number | null;
}
function runResults(dir: string): RunResult[] {
  return JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')).results as RunResult[];
}
const byName = (results: RunResult[]) => new Map(results.map((r) => [r.unique_id.split('.')[2]!, r]));

describe('data tests on a dbt-style project', () => {
  it('finds exactly the planted failures with the built-in, custom generic and singular tests', async () => {
    const dir = shop();
    const r = await runModel(['build', '--junit', 'target/junit.xml'], { cwd: dir });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(1);
    const results = runResults(dir);
    const tests = byName(results.filter((x) => x.unique_id.startsWith('test.')));
    const expected = expectedFailures(ORDERS);
    expect([...tests.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, n] of Object.entries(expected)) {
      expect(n, name).toBeGreaterThan(0);
      expect(tests.get(name), name).toMatchObject({ status: 'fail', failures: n });
    }
    // Generic tests carry dbt's hash suffix, singular ones do not.
    expect(results.map((x) => x.unique_id)).toContain('test.shop.no_big_returns');
    expect(results.find((x) => x.unique_id.startsWith('test.shop.unique_orders_id.'))!.unique_id).toMatch(/^test\.shop\.unique_orders_id\.[0-9a-f]{10}$/);
    // A failing error-severity test on orders keeps bad data from its downstream model.
    expect(results.find((x) => x.unique_id === 'model.shop.big_orders')!.status).toBe('skipped');

    // The output says which rows, where the test was declared and where its SQL is.
    expect(r.stdout).toContain('Failure in test not_null_orders_amount (models/schema.yml)');
    expect(r.stdout).toContain('declared at models/schema.yml:12');
    expect(r.stdout).toContain('compiled SQL: target/compiled/shop/models/schema.yml/not_null_orders_amount.sql');
    expect(r.stdout).toMatch(/\| 4 +\| 9 +\| placed +\| null +\|/);
    expect(existsSync(path.join(dir, 'target/compiled/shop/models/schema.yml/not_null_orders_amount.sql'))).toBe(true);

    const xml = readFileSync(path.join(dir, 'target', 'junit.xml'), 'utf8');
    expect(xml).toContain(`failures="${Object.keys(expected).length}"`);
    expect(xml).toContain('skipped="1"');
    expect(xml).toMatch(
      /<testcase name="unique_orders_id" classname="test\.shop" file="models\/schema\.yml" time="[\d.]+">\n\s+<failure message="Got 1 result, configured to fail if != 0 \(1 failing row\)"/,
    );
    // The status value with a quote is escaped in the report.
    expect(xml).toContain('it&apos;s odd');
  });

  it('passes with exit 0 on clean data, and `model test -s` runs only the selected tests', async () => {
    const clean = ORDERS.filter(
      (o) =>
        o.amount !== null &&
        o.amount > 0 &&
        ACCEPTED.includes(o.status) &&
        o.customer_id !== null &&
        CUSTOMERS.includes(o.customer_id) &&
        o.status !== 'returned',
    );
    const dir = shop({ 'seeds/raw_orders.csv': csv(clean) });
    const r = await runModel(['build'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(runResults(dir).every((x) => x.status === 'success' || x.status === 'pass')).toBe(true);

    const one = await runModel(['test', '-s', 'orders', '--exclude', 'test_type:singular'], { cwd: dir });
    expect(one.code).toBe(0);
    expect(
      runResults(dir)
        .map((x) => x.unique_id.split('.')[2])
        .sort(),
    ).toEqual(
      Object.keys(expectedFailures(ORDERS))
        .filter((n) => n !== 'no_big_returns')
        .sort(),
    );
    const singular = await runModel(['test', '-s', 'test_type:singular'], { cwd: dir });
    expect(singular.code).toBe(0);
    expect(runResults(dir).map((x) => x.unique_id)).toEqual(['test.shop.no_big_returns']);
    const generic = await runModel(['test', '-s', 'test_type:generic', '--exclude', 'unique_orders_id'], { cwd: dir });
    expect(runResults(dir)).toHaveLength(5);
    expect(generic.code).toBe(0);
  });

  it('honours severity, thresholds, where, limit, store_failures and project defaults', async () => {
    const dir = shop({
      'dbt_project.yml': 'name: shop\nprofile: shop\ndata_tests:\n  shop:\n    +severity: warn\n',
      'models/schema.yml': `version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests:
          - unique:
              config: {severity: error, warn_if: ">0", error_if: ">5"}
      - name: amount
        data_tests:
          - not_null
          - expression_is_true:
              expression: "> 0"
              config: {severity: error, limit: 1}
      - name: status
        data_tests:
          - accepted_values:
              values: [placed, shipped, returned]
              severity: error
              where: "status <> 'weird'"
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('customers')
              field: id
              config:
                severity: error
                store_failures: true
`,
    });
    // Nothing built yet: each test is an error (its relation is missing), exit 1.
    const r = await runModel(['test'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(runResults(dir).every((x) => x.status === 'error')).toBe(true);
    const b = await runModel(['build', '--exclude', 'test_type:singular'], { cwd: dir });
    expect(b.stderr).not.toMatch(/internal error/);
    const tests = byName(runResults(dir));
    expect(tests.get('unique_orders_id')).toMatchObject({ status: 'warn', failures: 1 });
    // The project's data_tests default makes this one a warning.
    expect(tests.get('not_null_orders_amount')).toMatchObject({ status: 'warn', failures: 1 });
    expect(tests.get('expression_is_true_orders_amount___0')).toMatchObject({ status: 'fail', failures: 1 });
    // where: leaves out 'weird', so only "it's odd" is left.
    expect(tests.get('accepted_values_orders_status__placed__shipped__returned')).toMatchObject({ status: 'fail', failures: 1 });
    const rel = tests.get('relationships_orders_customer_id__id__ref_customers_')!;
    expect(rel).toMatchObject({ status: 'fail', failures: 2 });
    expect(b.code).toBe(1);
    expect(b.stdout).toContain('failing rows stored in "shop"."main_dbt_test__audit"."relationships_orders_customer_id__id__ref_customers_"');
    const stored = await queryDuckDb(
      path.join(dir, 'target', 'shop.duckdb'),
      'select from_field from shop.main_dbt_test__audit.relationships_orders_customer_id__id__ref_customers_ order by 1',
    );
    expect(stored.map((s) => Number(s.from_field))).toEqual([7, 9]);
  });

  it('records a test under its thresholds as dbt does: pass, 0 failures, no message', async () => {
    const dir = shop({
      'models/schema.yml': `version: 2
models:
  - name: orders
    columns:
      - name: amount
        data_tests:
          - not_null: {config: {warn_if: ">5", error_if: ">5"}}
`,
      'tests/no_big_returns.sql': "{{ config(warn_if='>1', error_if='>1') }}\nselect * from {{ ref('orders') }} where status = 'returned' and amount > 1\n",
    });
    const r = await runModel(['build'], { cwd: dir });
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')).results as {
      unique_id: string;
      status: string;
      failures: number;
      message: string | null;
    }[];
    const tests = results.filter((x) => x.unique_id.startsWith('test.'));
    expect(tests).toHaveLength(2);
    for (const t of tests) expect(t).toMatchObject({ status: 'pass', failures: 0, message: null });
  });

  it('keeps failing rows as store_failures_as says: a view, a table, or nothing for ephemeral', async () => {
    const schema = (idAs: string) => `version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests:
          - unique: {config: {store_failures_as: ${idAs}}}
      - name: amount
        data_tests:
          - not_null: {config: {store_failures: true, store_failures_as: ephemeral}}
`;
    const dir = shop({ 'models/schema.yml': schema('view'), 'tests/no_big_returns.sql': 'select 1 as x where false\n' });
    const relations = () =>
      queryDuckDb(
        path.join(dir, 'target', 'shop.duckdb'),
        "select table_name, table_type from information_schema.tables where table_schema = 'main_dbt_test__audit' order by 1",
      );
    const r = await runModel(['build'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(await relations()).toEqual([{ table_name: 'unique_orders_id', table_type: 'VIEW' }]);
    writeFileSync(path.join(dir, 'models', 'schema.yml'), schema('table'));
    const t = await runModel(['test'], { cwd: dir });
    expect(t.code).toBe(1);
    expect(t.stdout).toContain('failing rows stored in "shop"."main_dbt_test__audit"."unique_orders_id"');
    expect(await relations()).toEqual([{ table_name: 'unique_orders_id', table_type: 'BASE TABLE' }]);
  });

  it('exits 0 when only warnings fail, and 1 when an error-severity test fails', async () => {
    const dir = shop({
      'models/schema.yml': `version: 2
models:
  - name: orders
    columns:
      - name: amount
        data_tests:
          - not_null: {severity: warn}
`,
      'tests/no_big_returns.sql': "{{ config(severity='warn') }}\nselect * from {{ ref('orders') }} where status = 'returned' and amount > 1\n",
    });
    const r = await runModel(['build'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Completed with warnings');
    const tests = byName(runResults(dir));
    expect(tests.get('not_null_orders_amount')).toMatchObject({ status: 'warn', failures: 1 });
    expect(tests.get('no_big_returns')).toMatchObject({ status: 'warn', failures: 1 });
    expect(tests.get('big_orders')).toMatchObject({ status: 'success' });
    writeFileSync(path.join(dir, 'tests', 'no_big_returns.sql'), "select * from {{ ref('orders') }} where status = 'returned'\n");
    const t = await runModel(['test'], { cwd: dir });
    expect(t.code).toBe(1);
  });

  it('says what is not built yet when tests run before the build', async () => {
    const dir = shop({});
    const t = await runModel(['test', '-s', 'orders'], { cwd: dir });
    expect(t.code).toBe(1);
    const out = t.stdout + t.stderr;
    expect(out).toMatch(/test unique_orders_id: what it tests is not built yet: orders \("[^"]+"\."[^"]+"\."orders"\)/);
    expect(out).toContain('run `model build` first (for just these and what they read: `model build -s +orders`)');
    expect(out).not.toMatch(/Catalog Error/);
    // Once built, the same command runs the tests for real.
    expect((await runModel(['build'], { cwd: dir })).code).toBe(1);
    const again = await runModel(['test', '-s', 'orders'], { cwd: dir });
    expect(again.stdout + again.stderr).not.toMatch(/not built yet/);
  });

  it('stops a build before the downstream table, which keeps its previous content', async () => {
    const good = ORDERS.filter((o) => o.amount !== null && o.amount > 0);
    const dir = shop({
      'models/schema.yml': 'version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: amount\n        data_tests: [not_null]\n',
      'tests/no_big_returns.sql': 'select 1 where false\n',
    });
    writeFileSync(path.join(dir, 'seeds', 'raw_orders.csv'), csv(good));
    expect((await runModel(['build'], { cwd: dir })).code).toBe(0);
    const db = path.join(dir, 'target', 'shop.duckdb');
    const before = await queryDuckDb(db, 'select id from shop.main.big_orders order by id');
    expect(before.length).toBeGreaterThan(0);
    writeFileSync(
      path.join(dir, 'seeds', 'raw_orders.csv'),
      csv([...good, { id: 99, customer_id: 1, status: 'placed', amount: null }, { id: 98, customer_id: 1, status: 'placed', amount: 500 }]),
    );
    const r = await runModel(['build'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/SKIP table model main\.big_orders/);
    expect(r.stdout).toContain('declared at models/schema.yml:6');
    expect(r.stdout).toMatch(/\| 99 +\| 1 +\| placed +\| null +\|/);
    expect(await queryDuckDb(db, 'select id from shop.main.big_orders order by id')).toEqual(before);
  });
});

describe('mistakes in test declarations stop the run before any query', () => {
  const cases: [string, string, RegExp][] = [
    [
      'an unknown test',
      '      - name: id\n        data_tests: [uniqe]\n',
      /models\/schema\.yml:6:\d+: error \[project\]: unknown test 'uniqe'[\s\S]*did you mean 'unique'\?/,
    ],
    [
      'a malformed threshold',
      '      - name: id\n        data_tests:\n          - unique: {config: {error_if: "lots"}}\n',
      /models\/schema\.yml:7:\d+: error \[project\]: test config 'error_if': must be a comparison/,
    ],
    [
      'a column the seed lacks',
      '      - name: idd\n        data_tests: [unique]\n',
      /models\/schema\.yml:5:\d+: error \[project\]: column 'idd' is not a column of seed 'customers'/,
    ],
    [
      'a ref to nothing',
      '      - name: id\n        data_tests:\n          - relationships: {to: "ref(\'nobody\')", field: id}\n',
      /models\/schema\.yml:7:\d+: error \[project\]: ref\('nobody'\) matches no model or seed/,
    ],
    ['a YAML mistake', '      - name: id\n        data_tests: [unique\n', /models\/schema\.yml:\d+:\d+: error \[yaml\]: invalid YAML/],
    [
      'an argument the test does not take',
      '      - name: id\n        data_tests:\n          - accepted_values: {values: [1], qoute: false}\n',
      /models\/schema\.yml:7:\d+: error \[project\]: test 'accepted_values' takes no argument 'qoute'[\s\S]*did you mean 'quote'\?/,
    ],
  ];
  for (const [what, columns, message] of cases) {
    it(`reports ${what} at its line, exit 2`, async () => {
      const dir = shop({ 'models/schema.yml': `version: 2\nseeds:\n  - name: customers\n    columns:\n${columns}` });
      const r = await runModel(['build'], { cwd: dir });
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(existsSync(path.join(dir, 'target', 'shop.duckdb'))).toBe(false);
      expect(existsSync(path.join(dir, 'target', 'run_results.json'))).toBe(false);
    });
  }

  // A test for a model that does not exist is a warning, as dbt's "did not find matching node for patch" (core/dbt/parser/schemas.py).
  it('warns of tests on a model that does not exist, and reports a column the built model lacks', async () => {
    const dir = shop({ 'models/schema.yml': 'version: 2\nmodels:\n  - name: ordres\n    columns:\n      - name: id\n        data_tests: [unique]\n' });
    const r = await runModel(['build'], { cwd: dir });
    expect(r.stderr).toMatch(
      /warning: models\/schema\.yml:3: tests are declared for 'ordres', but no model has that name, so they are skipped \(did you mean 'orders'\?\)/,
    );
    // The build goes on (the shop's own failing test makes it exit 1), not a parse error (2).
    expect(r.stdout).toContain('Done.');
    expect(r.code).toBe(1);

    writeFileSync(
      path.join(dir, 'models', 'schema.yml'),
      'version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: amout\n        data_tests: [not_null]\n',
    );
    expect((await runModel(['build', '--exclude', 'test_type:generic'], { cwd: dir })).code).toBe(1);
    const t = await runModel(['test'], { cwd: dir });
    expect(t.stderr).toMatch(
      /models\/schema\.yml:6:\d+: error \[project\]: test not_null_orders_amout: column 'amout' is not a column of model 'orders'[\s\S]*did you mean 'amount'\?/,
    );
    expect(t.code).toBe(2);
  });
});
