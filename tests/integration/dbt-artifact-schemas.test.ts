import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runModel, writeProject } from '../helpers/project.js';

// The artifacts a build writes, validated against dbt's published JSON schemas for the versions they
// declare (https://schemas.getdbt.com/dbt/<artifact>/<version>.json, the files of dbt-core's
// schemas/dbt/; tests/fixtures/dbt-schemas/README.md says which are whole and which a subset).
const SCHEMAS = path.join(REPO_ROOT, 'tests', 'fixtures', 'dbt-schemas');

// ajv-formats is CommonJS with a default export: under nodenext its default import is the module object.
const addFormats = ((addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin) as unknown as (a: Ajv2020) => void;

function validator(file: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const schema = JSON.parse(readFileSync(path.join(SCHEMAS, file), 'utf8')) as { $id: string };
  const validate = ajv.compile(schema);
  /** One definition of the schema (`#/$defs/Model`), for errors that name the node's own kind. */
  const part = (name: string) => {
    const v = ajv.getSchema(`${schema.$id}#/$defs/${name}`);
    if (!v) throw new Error(`no $defs/${name} in ${file}`);
    return v;
  };
  return Object.assign(validate, { part });
}

const KIND: Record<string, string> = { model: 'Model', seed: 'Seed', snapshot: 'Snapshot', source: 'SourceDefinition', unit_test: 'UnitTestDefinition' };

/** Each node of a manifest section against the definition of its kind: errors that say which field of which node. */
function nodeErrors(v: ReturnType<typeof validator>, section: Record<string, Record<string, unknown>>): string {
  const out: string[] = [];
  for (const [id, node] of Object.entries(section)) {
    const kind = node.resource_type === 'test' ? (node.test_metadata ? 'GenericTest' : 'SingularTest') : KIND[String(node.resource_type)];
    const check = v.part(kind ?? 'loosely');
    if (!check(node)) out.push(`${id}:\n${explain(check.errors)}`);
  }
  return out.join('\n');
}

/** The errors, one a line, with the JSON path of each (ajv's anyOf noise left out). */
function explain(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .filter((e) => e.keyword !== 'anyOf')
    .slice(0, 40)
    .map(
      (e) =>
        `${e.instancePath || '/'} ${e.message ?? ''} ${e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties' ? JSON.stringify(e.params) : ''}`,
    )
    .join('\n');
}

const PROJECT = {
  'dbt_project.yml': `name: shop
version: '1.0'
profile: shop
models:
  shop:
    +tags: [nightly]
`,
  'profiles.yml': 'shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/shop.duckdb\n      schema: main\n',
  'seeds/raw_orders.csv': 'id,amount,loaded_at\n1,10,2020-01-01 00:00:00\n2,25,2020-01-02 00:00:00\n',
  'seeds/schema.yml': `version: 2
seeds:
  - name: raw_orders
    description: Orders as loaded
    config:
      column_types: {loaded_at: timestamp}
    columns:
      - name: id
        data_tests: [unique]
`,
  'models/sources.yml': `version: 2
sources:
  - name: raw
    schema: main
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 100000, period: day}
    tables:
      - name: orders
        identifier: raw_orders
        columns:
          - name: id
            data_tests: [not_null]
`,
  'models/docs.md': '{% docs orders_doc %}\nOne row per order.\n{% enddocs %}\n',
  'models/stg_orders.sql': "select id, amount from {{ source('raw', 'orders') }}\n",
  'models/orders.sql': "{{ config(materialized='table', post_hook=\"select 1\") }}\nselect id, {{ cents('amount') }} as cents from {{ ref('stg_orders') }}\n",
  'models/orders_inc.sql': "{{ config(materialized='incremental', unique_key='id') }}\nselect * from {{ ref('orders') }}\n",
  'models/eph.sql': "{{ config(materialized='ephemeral') }}\nselect 1 as one\n",
  'models/uses_eph.sql': "select * from {{ ref('eph') }}\n",
  'models/schema.yml': `version: 2
models:
  - name: orders
    description: '{{ doc("orders_doc") }}'
    columns:
      - name: id
        description: The order
        data_type: integer
        data_tests:
          - not_null
          - accepted_values:
              values: [1, 2]
              quote: false
unit_tests:
  - name: orders_cents
    model: orders
    given:
      - input: ref('stg_orders')
        rows:
          - {id: 1, amount: 2}
    expect:
      rows:
        - {id: 1, cents: 200}
  # dbt-core parser/unit_tests.py: enabled false -> manifest.add_disabled.
  - name: orders_cents_off
    model: orders
    config: {enabled: false}
    given:
      - input: ref('stg_orders')
        rows: [{id: 1, amount: 2}]
    expect:
      rows: [{id: 1, cents: 200}]
`,
  // Model versions (dbt docs "Model versions"; dbt-core tests/functional/ref_override and
  // partial_parsing/test_versioned_models.py): ids model.<pkg>.<name>.v<N>, relation <name>_v<N>.
  'models/dim_v1.sql': 'select 1 as id, 1 as version\n',
  'models/dim_v2.sql': 'select 1 as id, 2 as version\n',
  'models/uses_dim.sql': "select (select max(version) from {{ ref('dim', v=1) }}) as first, (select max(version) from {{ ref('dim') }}) as latest\n",
  'models/dim.yml': `version: 2
models:
  - name: dim
    versions:
      - v: 1
      - v: 2
`,
  // enabled: false for every kind: listed under the manifest's disabled, not built.
  'models/off.sql': '{{ config(enabled=false) }}\nselect 1 as x\n',
  'seeds/off_seed.csv': 'x\n1\n',
  'seeds/off.yml': 'version: 2\nseeds:\n  - name: off_seed\n    config: {enabled: false}\n',
  'tests/off_test.sql': "{{ config(enabled=false) }}\nselect * from {{ ref('orders') }} where false\n",
  'snapshots/off_snap.sql': `{% snapshot off_snap %}
{{ config(enabled=false, target_schema='main', unique_key='id', strategy='check', check_cols='all') }}
select * from {{ ref('orders') }}
{% endsnapshot %}
`,
  'models/off_sources.yml': `version: 2
sources:
  - name: gone
    config: {enabled: false}
    tables:
      - name: t
models:
  - name: stg_orders
    columns:
      - name: id
        data_tests:
          - unique:
              config: {enabled: false}
`,
  'macros/cents.sql': '{% macro cents(col) %}({{ col }} * 100){% endmacro %}\n',
  'tests/assert_positive.sql': "select * from {{ ref('orders') }} where cents < 0\n",
  'snapshots/orders_snap.sql': `{% snapshot orders_snap %}
{{ config(target_schema='main', unique_key='id', strategy='check', check_cols='all') }}
select * from {{ ref('orders') }}
{% endsnapshot %}
`,
};

describe('artifacts validate against dbt JSON schemas', () => {
  let dir: string;
  const read = (name: string) => JSON.parse(readFileSync(path.join(dir, 'target', name), 'utf8')) as Record<string, unknown>;

  beforeAll(async () => {
    dir = writeProject(PROJECT);
    // The source reads the seed's table: seeded first, as a dbt project would be.
    const seed = await runModel(['seed', '--project-dir', dir]);
    expect(seed.code, seed.stdout + seed.stderr).toBe(0);
    const build = await runModel(['build', '--project-dir', dir]);
    expect(build.code, build.stdout + build.stderr).toBe(0);
    const fresh = await runModel(['source', 'freshness', '--project-dir', dir]);
    expect(fresh.code, fresh.stdout + fresh.stderr).toBe(0);
    const docs = await runModel(['docs', 'generate', '--project-dir', dir]);
    expect(docs.code, docs.stdout + docs.stderr).toBe(0);
  }, 60_000);

  it('manifest.json is manifest v12', () => {
    const manifest = read('manifest.json');
    const validate = validator('manifest-v12.json');
    const sections = ['nodes', 'sources', 'unit_tests'].map((k) => nodeErrors(validate, manifest[k] as Record<string, Record<string, unknown>>));
    expect(sections.join(''), 'nodes of each kind').toBe('');
    expect(validate(manifest), explain(validate.errors)).toBe(true);
    const meta = manifest.metadata as Record<string, unknown>;
    expect(meta.dbt_schema_version).toBe('https://schemas.getdbt.com/dbt/manifest/v12.json');
    expect(meta.dbt_version).toMatch(/^1\.\d+\.\d+/);
    const nodes = manifest.nodes as Record<string, Record<string, unknown>>;
    expect(Object.keys(nodes)).toEqual(
      expect.arrayContaining(['model.shop.orders', 'seed.shop.raw_orders', 'snapshot.shop.orders_snap', 'test.shop.assert_positive']),
    );
    // dbt's hooks are {sql, transaction, index} objects, whatever the config wrote.
    const config = nodes['model.shop.orders']!.config as Record<string, unknown>;
    expect(config['post-hook']).toEqual([{ sql: 'select 1', transaction: true, index: null }]);
    expect(config.tags).toEqual(['nightly']);
    expect(Object.keys(manifest.docs as object)).toContain('doc.shop.orders_doc');
  });

  it('model versions have dbt ids, names, versions and refs', () => {
    const nodes = read('manifest.json').nodes as Record<string, Record<string, unknown>>;
    const v1 = nodes['model.shop.dim.v1']!;
    expect(v1).toMatchObject({ name: 'dim', version: 1, latest_version: 2, fqn: ['shop', 'dim', 'v1'], alias: 'dim_v1' });
    expect(nodes['model.shop.dim.v2']).toMatchObject({ name: 'dim', version: 2, latest_version: 2, alias: 'dim_v2' });
    expect(nodes['model.shop.dim_v1']).toBeUndefined();
    const uses = nodes['model.shop.uses_dim']!;
    expect(uses.refs).toEqual([
      { name: 'dim', package: null, version: 1 },
      { name: 'dim', package: null, version: null },
    ]);
    expect((uses.depends_on as { nodes: string[] }).nodes.sort()).toEqual(['model.shop.dim.v1', 'model.shop.dim.v2']);
    const results = read('run_results.json').results as { unique_id: string; status: string }[];
    expect(results.filter((r) => r.unique_id.startsWith('model.shop.dim')).map((r) => r.status)).toEqual(['success', 'success']);
  });

  it('a model version is selected by its name, <name>_v<N> or <name>.v<N> (dbt graph/selector_methods.py is_selected_node)', async () => {
    const ls = async (s: string) => (await runModel(['ls', '-s', s, '--project-dir', dir])).stdout.trim().split('\n');
    expect(await ls('dim')).toEqual(['shop.dim.v1', 'shop.dim.v2']);
    expect(await ls('dim_v1')).toEqual(['shop.dim.v1']);
    expect(await ls('dim.v2')).toEqual(['shop.dim.v2']);
  });

  it('a ref to a disabled model says it is disabled', async () => {
    const bad = writeProject({ ...PROJECT, 'models/bad.sql': "select * from {{ ref('off') }}\n" });
    const r = await runModel(['parse', '--project-dir', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/models\/bad\.sql:1:\d+: error \[graph\]: ref\('off'\) names model\.shop\.off, which is disabled/);
  });

  it('disabled nodes of every kind are under disabled, not nodes', () => {
    const manifest = read('manifest.json');
    const disabled = manifest.disabled as Record<string, Record<string, unknown>[]>;
    const ids = Object.keys(disabled).sort();
    expect(ids.filter((id) => !id.startsWith('test.shop.unique_stg_orders_id'))).toEqual([
      'model.shop.off',
      'seed.shop.off_seed',
      'snapshot.shop.off_snap',
      'source.shop.gone.t',
      'test.shop.off_test',
      'unit_test.shop.orders.orders_cents_off',
    ]);
    expect(ids.some((id) => id.startsWith('test.shop.unique_stg_orders_id.'))).toBe(true);
    for (const [id, list] of Object.entries(disabled)) {
      expect(list, id).toHaveLength(1);
      expect((list[0]!.config as { enabled: boolean }).enabled, id).toBe(false);
    }
    const all = { ...(manifest.nodes as object), ...(manifest.sources as object), ...(manifest.unit_tests as object) };
    for (const id of ids) expect(Object.keys(all)).not.toContain(id);
    const results = read('run_results.json').results as { unique_id: string }[];
    expect(results.filter((r) => ids.includes(r.unique_id))).toEqual([]);
  });

  it('run_results.json is run-results v6', () => {
    const results = read('run_results.json');
    const validate = validator('run-results-v6.json');
    expect(validate(results), explain(validate.errors)).toBe(true);
    expect((results.results as unknown[]).length).toBeGreaterThan(5);
  });

  it('sources.json is sources v3', () => {
    const sources = read('sources.json');
    const validate = validator('sources-v3.json');
    expect(validate(sources), explain(validate.errors)).toBe(true);
  });

  it('catalog.json is catalog v1', () => {
    const catalog = read('catalog.json');
    const validate = validator('catalog-v1.json');
    expect(validate(catalog), explain(validate.errors)).toBe(true);
    expect(Object.keys(catalog.nodes as object)).toContain('model.shop.orders');
    expect(Object.keys(catalog.sources as object)).toContain('source.shop.raw.orders');
  });
});

// Fields dbt fills outside `docs generate`: compiled_code for the nodes an invocation compiled
// (dbt-core compilation.py `_compile_code`/`_write_node`, runnable.py writing the manifest after the
// run), a test entry's severity upper-cased (parser/generic_test_builders.py `severity`), a source's
// unrendered_config from its YAML (parser/sources.py `_generate_source_config(rendered=False)`).
describe('manifest.json of compile and build', () => {
  const SMALL = {
    'dbt_project.yml': "name: shop\nversion: '1.0'\nprofile: shop\nsources:\n  shop:\n    +meta: {team: data}\n",
    'profiles.yml': PROJECT['profiles.yml'],
    'models/a.sql': "{{ config(materialized='table') }}\nselect 1 as id\n",
    'models/b.sql': "select id from {{ ref('a') }}\n",
    'models/schema.yml': `version: 2
sources:
  - name: raw
    schema: main
    config: {enabled: true}
    tables:
      - name: a
        config: {event_time: id}
models:
  - name: a
    columns:
      - name: id
        data_tests:
          - unique:
              config: {severity: warn}
          - not_null
`,
  };
  const manifestOf = (dir: string) =>
    JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;

  it('compile writes compiled_code for the compiled nodes, and the manifest validates', async () => {
    const dir = writeProject(SMALL);
    const r = await runModel(['compile', '--project-dir', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const manifest = manifestOf(dir);
    const b = manifest.nodes!['model.shop.b']!;
    expect(b).toMatchObject({ compiled: true, compiled_path: 'target/compiled/shop/models/b.sql', extra_ctes_injected: true, extra_ctes: [] });
    expect(String(b.compiled_code)).toMatch(/select id from .*"a"/);
    const validate = validator('manifest-v12.json');
    expect(nodeErrors(validate, manifest.nodes!) + nodeErrors(validate, manifest.sources!)).toBe('');
    expect(validate(manifest), explain(validate.errors)).toBe(true);
    // A compile selecting one model leaves the others uncompiled, as dbt's.
    const one = await runModel(['compile', '-s', 'a', '--project-dir', dir]);
    expect(one.code, one.stdout + one.stderr).toBe(0);
    const again = manifestOf(dir);
    expect(again.nodes!['model.shop.a']!.compiled).toBe(true);
    expect(again.nodes!['model.shop.b']!.compiled_code).toBeUndefined();
  }, 60_000);

  it('build writes compiled_code; severity and source unrendered_config as dbt writes them', async () => {
    const dir = writeProject(SMALL);
    const r = await runModel(['build', '--project-dir', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const manifest = manifestOf(dir);
    expect(manifest.nodes!['model.shop.a']).toMatchObject({ compiled: true, compiled_path: 'target/compiled/shop/models/a.sql' });
    const tests = Object.values(manifest.nodes!).filter((n) => n.resource_type === 'test');
    const unique = tests.find((n) => String(n.name).startsWith('unique_'))!;
    const notNull = tests.find((n) => String(n.name).startsWith('not_null_'))!;
    expect((unique.config as { severity: string }).severity).toBe('WARN');
    expect((unique.unrendered_config as { severity: string }).severity).toBe('WARN');
    expect((notNull.config as { severity: string }).severity).toBe('ERROR');
    expect(unique.compiled).toBe(true);
    expect(String(unique.compiled_path)).toMatch(/^target\/compiled\/shop\/models\/schema\.yml\/unique_a_id\.sql$/);
    expect(manifest.sources!['source.shop.raw.a']!.unrendered_config).toEqual({ meta: { team: 'data' }, enabled: true, event_time: 'id' });
    const validate = validator('manifest-v12.json');
    expect(nodeErrors(validate, manifest.nodes!) + nodeErrors(validate, manifest.sources!)).toBe('');
    expect(validate(manifest), explain(validate.errors)).toBe(true);
    // show compiles the model it shows, and writes the manifest as dbt's show (a compile task) does.
    const shown = await runModel(['show', 'b', '--project-dir', dir]);
    expect(shown.code, shown.stdout + shown.stderr).toBe(0);
    const after = manifestOf(dir);
    expect(after.nodes!['model.shop.b']!.compiled).toBe(true);
    expect(after.nodes!['model.shop.a']!.compiled).toBeUndefined();
  }, 60_000);
});
