// dbt packages end to end: `model deps` from a loopback package hub (the hub's JSON API and its
// tarball host), a local bare git repository and a local folder; then a project whose models and
// tests use the packages (namespaced macros, adapter.dispatch with the root's `dispatch:`,
// statement/load_result, package models, seeds, configs and vars) builds on DuckDB and on the
// Snowflake emulator. The packages are small ones written for this test, shaped like dbt_utils,
// dbt_expectations and dbt_date.
//
// dbt's behaviour followed, by source file in dbt-labs/dbt-core:
// - hub URL and JSON shape: core/dbt/clients/registry.py (DBT_PACKAGE_HUB_URL, api/v1/<pkg>.json,
//   versions[v].downloads.tarball, versions[v].packages); version choice: core/dbt/deps/registry.py
//   (the newest installable version in the range; prereleases only when asked);
// - package-lock.yml and its sha1_hash: core/dbt/task/deps.py (`lock`, `_create_sha1_hash`);
// - dispatch search order: core/dbt/context/providers.py (`dispatch`, `_get_search_packages`);
// - a patch (tests) for a node that does not exist is a warning: core/dbt/parser/schemas.py.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { queryDuckDb, runModel, writeProject } from '../helpers/project.js';
import { duckdbOutput, emulatorOutput, envVar, profilesYml } from '../helpers/profiles.js';

type Files = Record<string, string>;

/** A dbt_utils-shaped package: dispatched macros, a statement/load_result macro, generic tests. */
function sqlHelpers(version: string): Files {
  return {
    'dbt_project.yml': `name: sql_helpers\nversion: "${version}"\nrequire-dbt-version: [">=1.3.0", "<2.0.0"]\n`,
    'macros/columns.sql': `
{% macro select_all_but(relation, except=[]) %}{{ return(adapter.dispatch('select_all_but', 'sql_helpers')(relation, except)) }}{% endmacro %}
{% macro _check_relation(relation, caller_name) %}
  {%- if execute and relation.name is none -%}{%- do exceptions.raise_compiler_error(caller_name ~ ' takes a relation, got ' ~ relation) -%}{%- endif -%}
{% endmacro %}
{% macro default__select_all_but(relation, except) %}
  {%- do sql_helpers._check_relation(relation, 'select_all_but') -%}
  {%- if not execute -%}{{ return('*') }}{%- endif -%}
  {%- set kept = [] -%}
  {%- for col in adapter.get_columns_in_relation(relation) -%}
    {%- if col.name | lower not in except | map('lower') | list -%}{%- do kept.append(adapter.quote(col.name)) -%}{%- endif -%}
  {%- endfor -%}
  {{- kept | join(', ') -}}
{% endmacro %}
{% macro limit_zero() %}{{ return(adapter.dispatch('limit_zero', 'sql_helpers')()) }}{% endmacro %}
{% macro default__limit_zero() %}{{ return('limit 0') }}{% endmacro %}
`,
    'macros/values.sql': `
{% macro distinct_values(relation, column) %}
  {%- call statement('distinct_values', fetch_result=True) -%}
    select distinct {{ column }} as found_value from {{ relation }} order by 1
  {%- endcall -%}
  {%- set result = load_result('distinct_values') -%}
  {%- if result is none -%}{{ return([]) }}{%- endif -%}
  {%- set out = [] -%}
  {#- By position: Snowflake names the column FOUND_VALUE. -#}
  {%- for row in result.table.rows -%}{%- do out.append(row[0]) -%}{%- endfor -%}
  {{ return(out) }}
{% endmacro %}
{#- What dbt_utils' get_relations_by_pattern does: a database-qualified information_schema query,
    a loop filter, and an empty list that is false. -#}
{% macro tables_like(pattern, skip=[]) %}
  {%- call statement('tables_like', fetch_result=True) -%}
    select table_name from {{ target.database }}.information_schema.tables
    where lower(table_schema) = lower('{{ target.schema }}') and lower(table_name) like '{{ pattern }}' order by 1
  {%- endcall -%}
  {%- set found = [] -%}
  {%- set result = load_result('tables_like') -%}
  {%- for row in (result.table.rows if result else []) if (row[0] | lower) not in skip -%}{%- do found.append(row[0] | lower) -%}{%- endfor -%}
  {{ return(found if found and skip else ['none']) }}
{% endmacro %}
`,
    'macros/tests.sql': `
{% test rowcount_equals(model, compare_model) %}
select 1 as mismatch
where (select count(*) from {{ model }}) <> (select count(*) from {{ compare_model }})
{% endtest %}
{% test expression_is_true(model, expression) %}
select 'package rule' as origin, * from {{ model }} where not ({{ expression }})
{% endtest %}
`,
  };
}

/** A dbt_expectations-shaped package: tests built on another package's macros. */
function expectations(): Files {
  return {
    'dbt_project.yml': 'name: expectations\nversion: "0.5.0"\n',
    'macros/between.sql': `
{% test expect_between(model, column_name, min_value, max_value) %}
{{ expectations.outside_range(model, column_name, min_value, max_value) }}
{% endtest %}
{% macro outside_range(model, column_name, min_value, max_value) %}
select {{ column_name }} from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endmacro %}
`,
    // dbt_expectations' shapes: a dispatched type name whose output is used as a str
    // (expect_column_values_to_be_of_type's \`column_type.lower()\`), a list argument whose items
    // are Jinja (expect_column_values_to_be_in_type_list), a date argument computed in Python.
    'macros/types.sql': `
{% macro type_ts() %}{{ return(adapter.dispatch('type_ts', 'expectations')()) }}{% endmacro %}
{% macro default__type_ts() %} timestamp {% endmacro %}
{% macro snowflake__type_ts() %} timestamp_ntz {% endmacro %}
{% test expect_type_in(model, column_name, type_list) %}
{%- set wanted = type_list | map('trim') | map('upper') | list -%}
{%- set found = [] -%}
{%- for col in adapter.get_columns_in_relation(model) if col.name | upper == column_name | upper -%}{%- do found.append(col.dtype | upper) -%}{%- endfor -%}
select '{{ found | join(",") }}' as found_type, '{{ wanted | join(",") }}' as wanted where {{ 'false' if (found and found[0] in wanted) else 'true' }}
{% endtest %}
{% test expect_recent(model, column_name, since) %}
select max({{ column_name }}) as latest from {{ model }} having max({{ column_name }}) < cast('{{ since }}' as date)
{% endtest %}
`,
  };
}

/** A dbt_date-shaped package: vars with defaults, a dispatched macro, a package model and seed. */
function dateTools(): Files {
  return {
    'dbt_project.yml': `name: date_tools
version: "0.3.0"
models:
  date_tools:
    +materialized: table
seeds:
  date_tools:
    +column_types:
      day_offset: integer
vars:
  'date_tools:start_date': '2024-01-01'
  date_tools:
    days: 3
`,
    'macros/series.sql': `
{% macro day_series(start_date, days) %}{{ return(adapter.dispatch('day_series', 'date_tools')(start_date, days)) }}{% endmacro %}
{% macro default__day_series(start_date, days) %}
{%- for i in range(days) %}
select {{ dbt.dateadd('day', i, "cast('" ~ start_date ~ "' as date)") }} as date_day{% if not loop.last %} union all{% endif %}
{%- endfor %}
{% endmacro %}
`,
    'models/dim_days.sql': "{{ date_tools.day_series(var('date_tools:start_date'), var('days')) }}\n",
    'models/dim_days.yml': 'version: 2\nmodels:\n  - name: dim_days\n    columns:\n      - name: date_day\n        data_tests: [not_null, unique]\n',
    'seeds/day_offsets.csv': 'day_offset,label\n0,today\n1,tomorrow\n',
  };
}

/** The root project: it uses every package, overrides a dispatched macro and generate_schema_name. */
function rootProject(extra: Files = {}): Files {
  return {
    'dbt_project.yml': `name: shop
profile: shop
dispatch:
  - macro_namespace: sql_helpers
    search_order: [shop, sql_helpers]
models:
  date_tools:
    +schema: calendar
vars:
  date_tools:
    days: 4
`,
    'profiles.yml': profilesYml('shop', 'dev', {
      dev: duckdbOutput('target/shop.duckdb'),
      snowflake: emulatorOutput({
        password: envVar('SNOWFLAKE_PASSWORD'),
        access_url: envVar('SNOWFLAKE_ACCESS_URL'),
        database: 'shop_db',
        warehouse: 'compute_wh',
        schema: 'public',
      }),
    }),
    'packages.yml': `packages:
  - package: acme/sql_helpers
    version: [">=1.0.0", "<2.0.0"]
  - package: acme/expectations
    version: 0.5.0
  - git: "{{ env_var('DATE_TOOLS_REPO') }}"
    revision: v0.3.0
  - local: house_rules
`,
    'house_rules/dbt_project.yml': 'name: house_rules\n',
    'house_rules/macros/cents.sql': '{% macro to_cents(col) %}cast({{ col }} * 100 as integer){% endmacro %}\n',
    'macros/overrides.sql': `
{% macro default__limit_zero() %}{{ return('limit 0 /* shop */') }}{% endmacro %}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name -%}{{ target.schema }}_{{ custom_schema_name | trim }}{%- else -%}{{ target.schema }}{%- endif -%}
{%- endmacro %}
`,
    // A local test shadows the package's test of the same name.
    'tests/generic/expression_is_true.sql': `{% test expression_is_true(model, expression) %}
select 'shop rule' as origin, * from {{ model }} where not ({{ expression }})
{% endtest %}
`,
    'seeds/orders.csv': 'id,status,amount,note\n1,placed,10.5,a\n2,shipped,20,b\n3,placed,30,c\n',
    'models/orders_trimmed.sql':
      "select {{ sql_helpers.select_all_but(ref('orders'), ['note']) }}, {{ house_rules.to_cents('amount') }} as cents from {{ ref('orders') }}\n",
    'models/empty_orders.sql': "select * from {{ ref('orders') }} {{ sql_helpers.limit_zero() }}\n",
    'models/status_counts.sql': `{% set statuses = sql_helpers.distinct_values(ref('orders'), 'status') %}
select {% for s in statuses %}sum(case when status = '{{ s }}' then 1 else 0 end) as n_{{ s }}{{ ', ' if not loop.last }}{% else %}0 as none{% endfor %}
from {{ ref('orders') }}
`,
    'models/seen_tables.sql':
      "-- depends_on: {{ ref('orders_trimmed') }}\nselect '{{ sql_helpers.tables_like('orders%', skip=['orders']) | join(',') }}' as names\n",
    'models/events.sql':
      "{% set ts = expectations.type_ts() %}select cast('2024-02-15 10:00:00' as {{ ts.strip().lower() }}) as happened_at, '{{ ts.strip().upper() }}' as type_name\n",
    'models/calendar.sql': "select d.date_day, o.label from {{ ref('date_tools', 'dim_days') }} d cross join {{ ref('day_offsets') }} o\n",
    'models/schema.yml': `version: 2
models:
  - name: orders_trimmed
    data_tests:
      - sql_helpers.rowcount_equals:
          compare_model: ref('orders')
      - expression_is_true:
          expression: "cents >= 0"
    columns:
      - name: amount
        data_tests:
          - expectations.expect_between: {min_value: 0, max_value: 100}
  - name: seen_tables
    data_tests:
      - expression_is_true:
          expression: "names = 'orders_trimmed'"
  # dbt 1.10's arguments:, and Jinja in test configs (dbt renders them natively, as
  # metaplane/dbt-expectations' integration tests use them).
  - name: events
    columns:
      - name: happened_at
        data_tests:
          - expectations.expect_type_in:
              arguments:
                type_list: [date, "{{ expectations.type_ts() }}"]
              config:
                enabled: "{{ target.type in ['duckdb', 'snowflake'] }}"
                severity: "{{ 'warn' if target.type == 'spark' else 'error' }}"
          - expectations.expect_type_in:
              arguments:
                type_list: [varchar]
              config:
                enabled: "{{ target.type == 'bigquery' }}"
          - expectations.expect_recent:
              arguments:
                since: "{{ modules.datetime.date(2024, 3, 1) - modules.datetime.timedelta(days=30) }}"
  - name: no_such_model
    columns:
      - name: id
        data_tests: [not_null]
`,
    ...extra,
  };
}

// ---- the loopback hub ---------------------------------------------------------------------

interface HubPackage {
  namespace: string;
  name: string;
  versions: Record<string, { files: Files; packages?: unknown[]; sha1?: string }>;
}

let hub: http.Server;
let hubUrl: string;
let work: string;
let gitRepo: string;
const tarballs = new Map<string, Buffer>();
const hubPackages: HubPackage[] = [
  {
    namespace: 'acme',
    name: 'sql_helpers',
    versions: {
      '0.9.0': { files: sqlHelpers('0.9.0') },
      '1.0.0': { files: sqlHelpers('1.0.0') },
      '1.2.0': { files: sqlHelpers('1.2.0') },
      '2.0.0': { files: sqlHelpers('2.0.0') },
    },
  },
  {
    namespace: 'acme',
    name: 'expectations',
    versions: { '0.5.0': { files: expectations(), packages: [{ package: 'acme/sql_helpers', version: ['>=1.1.0', '<3.0.0'] }] } },
  },
  // The hub says one sha1, the tarball host serves other bytes.
  { namespace: 'acme', name: 'corrupt', versions: { '1.0.0': { files: { 'dbt_project.yml': 'name: corrupt\n' }, sha1: '0'.repeat(40) } } },
];

function tarball(name: string, version: string, files: Files): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'model-tarball-'));
  // As GitHub's codeload tarballs: one top folder named after the repository and version.
  writeProject(files, path.join(dir, `${name.replace(/_/g, '-')}-${version}`));
  const file = path.join(dir, 'out.tar.gz');
  execFileSync('tar', ['-czf', file, '-C', dir, `${name.replace(/_/g, '-')}-${version}`]);
  const bytes = readFileSync(file);
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

function hubJson(p: HubPackage): unknown {
  const versions: Record<string, unknown> = {};
  for (const [v, meta] of Object.entries(p.versions)) {
    const key = `${p.namespace}/${p.name}/${v}`;
    const bytes = tarballs.get(key)!;
    versions[v] = {
      id: key,
      name: p.name,
      version: v,
      packages: meta.packages ?? [],
      works_with: [],
      _source: { type: 'github', url: `https://github.com/${p.namespace}/${p.name}/tree/${v}/` },
      downloads: { tarball: `${hubUrl}tarballs/${key}.tar.gz`, format: 'tgz', sha1: meta.sha1 ?? createHash('sha1').update(bytes).digest('hex') },
    };
  }
  return { name: p.name, namespace: p.namespace, latest: Object.keys(p.versions).at(-1), versions };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function git(args: string[], cwd: string): void {
  execFileSync('git', args, {
    cwd,
    stdio: 'pipe',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'model-packages-'));
  hub = http.createServer((req, res) => {
    const url = req.url ?? '';
    const api = /^\/api\/v1\/([^/]+)\/([^/]+)\.json$/.exec(url);
    if (url === '/api/v1/index.json') return res.end(JSON.stringify(hubPackages.map((p) => `${p.namespace}/${p.name}`)));
    const pkg = api && hubPackages.find((p) => p.namespace === api[1] && p.name === api[2]);
    if (pkg) {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify(hubJson(pkg)));
    }
    const tar = /^\/tarballs\/(.+)\.tar\.gz$/.exec(url);
    if (tar && tarballs.has(tar[1]!)) return res.end(tarballs.get(tar[1]!));
    res.statusCode = 404;
    res.end('{"error": "not found"}');
  });
  await new Promise<void>((r) => hub.listen(0, '127.0.0.1', () => r()));
  hubUrl = `http://127.0.0.1:${(hub.address() as net.AddressInfo).port}/`;
  for (const p of hubPackages) {
    for (const [v, meta] of Object.entries(p.versions)) {
      const bytes = tarball(p.name, v, meta.files);
      // The corrupt package's host serves bytes that are not what the hub's sha1 describes.
      tarballs.set(`${p.namespace}/${p.name}/${v}`, meta.sha1 ? Buffer.concat([bytes, Buffer.from('x')]) : bytes);
    }
  }
  // date_tools lives in a bare git repository, tagged v0.3.0, with a later unreleased commit.
  const src = writeProject(dateTools(), path.join(work, 'date-tools-src'));
  git(['init', '--quiet', '-b', 'main'], src);
  git(['add', '.'], src);
  git(['commit', '--quiet', '-m', 'v0.3.0'], src);
  git(['tag', 'v0.3.0'], src);
  writeFileSync(path.join(src, 'macros', 'unreleased.sql'), '{% macro broken( %}\n');
  git(['add', '.'], src);
  git(['commit', '--quiet', '-m', 'work in progress'], src);
  gitRepo = path.join(work, 'date_tools.git');
  git(['clone', '--quiet', '--bare', src, gitRepo], work);
});

afterAll(async () => {
  await new Promise<void>((r) => hub?.close(() => r()));
  if (work) rmSync(work, { recursive: true, force: true });
});

const depsEnv = () => ({ DBT_PACKAGE_HUB_URL: hubUrl, DATE_TOOLS_REPO: gitRepo });
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

describe('model deps', () => {
  it('installs hub, git and local packages with their dependencies, and pins them in package-lock.yml', async () => {
    const dir = writeProject(rootProject());
    const r = await runModel(['deps'], { cwd: dir, env: depsEnv() });
    expect(r.code, out(r)).toBe(0);
    for (const name of ['sql_helpers', 'expectations', 'date_tools', 'house_rules'])
      expect(existsSync(path.join(dir, 'dbt_packages', name, 'dbt_project.yml'))).toBe(true);
    // The newest 1.x (2.0.0 is outside the range; expectations' own >=1.1.0 is met by it too).
    expect(readFileSync(path.join(dir, 'dbt_packages', 'sql_helpers', 'dbt_project.yml'), 'utf8')).toContain('version: "1.2.0"');
    // The tag, not the later commit.
    expect(existsSync(path.join(dir, 'dbt_packages', 'date_tools', 'macros', 'unreleased.sql'))).toBe(false);
    expect(existsSync(path.join(dir, 'dbt_packages', 'date_tools', '.git'))).toBe(false);
    const lock = readFileSync(path.join(dir, 'package-lock.yml'), 'utf8');
    expect(lock).toMatch(/- package: acme\/sql_helpers\n {4}version: "1\.2\.0"\n {4}name: sql_helpers/);
    expect(lock).toMatch(/- package: acme\/expectations\n {4}version: "0\.5\.0"\n {4}name: expectations/);
    expect(lock).toMatch(/- git: .*date_tools\.git\n {4}revision: v0\.3\.0\n {4}name: date_tools/);
    expect(lock).toMatch(/- local: house_rules\n {4}name: house_rules/);
    expect(lock).toMatch(/^sha1_hash: [0-9a-f]{40}$/m);

    // A second run installs from the lock, even after the hub gains a newer 1.x.
    hubPackages[0]!.versions['1.3.0'] = { files: sqlHelpers('1.3.0') };
    tarballs.set('acme/sql_helpers/1.3.0', tarball('sql_helpers', '1.3.0', sqlHelpers('1.3.0')));
    try {
      const again = await runModel(['deps'], { cwd: dir, env: depsEnv() });
      expect(again.code, out(again)).toBe(0);
      expect(out(again)).not.toContain('Wrote package-lock.yml');
      expect(readFileSync(path.join(dir, 'dbt_packages', 'sql_helpers', 'dbt_project.yml'), 'utf8')).toContain('version: "1.2.0"');
      const up = await runModel(['deps', '--upgrade'], { cwd: dir, env: depsEnv() });
      expect(up.code, out(up)).toBe(0);
      expect(readFileSync(path.join(dir, 'dbt_packages', 'sql_helpers', 'dbt_project.yml'), 'utf8')).toContain('version: "1.3.0"');
    } finally {
      delete hubPackages[0]!.versions['1.3.0'];
    }
  });

  it.each([
    ['an unknown package', '  - package: acme/nope\n    version: 1.0.0\n', /package 'acme\/nope': not found on the package hub/],
    [
      'no version in the range',
      '  - package: acme/sql_helpers\n    version: ">=5.0.0"\n',
      /package 'acme\/sql_helpers': no version satisfies >=5\.0\.0[\s\S]*available: 0\.9\.0, 1\.0\.0, 1\.2\.0, 2\.0\.0/,
    ],
    [
      'a checksum that does not match',
      '  - package: acme/corrupt\n    version: 1.0.0\n',
      /package 'acme\/corrupt': the tarball's sha1 is [0-9a-f]{40}, not 0{40}/,
    ],
    [
      'a git revision that does not exist',
      '  - git: "{{ env_var(\'DATE_TOOLS_REPO\') }}"\n    revision: v9.9.9\n',
      /date_tools\.git': revision 'v9\.9\.9' is neither a branch, a tag nor a commit/,
    ],
    ['an entry of no known kind', '  - tarbal: x\n', /packages\.yml:2:\d+: error \[project\]: packages\[0\]: an entry names one of 'package:'/],
  ])('names the package and says why for %s', async (_what, entry, message) => {
    const dir = writeProject({ 'dbt_project.yml': 'name: shop\n', 'packages.yml': `packages:\n${entry}` });
    const r = await runModel(['deps'], { cwd: dir, env: depsEnv() });
    expect(out(r)).toMatch(message);
    expect(out(r)).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.code).not.toBe(0);
    expect(existsSync(path.join(dir, 'dbt_packages'))).toBe(false);
  });

  it('says the hub is unreachable, naming the package and the URL', async () => {
    const dir = writeProject({ 'dbt_project.yml': 'name: shop\n', 'packages.yml': 'packages:\n  - package: acme/sql_helpers\n    version: 1.0.0\n' });
    const port = await closedPort();
    const r = await runModel(['deps'], { cwd: dir, env: { DBT_PACKAGE_HUB_URL: `http://127.0.0.1:${port}/` } });
    expect(out(r)).toMatch(
      new RegExp(
        `package 'acme/sql_helpers': cannot reach the package hub at http://127\\.0\\.0\\.1:${port}/api/v1/acme/sql_helpers\\.json \\(ECONNREFUSED\\)`,
      ),
    );
    expect(r.code).not.toBe(0);
  });

  it('has --help', async () => {
    const r = await runModel(['deps', '--help']);
    expect(r.stdout).toContain('--upgrade');
    expect(r.stdout).toContain('DBT_PACKAGE_HUB_URL');
  });
});

describe('a project built with installed packages', () => {
  let dir: string;
  beforeAll(async () => {
    dir = writeProject(rootProject());
    const r = await runModel(['deps'], { cwd: dir, env: depsEnv() });
    expect(r.code, out(r)).toBe(0);
  });

  it('builds and tests on DuckDB, with no network', async () => {
    const r = await runModel(['build'], { cwd: dir });
    const text = out(r);
    expect(r.code, text).toBe(0);
    // A test for a model that does not exist is a warning, as in dbt.
    expect(text).toMatch(/warning: models\/schema\.yml:\d+: tests are declared for 'no_such_model', but no model has that name/);
    expect(text).toMatch(/PASS=\d+ WARN=0 ERROR=0/);
    const db = path.join(dir, 'target', 'shop.duckdb');
    expect(await queryDuckDb(db, 'select * from main.orders_trimmed order by id')).toEqual([
      { id: 1, status: 'placed', amount: 10.5, cents: 1050 },
      { id: 2, status: 'shipped', amount: 20, cents: 2000 },
      { id: 3, status: 'placed', amount: 30, cents: 3000 },
    ]);
    expect(await queryDuckDb(db, 'select * from main.status_counts')).toEqual([{ n_placed: '2', n_shipped: '1' }]);
    // The package model: its own materialization, the root's schema for it, the root's var over the package's.
    expect(await queryDuckDb(db, "select table_schema, table_type from information_schema.tables where table_name = 'dim_days'")).toEqual([
      { table_schema: 'main_calendar', table_type: 'BASE TABLE' },
    ]);
    expect(await queryDuckDb(db, 'select count(*)::int as n from main.calendar')).toEqual([{ n: 8 }]);
    const compiled = (f: string) => readFileSync(path.join(dir, 'target', 'compiled', 'shop', f), 'utf8');
    // The root project's `dispatch:` puts its own default__limit_zero before the package's.
    expect(compiled('models/empty_orders.sql')).toContain('limit 0 /* shop */');
    // The local generic test shadows the package's one of the same name.
    const manifest = JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8'));
    const shadowed = Object.values(manifest.nodes as Record<string, { name: string; compiled_code?: string; original_file_path: string }>).find((n) =>
      n.name.startsWith('expression_is_true_orders_trimmed'),
    );
    expect(shadowed).toBeDefined();
    expect(compiled('models/schema.yml/expression_is_true_orders_trimmed_cents_0.sql')).toContain("'shop rule' as origin");
    expect(manifest.macros['macro.sql_helpers.test_rowcount_equals']?.package_name).toBe('sql_helpers');
    // Jinja in a list argument is rendered, and a config that renders False disables its test.
    const typeTests = Object.values(manifest.nodes as Record<string, { name: string; config: { severity: string } }>).filter((n) =>
      n.name.startsWith('expectations_expect_type_in_events'),
    );
    expect(typeTests).toHaveLength(1);
    const testSql = readdirSync(path.join(dir, 'target', 'compiled', 'shop', 'models', 'schema.yml'))
      .map((f) => compiled(`models/schema.yml/${f}`))
      .filter((sql) => sql.includes('as wanted'));
    expect(testSql).toHaveLength(1);
    expect(testSql[0]).toContain("'DATE,TIMESTAMP' as wanted");
    expect(typeTests[0]!.config.severity).toMatch(/^error$/i);
    expect(await queryDuckDb(db, 'select type_name from main.events')).toEqual([{ type_name: 'TIMESTAMP' }]);
    expect(manifest.nodes['model.date_tools.dim_days']?.package_name).toBe('date_tools');
  });

  // dbt records package macros as macro.<package>.<name> with their macro_sql (core/dbt/parser/macros.py),
  // so state:modified.macros sees an edit to an installed package's macro (core/dbt/graph/selector_methods.py).
  it('lists package macros in the manifest and selects what an edited package macro touches', async () => {
    const r = await runModel(['parse'], { cwd: dir });
    expect(r.code, out(r)).toBe(0);
    const state = path.join(dir, 'prod-state');
    execFileSync('mkdir', ['-p', state]);
    writeFileSync(path.join(state, 'manifest.json'), readFileSync(path.join(dir, 'target', 'manifest.json')));
    const manifest = JSON.parse(readFileSync(path.join(state, 'manifest.json'), 'utf8'));
    const macro = manifest.macros['macro.sql_helpers.default__select_all_but'];
    expect(macro.macro_sql).toMatch(/^\{% macro default__select_all_but\(relation, except\) %\}/);
    expect(macro.depends_on.macros).toContain('macro.sql_helpers._check_relation');
    expect(manifest.nodes['model.shop.orders_trimmed'].depends_on.macros).toContain('macro.sql_helpers.select_all_but');

    const file = path.join(dir, 'dbt_packages', 'sql_helpers', 'macros', 'columns.sql');
    const original = readFileSync(file, 'utf8');
    const ls = async () => {
      const res = await runModel(['ls', '-s', 'state:modified.macros', '--state', 'prod-state', '--resource-type', 'model'], { cwd: dir });
      expect(res.code, out(res)).toBe(0);
      return res.stdout.trim().split('\n').filter(Boolean);
    };
    try {
      expect(await ls()).toEqual([]);
      writeFileSync(file, original.replace("caller_name ~ ' takes a relation, got '", "caller_name ~ ' needs a relation, got '"));
      expect(await ls()).toEqual(['shop.orders_trimmed']);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('builds and tests on the Snowflake emulator', async () => {
    let emulator: SnowflakeEmulator | undefined;
    try {
      emulator = await startSnowflakeEmulator({ port: 0 });
      const r = await runModel(['build', '--target', 'snowflake'], {
        cwd: dir,
        env: { SNOWFLAKE_PASSWORD: 'model-password', SNOWFLAKE_ACCESS_URL: emulator.url },
      });
      expect(r.code, out(r)).toBe(0);
      expect(out(r)).toMatch(/PASS=\d+ WARN=0 ERROR=0/);
    } finally {
      await emulator?.close();
    }
  });

  it('says to run model deps when a listed package is not installed', async () => {
    const fresh = writeProject(rootProject());
    writeFileSync(path.join(fresh, 'package-lock.yml'), readFileSync(path.join(dir, 'package-lock.yml')));
    const r = await runModel(['compile'], { cwd: fresh });
    expect(out(r)).toMatch(/packages\.yml: error \[project\]: packages\.yml lists 4 package\(s\), but .* not installed in dbt_packages\/[\s\S]*run model deps/);
    expect(r.code).toBe(2);
  });

  it('checks require-dbt-version, naming the package file and line', async () => {
    const other = writeProject({
      'dbt_project.yml': 'name: shop\n',
      'packages.yml': 'packages:\n  - local: future\n',
      'future/dbt_project.yml': 'name: future\nrequire-dbt-version: ">=2.0.0"\n',
    });
    expect((await runModel(['deps'], { cwd: other })).code).toBe(0);
    const r = await runModel(['compile'], { cwd: other });
    expect(out(r)).toMatch(/dbt_packages\/future\/dbt_project\.yml:2:\d+: error \[project\]: require-dbt-version ">=2\.0\.0" excludes dbt 1\.9\.0/);
    expect(r.code).toBe(2);
  });
});

// Unit tests' `overrides:` reaching package code, as dbt-core's generate_runtime_unit_test_context
// (core/dbt/context/providers.py) reads them: `pkg.name` replaces that package's macro, `dbt.name`
// dbt's own (and the bare name too), a bare name the root project's or dbt's; `vars:` are laid over
// the CLI vars (UnitTestVar), so a var() inside a package macro reads them too.
describe('unit test overrides of package macros and vars', () => {
  it('replaces a namespaced package macro, a dbt macro and a var read inside a package macro', async () => {
    const dir = writeProject({
      // dbt reads var() for the node being rendered (the root model here), not for the macro's package.
      'dbt_project.yml': 'name: shop\nvars:\n  factor: 2\n',
      'packages.yml': 'packages:\n  - local: ut_pkg\n',
      'ut_pkg/dbt_project.yml': 'name: ut_pkg\nvars:\n  factor: 1\n',
      'ut_pkg/macros/m.sql': [
        "{% macro loaded_label() %}'live'{% endmacro %}",
        "{% macro scaled(col) %}{{ col }} * {{ var('factor') }}{% endmacro %}",
        '{% macro stamp() %}{{ ut_pkg.loaded_label() }}{% endmacro %}',
      ].join('\n'),
      'macros/loaded_label.sql': "{% macro loaded_label() %}'root'{% endmacro %}",
      'models/orders.sql': [
        'select id,',
        "  {{ ut_pkg.scaled('amount') }} as scaled,",
        '  {{ ut_pkg.stamp() }} as pkg_label,',
        '  {{ loaded_label() }} as root_label,',
        '  {{ dbt.current_timestamp() }} as loaded_at',
        "from {{ ref('raw_orders') }}",
      ].join('\n'),
      'models/raw_orders.sql': 'select 1 as id, 5 as amount',
      'models/unit.yml': `unit_tests:
  - name: package_overrides
    model: orders
    given:
      - input: ref('raw_orders')
        rows: [{id: 1, amount: 5}]
    overrides:
      macros:
        ut_pkg.loaded_label: "'stubbed'"
        dbt.current_timestamp: "cast('2020-01-01' as timestamp)"
      vars: {factor: 10}
    expect:
      rows: [{id: 1, scaled: 50, pkg_label: stubbed, root_label: root, loaded_at: '2020-01-01 00:00:00'}]
  - name: bare_override
    model: orders
    given:
      - input: ref('raw_orders')
        rows: [{id: 1, amount: 5}]
    overrides:
      macros:
        loaded_label: "'bare'"
        current_timestamp: "cast('2021-01-01' as timestamp)"
    expect:
      rows: [{id: 1, scaled: 10, pkg_label: live, root_label: bare, loaded_at: '2021-01-01 00:00:00'}]
`,
    });
    expect((await runModel(['deps'], { cwd: dir })).code).toBe(0);
    const r = await runModel(['test', '-s', 'test_type:unit'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS[^\n]*package_overrides/);
    expect(r.stdout).toMatch(/PASS[^\n]*bare_override/);
  });
});

// Which get_incremental_<strategy>_sql a model runs: dbt-adapters base/impl.py
// get_incremental_strategy_macro reads model_context[name], and dbt-core context/macros.py
// (MacroNamespaceBuilder) puts the model's own package's macros first, then the root project's: a
// package's override changes that package's models only. The static plan (planModel) names it.
describe('incremental strategy macros overridden by the project or a package', () => {
  it('runs and plans the model package’s override, the root’s for root models, and the built-in otherwise', async () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: shop\n',
      'packages.yml': 'packages:\n  - local: inc_pkg\n',
      'inc_pkg/dbt_project.yml': 'name: inc_pkg\n',
      'inc_pkg/macros/merge.sql': `{% macro get_incremental_merge_sql(arg_dict) %}
insert into {{ arg_dict["target_relation"] }} (id, name) select id, 'pkg override' from {{ arg_dict["temp_relation"] }}
{% endmacro %}`,
      'inc_pkg/models/pkg_inc.sql': "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}\nselect 1 as id, 'a' as name\n",
      'macros/append.sql': `{% macro get_incremental_append_sql(arg_dict) %}
insert into {{ arg_dict["target_relation"] }} (id, name) select id, 'root override' from {{ arg_dict["temp_relation"] }}
{% endmacro %}`,
      'models/root_merge.sql': "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}\nselect 1 as id, 'a' as name\n",
      'models/root_append.sql': "{{ config(materialized='incremental', incremental_strategy='append') }}\nselect 1 as id, 'a' as name\n",
    });
    expect((await runModel(['deps'], { cwd: dir })).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const r = await runModel(['run'], { cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const db = path.join(dir, 'target', 'shop.duckdb');
    const rows = async (t: string) => (await queryDuckDb(db, `select id, name from ${t} order by name`)).map((r) => `${r.id} ${r.name}`);
    expect(await rows('root_merge')).toEqual(['1 a']);
    expect(await rows('root_append')).toEqual(['1 a', '1 root override']);
    expect(await rows('pkg_inc')).toEqual(['1 a', '1 pkg override']);

    const { openProject } = await import('../../src/index.js');
    const { planModel } = await import('../../src/plan/plan-model.js');
    const { strategyMacroFor } = await import('../../src/plan/plan-incremental.js');
    const { compileNode } = await import('../../src/compile/compile-node.js');
    const session = await openProject({ projectDir: dir });
    const plan = (name: string) => {
      const node = [...session.manifest.nodes.values()].find((n) => n.name === name) as import('../../src/parse/nodes.js').ModelNode;
      const strategyMacro = strategyMacroFor(node, session.project.name, (pkg, m) => session.engine.findMacro(pkg, m)?.info);
      return planModel(node, compileNode(session, node).sql, session.engine.dialect, {
        existing: 'table',
        fullRefresh: false,
        columns: ['id', 'name'],
        strategyMacro,
      });
    };
    expect(plan('root_merge').strategy).toEqual({ name: 'merge' });
    expect(plan('root_append').strategy).toEqual({ name: 'custom', macro: 'get_incremental_append_sql', file: 'macros/append.sql' });
    const pkg = plan('pkg_inc');
    expect(pkg.strategy).toEqual({
      name: 'custom',
      macro: 'inc_pkg.get_incremental_merge_sql',
      file: 'dbt_packages/inc_pkg/macros/merge.sql',
      package: 'inc_pkg',
    });
    expect(pkg.statements).toHaveLength(1);
  });
});
