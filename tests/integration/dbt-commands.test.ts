import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runModel, writeProject } from '../helpers/project.js';

type Manifest = Record<string, Record<string, Record<string, unknown>>>;

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) as Manifest;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

// selectors.yml and --selector through the CLI, on DuckDB: dbt-core config/selectors.py,
// graph/cli.py, task/runnable.py get_selection_spec (--selector wins; dbt 1.12 warns when
// --select/--exclude come with it: tests/functional/selectors/test_selector_selector_method.py),
// and --indirect-selection (graph/selector.py expand_selection).
describe('selectors.yml, --selector and --indirect-selection', () => {
  const dir = writeProject({
    'dbt_project.yml': "name: sel\nversion: '1.0'\n",
    'models/a.sql': 'select 1 as id',
    'models/b.sql': 'select 1 as id',
    'models/c.sql': "{{ config(tags=['nightly']) }} select * from {{ ref('a') }} join {{ ref('b') }} using (id)",
    'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
    'tests/a_and_b.sql': "select * from {{ ref('a') }} join {{ ref('b') }} using (id) where false",
    'selectors.yml': `selectors:
  - name: nightly
    description: the nightly models and what they read
    default: true
    definition:
      method: tag
      value: nightly
      parents: true
  - name: just_a_cautious
    definition: {method: fqn, value: a, indirect_selection: cautious}
`,
  });

  it('ls uses the default selector, --selector, and warns that --select is then ignored', async () => {
    const all = await runModel(['ls', '--project-dir', dir, '--resource-type', 'model']);
    expect(all.code, all.stderr).toBe(0);
    expect(lines(all.stdout)).toEqual(['sel.a', 'sel.b', 'sel.c']);
    expect(all.stderr).toMatch(/Using the default selector nightly/);
    const one = await runModel(['ls', '--project-dir', dir, '--selector', 'just_a_cautious', '-s', 'b']);
    expect(one.code, one.stderr).toBe(0);
    expect(lines(one.stdout)).toEqual(['sel.a', 'sel.not_null_a_id']);
    expect(one.stderr).toMatch(/--select and --exclude are ignored: --selector just_a_cautious/);
    const bad = await runModel(['ls', '--project-dir', dir, '--selector', 'nightyl']);
    expect(bad.code).toBe(2);
    expect(bad.stderr + bad.stdout).toMatch(/no selector named 'nightyl'/);
    expect(bad.stderr + bad.stdout).toMatch(/nightly/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('build --indirect-selection cautious leaves out a test of an unselected parent; eager runs it', async () => {
    const cautious = await runModel(['build', '--project-dir', dir, '-s', 'a', '--indirect-selection', 'cautious']);
    expect(cautious.code, cautious.stderr).toBe(0);
    expect(cautious.stdout).toMatch(/not_null_a_id/);
    expect(cautious.stdout).not.toMatch(/a_and_b/);
    const eager = await runModel(['build', '--project-dir', dir, '-s', 'a', 'b']);
    expect(eager.code, eager.stderr).toBe(0);
    expect(eager.stdout).toMatch(/a_and_b/);
    const empty = await runModel(['test', '--project-dir', dir, '-s', 'a'], { env: { DBT_INDIRECT_SELECTION: 'empty' } });
    expect(empty.stdout).not.toMatch(/not_null_a_id|a_and_b/);
    const wrong = await runModel(['ls', '--project-dir', dir, '--indirect-selection', 'lazy']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/eager, cautious, buildable, empty/);
  });

  it('writes the selectors into manifest.json', async () => {
    const r = await runModel(['parse', '--project-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    const m = manifest(dir);
    expect(Object.keys(m.selectors!)).toEqual(['nightly', 'just_a_cautious']);
    expect(m.selectors!.nightly).toMatchObject({ name: 'nightly', default: true, description: 'the nightly models and what they read' });
  });

  it('a mistake in selectors.yml is an error at its line', async () => {
    const broken = writeProject({
      'dbt_project.yml': 'name: broken\n',
      'models/a.sql': 'select 1 as id',
      'selectors.yml': 'selectors:\n  - name: x\n    definition:\n      method: tags\n      value: y\n',
    });
    const r = await runModel(['ls', '--project-dir', broken]);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/selectors\.yml:4:\d+: error \[selection\]: unknown selector method 'tags'/);
  });

  // dbt-core config/selectors.py (SelectorConfig.render_from_dict) renders selectors.yml with
  // config/renderer.py's SelectorRenderer, in the dbt_project.yml context: env_var(), var(), target;
  // values render natively (a boolean `default`, a number `parents_depth`).
  it('renders Jinja in selectors.yml (env_var, var, target), with errors at the value line', async () => {
    const jinja = writeProject({
      'dbt_project.yml': 'name: jin\n',
      'models/a.sql': "{{ config(tags=['nightly']) }} select 1 as id",
      'models/b.sql': "select * from {{ ref('a') }}",
      'models/c.sql': "select * from {{ ref('b') }}",
      'selectors.yml': `selectors:
  - name: by_env
    default: "{{ target.name == 'dev' }}"
    definition:
      method: tag
      value: "{{ env_var('SEL_TAG', 'nightly') }}"
      children: true
      children_depth: "{{ var('depth', 1) }}"
`,
    });
    const r = await runModel(['ls', '--project-dir', jinja, '--resource-type', 'model']);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual(['jin.a', 'jin.b']);
    expect(r.stderr).toMatch(/Using the default selector by_env/);
    const deeper = await runModel(['ls', '--project-dir', jinja, '--selector', 'by_env', '--vars', '{depth: 2}', '--resource-type', 'model']);
    expect(lines(deeper.stdout)).toEqual(['jin.a', 'jin.b', 'jin.c']);
    const none = await runModel(['ls', '--project-dir', jinja, '--selector', 'by_env', '--resource-type', 'model'], { env: { SEL_TAG: 'hourly' } });
    expect(none.stdout.trim()).toBe('');
    writeFileSync(
      path.join(jinja, 'selectors.yml'),
      'selectors:\n  - name: x\n    definition:\n      method: tag\n      value: "{{ env_var(\'NO_SUCH_SEL_VAR\') }}"\n',
    );
    const bad = await runModel(['ls', '--project-dir', jinja]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/selectors\.yml:5:\d+: error \[selection\]: .*NO_SUCH_SEL_VAR/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});

// Governance through the CLI: dbt's "Model access" docs and dbt-core parser/manifest.py
// (_process_refs' DbtReferenceError, check_valid_group_config); manifest v12 `exposures`,
// `groups`, `group_map` and a model's `access` and `group`.
describe('exposures, groups and access', () => {
  const files = {
    'dbt_project.yml': "name: gov\nversion: '1.0'\n",
    'models/finance/revenue.sql': 'select 1 as amount',
    'models/finance/revenue_daily.sql': "select * from {{ ref('revenue') }}",
    'models/marketing/campaigns.sql': 'select 1 as id',
    'models/governance.yml': `version: 2
groups:
  - name: finance
    owner: {name: Finance, email: finance@example.com}
    description: the money
  - name: marketing
    owner: {email: marketing@example.com}
models:
  - name: revenue
    config: {group: finance, access: private}
  - name: revenue_daily
    config: {group: finance, access: public}
  - name: campaigns
    config: {group: marketing}
exposures:
  - name: revenue_board
    label: Revenue board
    type: dashboard
    maturity: high
    url: https://bi.example.com/revenue
    depends_on: [ref('revenue_daily')]
    owner: {name: Finance, email: finance@example.com}
`,
  };

  it('writes exposures, groups, group_map and access into manifest.json, and builds +exposure:x', async () => {
    const dir = writeProject(files);
    const r = await runModel(['parse', '--project-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    const m = manifest(dir);
    expect(m.exposures!['exposure.gov.revenue_board']).toMatchObject({
      resource_type: 'exposure',
      type: 'dashboard',
      label: 'Revenue board',
      owner: { name: 'Finance', email: 'finance@example.com' },
      depends_on: { nodes: ['model.gov.revenue_daily'], macros: [] },
    });
    expect(m.groups!['group.gov.finance']).toMatchObject({ name: 'finance', resource_type: 'group', owner: { email: 'finance@example.com', name: 'Finance' } });
    expect((m.group_map as unknown as Record<string, string[]>).finance!.sort()).toEqual(['model.gov.revenue', 'model.gov.revenue_daily']);
    expect(m.nodes!['model.gov.revenue']).toMatchObject({ access: 'private', group: 'finance' });
    expect(m.nodes!['model.gov.campaigns']).toMatchObject({ access: 'protected', group: 'marketing' });
    expect((m.child_map as unknown as Record<string, string[]>)['model.gov.revenue_daily']).toContain('exposure.gov.revenue_board');
    const b = await runModel(['build', '--project-dir', dir, '-s', '+exposure:revenue_board']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/revenue_daily/);
    expect(b.stdout).not.toMatch(/campaigns/);
  });

  // dbt-core core/dbt/task/list.py (ListTask): DEFAULT_RESOURCE_VALUES (exposures included, analyses
  // only with `all`), generate_selectors (`exposure:pkg.name`, `source:pkg.source.table`), search_name,
  // ALLOWED_KEYS for --output json, --output-keys (dotted keys read nested values, _get_nested_value).
  it('ls lists exposures and every resource type as dbt ls does, with --output and --output-keys', async () => {
    const dir = writeProject({
      ...files,
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables: [{name: orders}]\n',
    });
    const ls = async (...args: string[]) => {
      const r = await runModel(['ls', '--project-dir', dir, ...args]);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    expect(lines((await ls('--resource-type', 'exposure')).stdout)).toEqual(['exposure:gov.revenue_board']);
    expect(lines((await ls()).stdout)).toEqual([
      'exposure:gov.revenue_board',
      'gov.marketing.campaigns',
      'gov.finance.revenue',
      'gov.finance.revenue_daily',
      'source:gov.raw.orders',
    ]);
    expect(lines((await ls('-s', 'revenue+', '--output', 'name')).stdout)).toEqual(['revenue_board', 'revenue', 'revenue_daily']);
    expect(lines((await ls('-s', '+exposure:revenue_board', '--output', 'name')).stdout)).toEqual(['revenue_board', 'revenue', 'revenue_daily']);
    expect(lines((await ls('--resource-type', 'source', '--output', 'name')).stdout)).toEqual(['raw.orders']);
    expect(lines((await ls('--resource-type', 'exposure', '--output', 'path')).stdout)).toEqual(['models/governance.yml']);
    expect(lines((await ls('--resource-type', 'all', '--exclude-resource-type', 'model', 'source')).stdout)).toEqual(['exposure:gov.revenue_board']);
    const json = (await ls('--resource-type', 'exposure', 'source', '--output', 'json')).stdout;
    const [exposure, source] = lines(json).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(exposure!).sort()).toEqual(['config', 'depends_on', 'name', 'original_file_path', 'package_name', 'resource_type', 'tags', 'unique_id']);
    expect(exposure).toMatchObject({ unique_id: 'exposure.gov.revenue_board', depends_on: { nodes: ['model.gov.revenue_daily'] } });
    expect(source).toMatchObject({ source_name: 'raw', name: 'orders', resource_type: 'source' });
    const keys = await ls('-s', 'revenue', '--output', 'json', '--output-keys', 'name', 'config.materialized', 'relation_name');
    expect(lines(keys.stdout).map((l) => JSON.parse(l))).toEqual([{ name: 'revenue', 'config.materialized': 'view', relation_name: '"gov"."main"."revenue"' }]);
    // dbt's documented form: one quoted, space-separated list.
    const quoted = await ls('-s', 'revenue', '--output', 'json', '--output-keys', 'name resource_type');
    expect(JSON.parse(quoted.stdout.trim())).toEqual({ name: 'revenue', resource_type: 'model' });
    const metric = await ls('--resource-type', 'metric');
    expect(metric.stdout.trim()).toBe('');
    expect(metric.stderr).toMatch(/does not parse metrics \(the semantic layer is not supported\)/);
    expect(metric.stderr).toMatch(/No nodes selected!/);
    const bad = await runModel(['ls', '--project-dir', dir, '--output-keys', 'name']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--output-keys needs --output json/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  // dbt-core graph/selector_methods.py StateSelectorMethod: `state:new` and `state:modified` select
  // exposures too, modified as contracts/graph/nodes.py Exposure.same_contents says (owner, url,
  // depends_on, ... but not tags or meta).
  it('ls -s state:modified / state:new select exposures', async () => {
    const dir = writeProject(files);
    const parsed = await runModel(['parse', '--project-dir', dir]);
    expect(parsed.code, parsed.stderr).toBe(0);
    const state = mkdtempSync(path.join(os.tmpdir(), 'exposure-state-'));
    writeFileSync(path.join(state, 'manifest.json'), readFileSync(path.join(dir, 'target', 'manifest.json')));
    const ls = async (sel: string) => {
      const r = await runModel(['ls', '--project-dir', dir, '-s', sel, '--state', state, '--resource-type', 'exposure']);
      expect(r.code, r.stderr).toBe(0);
      return lines(r.stdout);
    };
    expect(await ls('state:modified')).toEqual([]);
    const yml = path.join(dir, 'models', 'governance.yml');
    const text = readFileSync(yml, 'utf8');
    writeFileSync(
      yml,
      `${text.replace('url: https://bi.example.com/revenue', 'url: https://bi.example.com/revenue2')}  - name: churn_board\n    type: notebook\n    depends_on: [ref('campaigns')]\n    owner: {email: m@example.com}\n`,
    );
    expect(await ls('state:modified')).toEqual(['exposure:gov.churn_board', 'exposure:gov.revenue_board']);
    expect(await ls('state:new')).toEqual(['exposure:gov.churn_board']);
    expect(await ls('state:modified.body')).toEqual([]);
    // Tags are not a change, as in dbt.
    writeFileSync(yml, text.replace('    maturity: high', '    maturity: high\n    tags: [t]'));
    expect(await ls('state:modified')).toEqual([]);
  });

  it('refuses a ref to a private model from another group before anything runs, naming the ref at its line', async () => {
    const dir = writeProject({ ...files, 'models/marketing/campaigns.sql': "select 1 as id\nfrom {{ ref('revenue') }}" });
    const r = await runModel(['build', '--project-dir', dir]);
    expect(r.code).toBe(2);
    const out = r.stderr + r.stdout;
    expect(out).toMatch(
      /models\/marketing\/campaigns\.sql:2:\d+: error \[graph\]: ref\('revenue'\): node model\.gov\.campaigns attempted to reference node model\.gov\.revenue, which is not allowed because the referenced node is private to the 'finance' group/,
    );
    expect(out).not.toMatch(/\n\s+at /);
    expect(out).not.toMatch(/START/);
  });
});

// `model init` as dbt-core's task/init.py without prompts: the starter project (starter_project/),
// a valid name (letters, digits, underscores), "already exists" refused, and inside a project only
// its profile. The profile is a DuckDB one, so the new project builds at once.
describe('model init', () => {
  it('creates a project that builds and tests at once, with no warning', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'model-init-'));
    const r = await runModel(['init', 'jaffle'], { cwd: base });
    expect(r.code, r.stderr).toBe(0);
    const dir = path.join(base, 'jaffle');
    for (const f of [
      'dbt_project.yml',
      'profiles.yml',
      'models/example/my_first_dbt_model.sql',
      'models/example/schema.yml',
      'seeds/.gitkeep',
      'snapshots/.gitkeep',
      'tests/.gitkeep',
      'macros/.gitkeep',
      'analyses/.gitkeep',
      '.gitignore',
    ])
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    expect(readFileSync(path.join(dir, 'dbt_project.yml'), 'utf8')).toMatch(/^name: 'jaffle'$/m);
    expect(readFileSync(path.join(dir, 'profiles.yml'), 'utf8')).toMatch(/^jaffle:\n {2}target: dev\n/);
    const b = await runModel(['build'], { cwd: dir });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/PASS=6 WARN=0 ERROR=0 SKIP=0/);
    expect(b.stderr).not.toMatch(/warning/i);
    expect(b.stdout).toMatch(/target\/jaffle\.duckdb/);
  });

  it('refuses a bad name and an existing folder; inside a project it adds only a missing profile', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'model-init-'));
    const bad = await runModel(['init', 'my-project'], { cwd: base });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/'my-project' is not a valid project name/);
    const skip = await runModel(['init', 'p', '--skip-profile-setup', '--profile', 'warehouse'], { cwd: base });
    expect(skip.code, skip.stderr).toBe(0);
    expect(existsSync(path.join(base, 'p', 'profiles.yml'))).toBe(false);
    expect(readFileSync(path.join(base, 'p', 'dbt_project.yml'), 'utf8')).toMatch(/^profile: 'warehouse'$/m);
    const again = await runModel(['init', 'p'], { cwd: base });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/a project called p already exists here/);
    const inside = await runModel(['init'], { cwd: path.join(base, 'p') });
    expect(inside.code, inside.stderr).toBe(0);
    expect(readFileSync(path.join(base, 'p', 'profiles.yml'), 'utf8')).toMatch(/^warehouse:\n/);
    writeFileSync(path.join(base, 'p', 'profiles.yml'), 'warehouse:\n  target: x\n  outputs: {x: {type: duckdb, path: "memory.duckdb"}}\n');
    const kept = await runModel(['init'], { cwd: path.join(base, 'p') });
    expect(kept.stdout).toMatch(/Kept the existing profile/);
    const outside = await runModel(['init'], { cwd: base });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/needs a project name/);
  });
});

// dbt 1.9/1.10 freshness config through `model source freshness` on DuckDB: `config: freshness:`
// over the top-level key, and `loaded_at_query` run as dbt's collect_freshness_custom_sql
// (the query's one value against current_timestamp; `{{ this }}` is the source's relation).
describe('source freshness: config freshness and loaded_at_query', () => {
  it('checks a table by its loaded_at_query and by config freshness, writing both to sources.json and the manifest', async () => {
    const recent = new Date(Date.now() - 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    const dir = writeProject({
      'dbt_project.yml': "name: fresh10\nversion: '1.0'\n",
      'seeds/raw_events.csv': `id,loaded_at\n1,2020-01-01 00:00:00\n2,${recent}\n`,
      'seeds/schema.yml': 'version: 2\nseeds:\n  - name: raw_events\n    config:\n      column_types: {loaded_at: timestamp}\n',
      'models/sources.yml': `version: 2
sources:
  - name: raw
    schema: main
    freshness:
      warn_after: {count: 100000, period: day}
    config:
      freshness:
        error_after: {count: 2, period: hour}
    tables:
      - name: by_query
        identifier: raw_events
        config:
          loaded_at_query: "select max(loaded_at) from {{ this }} where id = 2"
      - name: by_old_query
        identifier: raw_events
        loaded_at_query: "select min(loaded_at) from {{ this }}"
      - name: by_field
        identifier: raw_events
        config:
          loaded_at_field: loaded_at
          freshness:
            error_after: {count: 10, period: minute}
`,
    });
    const seed = await runModel(['seed', '--project-dir', dir]);
    expect(seed.code, seed.stderr).toBe(0);
    const r = await runModel(['source', 'freshness', '--project-dir', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    type Entry = { unique_id: string; status: string; criteria?: Record<string, unknown>; max_loaded_at_time_ago_in_s?: number };
    const out = JSON.parse(readFileSync(path.join(dir, 'target', 'sources.json'), 'utf8')) as { results: Entry[] };
    const by = Object.fromEntries(out.results.map((e) => [e.unique_id.split('.').pop(), e]));
    expect(by.by_query!.status).toBe('pass');
    expect(by.by_query!.max_loaded_at_time_ago_in_s).toBeLessThan(7200);
    expect(by.by_query!.criteria).toEqual({ warn_after: { count: 100000, period: 'day' }, error_after: { count: 2, period: 'hour' }, filter: null });
    expect(by.by_old_query!.status).toBe('error');
    expect(by.by_field!.status).toBe('error');
    expect(by.by_field!.criteria).toMatchObject({ error_after: { count: 10, period: 'minute' } });
    const p = await runModel(['parse', '--project-dir', dir]);
    expect(p.code, p.stderr).toBe(0);
    const src = manifest(dir).sources!['source.fresh10.raw.by_query']!;
    expect(src).toMatchObject({ loaded_at_field: null, loaded_at_query: 'select max(loaded_at) from {{ this }} where id = 2' });
  });
});
