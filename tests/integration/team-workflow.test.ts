import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyShippedProject, queryDuckDb, runModel, writeProject } from '../helpers/project.js';

// Slim CI as dbt documents it ("About state", "Defer", "retry"): a production run's artifacts
// are the --state; a CI run selects state:modified+ and defers unbuilt parents to production's
// relations. Selector semantics follow dbt-core's core/dbt/graph/selector_methods.py
// (StateSelectorMethod, ResultSelectorMethod); retry follows core/dbt/task/retry.py.

const PROFILES = `shop:
  target: prod
  outputs:
    prod:
      type: duckdb
      path: target/prod.duckdb
      threads: 2
    ci:
      type: duckdb
      path: target/ci.duckdb
      threads: 2
      attach:
        - path: target/prod.duckdb
          read_only: true
`;

function shop(): string {
  return writeProject({
    'dbt_project.yml': "name: shop\nversion: '1.0'\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n    staging:\n      +materialized: view\n",
    'profiles.yml': PROFILES,
    'seeds/raw_orders.csv': 'id,customer_id,amount_cents\n1,1,1000\n2,1,250\n3,2,700\n',
    'macros/money.sql': '{% macro cents_to_dollars(col) %}({{ col }} / 100.0){% endmacro %}\n',
    'models/staging/stg_orders.sql': "select id, customer_id, {{ cents_to_dollars('amount_cents') }} as amount from {{ ref('raw_orders') }}\n",
    'models/orders.sql': "select id, customer_id, amount from {{ ref('stg_orders') }}\n",
    'models/customers.sql': "select customer_id, count(*) as n from {{ ref('stg_orders') }} group by 1\n",
    'models/report.sql': "select sum(amount) as total from {{ ref('orders') }}\n",
    'models/schema.yml': 'version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n',
  });
}

/** Keeps a run's artifacts, as a CI job keeps production's. */
function keepState(dir: string, into: string): string {
  const state = path.join(dir, into);
  mkdirSync(state, { recursive: true });
  for (const f of ['manifest.json', 'run_results.json']) cpSync(path.join(dir, 'target', f), path.join(state, f));
  return state;
}

function ranIds(dir: string): string[] {
  const rr = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[] };
  return rr.results.map((r) => `${r.unique_id}=${r.status}`).sort();
}

/** The models a selection picks (ls adds the tests on them, as dbt's indirect selection does). */
const ls = async (dir: string, ...args: string[]) => {
  const r = await runModel(['ls', '--project-dir', dir, ...(args.includes('--resource-type') ? [] : ['--resource-type', 'model']), ...args]);
  expect(r.stderr).not.toMatch(/error/i);
  return r.stdout.trim().split('\n').filter(Boolean).sort();
};

describe('slim CI: state:modified, --defer, retry', () => {
  it('a CI run after editing one model builds just that model and its children, reading the rest from production', async () => {
    const dir = shop();
    const prod = await runModel(['build', '--project-dir', dir]);
    expect(prod.code, prod.stderr).toBe(0);
    keepState(dir, 'prod-state');
    const manifest = JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8'));
    expect(manifest.nodes['model.shop.orders'].checksum.name).toBe('sha256');
    expect(manifest.nodes['model.shop.stg_orders'].depends_on.macros).toEqual(['macro.shop.cents_to_dollars']);
    expect(manifest.macros['macro.shop.cents_to_dollars'].macro_sql).toContain('/ 100.0');
    for (const key of ['docs', 'exposures', 'groups', 'disabled', 'selectors', 'unit_tests', 'semantic_models', 'saved_queries', 'group_map']) {
      expect(manifest).toHaveProperty(key);
    }

    // Nothing changed yet: nothing is modified.
    expect(await ls(dir, '-s', 'state:modified', '--state', 'prod-state')).toEqual([]);

    writeFileSync(path.join(dir, 'models', 'orders.sql'), "select id, customer_id, amount * 2 as amount from {{ ref('stg_orders') }}\n");
    expect(await ls(dir, '-s', 'state:modified', '--state', 'prod-state')).toEqual(['shop.orders']);
    expect(await ls(dir, '-s', 'state:modified.body', '--state', 'prod-state')).toEqual(['shop.orders']);
    expect(await ls(dir, '-s', 'state:modified.configs', '--state', 'prod-state')).toEqual([]);

    const ci = await runModel(['build', '--project-dir', dir, '--target', 'ci', '-s', 'state:modified+', '--defer', '--state', 'prod-state']);
    expect(ci.code, ci.stderr + ci.stdout).toBe(0);
    // Only the edited model, its child and the tests on it ran.
    expect(ranIds(dir)).toEqual([
      'model.shop.orders=success',
      'model.shop.report=success',
      expect.stringMatching(/^test\.shop\.not_null_orders_id.*=pass$/),
      expect.stringMatching(/^test\.shop\.unique_orders_id.*=pass$/),
    ]);
    // The unbuilt parent was read from production's relation.
    const compiled = readFileSync(path.join(dir, 'target', 'compiled', 'shop', 'models', 'orders.sql'), 'utf8');
    expect(compiled).toContain('"prod"."main"."stg_orders"');
    const total = await queryDuckDb(path.join(dir, 'target', 'ci.duckdb'), 'select total from ci.main.report');
    expect(Number(total[0]!.total)).toBeCloseTo(39);
    const tables = await queryDuckDb(
      path.join(dir, 'target', 'ci.duckdb'),
      "select table_name from information_schema.tables where table_catalog = 'ci' order by 1",
    );
    expect(tables.map((t) => t.table_name)).toEqual(['orders', 'report']);
  });

  it('state:modified follows macros, configs and relations; state:new finds added nodes; result: reads run_results', async () => {
    const dir = shop();
    expect((await runModel(['build', '--project-dir', dir])).code).toBe(0);
    keepState(dir, 'prod-state');

    writeFileSync(path.join(dir, 'macros', 'money.sql'), '{% macro cents_to_dollars(col) %}({{ col }} / 100.00){% endmacro %}\n');
    expect(await ls(dir, '-s', 'state:modified', '--state', 'prod-state')).toEqual(['shop.staging.stg_orders']);
    expect(await ls(dir, '-s', 'state:modified.macros', '--state', 'prod-state')).toEqual(['shop.staging.stg_orders']);
    expect(await ls(dir, '-s', 'state:modified.body', '--state', 'prod-state')).toEqual([]);

    writeFileSync(path.join(dir, 'models', 'customers.sql'), "{{ config(alias='clients') }}\nselect 1 as customer_id\n");
    expect(await ls(dir, '-s', 'state:modified.relation', '--state', 'prod-state')).toEqual(['shop.customers']);
    expect(await ls(dir, '-s', 'state:modified.configs', '--state', 'prod-state')).toEqual(['shop.customers']);

    writeFileSync(path.join(dir, 'models', 'brand_new.sql'), 'select 1 as x\n');
    expect(await ls(dir, '-s', 'state:new', '--state', 'prod-state')).toEqual(['shop.brand_new']);

    expect(await ls(dir, '-s', 'result:success', '--state', 'prod-state', '--resource-type', 'seed')).toEqual(['shop.raw_orders']);
    // dbt's file method takes a file name; test_type:data is dbt's old name for singular.
    expect(await ls(dir, '-s', 'file:orders.sql')).toEqual(['shop.orders']);
    expect(await ls(dir, '-s', 'test_type:schema', '--resource-type', 'test')).toHaveLength(2);

    const noState = await runModel(['ls', '--project-dir', dir, '-s', 'state:modified']);
    expect(noState.code).toBe(2);
    expect(noState.stderr).toContain('no --state folder was given');
    const missing = await runModel(['ls', '--project-dir', dir, '-s', 'state:modified', '--state', 'nowhere']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--state: the folder .*nowhere does not exist/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('retry after a planted failure runs just the failed node and its skipped children', async () => {
    const dir = shop();
    writeFileSync(path.join(dir, 'models', 'orders.sql'), "select id, customer_id, amount, no_such_column from {{ ref('stg_orders') }}\n");
    const first = await runModel(['build', '--project-dir', dir]);
    expect(first.code).toBe(1);
    const before = ranIds(dir);
    expect(before).toContain('model.shop.orders=error');
    expect(before).toContain('model.shop.report=skipped');
    expect(before).toContain('model.shop.customers=success');

    writeFileSync(path.join(dir, 'models', 'orders.sql'), "select id, customer_id, amount from {{ ref('stg_orders') }}\n");
    const again = await runModel(['retry', '--project-dir', dir]);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(ranIds(dir)).toEqual([
      'model.shop.orders=success',
      'model.shop.report=success',
      expect.stringMatching(/^test\.shop\.not_null_orders_id.*=pass$/),
      expect.stringMatching(/^test\.shop\.unique_orders_id.*=pass$/),
    ]);

    const nothing = await runModel(['retry', '--project-dir', dir]);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toContain('Nothing to retry');
  });

  it('retry without an earlier run says so', async () => {
    const dir = shop();
    const r = await runModel(['retry', '--project-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('there is no earlier run to retry');
  });
});

describe('profiles.yml is found where dbt looks for it', () => {
  // dbt's order (docs "About profiles.yml"): --profiles-dir, DBT_PROFILES_DIR, the project folder, ~/.dbt/.
  const project = () =>
    writeProject({
      'dbt_project.yml': "name: p\nversion: '1.0'\nprofile: p\n",
      'models/m.sql': 'select 1 as x\n',
    });
  const profile = (file: string) => `p:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n      path: ${file}\n`;

  it('reads DBT_PROFILES_DIR, then ~/.dbt/, and model debug names the file it used', async () => {
    const dir = project();
    const home = writeProject({ '.dbt/profiles.yml': profile('from_home.duckdb') });
    const envDir = writeProject({ 'profiles.yml': profile('from_env.duckdb') });

    const fromHome = await runModel(['debug', '--project-dir', dir], { env: { HOME: home, DBT_PROFILES_DIR: undefined } });
    expect(fromHome.code, fromHome.stderr).toBe(0);
    expect(fromHome.stdout).toContain(`profiles: ${path.join(home, '.dbt', 'profiles.yml')}`);
    expect(fromHome.stdout).toContain('from_home.duckdb');

    const fromEnv = await runModel(['debug', '--project-dir', dir], { env: { HOME: home, DBT_PROFILES_DIR: envDir } });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout).toContain(`profiles: ${path.join(envDir, 'profiles.yml')}`);

    // The project folder comes after DBT_PROFILES_DIR and before ~/.dbt/.
    writeFileSync(path.join(dir, 'profiles.yml'), profile('from_project.duckdb'));
    const fromProject = await runModel(['debug', '--project-dir', dir], { env: { HOME: home, DBT_PROFILES_DIR: undefined } });
    expect(fromProject.stdout).toContain(`profiles: ${path.join(dir, 'profiles.yml')}`);
  });
});

describe('the README slim CI recipe on the shipped project', () => {
  it('a second run after editing one model builds only that model and its children, deferring to the first run', async () => {
    const dir = copyShippedProject();
    const first = await runModel(['build', '--project-dir', dir]);
    expect(first.code, first.stderr).toBe(0);
    mkdirSync(path.join(dir, 'prod-state'));
    for (const f of ['manifest.json', 'run_results.json', 'dh_database.duckdb']) cpSync(path.join(dir, 'target', f), path.join(dir, 'prod-state', f));

    const edited = path.join(dir, 'models', 'stage', 'voucher_segments.sql');
    writeFileSync(edited, `${readFileSync(edited, 'utf8')}\n-- edited in a pull request\n`);
    const ci = await runModel(['build', '--project-dir', dir, '--target', 'ci', '-s', 'state:modified+', '--defer', '--state', 'prod-state']);
    expect(ci.code, ci.stderr + ci.stdout).toBe(0);

    const manifest = JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) as { child_map: Record<string, string[]> };
    const expected = new Set<string>();
    const walk = (id: string) => {
      if (expected.has(id)) return;
      expected.add(id);
      for (const c of manifest.child_map[id] ?? []) walk(c);
    };
    walk('model.segmentation.voucher_segments');
    const ran = ranIds(dir).map((r) => r.slice(0, r.lastIndexOf('=')));
    expect(ran.sort()).toEqual([...expected].sort());
    expect(ranIds(dir).every((r) => /=(success|pass|warn)$/.test(r))).toBe(true);
    // The answer the CI build made equals production's.
    const answer = (file: string, db: string) => queryDuckDb(file, `select * from ${db}.dh_prod.segments_derived order by all`);
    expect(await answer(path.join(dir, 'target', 'ci.duckdb'), 'ci')).toEqual(await answer(path.join(dir, 'prod-state', 'dh_database.duckdb'), 'dh_database'));

    // The recipe's `model retry` after a failed CI build: dbt's RetryTask (core/dbt/task/retry.py)
    // runs the command again with the earlier run's flags, so the retry defers to production too
    // (run_results.json `args` keeps defer and state, as dbt's does).
    const good = readFileSync(edited, 'utf8');
    writeFileSync(edited, good.replace(/\bselect\b/, 'select no_such_column,'));
    const failed = await runModel(['build', '--project-dir', dir, '--target', 'ci', '-s', 'state:modified+', '--defer', '--state', 'prod-state']);
    expect(failed.code).toBe(1);
    const rr = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { args: Record<string, unknown> };
    expect(rr.args).toMatchObject({ which: 'build', target: 'ci', defer: true, state: 'prod-state' });
    expect(ranIds(dir)).toContain('model.segmentation.voucher_segments=error');
    writeFileSync(edited, good);
    const retried = await runModel(['retry', '--project-dir', dir, '--target', 'ci']);
    expect(retried.code, retried.stderr + retried.stdout).toBe(0);
    expect(
      ranIds(dir)
        .map((r) => r.slice(0, r.lastIndexOf('=')))
        .sort(),
    ).toEqual([...expected].sort());
    expect(ranIds(dir).every((r) => /=(success|pass|warn)$/.test(r))).toBe(true);
  });
});

describe('logging flags as dbt has them', () => {
  const proj = () =>
    writeProject({
      'dbt_project.yml': "name: p\nversion: '1.0'\n",
      'models/m.sql': 'select 1 as x\n',
      'models/bad.sql': "select * from {{ ref('m') }} where nope\n",
    });

  // dbt-core core/dbt/events/types.py: event names and codes; the envelope is dbt's structured log ("info" + "data").
  it("--log-format json prints one JSON object per line with dbt's event names, codes and fields", async () => {
    const dir = proj();
    const r = await runModel(['build', '--project-dir', dir, '--log-format', 'json']);
    expect(r.code).toBe(1);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { info: Record<string, unknown>; data: Record<string, unknown> });
    for (const e of events) {
      expect(Object.keys(e.info).sort()).toEqual(['category', 'code', 'extra', 'invocation_id', 'level', 'msg', 'name', 'pid', 'thread', 'ts']);
    }
    const byName = (n: string) => events.filter((e) => e.info.name === n);
    expect(byName('LogStartLine').map((e) => e.info.code)).toEqual(['Q011', 'Q011']);
    const results = byName('LogModelResult');
    expect(results.map((e) => [(e.data.node_info as { unique_id: string }).unique_id, e.data.status, e.info.level]).sort()).toEqual([
      ['model.p.bad', 'error', 'error'],
      ['model.p.m', 'success', 'info'],
    ]);
    expect(byName('StatsLine')[0]!.data.stats).toEqual({ error: 1, pass: 1, skip: 0, total: 2, warn: 0 });
    // Debug events only at --debug.
    expect(byName('NodeStart')).toEqual([]);
    const debug = await runModel(['--debug', 'run', '--project-dir', dir, '--log-format=json', '-s', 'm']);
    expect(debug.stdout.split('\n').filter((l) => l.includes('"NodeStart"'))).toHaveLength(1);

    const bad = await runModel(['build', '--project-dir', dir, '--log-format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--log-format must be text or json, got 'xml'");
  });

  it('-q prints errors only (and what the command lists); --log-level warn hides progress', async () => {
    const dir = proj();
    const q = await runModel(['build', '-q', '--project-dir', dir]);
    expect(q.code).toBe(1);
    expect(q.stdout).not.toContain('START');
    expect(q.stdout).not.toContain('OK view model');
    expect(q.stdout).toContain('Error in model bad (models/bad.sql)');
    expect(q.stderr).not.toContain('No profiles.yml');
    const ls = await runModel(['-q', 'ls', '--project-dir', dir]);
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['p.bad', 'p.m']);
    const warn = await runModel(['run', '--project-dir', dir, '--log-level', 'warn', '-s', 'm']);
    expect(warn.code).toBe(0);
    expect(warn.stdout).not.toContain('START');
    const env = await runModel(['run', '--project-dir', dir, '-s', 'm'], { env: { DBT_QUIET: 'true' } });
    expect(env.stdout).not.toContain('START');
  });
});
