// Ports of dbt's docs generate adapter tests: dbt-labs/dbt-adapters,
// dbt-tests-adapter/src/dbt/tests/adapter/basic/test_docs_generate.py (BaseDocsGenerate,
// BaseDocsGenReferences), with the expected catalog of basic/expected_catalog.py
// (base_expected_catalog, expected_references_catalog, no_stats). The fixtures restate the upstream
// project in small form; the project is named `test` as upstream, so the unique ids are dbt's.
//
// Expected values per target, as the adapters' own ports of the test give them:
// - DuckDB: duckdb/dbt-duckdb tests/functional/adapter/test_basic.py (TestDocsGenerateDuckDB): owner
//   null, INTEGER / VARCHAR / TIMESTAMP / BIGINT, no stats, names as written.
// - Snowflake: dbt-labs/dbt-snowflake tests/functional/adapter/test_basic.py (TestDocsGenerateSnowflake)
//   and expected_stats.py snowflake_stats: owner the role that built the relation (current_role()),
//   NUMBER / TEXT / TIMESTAMP_NTZ, schema and relation names upper-cased (columns are not: the seed
//   quotes its columns), a table's stats (row_count, bytes, last_modified), none for a view.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/project.js';
import { dbt, stopEmulator, suiteProject, type Target } from '../../helpers/dbt-suite.js';

/** test_docs_generate.py models__schema_yml: two documented models, a source whose schema is a var, two exposures. */
const MODELS_SCHEMA_YML = `version: 2

models:
  - name: model
    description: "The test model"
    docs:
      show: false
    columns:
      - name: id
        description: The user ID number
        data_tests:
          - unique
          - not_null
      - name: first_name
        description: The user's first name
      - name: email
        description: The user's email
      - name: ip_address
        description: The user's IP address
      - name: updated_at
        description: The last time this user's email was updated
    data_tests:
      - test.nothing

  - name: second_model
    description: "The second test model"
    docs:
      show: false
    columns:
      - name: id
        description: The user ID number
      - name: first_name
        description: The user's first name
      - name: email
        description: The user's email
      - name: ip_address
        description: The user's IP address
      - name: updated_at
        description: The last time this user's email was updated

sources:
  - name: my_source
    description: "My source"
    loader: a_loader
    schema: "{{ var('test_schema') }}"
    tables:
      - name: my_table
        description: "My table"
        identifier: seed
        columns:
          - name: id
            description: "An ID field"

exposures:
  - name: simple_exposure
    type: dashboard
    depends_on:
      - ref('model')
      - source('my_source', 'my_table')
    owner:
      email: something@example.com
  - name: notebook_exposure
    type: notebook
    depends_on:
      - ref('model')
      - ref('second_model')
    owner:
      email: something@example.com
      name: Some name
    description: >
      A description of the complex exposure
    maturity: medium
    meta:
      tool: 'my_tool'
      languages:
        - python
    tags: ['my_department']
    url: http://example.com/notebook/1
`;

const SEED_SCHEMA_YML = `version: 2
seeds:
  - name: seed
    description: "The test seed"
    columns:
      - name: id
        description: The user ID number
      - name: first_name
        description: The user's first name
      - name: email
        description: The user's email
      - name: ip_address
        description: The user's IP address
      - name: updated_at
        description: The last time this user's email was updated
`;

/** BaseGenerateProject's seeds, macros (a documented custom test) and snapshot, shared by both cases. */
const COMMON_FILES: Record<string, string> = {
  'seeds/schema.yml': SEED_SCHEMA_YML,
  'seeds/seed.csv': 'id,first_name,email,ip_address,updated_at\n1,Larry,lking0@miitbeian.gov.cn,69.135.206.194,2008-09-12 19:08:31\n',
  'macros/schema.yml': `version: 2
macros:
  - name: test_nothing
    description: "{{ doc('macro_info') }}"
    meta:
      some_key: 100
    arguments:
      - name: model
        type: Relation
        description: "{{ doc('macro_arg_info') }}"
`,
  'macros/macro.md': `
{% docs macro_info %}
My custom test that I wrote that does nothing
{% enddocs %}

{% docs macro_arg_info %}
The model for my custom test
{% enddocs %}
`,
  'macros/dummy_test.sql': `
{% test nothing(model) %}

-- a silly test to make sure that table-level tests show up in the manifest
-- without a column_name field
select 0

{% endtest %}
`,
  'snapshots/snapshot_seed.sql': `
{% snapshot snapshot_seed %}
{{
    config(
      unique_key='id',
      strategy='check',
      check_cols='all',
      target_schema=var('alternate_schema')
    )
}}
select * from {{ ref('seed') }}
{% endsnapshot %}
`,
  // BaseGenerateProject.setup writes an asset the docs site is given.
  'assets/lorem-ipsum.txt': 'Lorem ipsum dolor sit amet',
};

const DOCS_GENERATE_MODELS: Record<string, string> = {
  'models/schema.yml': MODELS_SCHEMA_YML,
  'models/second_model.sql': "\n{{\n    config(\n        materialized='view',\n        schema='test',\n    )\n}}\n\nselect * from {{ ref('seed') }}\n",
  'models/readme.md': '\nThis is a readme.md file with {{ invalid-ish jinja }} in it\n',
  'models/model.sql': "\n{{\n    config(\n        materialized='view',\n    )\n}}\n\nselect * from {{ ref('seed') }}\n",
};

const REFERENCES_MODELS: Record<string, string> = {
  'models/schema.yml': `version: 2

models:
  - name: ephemeral_summary
    description: "{{ doc('ephemeral_summary') }}"
    columns: &summary_columns
      - name: first_name
        description: "{{ doc('summary_first_name') }}"
      - name: ct
        description: "{{ doc('summary_count') }}"
  - name: view_summary
    description: "{{ doc('view_summary') }}"
    columns: *summary_columns

exposures:
  - name: notebook_exposure
    type: notebook
    depends_on:
      - ref('view_summary')
    owner:
      email: something@example.com
      name: Some name
    description: "{{ doc('notebook_info') }}"
    maturity: medium
    url: http://example.com/notebook/1
    meta:
      tool: 'my_tool'
      languages:
        - python
    tags: ['my_department']
`,
  'models/sources.yml': `version: 2
sources:
  - name: my_source
    description: "{{ doc('source_info') }}"
    loader: a_loader
    schema: "{{ var('test_schema') }}"
    tables:
      - name: my_table
        description: "{{ doc('table_info') }}"
        identifier: seed
        columns:
          - name: id
            description: "{{ doc('column_info') }}"
`,
  'models/view_summary.sql':
    '\n{{\n  config(\n    materialized = "view"\n  )\n}}\n\nselect first_name, ct from {{ref(\'ephemeral_summary\')}}\norder by ct asc\n\n',
  'models/ephemeral_summary.sql':
    '\n{{\n  config(\n    materialized = "table"\n  )\n}}\n\nselect first_name, count(*) as ct from {{ref(\'ephemeral_copy\')}}\ngroup by first_name\norder by first_name asc\n\n',
  'models/ephemeral_copy.sql': '\n{{\n  config(\n    materialized = "ephemeral"\n  )\n}}\n\nselect * from {{ source("my_source", "my_table") }}\n\n',
  'models/docs.md': `
{% docs ephemeral_summary %}
A summmary table of the ephemeral copy of the seed data
{% enddocs %}

{% docs summary_first_name %}
The first name being summarized
{% enddocs %}

{% docs summary_count %}
The number of instances of the first name
{% enddocs %}

{% docs view_summary %}
A view of the summary of the ephemeral copy of the seed data
{% enddocs %}

{% docs source_info %}
My source
{% enddocs %}

{% docs table_info %}
My table
{% enddocs %}

{% docs column_info %}
An ID field
{% enddocs %}

{% docs notebook_info %}
A description of the complex exposure
{% enddocs %}
`,
};

/** The target's schema as the profile names it (dbt's project.test_schema). */
const TEST_SCHEMA: Record<Target, string> = { duckdb: 'main', snowflake: 'public' };

/**
 * BaseGenerateProject.project_config_update: asset paths (one missing), the schemas as vars, quoted
 * seed columns. `quoteColumns: false` for BaseDocsGenReferences on Snowflake: its models select
 * `first_name` unquoted, which names FIRST_NAME there, not the seed's quoted "first_name" (dbt-snowflake
 * does not run that class; here it runs with the seed's columns unquoted, stored upper-case).
 */
function project(target: Target, models: Record<string, string>, quoteColumns = true): string {
  const schema = TEST_SCHEMA[target];
  return suiteProject({
    ...COMMON_FILES,
    ...models,
    'dbt_project.yml': `name: test
profile: suite
config-version: 2
asset-paths: ["assets", "invalid-asset-paths"]
vars:
  test_schema: ${schema}
  alternate_schema: ${schema}_test
seeds:
  +quote_columns: ${quoteColumns}
`,
  });
}

const results = (out: { stdout: string; stderr: string }) => out.stdout + out.stderr;
const ENV = { DBT_ENV_CUSTOM_ENV_env_key: 'env_value' };

/** expected_catalog.py no_stats(). */
const NO_STATS = {
  has_stats: { id: 'has_stats', label: 'Has Stats?', value: false, description: 'Indicates whether there are statistics for this table', include: false },
};

/** The adapter's answers: types, owner, stats, and how it spells schema and relation names. */
interface AdapterExpectations {
  role: string | null;
  idType: string;
  textType: string;
  timeType: string;
  bigintType: string;
  database: string;
  case: (name: string) => string;
  /** A seed's (a table's) stats; a view has none. */
  tableStats: unknown;
}

async function expectations(dir: string, target: Target): Promise<AdapterExpectations> {
  if (target === 'duckdb') {
    return {
      role: null,
      idType: 'INTEGER',
      textType: 'VARCHAR',
      timeType: 'TIMESTAMP',
      bigintType: 'BIGINT',
      database: 'suite',
      case: (x) => x,
      tableStats: NO_STATS,
    };
  }
  // dbt-snowflake's get_role fixture: the session's role, asked through the engine's own connection.
  const shown = await dbt(dir, target, ['show', '--inline', "select current_role() || '<' as role"]);
  expect(shown.code, results(shown)).toBe(0);
  const role = /([A-Z_]+)</.exec(shown.stdout)?.[1];
  // dbt-snowflake expected_stats.py snowflake_stats(): the seed has one row. Unlike Snowflake, the
  // emulator reports no BYTES (DuckDB keeps no size per table), so there is no `bytes` item: the
  // item as Snowflake gives it is checked in tests/unit/execute/catalog-artifact.test.ts.
  const stats = {
    has_stats: { id: 'has_stats', label: 'Has Stats?', value: true, description: 'Indicates whether there are statistics for this table', include: false },
    last_modified: {
      id: 'last_modified',
      label: 'Last Modified',
      value: expect.any(String),
      description: 'The timestamp for last update/change',
      include: true,
    },
    row_count: { id: 'row_count', label: 'Row Count', value: 1, description: 'An approximate count of rows in this table', include: true },
  };
  return {
    role: role ?? null,
    idType: 'NUMBER',
    textType: 'TEXT',
    timeType: 'TIMESTAMP_NTZ',
    bigintType: 'NUMBER',
    database: 'SUITE_DB',
    case: (x) => x.toUpperCase(),
    tableStats: stats,
  };
}

function relationMeta(e: AdapterExpectations, schema: string, name: string, type: 'VIEW' | 'BASE TABLE') {
  return { schema: e.case(schema), database: e.database, name: e.case(name), type, comment: null, owner: e.role };
}

/** expected_catalog.py base_expected_catalog. */
function baseExpectedCatalog(target: Target, e: AdapterExpectations) {
  const schema = TEST_SCHEMA[target];
  const col = (name: string, type: string) => ({ name, index: expect.any(Number), type, comment: null });
  const columns = {
    id: col('id', e.idType),
    first_name: col('first_name', e.textType),
    email: col('email', e.textType),
    ip_address: col('ip_address', e.textType),
    updated_at: col('updated_at', e.timeType),
  };
  return {
    nodes: {
      'model.test.model': { unique_id: 'model.test.model', metadata: relationMeta(e, schema, 'model', 'VIEW'), stats: NO_STATS, columns },
      'model.test.second_model': {
        unique_id: 'model.test.second_model',
        metadata: relationMeta(e, `${schema}_test`, 'second_model', 'VIEW'),
        stats: NO_STATS,
        columns,
      },
      'seed.test.seed': { unique_id: 'seed.test.seed', metadata: relationMeta(e, schema, 'seed', 'BASE TABLE'), stats: e.tableStats, columns },
    },
    sources: {
      'source.test.my_source.my_table': {
        unique_id: 'source.test.my_source.my_table',
        metadata: relationMeta(e, schema, 'seed', 'BASE TABLE'),
        stats: e.tableStats,
        columns,
      },
    },
  };
}

/** expected_catalog.py expected_references_catalog; `caseColumns` as its case_columns (column names as the warehouse stores them). */
function expectedReferencesCatalog(target: Target, e: AdapterExpectations, caseColumns = false) {
  const schema = TEST_SCHEMA[target];
  const c = caseColumns ? e.case : (x: string) => x;
  const column = (name: string, index: number, type: string) => [c(name), { name: c(name), index, type, comment: null }] as const;
  const summaryColumns = Object.fromEntries([column('first_name', 1, e.textType), column('ct', 2, e.bigintType)]);
  const seedColumns = Object.fromEntries([
    column('id', 1, e.idType),
    column('first_name', 2, e.textType),
    column('email', 3, e.textType),
    column('ip_address', 4, e.textType),
    column('updated_at', 5, e.timeType),
  ]);
  return {
    nodes: {
      'seed.test.seed': { unique_id: 'seed.test.seed', metadata: relationMeta(e, schema, 'seed', 'BASE TABLE'), stats: e.tableStats, columns: seedColumns },
      'model.test.ephemeral_summary': {
        unique_id: 'model.test.ephemeral_summary',
        metadata: relationMeta(e, schema, 'ephemeral_summary', 'BASE TABLE'),
        // Upstream passes model_stats (no stats) here; dbt-snowflake does not port this class, and a
        // Snowflake table has the stats of any table (one row, as the seed).
        stats: e.tableStats,
        columns: summaryColumns,
      },
      'model.test.view_summary': {
        unique_id: 'model.test.view_summary',
        metadata: relationMeta(e, schema, 'view_summary', 'VIEW'),
        stats: NO_STATS,
        columns: summaryColumns,
      },
    },
    sources: {
      'source.test.my_source.my_table': {
        unique_id: 'source.test.my_source.my_table',
        metadata: relationMeta(e, schema, 'seed', 'BASE TABLE'),
        stats: e.tableStats,
        columns: seedColumns,
      },
    },
  };
}

/**
 * dbt-core tests/functional/artifacts/expected_manifest.py get_rendered_model_config and friends: the
 * config keys dbt writes at their defaults (the keys of dbt 1.9's NodeConfig that file names).
 */
const RENDERED_NODE_CONFIG = {
  database: null,
  schema: null,
  alias: null,
  enabled: true,
  'pre-hook': [],
  'post-hook': [],
  column_types: {},
  quoting: {},
  tags: [],
  persist_docs: {},
  full_refresh: null,
  on_schema_change: 'ignore',
  meta: {},
  unique_key: null,
  grants: {},
  packages: [],
  incremental_strategy: null,
};

/** expected_manifest.py get_rendered_tst_config. */
const RENDERED_TEST_CONFIG = {
  enabled: true,
  materialized: 'test',
  tags: [],
  severity: 'ERROR',
  store_failures: null,
  warn_if: '!= 0',
  error_if: '!= 0',
  fail_calc: 'count(*)',
  where: null,
  limit: null,
  database: null,
  schema: 'dbt_test__audit',
  meta: {},
};

/** The five described columns of expected_manifest.py, as manifest v12 ColumnInfo entries. */
const DESCRIBED_COLUMNS = Object.fromEntries(
  [
    ['id', 'The user ID number'],
    ['first_name', "The user's first name"],
    ['email', "The user's email"],
    ['ip_address', "The user's IP address"],
    ['updated_at', "The last time this user's email was updated"],
  ].map(([name, description]) => [name, expect.objectContaining({ name, description, data_type: null, meta: {} })]),
);

type Manifest = {
  nodes: Record<string, Record<string, unknown>>;
  sources: Record<string, Record<string, unknown>>;
  docs: Record<string, Record<string, unknown>>;
  macros: Record<string, Record<string, unknown>>;
};
const readManifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) as Manifest;

// ajv-formats is CommonJS with a default export: under nodenext its default import is the module object.
const addFormats = ((addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin) as unknown as (a: Ajv2020) => void;

/** The artifact against dbt's published JSON schema (tests/fixtures/dbt-schemas/), as dbt-artifact-schemas.test.ts checks them. */
function schemaErrors(artifact: unknown, schemaFile: string): string {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'dbt-schemas', schemaFile), 'utf8')) as object);
  if (validate(artifact)) return '';
  return (validate.errors ?? [])
    .filter((e) => e.keyword !== 'anyOf')
    .slice(0, 20)
    .map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n');
}

/** test_docs_generate.py run_and_generate: `run` builds two models; manifest and run results are removed; `docs generate`. */
async function runAndGenerate(dir: string, target: Target, args: string[] = []): Promise<Date> {
  const run = await dbt(dir, target, ['run'], ENV);
  expect(run.code, results(run)).toBe(0);
  const ran = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { results: unknown[] };
  expect(ran.results).toHaveLength(2);
  rmSync(path.join(dir, 'target', 'manifest.json'), { force: true });
  rmSync(path.join(dir, 'target', 'run_results.json'), { force: true });
  // generated_at has whole-millisecond precision: start from the millisecond.
  const start = new Date(Math.floor(Date.now() / 1000) * 1000);
  const docs = await dbt(dir, target, ['docs', 'generate', ...args], ENV);
  expect(docs.code, results(docs)).toBe(0);
  return start;
}

/** test_docs_generate.py verify_catalog and verify_metadata. */
function verifyCatalog(
  dir: string,
  expected: { nodes: Record<string, Record<string, unknown>>; sources: Record<string, Record<string, unknown>> },
  start: Date,
) {
  const file = path.join(dir, 'target', 'catalog.json');
  expect(existsSync(file)).toBe(true);
  const catalog = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
  expect(new Set(Object.keys(catalog))).toEqual(new Set(['errors', 'metadata', 'nodes', 'sources']));
  const meta = catalog.metadata as unknown as Record<string, unknown>;
  const generated = new Date(`${String(meta.generated_at).replace(/Z?$/, 'Z')}`);
  expect(generated.getTime()).toBeGreaterThanOrEqual(start.getTime());
  expect(generated.getTime()).toBeLessThanOrEqual(Date.now());
  expect(meta.dbt_schema_version).toBe('https://schemas.getdbt.com/dbt/catalog/v1.json');
  expect(meta.env).toEqual({ env_key: 'env_value' });
  expect(catalog.errors).toBeFalsy();
  for (const key of ['nodes', 'sources'] as const) {
    for (const [id, node] of Object.entries(expected[key])) {
      const found = catalog[key]?.[id];
      expect(found, `${key} ${id}`).toBeDefined();
      for (const [field, value] of Object.entries(node)) expect(found?.[field], `Key '${field}' in '${id}' did not match`).toEqual(value);
    }
  }
}

for (const target of ['duckdb', 'snowflake'] as const satisfies Target[]) {
  describe(`basic/test_docs_generate.py on ${target}`, () => {
    afterAll(async () => {
      if (target === 'snowflake') await stopEmulator();
    });

    // BaseDocsGenerate.test_run_and_generate_no_compile: --no-compile writes no manifest.json.
    it('BaseDocsGenerate test_run_and_generate_no_compile', async () => {
      const dir = project(target, DOCS_GENERATE_MODELS);
      const seed = await dbt(dir, target, ['seed'], ENV);
      expect(seed.code, results(seed)).toBe(0);
      const start = await runAndGenerate(dir, target, ['--no-compile']);
      expect(existsSync(path.join(dir, 'target', 'manifest.json'))).toBe(false);
      verifyCatalog(dir, baseExpectedCatalog(target, await expectations(dir, target)), start);
    });

    // BaseDocsGenerate.test_run_and_generate: the catalog, and the assets copied for the docs page.
    it('BaseDocsGenerate test_run_and_generate', async () => {
      const dir = project(target, DOCS_GENERATE_MODELS);
      const seed = await dbt(dir, target, ['seed'], ENV);
      expect(seed.code, results(seed)).toBe(0);
      const start = await runAndGenerate(dir, target);
      verifyCatalog(dir, baseExpectedCatalog(target, await expectations(dir, target)), start);
      expect(existsSync(path.join(dir, 'target', 'assets'))).toBe(true);
      expect(existsSync(path.join(dir, 'target', 'assets', 'lorem-ipsum.txt'))).toBe(true);
      expect(existsSync(path.join(dir, 'target', 'non-existent-assets'))).toBe(false);
    });

    // BaseDocsGenReferences.test_references: doc() descriptions, an ephemeral model between a source and a table.
    it('BaseDocsGenReferences test_references', async () => {
      const dir = project(target, REFERENCES_MODELS, target !== 'snowflake');
      const seed = await dbt(dir, target, ['seed'], ENV);
      expect(seed.code, results(seed)).toBe(0);
      const start = await runAndGenerate(dir, target);
      verifyCatalog(dir, expectedReferencesCatalog(target, await expectations(dir, target), target === 'snowflake'), start);
    });
    // dbt-core tests/functional/artifacts/test_docs_generate.py with expected_manifest.py
    // expected_seeded_manifest: the manifest docs generate writes for the BaseDocsGenerate project
    // (the fields manifest v12 keeps; v6's root_path, build_path, deferred and metrics are gone).
    it('docs generate manifest: expected_seeded_manifest (config, unrendered_config, docs, refs, compiled_code)', async () => {
      const dir = project(target, DOCS_GENERATE_MODELS);
      expect((await dbt(dir, target, ['seed'], ENV)).code).toBe(0);
      await runAndGenerate(dir, target);
      const m = readManifest(dir);
      expect(schemaErrors(m, 'manifest-v12.json')).toBe('');
      expect(schemaErrors(JSON.parse(readFileSync(path.join(dir, 'target', 'catalog.json'), 'utf8')), 'catalog-v1.json')).toBe('');
      const schema = TEST_SCHEMA[target];
      const model = m.nodes['model.test.model']!;
      expect(model).toMatchObject({
        name: 'model',
        resource_type: 'model',
        path: 'model.sql',
        original_file_path: 'models/model.sql',
        package_name: 'test',
        language: 'sql',
        refs: [{ name: 'seed', package: null, version: null }],
        sources: [],
        depends_on: { nodes: ['seed.test.seed'] },
        fqn: ['test', 'model'],
        tags: [],
        meta: {},
        config: { ...RENDERED_NODE_CONFIG, materialized: 'view', docs: { show: false, node_color: null } },
        unrendered_config: { materialized: 'view' },
        schema,
        alias: 'model',
        description: 'The test model',
        columns: DESCRIBED_COLUMNS,
        patch_path: 'test://models/schema.yml',
        docs: { show: false, node_color: null },
        compiled: true,
        checksum: { name: 'sha256', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) },
      });
      expect(String(model.raw_code).replace(/\n/g, '')).toContain("select * from {{ ref('seed') }}");
      expect(String(model.compiled_code)).toMatch(/select \* from .*seed/i);
      expect(String(model.relation_name).replace(/"/g, '').toLowerCase()).toContain(`.${schema}.model`.toLowerCase());

      const second = m.nodes['model.test.second_model']!;
      expect(second).toMatchObject({
        config: { ...RENDERED_NODE_CONFIG, materialized: 'view', schema: 'test' },
        unrendered_config: { schema: 'test', materialized: 'view' },
        schema: `${schema}_test`,
        docs: { show: false, node_color: null },
      });

      // get_rendered_seed_config / get_unrendered_seed_config: quote_columns from dbt_project.yml.
      expect(m.nodes['seed.test.seed']).toMatchObject({
        resource_type: 'seed',
        path: 'seed.csv',
        original_file_path: 'seeds/seed.csv',
        config: { ...RENDERED_NODE_CONFIG, materialized: 'seed', quote_columns: true },
        unrendered_config: { quote_columns: true },
        description: 'The test seed',
        columns: DESCRIBED_COLUMNS,
        patch_path: 'test://seeds/schema.yml',
      });

      // get_rendered_snapshot_config / get_unrendered_snapshot_config: target_schema from a var, rendered.
      expect(m.nodes['snapshot.test.snapshot_seed']).toMatchObject({
        config: { ...RENDERED_NODE_CONFIG, materialized: 'snapshot', strategy: 'check', check_cols: 'all', unique_key: 'id', target_schema: `${schema}_test` },
        unrendered_config: { check_cols: 'all', strategy: 'check', target_schema: `${schema}_test`, unique_key: 'id' },
        depends_on: { nodes: ['seed.test.seed'] },
      });

      // get_rendered_tst_config / get_unrendered_tst_config: the three tests, configured nowhere.
      const tests = Object.values(m.nodes).filter((n) => n.resource_type === 'test');
      expect(tests.map((t) => t.name).sort()).toEqual(['not_null_model_id', 'test_nothing_model_', 'unique_model_id']);
      for (const t of tests) {
        expect(t.config, String(t.name)).toMatchObject(RENDERED_TEST_CONFIG);
        expect(t.unrendered_config, String(t.name)).toEqual({});
        expect(t.depends_on, String(t.name)).toMatchObject({ nodes: ['model.test.model'] });
      }
      const nothing = tests.find((t) => t.name === 'test_nothing_model_')!;
      expect(nothing).toMatchObject({
        column_name: null,
        test_metadata: { name: 'nothing', namespace: 'test', kwargs: { model: "{{ get_where_subquery(ref('model')) }}" } },
      });

      // expected_manifest.py's macro entry: the properties of macros/schema.yml, doc() rendered.
      expect(m.macros['macro.test.test_nothing']).toMatchObject({
        name: 'test_nothing',
        resource_type: 'macro',
        package_name: 'test',
        path: 'macros/dummy_test.sql',
        original_file_path: 'macros/dummy_test.sql',
        description: 'My custom test that I wrote that does nothing',
        meta: { some_key: 100 },
        docs: { show: true, node_color: null },
        patch_path: 'test://macros/schema.yml',
        arguments: [{ name: 'model', type: 'Relation', description: 'The model for my custom test' }],
      });

      expect(m.sources['source.test.my_source.my_table']).toMatchObject({
        source_name: 'my_source',
        source_description: 'My source',
        loader: 'a_loader',
        identifier: 'seed',
        schema,
        description: 'My table',
        columns: { id: expect.objectContaining({ name: 'id', description: 'An ID field' }) },
        patch_path: null,
        config: { enabled: true },
      });
    });

    // dbt-core test_docs_generate.py expected_references_manifest: doc() descriptions rendered from
    // the {% docs %} blocks, an ephemeral model between a source and a table, the blocks under `docs`.
    it('docs generate manifest: expected_references_manifest (doc() descriptions, docs blocks)', async () => {
      const dir = project(target, REFERENCES_MODELS, target !== 'snowflake');
      expect((await dbt(dir, target, ['seed'], ENV)).code).toBe(0);
      await runAndGenerate(dir, target);
      const m = readManifest(dir);
      expect(m.nodes['model.test.ephemeral_copy']).toMatchObject({
        config: { materialized: 'ephemeral' },
        unrendered_config: { materialized: 'ephemeral' },
        sources: [['my_source', 'my_table']],
        depends_on: { nodes: ['source.test.my_source.my_table'] },
        relation_name: null,
        description: '',
      });
      expect(m.nodes['model.test.ephemeral_summary']).toMatchObject({
        config: { materialized: 'table' },
        unrendered_config: { materialized: 'table' },
        description: 'A summmary table of the ephemeral copy of the seed data',
        columns: {
          first_name: expect.objectContaining({ description: 'The first name being summarized' }),
          ct: expect.objectContaining({ description: 'The number of instances of the first name' }),
        },
        depends_on: { nodes: ['model.test.ephemeral_copy'] },
      });
      expect(String(m.nodes['model.test.ephemeral_summary']!.compiled_code)).toMatch(/with __dbt__cte__ephemeral_copy as|ephemeral_copy/i);
      expect(m.nodes['model.test.view_summary']).toMatchObject({
        description: 'A view of the summary of the ephemeral copy of the seed data',
        depends_on: { nodes: ['model.test.ephemeral_summary'] },
      });
      expect(m.sources['source.test.my_source.my_table']).toMatchObject({
        source_description: 'My source',
        description: 'My table',
        columns: { id: expect.objectContaining({ description: 'An ID field' }) },
      });
      expect(m.docs['doc.test.ephemeral_summary']).toMatchObject({
        name: 'ephemeral_summary',
        resource_type: 'doc',
        package_name: 'test',
        path: 'models/docs.md',
        original_file_path: 'models/docs.md',
        block_contents: 'A summmary table of the ephemeral copy of the seed data',
      });
      expect(
        Object.keys(m.docs)
          .filter((k) => k.startsWith('doc.test.'))
          .sort(),
      ).toEqual(
        [
          'column_info',
          'ephemeral_summary',
          'macro_arg_info',
          'macro_info',
          'notebook_info',
          'source_info',
          'summary_count',
          'summary_first_name',
          'table_info',
          'view_summary',
        ].map((n) => `doc.test.${n}`),
      );
    });
    // dbt's catalog lists what it could not read under `errors` and goes on; a source in a database that is not there (dbt-core task/docs/generate.py).
    it('a schema the catalog cannot read is listed under errors; the rest is still there', async () => {
      const dir = project(target, {
        ...DOCS_GENERATE_MODELS,
        'models/elsewhere.yml': 'version: 2\nsources:\n  - name: elsewhere\n    database: no_such_db\n    schema: raw\n    tables:\n      - name: t\n',
      });
      expect((await dbt(dir, target, ['seed'], ENV)).code).toBe(0);
      await runAndGenerate(dir, target);
      const catalog = JSON.parse(readFileSync(path.join(dir, 'target', 'catalog.json'), 'utf8')) as { nodes: object; sources: object; errors: string[] | null };
      expect(Object.keys(catalog.nodes)).toEqual(expect.arrayContaining(['model.test.model', 'seed.test.seed']));
      expect(Object.keys(catalog.sources)).not.toContain('source.test.elsewhere.t');
      // DuckDB (and the emulator) answer with no rows for a database they do not have; where the
      // warehouse refuses the query instead, that schema alone is listed.
      for (const e of catalog.errors ?? []) expect(e).toMatch(/^no_such_db\.raw: /i);
    });
  });
}

// dbt's unrendered_config (dbt-core context/context_config.py, build_config_dict(rendered=False)): the
// project file's configs as written, Jinja and all, then the properties' and the config() call's. Parse
// only, so on one target.
describe('unrendered_config', () => {
  it('holds the project file configs unrendered, then the properties and config() values', async () => {
    const dir = suiteProject({
      'dbt_project.yml': `name: test
profile: suite
config-version: 2
models:
  test:
    +materialized: "{{ 'table' if target.name == 'prod' else 'view' }}"
    +tags: [nightly]
`,
      'models/m.sql': "{{ config(alias='m_alias') }}\nselect 1 as id\n",
      'models/plain.sql': 'select 1 as id\n',
      'models/schema.yml': 'version: 2\nmodels:\n  - name: m\n    config:\n      meta: {owner: data}\n',
    });
    const parsed = await dbt(dir, 'duckdb', ['parse']);
    expect(parsed.code, results(parsed)).toBe(0);
    const m = readManifest(dir);
    expect(m.nodes['model.test.m']?.unrendered_config).toEqual({
      materialized: "{{ 'table' if target.name == 'prod' else 'view' }}",
      tags: ['nightly'],
      meta: { owner: 'data' },
      alias: 'm_alias',
    });
    expect(m.nodes['model.test.m']?.config).toMatchObject({ materialized: 'view', tags: ['nightly'], meta: { owner: 'data' }, alias: 'm_alias' });
    expect(m.nodes['model.test.plain']?.unrendered_config).toEqual({ materialized: "{{ 'table' if target.name == 'prod' else 'view' }}", tags: ['nightly'] });
  });
});
