// dbt's adapter conformance suite, folders simple_snapshot/ and incremental/ (dbt-labs/dbt-adapters,
// dbt-tests-adapter/src/dbt/tests/adapter/), ported: each upstream class is a small inline project
// with the same steps and assertions, run on DuckDB and on the loopback Snowflake emulator.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, execute, openProject } from '../../src/index.js';
import type { Session } from '../../src/tasks/session.js';
import type { Adapter } from '../../src/warehouse/adapter.js';
import type { NodeResult } from '../../src/execute/results.js';
import { retry } from '../../src/tasks/retry.js';
import { runModel, writeProject } from '../helpers/project.js';
import { duckdbOutput, emulatorOutput, profilesYml } from '../helpers/profiles.js';

const PASSWORD = 'model-password';
let emulator: SnowflakeEmulator | undefined;
let schemaNo = 0;

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator?.close();
});
/** Test projects whose sql()/rowsOf() adapter is open: closed after each test. */
const live = new Set<TestProject>();
afterEach(async () => {
  for (const p of [...live]) await p.release();
});

interface Target {
  name: 'duckdb' | 'snowflake';
  profiles(schema: string): string;
  database: string;
}

const targets: Target[] = [
  {
    name: 'duckdb',
    database: 'project',
    profiles: (schema) => profilesYml('p', 'dev', { dev: duckdbOutput('target/project.duckdb', { schema }) }),
  },
  {
    name: 'snowflake',
    database: 'project_db',
    profiles: (schema) =>
      profilesYml('p', 'sf', {
        sf: emulatorOutput({ password: PASSWORD, access_url: emulator!.url, database: 'project_db', warehouse: 'compute_wh', schema, threads: 2 }),
      }),
  },
];

/** A project on one target, in a schema of its own; `{schema}` in SQL is the qualified schema. */
class TestProject {
  readonly dir: string;
  readonly schema: string;
  private session?: Session;
  private open?: Adapter;
  constructor(
    readonly target: Target,
    files: Record<string, string>,
  ) {
    this.schema = `t${process.pid}_${++schemaNo}`;
    this.dir = writeProject({ 'project.yml': 'name: test\nprofile: p\n', 'profiles.yml': target.profiles(this.schema), ...files });
  }

  write(files: Record<string, string>): void {
    writeProject(files, this.dir);
  }

  private fill(sql: string): string {
    return sql.replaceAll('{schema}', `${this.target.database}.${this.schema}`);
  }

  /**
   * The project's adapter for the test's own SQL, opened once and kept open across consecutive
   * sql()/rowsOf() calls (one project parse, one DuckDB open and close), and closed by release()
   * before anything else opens the project: DuckDB lets one instance at a time hold the file.
   */
  private async adapter(): Promise<Adapter> {
    if (!this.open) {
      this.session ??= await openProject({ projectDir: this.dir });
      const adapter = await connect(this.session);
      this.open = adapter;
      live.add(this);
    }
    return this.open;
  }

  /** Closes the adapter of sql()/rowsOf(), if open; call it before another command opens the project. */
  async release(): Promise<void> {
    const adapter = this.open;
    this.open = undefined;
    live.delete(this);
    await adapter?.close();
  }

  /** The project folder, once release() has closed the adapter of sql()/rowsOf(). */
  async released(): Promise<string> {
    await this.release();
    return this.dir;
  }

  /** Runs SQL statements (separated by `;` at line ends) on the target. */
  async sql(text: string): Promise<unknown[][]> {
    const adapter = await this.adapter();
    let rows: unknown[][] = [];
    await adapter.ensureSchema(this.target.name === 'duckdb' ? 'project' : 'project_db', this.schema);
    for (const stmt of this.fill(text)
      .split(/;\s*(?:\n|$)/)
      .map((s) => s.trim())
      .filter((s) => s && !/^(--[^\n]*\n?)*$/.test(s))) {
      rows = (await adapter.withConnection((c) => c.execute(stmt))).rows;
    }
    return rows;
  }

  /** `model <command>`: the results, and whether every node succeeded. */
  async run(command: 'snapshot' | 'run' | 'seed' | 'build', opts: { select?: string[]; fullRefresh?: boolean } = {}): Promise<NodeResult[]> {
    await this.release();
    const { summary } = await execute(command, { projectDir: this.dir, ...opts });
    return summary.results;
  }

  async ok(command: 'snapshot' | 'run' | 'seed' | 'build', opts: { select?: string[]; fullRefresh?: boolean } = {}): Promise<NodeResult[]> {
    const results = await this.run(command, opts);
    expect(results.filter((r) => r.status !== 'success' && r.status !== 'pass').map((r) => `${r.node.name}: ${r.message}`)).toEqual([]);
    return results;
  }

  /** Rows of a relation as sorted JSON texts with lower-case column names (dbt's check_relations_equal). */
  async rowsOf(relation: string): Promise<string[]> {
    const adapter = await this.adapter();
    const r = await adapter.withConnection((c) => c.execute(`select * from ${this.fill(`{schema}.${relation}`)}`));
    const names = r.columns.map((c) => c.name.toLowerCase());
    const order = names.map((n, i) => [n, i] as const).sort((a, b) => a[0].localeCompare(b[0]));
    return r.rows.map((row) => JSON.stringify(order.map(([n, i]) => [n, row[i] === null ? null : String(row[i])]))).sort();
  }

  async expectSame(a: string, b: string): Promise<void> {
    const [x, y] = [await this.rowsOf(a), await this.rowsOf(b)];
    expect(x.length).toBeGreaterThan(0);
    expect(x).toEqual(y);
  }
}

// --- simple_snapshot fixtures (fixtures.py), with fewer seed rows --------------------------------

const createSeed = `create table {schema}.seed (id INTEGER, first_name VARCHAR(50), last_name VARCHAR(50), email VARCHAR(50), gender VARCHAR(50), ip_address VARCHAR(20), updated_at TIMESTAMP)`;
const seedRows = `insert into {schema}.seed (id, first_name, last_name, email, gender, ip_address, updated_at) values
(1, 'Judith', 'Kennedy', '(not provided)', 'Female', '54.60.24.128', '2015-12-24 12:19:28'),
(2, 'Arthur', 'Kelly', '(not provided)', 'Male', '62.56.24.215', '2015-10-28 16:22:15'),
(3, 'Rachel', 'Moreno', 'rmoreno2@msu.edu', 'Female', '31.222.249.23', '2016-04-05 02:05:30'),
(4, 'Ralph', 'Turner', 'rturner3@hp.com', 'Male', '157.83.76.114', '2016-08-08 00:06:51'),
(5, 'Laura', 'Gonzales', 'lgonzales4@howstuffworks.com', 'Female', '30.54.105.168', '2016-09-01 08:25:38'),
(6, 'Phyllis', 'Fox', null, 'Female', '163.191.232.95', '2016-08-21 10:35:19')`;
const expectedCols = (valid: string, extra = '') =>
  `id INTEGER, first_name VARCHAR(50), last_name VARCHAR(50), email VARCHAR(50), gender VARCHAR(50), ip_address VARCHAR(20), updated_at TIMESTAMP, ${valid}_valid_from TIMESTAMP, ${valid.toUpperCase()}_VALID_TO TIMESTAMP, ${valid}_scd_id TEXT, ${valid}_updated_at TIMESTAMP${extra}`;
const expectedSelect = (p: string, validTo: string, where = '', extra = '') =>
  `insert into {schema}.snapshot_expected
select id, first_name, last_name, email, gender, ip_address, updated_at,
  updated_at as ${p}_valid_from, ${validTo} as ${p.toUpperCase()}_VALID_TO, md5(id || '-' || first_name || '|' || cast(updated_at as varchar)) as ${p}_scd_id, updated_at as ${p}_updated_at${extra}
from {schema}.seed ${where}`;
// Rows 4 to 6 change: a new email and an hour later; the expected history closes their old version.
const invalidate = (p: string) => `update {schema}.seed set updated_at = updated_at + interval '1 hour',
  email = case when id = 6 then 'pfoxj@creativecommons.org' else 'new_' || email end
where id >= 4 and id <= 6;
update {schema}.snapshot_expected set ${p.toUpperCase()}_VALID_TO = updated_at + interval '1 hour' where id >= 4 and id <= 6`;

const snapshotActual = `{% snapshot snapshot_actual %}
    {{ config(unique_key='id || ' ~ "'-'" ~ ' || first_name') }}
    select * from {{ target.database }}.{{ target.schema }}.seed
{% endsnapshot %}
`;
const metaNames = `      snapshot_meta_column_names:
          dbt_valid_to: TEST_VALID_TO
          dbt_valid_from: test_valid_from
          dbt_scd_id: test_scd_id
          dbt_updated_at: test_updated_at
`;
const snapshotsYml = (extra = '') => `snapshots:\n  - name: snapshot_actual\n    config:\n      strategy: timestamp\n      updated_at: updated_at\n${extra}`;

for (const target of targets) {
  describe(`simple_snapshot on ${target.name}`, () => {
    // test_various_configs.py, BaseSnapshotColumnNames
    it('names its columns from snapshot_meta_column_names and keeps history of changed rows', async () => {
      const p = new TestProject(target, {
        'snapshots/snapshot.sql': snapshotActual,
        'models/snapshots.yml': snapshotsYml(metaNames),
        'models/ref_snapshot.sql': "select * from {{ ref('snapshot_actual') }}\n",
      });
      await p.sql(
        `${createSeed};\ncreate table {schema}.snapshot_expected (${expectedCols('test')});\n${seedRows};\n${expectedSelect('test', 'cast(null as timestamp)')}`,
      );
      expect(await p.ok('snapshot')).toHaveLength(1);
      await p.sql(`${invalidate('test')};\n${expectedSelect('test', 'cast(null as timestamp)', 'where id >= 4 and id <= 6')}`);
      expect(await p.ok('snapshot')).toHaveLength(1);
      await p.expectSame('snapshot_actual', 'snapshot_expected');
    });

    // test_various_configs.py, BaseSnapshotColumnNamesFromDbtProject
    it('takes snapshot_meta_column_names from the project file', async () => {
      const p = new TestProject(target, {
        'project.yml': `name: test\nprofile: p\nsnapshots:\n  test:\n    +snapshot_meta_column_names:\n      dbt_valid_to: test_valid_to\n      dbt_valid_from: test_valid_from\n      dbt_scd_id: test_scd_id\n      dbt_updated_at: test_updated_at\n`,
        'snapshots/snapshot.sql': snapshotActual,
        'models/snapshots.yml': snapshotsYml(),
        'models/ref_snapshot.sql': "select * from {{ ref('snapshot_actual') }}\n",
      });
      await p.sql(
        `${createSeed};\ncreate table {schema}.snapshot_expected (${expectedCols('test')});\n${seedRows};\n${expectedSelect('test', 'cast(null as timestamp)')}`,
      );
      await p.ok('snapshot');
      await p.sql(`${invalidate('test')};\n${expectedSelect('test', 'cast(null as timestamp)', 'where id >= 4 and id <= 6')}`);
      await p.ok('snapshot');
      await p.expectSame('snapshot_actual', 'snapshot_expected');

      // BaseSnapshotInvalidColumnNames: other names than the table has are an error naming the snapshot.
      p.write({
        'project.yml': `name: test\nprofile: p\nsnapshots:\n  test:\n    +snapshot_meta_column_names:\n      dbt_valid_to: test_valid_to\n      dbt_updated_at: test_updated_at\n`,
      });
      const failed = await p.run('snapshot');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.status).toBe('error');
      expect(failed[0]!.message).toMatch(/snapshot target is missing configured columns/i);
      expect(failed[0]!.error?.headline).toMatch(/^snapshots\/snapshot\.sql/);
    });

    // test_various_configs.py, BaseSnapshotDbtValidToCurrent
    it('puts dbt_valid_to_current in the current rows instead of null', async () => {
      const p = new TestProject(target, {
        'snapshots/snapshot.sql': snapshotActual,
        'models/snapshots.yml': snapshotsYml(`      dbt_valid_to_current: "date('2099-12-31')"\n${metaNames}`),
      });
      const current = "cast(date('2099-12-31') as timestamp)";
      await p.sql(`${createSeed};\ncreate table {schema}.snapshot_expected (${expectedCols('test')});\n${seedRows};\n${expectedSelect('test', current)}`);
      await p.ok('snapshot');
      const first = await p.sql('select id, test_valid_to from {schema}.snapshot_actual order by id');
      expect(first.map((r) => String(r[1]).slice(0, 10))).toEqual(Array(6).fill('2099-12-31'));
      await p.sql(`${invalidate('test')};\n${expectedSelect('test', current, 'where id >= 4 and id <= 6')}`);
      await p.ok('snapshot');
      const after = await p.sql('select test_valid_to from {schema}.snapshot_actual where id = 4 order by test_valid_from');
      expect(after.map((r) => String(r[0]).slice(0, 19).replace('T', ' '))).toEqual(['2016-08-08 01:06:51', '2099-12-31 00:00:00']);
      await p.expectSame('snapshot_actual', 'snapshot_expected');
    });

    // test_various_configs.py, BaseSnapshotMultiUniqueKey: a YAML-only snapshot (relation:) with a composite key
    it('snapshots a relation named in YAML on a composite unique key', async () => {
      const p = new TestProject(target, {
        'models/seed.sql': 'select * from {{ target.database }}.{{ target.schema }}.seed\n',
        'models/snapshots.yml': `snapshots:\n  - name: snapshot_actual\n    relation: "ref('seed')"\n    config:\n      strategy: timestamp\n      updated_at: updated_at\n      unique_key:\n        - id1\n        - id2\n${metaNames}`,
        'models/ref_snapshot.sql': "select * from {{ ref('snapshot_actual') }}\n",
      });
      const cols = expectedCols('test').replace('id INTEGER', 'id1 INTEGER, id2 INTEGER');
      const expected = (validTo: string, where = '') => `insert into {schema}.snapshot_expected
select id1, id2, first_name, last_name, email, gender, ip_address, updated_at, updated_at, ${validTo},
  md5(cast(id1 as varchar) || '|' || cast(id2 as varchar) || '|' || cast(updated_at as varchar)), updated_at
from {schema}.seed ${where}`;
      await p.sql(`${createSeed.replace('id INTEGER', 'id1 INTEGER, id2 INTEGER')};
create table {schema}.snapshot_expected (${cols});
${seedRows.replace('(id,', '(id1, id2,').replace(/\n\((\d+), /g, (_, n) => `\n(${n}, ${Number(n) * 100}, `)};
${expected('cast(null as timestamp)')}`);
      expect(await p.ok('snapshot')).toHaveLength(1);
      await p.sql(`${invalidate('test').replaceAll('id ', 'id1 ')};\n${expected('cast(null as timestamp)', 'where id1 >= 4 and id1 <= 6')}`);
      await p.ok('snapshot');
      await p.expectSame('snapshot_actual', 'snapshot_expected');
    });

    // new_record_timestamp_mode.py, BaseSnapshotNewRecordTimestampMode; new_record_check_mode.py,
    // BaseSnapshotNewRecordCheckMode (the same steps with strategy check, check_cols all). In check
    // mode the versions' times are the snapshot's time, not updated_at, so the comparison with the
    // expected table (whose times are updated_at) is made on the timestamp strategy only.
    it.each([
      ['timestamp', snapshotsYml('      hard_deletes: new_record\n')],
      ['check', 'snapshots:\n  - name: snapshot_actual\n    config:\n      strategy: check\n      check_cols: all\n      hard_deletes: new_record\n'],
    ])('hard_deletes: new_record (%s) records a deletion as a row of its own, and a return as a new version', async (strategy, yml) => {
      const p = new TestProject(target, {
        'snapshots/snapshot.sql': snapshotActual,
        'models/snapshots.yml': yml,
        'models/ref_snapshot.sql': "select * from {{ ref('snapshot_actual') }}\n",
      });
      const ex = (where = '') => expectedSelect('dbt', 'cast(null as timestamp)', where, ", 'False' as dbt_is_deleted");
      await p.sql(`${createSeed};\ncreate table {schema}.snapshot_expected (${expectedCols('dbt', ', dbt_is_deleted TEXT')});\n${seedRows};\n${ex()}`);
      expect(await p.ok('snapshot')).toHaveLength(1);
      await p.sql(`${invalidate('dbt')};\n${ex('where id >= 4 and id <= 6')}`);
      expect(await p.ok('snapshot')).toHaveLength(1);
      if (strategy === 'timestamp') await p.expectSame('snapshot_actual', 'snapshot_expected');
      else expect(await p.sql('select * from {schema}.snapshot_actual')).toHaveLength(9);

      const check = 'select dbt_valid_to, dbt_scd_id, dbt_is_deleted from {schema}.snapshot_actual where id = 1';
      await p.sql('delete from {schema}.seed where id = 1');
      await p.ok('snapshot');
      const rows = await p.sql(check);
      expect(rows).toHaveLength(2);
      expect(rows.filter((r) => r[0] === null && r[1] !== null && r[2] === 'True')).toHaveLength(1);
      expect(rows.filter((r) => r[0] !== null && r[1] !== null && r[2] === 'False')).toHaveLength(1);
      expect(rows[0]![1]).not.toBe(rows[1]![1]);
      // The same source again: nothing is inserted or updated.
      await p.ok('snapshot');
      expect(await p.sql(check)).toHaveLength(2);
      // The row comes back: the deletion is closed and a new version starts.
      await p.sql(
        "insert into {schema}.seed (id, first_name, last_name, email, gender, ip_address, updated_at) values (1, 'Judith', 'Kennedy', '(not provided)', 'Female', '54.60.24.128', '2200-01-01 12:00:00')",
      );
      await p.ok('snapshot');
      expect(await p.sql('select dbt_valid_from, dbt_valid_to, dbt_scd_id, dbt_is_deleted from {schema}.snapshot_actual where id = 1')).toHaveLength(3);
      await p.sql('delete from {schema}.seed where id = 1');
      await p.ok('snapshot');
      expect(await p.sql(check)).toHaveLength(4);
      await p.ok('snapshot');
      expect(await p.sql(check)).toHaveLength(4);
    });

    // new_record_check_mode.py, BaseSnapshotNewRecordCheckMode (check strategy, check_cols as a list)
    it('check strategy: a change in a checked column is a new version, a deletion a new record', async () => {
      const p = new TestProject(target, {
        'snapshots/snapshot.sql': snapshotActual,
        'models/snapshots.yml':
          "snapshots:\n  - name: snapshot_actual\n    config:\n      strategy: check\n      check_cols: ['email']\n      hard_deletes: new_record\n",
      });
      await p.sql(`${createSeed};\n${seedRows}`);
      await p.ok('snapshot');
      await p.sql("update {schema}.seed set email = 'new_' || email where id >= 4 and id <= 6;\nupdate {schema}.seed set last_name = 'Other' where id = 1");
      await p.ok('snapshot');
      // Rows 4-5 changed a checked column: two versions each; row 1 changed an unchecked one, and
      // row 6's email stays null ('new_' || null): one.
      const versions = await p.sql('select id, count(*) from {schema}.snapshot_actual group by id order by id');
      expect(versions.map((r) => Number(r[1]))).toEqual([1, 1, 1, 2, 2, 1]);
      const current = await p.sql("select email from {schema}.snapshot_actual where id = 4 and dbt_valid_to is null and dbt_is_deleted = 'False'");
      expect(current).toEqual([['new_rturner3@hp.com']]);
      await p.sql('delete from {schema}.seed where id = 2');
      await p.ok('snapshot');
      const deleted = await p.sql('select dbt_valid_to is null, dbt_is_deleted from {schema}.snapshot_actual where id = 2 order by dbt_valid_from');
      expect(deleted.map((r) => [Boolean(r[0]), r[1]])).toEqual([
        [false, 'False'],
        [true, 'True'],
      ]);
      await p.ok('snapshot');
      expect(await p.sql('select * from {schema}.snapshot_actual where id = 2')).toHaveLength(2);
    });

    // new_record_dbt_valid_to_current.py, BaseSnapshotNewRecordDbtValidToCurrent
    it('new_record with dbt_valid_to_current: a deletion is recorded once, however often the snapshot runs', async () => {
      const p = new TestProject(target, {
        'snapshots/snapshot.sql': '{% snapshot snapshot_actual %}\n    select * from {{ target.database }}.{{ target.schema }}.seed\n{% endsnapshot %}\n',
        'models/snapshots.yml':
          'snapshots:\n  - name: snapshot_actual\n    config:\n      unique_key: id\n      strategy: check\n      check_cols: all\n      hard_deletes: new_record\n      dbt_valid_to_current: "date(\'9999-12-31\')"\n',
      });
      await p.sql(
        "create table {schema}.seed (id INTEGER, first_name VARCHAR(50));\ninsert into {schema}.seed (id, first_name) values (1, 'Judith'), (2, 'Arthur')",
      );
      await p.ok('snapshot');
      await p.sql('delete from {schema}.seed where id = 1');
      await p.ok('snapshot');
      await p.ok('snapshot');
      expect(await p.sql("select dbt_scd_id from {schema}.snapshot_actual where id = 1 and dbt_is_deleted = 'True'")).toHaveLength(1);
      const current = await p.sql("select dbt_valid_to from {schema}.snapshot_actual where id = 1 and dbt_is_deleted = 'True'");
      expect(String(current[0]![0]).slice(0, 10)).toBe('9999-12-31');
    });

    // test_ephemeral_snapshot_hard_deletes.py, BaseSnapshotEphemeralHardDeletes (the source's schema
    // is "{{ target.schema }}", as upstream writes it)
    it('snapshots an ephemeral model, and takes a column the source gained', async () => {
      const p = new TestProject(target, {});
      p.write({
        'models/_sources.yml': 'version: 2\nsources:\n  - name: test_source\n    schema: "{{ target.schema }}"\n    tables:\n      - name: src_customers\n',
        'models/ephemeral_customers.sql': "{{ config(materialized='ephemeral') }}\nselect * from {{ source('test_source', 'src_customers') }}\n",
        'models/snapshots.yml':
          "snapshots:\n  - name: snapshot_customers\n    relation: ref('ephemeral_customers')\n    config:\n      unique_key: id\n      strategy: check\n      check_cols: all\n      hard_deletes: new_record\n",
        'models/ref_snapshot.sql': "select * from {{ ref('snapshot_customers') }}\n",
      });
      await p.sql(`create table {schema}.src_customers (id INTEGER, first_name VARCHAR(50), last_name VARCHAR(50), email VARCHAR(50), updated_at TIMESTAMP);
insert into {schema}.src_customers values (1, 'John', 'Doe', 'john.doe@example.com', '2023-01-01 10:00:00'), (2, 'Jane', 'Smith', 'jane.smith@example.com', '2023-01-02 11:00:00'), (3, 'Bob', 'Johnson', 'bob.johnson@example.com', '2023-01-03 12:00:00')`);
      expect(await p.ok('snapshot')).toHaveLength(1);
      expect(await p.sql('select count(*) from {schema}.snapshot_customers')).toEqual([[3]]);
      await p.sql("alter table {schema}.src_customers add column dummy_column VARCHAR(50) default 'dummy_value'");
      expect(await p.ok('snapshot')).toHaveLength(1);
    });

    // dbt-adapters snapshots/helpers.sql: hard_deletes 'invalidate' (and the older invalidate_hard_deletes: true) closes a deleted row
    it.each([['hard_deletes: invalidate'], ['invalidate_hard_deletes: true']])('%s closes the current version of a deleted row', async (setting) => {
      const p = new TestProject(target, {
        'snapshots/snapshot.sql': snapshotActual,
        'models/snapshots.yml': snapshotsYml(`      ${setting}\n`),
      });
      await p.sql(`${createSeed};\n${seedRows}`);
      await p.ok('snapshot');
      await p.sql('delete from {schema}.seed where id = 2');
      await p.ok('snapshot');
      await p.ok('snapshot');
      const rows = await p.sql('select dbt_valid_to is null from {schema}.snapshot_actual where id = 2');
      expect(rows.map((r) => Boolean(r[0]))).toEqual([false]);
      expect(await p.sql('select * from {schema}.snapshot_actual where dbt_valid_to is null')).toHaveLength(5);
    });

    // dbt runs data tests declared on a snapshot's columns (snapshots: in a properties file)
    // dbt-adapters snapshots/strategies.sql (strategy_dispatch): strategy='<name>' calls the project's
    // snapshot_<name>_strategy macro, whose dict gives updated_at, scd_id and row_changed.
    it('runs a custom strategy from its snapshot_<name>_strategy macro', async () => {
      const p = new TestProject(target, {
        'macros/strategy.sql': `{% macro snapshot_newer_strategy(node, snapshotted_rel, current_rel, model_config, target_exists) %}
    {% set primary_key = config.get('unique_key') %}
    {% set updated_at = config.get('updated_at') %}
    {% set row_changed_expr -%}
        ({{ snapshotted_rel }}.dbt_valid_from < {{ current_rel }}.{{ updated_at }})
    {%- endset %}
    {% do return({
        "unique_key": primary_key,
        "updated_at": updated_at,
        "row_changed": row_changed_expr,
        "scd_id": snapshot_hash_arguments([primary_key, updated_at]),
        "invalidate_hard_deletes": false
    }) %}
{% endmacro %}
`,
        'snapshots/snap.sql': `{% snapshot snap %}
    {{ config(unique_key='id', strategy='newer', updated_at='updated_at') }}
    select * from {{ target.database }}.{{ target.schema }}.src
{% endsnapshot %}
`,
      });
      await p.sql(
        "create table {schema}.src (id integer, name varchar(10), updated_at timestamp);\ninsert into {schema}.src values (1, 'a', '2024-01-01 00:00:00'), (2, 'b', '2024-01-01 00:00:00')",
      );
      await p.ok('snapshot');
      await p.sql("update {schema}.src set name = 'B', updated_at = '2024-02-01 00:00:00' where id = 2;\nupdate {schema}.src set name = 'A' where id = 1");
      await p.ok('snapshot');
      const rows = await p.sql(
        "select id, name, case when dbt_valid_to is null then 'current' else 'closed' end, dbt_scd_id = md5(cast(id as varchar) || '|' || cast(updated_at as varchar)) from {schema}.snap order by id, dbt_valid_from",
      );
      // Row 1 changed without a newer updated_at: no new version (the macro's row_changed).
      expect(rows.map((r) => r.map(String).join(' '))).toEqual(['1 a current true', '2 b closed true', '2 B current true']);
    });

    // hooks/test_model_hooks.py, BasePrePostModelHooksOnSnapshots and BasePrePostSnapshotHooksInConfigKwargs
    // (the same project with another snapshot-paths): folder post-hooks add a column the snapshot's test checks.
    it('TestPrePostModelHooksOnSnapshots: a post-hook adds the column its not_null test reads', async () => {
      const p = new TestProject(target, {
        'project.yml': `name: test
profile: p
seed-paths: [seeds]
snapshot-paths: [test-snapshots]
snapshots:
  post-hook:
    - "alter table {{ this }} add column new_col int"
    - "update {{ this }} set new_col = 1"
`,
        'test-snapshots/snapshot.sql': `{% snapshot example_snapshot %}
{{
    config(target_schema=schema, unique_key='a', strategy='check', check_cols='all')
}}
select * from {{ ref('example_seed') }}
{% endsnapshot %}
`,
        'models/schema.yml': 'snapshots:\n- name: example_snapshot\n  columns:\n  - name: new_col\n    data_tests:\n    - not_null\n',
        'seeds/example_seed.csv': 'a,b,c\n1,2,3\n4,5,6\n7,8,9\n',
      });
      expect(await p.ok('seed')).toHaveLength(1);
      expect(await p.ok('snapshot')).toHaveLength(1);
      const { summary } = await execute('test', { projectDir: await p.released() });
      expect(summary.results.map((r) => `${r.node.name}: ${r.status}`)).toEqual([expect.stringMatching(/^not_null_example_snapshot_new_col.*: pass$/)]);
    });

    it('runs the data tests a snapshot declares, after it in build', async () => {
      const p = new TestProject(target, {
        'seeds/people.csv': 'id,name\n1,a\n2,b\n',
        'snapshots/people_snap.sql':
          "{% snapshot people_snap %}{{ config(unique_key='id', strategy='check', check_cols='all') }}select * from {{ ref('people') }}{% endsnapshot %}\n",
        'snapshots/props.yml':
          'snapshots:\n  - name: people_snap\n    columns:\n      - name: id\n        data_tests: [not_null]\n      - name: dbt_scd_id\n        data_tests: [unique]\n',
      });
      const results = await p.ok('build');
      const names = results.map((r) => `${r.node.resourceType}:${r.node.name}`);
      // The two tests run side by side (threads: 2): both after the snapshot, in either order.
      expect(names.slice(0, 2)).toEqual(['seed:people', 'snapshot:people_snap']);
      expect(names.slice(2).sort()).toEqual(['test:not_null_people_snap_id', 'test:unique_people_snap_dbt_scd_id']);
    });

    it('builds snapshots in graph order inside build, is selected by name and resource_type, and ref() reads it', async () => {
      const p = new TestProject(target, {
        'seeds/people.csv': 'id,name,updated_at\n1,a,2020-01-01 00:00:00\n2,b,2020-01-01 00:00:00\n',
        'snapshots/people_snap.sql':
          "{% snapshot people_snap %}{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}select * from {{ ref('people') }}{% endsnapshot %}\n",
        'models/current_people.sql': "select id, name from {{ ref('people_snap') }} where dbt_valid_to is null\n",
      });
      const results = await p.ok('build');
      expect(results.map((r) => r.node.name)).toEqual(['people', 'people_snap', 'current_people']);
      expect((await p.ok('snapshot', { select: ['resource_type:snapshot'] })).map((r) => r.node.uniqueId)).toEqual(['snapshot.test.people_snap']);
      expect(await p.ok('build', { select: ['people_snap'] })).toHaveLength(1);
    });
  });
}

describe('snapshot errors', () => {
  it('model snapshot runs the snapshots from the command line; a mistake exits 2 with file:line and a hint', async () => {
    const dir = writeProject({
      'project.yml': 'name: test\nprofile: p\n',
      'profiles.yml': targets[0]!.profiles('main'),
      'snapshots/snap.sql': "{% snapshot snap %}\n{{ config(unique_key='id', strategy='check', check_cols='all') }}\nselect 1 as id\n{% endsnapshot %}\n",
    });
    const ok = await runModel(['snapshot'], { cwd: dir });
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout + ok.stderr).toMatch(/OK snapshot main\.snap \.+ \[SELECT 1/);
    writeProject({ 'snapshots/snap.sql': "{% snapshot snap %}\n{{ config(strategy='check', check_cols='all') }}\nselect 1 as id\n{% endsnapshot %}\n" }, dir);
    const bad = await runModel(['snapshot'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/snapshots\/snap\.sql:2:4: error \[project\]: snapshot 'snap' has no unique_key/);
    expect(bad.stderr).toMatch(/hint: set unique_key/);
  });

  it.each([
    ["{{ config(strategy='timestamp', updated_at='u') }}", /snapshot 'snap' has no unique_key/, /set unique_key/],
    ["{{ config(unique_key='id', updated_at='u') }}", /snapshot 'snap' has no strategy/, /strategy='timestamp'/],
    ["{{ config(unique_key='id', strategy='timestamp') }}", /has no updated_at/, /updated_at/],
    ["{{ config(unique_key='id', strategy='check') }}", /has no check_cols/, /check_cols='all'/],
    [
      "{{ config(unique_key='id', strategy='newest') }}",
      /strategy 'newest' is not one of timestamp, check/,
      /define a macro snapshot_newest_strategy\(node, snapshotted_rel/,
    ],
  ])('names the file and line: %s', async (config, message, hint) => {
    const dir = writeProject({
      'project.yml': 'name: test\nprofile: p\n',
      'profiles.yml': targets[0]!.profiles('main'),
      'snapshots/snap.sql': `-- a comment line\n{% snapshot snap %}\n  ${config}\n  select 1 as id\n{% endsnapshot %}\n`,
    });
    const error = await openProject({ projectDir: dir }).then(
      () => undefined,
      (e: Error & { errors?: { headline: string; hint?: string }[] }) => e,
    );
    const first = error?.errors?.[0] ?? (error as unknown as { headline: string; hint?: string });
    expect(first?.headline).toMatch(/^snapshots\/snap\.sql:3:\d+: error \[project\]/);
    expect(first?.headline).toMatch(message);
    expect(first?.hint).toMatch(hint);
  });
});

// --- simple_snapshot/test_snapshot.py: BaseSimpleSnapshot, BaseSnapshotCheck ---------------------
// (read from dbt-core's tests/adapter copy of the file; dbt-adapters' stored copy lacks it). The seed
// holds 30 rows; `fact` is cloned from its first 20 before each case and snapshotted; each case
// changes `fact`, snapshots again and checks which ids have a current and which a closed version.

const simpleSeed = `id,first_name,last_name,email,gender,ip_address,updated_at
${Array.from({ length: 30 }, (_, i) => `${i + 1},First${i + 1},Last${i + 1},person${i + 1}@example.com,${i % 2 ? 'Male' : 'Female'},10.0.0.${i + 1},2016-0${(i % 9) + 1}-1${i % 10} 0${i % 10}:2${i % 10}:00`).join('\n')}
`;
const simpleSnapshot = (strategy: string) => `{% snapshot snapshot %}
    {{ config(target_database=database, target_schema=schema, unique_key='id', ${strategy}) }}
    select * from {{ ref('fact') }}
{% endsnapshot %}
`;

for (const target of targets) {
  for (const [cls, strategy] of [
    ['BaseSimpleSnapshot', "strategy='timestamp', updated_at='updated_at', invalidate_hard_deletes=True"],
    ['BaseSnapshotCheck', "strategy='check', check_cols=['email']"],
  ] as const) {
    describe(`simple_snapshot/test_snapshot.py ${cls} on ${target.name}`, () => {
      let p: TestProject;
      const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
      beforeAll(async () => {
        p = new TestProject(target, {
          'seeds/seed.csv': simpleSeed,
          'models/fact.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('seed') }}\nwhere id between 1 and 20\n",
          'snapshots/snapshot.sql': simpleSnapshot(strategy),
        });
        await p.ok('seed');
      });
      /** _setup_method: fact from the seed's first 20 rows, snapshotted; the snapshot emptied (not dropped) by the previous case. */
      const setUp = async () => {
        await p.sql('create or replace table {schema}.fact as select * from {schema}.seed where id between 1 and 20');
        await p.sql('delete from {schema}.snapshot').catch(() => undefined);
        await p.ok('snapshot');
      };
      /** _assert_results: each id with a current version, each id with a closed one. */
      const expectResults = async (current: number[], closed: number[]) => {
        const rows = await p.sql('select id, case when dbt_valid_to is null then 1 else 0 end from {schema}.snapshot');
        const got = [...new Set(rows.map((r) => `${Number(r[0])}:${Number(r[1]) === 1}`))].sort();
        expect(got).toEqual([...new Set([...current.map((i) => `${i}:true`), ...closed.map((i) => `${i}:false`)])].sort());
      };

      if (cls === 'BaseSimpleSnapshot') {
        it('test_updates_are_captured_by_snapshot', async () => {
          await setUp();
          await p.sql("update {schema}.fact set updated_at = updated_at + interval '1 day' where id between 16 and 20");
          await p.ok('snapshot');
          await expectResults(range(1, 20), range(16, 20));
        });
        it('test_inserts_are_captured_by_snapshot', async () => {
          await setUp();
          await p.sql('insert into {schema}.fact select * from {schema}.seed where id between 21 and 30');
          await p.ok('snapshot');
          await expectResults(range(1, 30), []);
        });
        it('test_deletes_are_captured_by_snapshot', async () => {
          await setUp();
          await p.sql('delete from {schema}.fact where id between 16 and 20');
          await p.ok('snapshot');
          await expectResults(range(1, 15), range(16, 20));
        });
        it('test_revives_are_captured_by_snapshot', async () => {
          await setUp();
          await p.sql('delete from {schema}.fact where id between 16 and 20');
          await p.ok('snapshot');
          await p.sql('insert into {schema}.fact select * from {schema}.seed where id between 16 and 18');
          await p.ok('snapshot');
          await expectResults(range(1, 18), range(16, 20));
        });
        it('test_new_column_captured_by_snapshot', async () => {
          await setUp();
          await p.sql('alter table {schema}.fact add column full_name varchar(200) default null');
          await p.sql(
            "update {schema}.fact set full_name = first_name || ' ' || last_name, updated_at = updated_at + interval '1 day' where id between 11 and 20",
          );
          await p.ok('snapshot');
          await expectResults(range(1, 20), range(11, 20));
        });
      } else {
        it('test_column_selection_is_reflected_in_snapshot', async () => {
          await setUp();
          await p.sql('update {schema}.fact set last_name = left(last_name, 3) where id between 1 and 10');
          await p.sql('update {schema}.fact set email = left(email, 3) where id between 6 and 15');
          await p.ok('snapshot');
          await expectResults(range(1, 20), range(6, 15));
        });
      }
    });
  }
}

// --- simple_snapshot/test_snapshot_backfill.py (dbt-adapters): snapshot column backfill -------------
// One seeded project per target; each case starts from a fresh snapshot of fact's 20 rows, then adds
// columns to fact and snapshots again. Opt-in: the var dbt_snapshot_backfill_enabled and the config
// backfill_new_columns (backfill_audit_column: a text JSON dict of column -> ISO 8601 time).

for (const target of targets) {
  describe(`simple_snapshot/test_snapshot_backfill.py on ${target.name}`, () => {
    let p: TestProject;
    const snapshotSql = (extra: string, key = "'id'") => `{% snapshot snapshot %}
    {{ config(target_schema=schema, strategy='timestamp', unique_key=${key}, updated_at='updated_at'${extra}) }}
    select * from {{ ref('fact') }}
{% endsnapshot %}
`;
    const withAudit = ", backfill_new_columns=true, backfill_audit_column='dbt_backfill_audit'";
    beforeAll(async () => {
      p = new TestProject(target, {
        'seeds/seed.csv': simpleSeed,
        'models/fact.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('seed') }}\nwhere id between 1 and 20\n",
      });
      await p.ok('seed');
    });
    const setUp = async (snapshot: string, flag: boolean | undefined) => {
      p.write({
        'snapshots/snapshot.sql': snapshot,
        'project.yml': `name: test\nprofile: p\n${flag === undefined ? '' : `vars:\n  dbt_snapshot_backfill_enabled: ${flag}\n`}`,
      });
      await p.sql('create or replace table {schema}.fact as select * from {schema}.seed where id between 1 and 20');
      await p.sql('drop table if exists {schema}.snapshot');
      await p.ok('snapshot');
    };
    const addColumn = (name: string, def: string) => p.sql(`alter table {schema}.fact add column ${name} ${def}`);
    const records = async (cols: string) => (await p.sql(`select ${cols} from {schema}.snapshot`)).map((r) => r.map((v) => (v === null ? null : String(v))));
    const audit = (text: string | null | undefined) => (text ? (JSON.parse(text) as Record<string, string>) : {});

    it('BaseSnapshotBackfillSingleColumn, BaseSnapshotBackfillAuditJson', async () => {
      await setUp(snapshotSql(withAudit), true);
      await addColumn('full_name', 'varchar(200) default null');
      await p.sql("update {schema}.fact set full_name = first_name || ' ' || last_name");
      await p.ok('snapshot');
      const rows = await records('id, full_name, dbt_backfill_audit');
      expect(rows).toHaveLength(20);
      for (const [id, fullName, json] of rows) {
        expect(fullName).toBe(`First${id} Last${id}`);
        expect(Object.keys(audit(json))).toEqual(['full_name']);
        expect(audit(json).full_name).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      }
    });

    it('BaseSnapshotBackfillMultipleColumns, BaseSnapshotBackfillSequential', async () => {
      await setUp(snapshotSql(withAudit), true);
      await addColumn('col_a', "varchar(50) default 'value_a'");
      await p.ok('snapshot');
      await addColumn('col_b', "varchar(50) default 'value_b'");
      await addColumn('col_c', "varchar(50) default 'value_c'");
      await p.ok('snapshot');
      for (const [, a, b, c, json] of await records('id, col_a, col_b, col_c, dbt_backfill_audit')) {
        expect([a, b, c]).toEqual(['value_a', 'value_b', 'value_c']);
        expect(Object.keys(audit(json)).sort()).toEqual(['col_a', 'col_b', 'col_c']);
      }
    });

    it('BaseSnapshotBackfillCompositeKey, BaseSnapshotBackfillNullHandling', async () => {
      await setUp(snapshotSql(withAudit, "['id', 'first_name']"), true);
      await addColumn('new_col', "varchar(50) default 'composite_test'");
      await addColumn('nullable_col', 'varchar(50) default null');
      await p.ok('snapshot');
      for (const [, value, nullable, json] of await records('id, new_col, nullable_col, dbt_backfill_audit')) {
        expect(value).toBe('composite_test');
        // A null source value stays null, but the audit says it was backfilled.
        expect(nullable).toBeNull();
        expect(Object.keys(audit(json)).sort()).toEqual(['new_col', 'nullable_col']);
      }
    });

    it('BaseSnapshotBackfillDisabled, BaseSnapshotBackfillBehaviorFlag: either switch off, the old rows keep null', async () => {
      await setUp(snapshotSql(''), false);
      await addColumn('new_col', "varchar(50) default 'should_not_backfill'");
      await p.ok('snapshot');
      expect((await records('new_col')).filter(([v]) => v === null).length).toBeGreaterThan(0);

      await setUp(snapshotSql(withAudit), undefined);
      await addColumn('flagged_col', "varchar(50) default 'flag_test'");
      await p.ok('snapshot');
      expect((await records('flagged_col')).filter(([v]) => v === null).length).toBeGreaterThan(0);
    });
  });
}

// --- incremental/ -------------------------------------------------------------------------------

const visitsSeed = `state,county,city,last_visit_date
CT,Hartford,Hartford,2020-09-23
MA,Suffolk,Boston,2020-02-12
NJ,Mercer,Trenton,2022-01-01
NY,Kings,Brooklyn,2021-04-02
NY,New York,Manhattan,2021-04-01
PA,Philadelphia,Philadelphia,2021-05-21
CO,Denver,,2021-06-18
`;
const keyed = (
  key: string,
  columns = 'state as state, county as county, city as city, last_visit_date as last_visit_date',
) => `{{ config(materialized='incremental', unique_key=${key}) }}
select ${columns}
from {{ ref('seed') }}
{% if is_incremental() %}
    where last_visit_date > (select max(last_visit_date) from {{ this }})
{% endif %}
`;
const overwritten = `{{ config(materialized='table') }}
select 'CT' as state, 'Hartford' as county, 'Hartford' as city, cast('2022-02-14' as date) as last_visit_date
union all select 'MA', 'Suffolk', 'Boston', cast('2020-02-12' as date)
union all select 'NJ', 'Mercer', 'Trenton', cast('2022-01-01' as date)
union all select 'NY', 'Kings', 'Brooklyn', cast('2021-04-02' as date)
union all select 'NY', 'New York', 'Manhattan', cast('2021-04-01' as date)
union all select 'PA', 'Philadelphia', 'Philadelphia', cast('2021-05-21' as date)
union all select 'CO', 'Denver', null, cast('2021-06-18' as date)
`;
const duplicateInsert = "insert into {schema}.seed (state, county, city, last_visit_date) values ('CT', 'Hartford', 'Hartford', cast('2022-02-14' as date))";
const addNewRows = `insert into {schema}.seed (state, county, city, last_visit_date) values ('WA', 'King', 'Seattle', cast('2022-02-01' as date));
insert into {schema}.seed (state, county, city, last_visit_date) values ('CA', 'Los Angeles', 'Los Angeles', cast('2022-02-01' as date))`;

const schemaChangeModelA = `{{ config(materialized='table') }}
with source_data as (
    select 1 as id, 'aaa' as field1, 'bbb' as field2, 111 as field3, 'TTT' as field4
    union all select 2 as id, 'ccc' as field1, 'ddd' as field2, 222 as field3, 'UUU' as field4
    union all select 3 as id, 'eee' as field1, 'fff' as field2, 333 as field3, 'VVV' as field4
    union all select 4 as id, 'ggg' as field1, 'hhh' as field2, 444 as field3, 'WWW' as field4
    union all select 5 as id, 'iii' as field1, 'jjj' as field2, 555 as field3, 'XXX' as field4
    union all select 6 as id, 'kkk' as field1, 'lll' as field2, 666 as field3, 'YYY' as field4
)
select id, field1, field2, field3, field4 from source_data
`;
/** An incremental model on model_a: the first run selects `first` from ids 1-3, later runs `later` from the rest. */
const onSchemaChange = (mode: string, first: string, later: string) => `{{ config(materialized='incremental', unique_key='id', on_schema_change='${mode}') }}
{% set string_type = dbt.type_string() %}
with source_data as (select * from {{ ref('model_a') }})
{% if is_incremental() %}
select id, ${later} from source_data where id not in (select id from {{ this }})
{% else %}
select id, ${first} from source_data where id <= 3
{% endif %}
`;
const str = (c: string) => `cast(${c} as {{ string_type }}) as ${c}`;
const laterStr = (c: string) => `cast(case when id <= 3 then null else ${c} end as {{ string_type }}) as ${c}`;
const targetModel = (cols: string) => `{{ config(materialized='table') }}
{% set string_type = dbt.type_string() %}
select id, ${cols} from {{ ref('model_a') }}
`;

const threeRows = `{% if not is_incremental() %}
select 1 as id, 'hello' as msg, 'blue' as color
union all select 2 as id, 'goodbye' as msg, 'red' as color
{% else %}
select 1 as id, 'hey' as msg, 'blue' as color
union all select 2 as id, 'yo' as msg, 'green' as color
union all select 3 as id, 'anyway' as msg, 'purple' as color
{% endif %}
`;

for (const target of targets) {
  describe(`incremental on ${target.name}`, () => {
    // test_incremental_unique_id.py, BaseIncrementalUniqueKey: each case seeds, builds the model from
    // scratch, changes the seed, runs the model once more and compares it with the expected relation.
    const cases: [string, string, string, string, number][] = [
      ['test__empty_unique_key_list', 'empty_unique_key_list', keyed('[]', '*'), 'seed', 9],
      [
        'test__no_unique_keys',
        'no_unique_key',
        "{{ config(materialized='incremental') }}\nselect * from {{ ref('seed') }}\n{% if is_incremental() %}where last_visit_date > (select max(last_visit_date) from {{ this }}){% endif %}\n",
        'seed',
        9,
      ],
      ['test__empty_str_unique_key', 'empty_str_unique_key', keyed("''", '*'), 'seed', 9],
      ['test__one_unique_key', 'str_unique_key', keyed("'state'"), 'one_str__overwrite', 8],
      ['test__unary_unique_key_list', 'unary_unique_key_list', keyed("['state']"), 'unique_key_list__inplace_overwrite', 8],
      ['test__duplicated_unary_unique_key_list', 'duplicated_unary_unique_key_list', keyed("['state', 'state']"), 'unique_key_list__inplace_overwrite', 8],
      ['test__trinary_unique_key_list', 'trinary_unique_key_list', keyed("['state', 'county', 'city']"), 'unique_key_list__inplace_overwrite', 8],
      ['test__trinary_unique_key_list_no_update', 'nontyped_trinary_unique_key_list', keyed("['state', 'county', 'city']"), 'seed', 9],
    ];
    const runCase = async (model: string, sql: string, expected: string, seedRows: number, projectYml?: string) => {
      const p = new TestProject(target, {
        ...(projectYml ? { 'project.yml': projectYml } : {}),
        'seeds/seed.csv': visitsSeed,
        [`models/${model}.sql`]: sql,
        'models/expected/one_str__overwrite.sql': overwritten,
        'models/expected/unique_key_list__inplace_overwrite.sql': overwritten,
      });
      expect(await p.ok('seed', { select: ['seed'], fullRefresh: true })).toHaveLength(1);
      expect(await p.ok('run', { select: [model], fullRefresh: true })).toHaveLength(1);
      await p.sql(seedRows === 9 ? addNewRows : duplicateInsert);
      expect(await p.sql('select * from {schema}.seed')).toHaveLength(seedRows);
      expect(await p.ok('run', { select: [model] })).toHaveLength(1);
      if (expected !== 'seed') expect(await p.ok('run', { select: [expected] })).toHaveLength(1);
      await p.expectSame(model, expected);
    };
    it.each(cases)('%s', async (_name, model, sql, expected, seedRows) => runCase(model, sql, expected, seedRows));

    // dbt-postgres' split of test_incremental_unique_id.py: IncrementalUniqueKeyTruthyNullsEquals runs these cases of
    // SubBaseIncrementalUniqueKey with the project's `flags: {enable_truthy_nulls_equals_macro: true}` (the others are
    // IncrementalUniqueKeyFalseyNullsEquals, the flag off, as above). The new rows have no null keys, so the expected
    // relations are the same.
    const truthy = [
      'test__no_unique_keys',
      'test__empty_str_unique_key',
      'test__unary_unique_key_list',
      'test__duplicated_unary_unique_key_list',
      'test__trinary_unique_key_list',
      'test__trinary_unique_key_list_no_update',
    ];
    it.each(cases.filter((c) => truthy.includes(c[0])))('IncrementalUniqueKeyTruthyNullsEquals %s', async (_name, model, sql, expected, seedRows) =>
      runCase(model, sql, expected, seedRows, 'name: test\nprofile: p\nflags:\n  enable_truthy_nulls_equals_macro: true\n'),
    );

    // test_incremental_unique_id.py: test__bad_unique_key, test__bad_unique_key_list
    it.each([
      ['not_found_unique_key', keyed("'thisisnotacolumn'", '*')],
      ['not_found_unique_key_list', "{{ config(materialized='incremental', unique_key=['state', 'thisisnotacolumn']) }}\nselect * from {{ ref('seed') }}\n"],
    ])('test__bad_unique_key: %s is an error naming the column', async (model, sql) => {
      const p = new TestProject(target, { 'seeds/seed.csv': visitsSeed, [`models/${model}.sql`]: sql });
      await p.ok('seed', { fullRefresh: true });
      await p.ok('run', { select: [model], fullRefresh: true });
      const [result] = await p.run('run', { select: [model] });
      expect(result!.status).toBe('error');
      expect(result!.message.toLowerCase()).toContain('thisisnotacolumn');
      expect(result!.error?.headline).toMatch(new RegExp(`^models/${model}\\.sql`));
    });

    // test_incremental_on_schema_change.py, BaseIncrementalOnSchemaChange: run twice, compare with the target model
    const schemaCases: [string, string, string, string][] = [
      ['test_run_incremental_ignore', 'incremental_ignore', onSchemaChange('ignore', 'field1, field2', 'field1, field2, field3, field4'), 'field1, field2'],
      [
        'test_run_incremental_append_new_columns',
        'incremental_append_new_columns',
        onSchemaChange('append_new_columns', `${str('field1')}, ${str('field2')}`, ['field1', 'field2', 'field3', 'field4'].map(str).join(', ')),
        `${str('field1')}, ${str('field2')}, ${laterStr('field3')}, ${laterStr('field4')}`,
      ],
      [
        'test_run_incremental_append_new_columns_remove_one',
        'incremental_append_new_columns_remove_one',
        onSchemaChange('append_new_columns', `${str('field1')}, ${str('field2')}`, ['field1', 'field3', 'field4'].map(str).join(', ')),
        `${str('field1')}, cast(case when id > 3 then null else field2 end as {{ string_type }}) as field2, ${laterStr('field3')}, ${laterStr('field4')}`,
      ],
      [
        'test_run_incremental_sync_all_columns',
        'incremental_sync_all_columns',
        onSchemaChange('sync_all_columns', `${str('field1')}, ${str('field2')}`, ['field1', 'field3', 'field4'].map(str).join(', ')),
        `${str('field1')}, ${laterStr('field3')}, ${laterStr('field4')}`,
      ],
      [
        'test_run_incremental_sync_remove_only',
        'incremental_sync_remove_only',
        onSchemaChange('sync_all_columns', `${str('field1')}, ${str('field2')}`, str('field1')),
        str('field1'),
      ],
    ];
    it.each(schemaCases)('%s', async (_name, model, sql, targetCols) => {
      const p = new TestProject(target, {
        'models/model_a.sql': schemaChangeModelA,
        [`models/${model}.sql`]: sql,
        [`models/${model}_target.sql`]: targetModel(targetCols),
      });
      const select = [`model_a ${model} ${model}_target`];
      expect(await p.ok('run', { select })).toHaveLength(3);
      expect(await p.ok('run', { select })).toHaveLength(3);
      await p.expectSame(model, `${model}_target`);
    });

    // test_incremental_on_schema_change.py: test_run_incremental_fail_on_schema_change
    it('test_run_incremental_fail_on_schema_change: names the columns that differ, changes nothing', async () => {
      const p = new TestProject(target, {
        'models/model_a.sql': schemaChangeModelA,
        'models/incremental_fail.sql': onSchemaChange('fail', 'field1, field3', 'field1, field2').replace('where id not in (select id from {{ this }})', ''),
      });
      await p.ok('run');
      const before = await p.rowsOf('incremental_fail');
      const results = await p.run('run', { select: ['incremental_fail'] });
      expect(results[0]!.status).toBe('error');
      expect(results[0]!.message).toMatch(/new columns: field2; columns gone: field3/i);
      expect(results[0]!.error?.hint).toMatch(/append_new_columns or sync_all_columns/);
      expect(results[0]!.error?.headline).toMatch(/^models\/incremental_fail\.sql:1:4:/);
      expect(await p.rowsOf('incremental_fail')).toEqual(before);
    });

    // test_incremental_predicates.py, BaseIncrementalPredicates (delete+insert; and the merge and `predicates` forms dbt-redshift runs)
    it.each([
      ['delete+insert', 'incremental_predicates', 'id != 2'],
      ['delete+insert', 'predicates', 'id != 2'],
      ['merge', 'incremental_predicates', 'dbt_internal_dest.id != 2'],
      ['merge', 'predicates', 'dbt_internal_dest.id != 2'],
    ])('test__incremental_predicates: %s with +%s', async (strategy, key, predicate) => {
      const p = new TestProject(target, {
        'project.yml': `name: test\nprofile: p\nmodels:\n  +${key}: ["${predicate}"]\n  +incremental_strategy: ${strategy}\n`,
        'models/delete_insert_incremental_predicates.sql': `{{ config(materialized='incremental', unique_key='id') }}\n${threeRows}`,
        'seeds/expected_delete_insert_incremental_predicates.csv': 'id,msg,color\n1,hey,blue\n2,goodbye,red\n2,yo,green\n3,anyway,purple\n',
      });
      await p.ok('seed');
      await p.ok('run');
      await p.ok('run');
      await p.expectSame('delete_insert_incremental_predicates', 'expected_delete_insert_incremental_predicates');
    });

    // test_incremental_merge_exclude_columns.py, BaseMergeExcludeColumns
    it('test__merge_exclude_columns', async () => {
      const p = new TestProject(target, {
        'models/merge_exclude_columns.sql': `{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge', merge_exclude_columns=['msg']) }}\n${threeRows}`,
        'seeds/expected_merge_exclude_columns.csv': 'id,msg,color\n1,hello,blue\n2,goodbye,green\n3,anyway,purple\n',
      });
      await p.ok('seed');
      await p.ok('run');
      await p.ok('run');
      await p.expectSame('merge_exclude_columns', 'expected_merge_exclude_columns');
    });

    // dbt-adapters merge.sql (get_merge_update_columns): merge_update_columns updates only the columns named
    it('merge_update_columns updates only the named columns; naming both kinds is an error', async () => {
      const p = new TestProject(target, {
        'models/merge_update_columns.sql': `{{ config(materialized='incremental', unique_key='id', merge_update_columns=['color']) }}\n${threeRows}`,
        'seeds/expected_merge_update_columns.csv': 'id,msg,color\n1,hello,blue\n2,goodbye,green\n3,anyway,purple\n',
        'models/both.sql': `{{ config(materialized='incremental', unique_key='id', merge_update_columns=['color'], merge_exclude_columns=['msg']) }}\n${threeRows}`,
      });
      await p.ok('seed');
      await p.ok('run');
      const second = await p.run('run');
      await p.expectSame('merge_update_columns', 'expected_merge_update_columns');
      const both = second.find((r) => r.node.name === 'both')!;
      expect(both.status).toBe('error');
      expect(both.message).toMatch(/cannot set both merge_update_columns and merge_exclude_columns/);
    });

    // dbt-adapters base/impl.py (get_incremental_strategy_macro): a built-in strategy the adapter lacks is an error
    it('refuses a strategy the target does not have, naming the file and the ones it has', async () => {
      const p = new TestProject(target, {
        'models/overwrite.sql': `{{ config(materialized='incremental', incremental_strategy='insert_overwrite') }}\nselect 1 as id\n`,
        'models/unknown.sql': `{{ config(materialized='incremental', incremental_strategy='upsert_please') }}\nselect 1 as id\n`,
      });
      // The strategy is resolved before the first build too (dbt-tests-adapter basic/test_incremental.py BaseIncrementalBadStrategy).
      const results = await p.run('run');
      const byName = Object.fromEntries(results.map((r) => [r.node.name, r]));
      expect(byName.unknown!.status).toBe('error');
      expect(byName.unknown!.error?.headline).toMatch(
        /^models\/unknown\.sql:1:4: error \[project\]: incremental_strategy 'upsert_please' is not a known strategy/,
      );
      if (target.name === 'duckdb') {
        expect(byName.overwrite!.message).toMatch(/the incremental strategy 'insert_overwrite' is not valid for this adapter/);
        expect(byName.overwrite!.error?.hint).toMatch(/append, delete\+insert, merge/);
      } else {
        // Snowflake's insert_overwrite replaces every row (dbt-snowflake's get_incremental_insert_overwrite_sql).
        expect(byName.overwrite!.status).toBe('success');
        expect(await p.sql('select count(*) from {schema}.overwrite')).toEqual([[1]]);
      }
      expect(byName.unknown!.error?.hint).toMatch(/or define a macro get_incremental_upsert_please_sql\(arg_dict\)/);
    });

    // dbt docs, "Configure incremental strategy" > Custom strategies (the insert_only example), as
    // dbt-adapters' incremental.sql calls it: get_incremental_<name>_sql(arg_dict) writes the SQL.
    it("runs a custom strategy from its get_incremental_<name>_sql macro with dbt's arg_dict", async () => {
      const p = new TestProject(target, {
        'macros/my_custom_strategies.sql': `{% macro get_incremental_insert_only_sql(arg_dict) %}
  {% do return(some_custom_macro_with_sql(arg_dict["target_relation"], arg_dict["temp_relation"], arg_dict["unique_key"], arg_dict["dest_columns"], arg_dict["incremental_predicates"])) %}
{% endmacro %}

{% macro some_custom_macro_with_sql(target_relation, temp_relation, unique_key, dest_columns, incremental_predicates) %}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
    {% do log('insert_only: key ' ~ unique_key ~ ', predicates ' ~ incremental_predicates, info=True) %}
    insert into {{ target_relation }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ temp_relation }}
    )
{% endmacro %}
`,
        'models/my_model.sql': `{{ config(materialized='incremental', incremental_strategy='insert_only', unique_key='id') }}
select 1 as id, 'a' as name
{% if is_incremental() %}union all select 2, 'b'{% endif %}
`,
      });
      await p.ok('run');
      const [second] = await p.ok('run');
      expect(second!.message).toBe('INSERT (2 rows)');
      // insert_only writes every staged row, the key notwithstanding.
      expect((await p.sql('select id, name from {schema}.my_model order by id, name')).map((r) => r.map(String).join(' '))).toEqual(['1 a', '1 a', '2 b']);
    });

    // dbt-adapters include/global_project/macros/materializations/models/incremental/strategies.sql and
    // dbt-core tests/functional/microbatch TestMicrobatchCustomUserStrategy*: adapter.dispatch finds the root
    // project's get_incremental_<strategy>_sql (and get_incremental_default_sql) before the built-in one.
    it('a project macro overriding a built-in strategy macro writes the SQL instead', async () => {
      const p = new TestProject(target, {
        'macros/overrides.sql': `{% macro get_incremental_merge_sql(arg_dict) %}
insert into {{ arg_dict["target_relation"] }} (id, name) select id, 'merge override' from {{ arg_dict["temp_relation"] }}
{% endmacro %}
{% macro get_incremental_default_sql(arg_dict) %}
insert into {{ arg_dict["target_relation"] }} (id, name) select id, 'default override' from {{ arg_dict["temp_relation"] }}
{% endmacro %}
`,
        'models/m_merge.sql': `{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}
select 1 as id, 'a' as name
`,
        'models/m_default.sql': `{{ config(materialized='incremental') }}
select 1 as id, 'a' as name
`,
      });
      await p.ok('run');
      await p.ok('run');
      const rows = async (m: string) => (await p.sql(`select id, name from {schema}.${m} order by name`)).map((r) => r.map(String).join(' '));
      expect(await rows('m_merge')).toEqual(['1 a', '1 merge override']);
      expect(await rows('m_default')).toEqual(['1 a', '1 default override']);
    });
  });
}

for (const target of targets) {
  describe(`a failed run keeps the previous table, on ${target.name}`, () => {
    const leftovers = async (p: TestProject) =>
      (await p.sql(`select table_name from information_schema.tables where lower(table_schema) = '${p.schema}' and lower(table_name) like '%__model_%'`))
        .length;

    it('a snapshot whose merge fails leaves its history as it was', async () => {
      const p = new TestProject(target, {
        'snapshots/snap.sql': `{% snapshot snap %}{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
select 1 as id, {% if var('bad', false) %}'not a number'{% else %}1{% endif %} as v, cast('2024-01-0{{ var("day", 1) }}' as timestamp) as updated_at
{% endsnapshot %}\n`,
      });
      await p.ok('snapshot');
      const before = await p.rowsOf('snap');
      const { summary } = await execute('snapshot', { projectDir: await p.released(), vars: '{bad: true, day: 2}' });
      expect(summary.results[0]!.status).toBe('error');
      expect(summary.results[0]!.error?.headline).toMatch(/^snapshots\/snap\.sql: error \[database\]/);
      expect(await p.rowsOf('snap')).toEqual(before);
      expect(await leftovers(p)).toBe(0);
    });

    it('an incremental write that fails leaves the rows as they were', async () => {
      const p = new TestProject(target, {
        'models/inc.sql': `{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns') }}
{% if is_incremental() %}select 2 as id, 'not a number' as v, 'new' as w{% else %}select 1 as id, 1 as v{% endif %}\n`,
      });
      await p.ok('run');
      const rows = () => p.sql('select id, v from {schema}.inc order by id');
      const before = await rows();
      const [result] = await p.run('run');
      expect(result!.status).toBe('error');
      expect(await rows()).toEqual(before);
      expect(await leftovers(p)).toBe(0);
      // DuckDB rolls the added column back with the failed insert; Snowflake commits DDL at once (as dbt-snowflake does).
      const columns = await p.sql(`select column_name from information_schema.columns where lower(table_schema) = '${p.schema}' and lower(table_name) = 'inc'`);
      expect(columns.map((c) => String(c[0]).toLowerCase()).sort()).toEqual(target.name === 'duckdb' ? ['id', 'v'] : ['id', 'v', 'w']);
    });
  });
}

// basic/files.py's seeds, in a shorter form: `added` is `base` and ten more rows.
const baseCsv = `id,name,some_date
1,Easton,1981-05-20T06:46:51
2,Lillian,1978-09-03T18:10:33
3,Jeremiah,1982-03-11T03:59:51
4,Nolan,1976-05-06T20:21:35
5,Hannah,1982-06-23T05:41:26
6,Eleanor,1991-08-10T23:12:21
7,Lily,1971-03-29T14:58:02
8,Jonathan,1988-02-26T02:55:24
9,Adrian,1994-02-09T13:14:23
10,Nora,1976-03-01T16:51:39
`;
const addedCsv = `${baseCsv}11,Mateo,2014-09-08T17:04:27
12,Julian,2000-02-05T11:48:30
13,Gabriel,2001-07-11T07:32:52
14,Isaac,2002-11-25T03:22:28
15,Levi,2009-11-16T11:57:15
16,Elizabeth,2005-04-10T03:50:11
17,Grayson,2019-08-07T19:28:17
18,Dylan,2014-03-02T11:50:41
19,Jayden,2009-06-07T07:12:49
20,Luke,2003-12-06T21:42:18
`;
const checkColsSnapshot = (name: string, cols: string) => `{% snapshot ${name} %}
    {{ config(check_cols=${cols}, unique_key='id', strategy='check', target_database=database, target_schema=schema) }}
    select * from {{ ref(var('seed_name', 'base')) }}
{% endsnapshot %}
`;

for (const target of targets) {
  describe(`basic/ snapshot cases on ${target.name}`, () => {
    const count = async (p: TestProject, rel: string) => Number((await p.sql(`select count(*) from {schema}.${rel}`))[0]![0]);
    const snapshot = async (p: TestProject, vars?: string) => execute('snapshot', { projectDir: await p.released(), vars }).then((r) => r.summary.results);

    // basic/test_snapshot_check_cols.py, BaseSnapshotCheckCols
    it('test_snapshot_check_cols', async () => {
      const p = new TestProject(target, {
        'seeds/base.csv': baseCsv,
        'seeds/added.csv': addedCsv,
        'snapshots/cc_all_snapshot.sql': checkColsSnapshot('cc_all_snapshot', "'all'"),
        'snapshots/cc_date_snapshot.sql': checkColsSnapshot('cc_date_snapshot', "['some_date']"),
        'snapshots/cc_name_snapshot.sql': checkColsSnapshot('cc_name_snapshot', "['name']"),
      });
      expect(await p.ok('seed')).toHaveLength(2);
      const counts = async () => [await count(p, 'cc_all_snapshot'), await count(p, 'cc_name_snapshot'), await count(p, 'cc_date_snapshot')];
      const allOk = (rs: NodeResult[]) => expect(rs.map((r) => r.status)).toEqual(['success', 'success', 'success']);
      allOk(await snapshot(p));
      expect(await counts()).toEqual([10, 10, 10]);
      allOk(await snapshot(p, '{seed_name: added}'));
      expect(await counts()).toEqual([20, 20, 20]);
      await p.sql("update {schema}.added set some_date = some_date + interval '1 day' where id > 10 and id < 21");
      allOk(await snapshot(p, '{seed_name: added}'));
      // cc_name does not compare some_date
      expect(await counts()).toEqual([30, 20, 30]);
      await p.sql("update {schema}.added set name = name || '_updated' where id < 11");
      allOk(await snapshot(p, '{seed_name: added}'));
      // cc_date does not compare name
      expect(await counts()).toEqual([40, 30, 30]);
    });

    // basic/test_snapshot_timestamp.py, BaseSnapshotTimestamp: that file could not be read here; basic/files.py's
    // ts_snapshot with the steps of test_snapshot_check_cols.py, and a name change that is not a new version
    it('test_snapshot_timestamp', async () => {
      const p = new TestProject(target, {
        'seeds/base.csv': baseCsv,
        'seeds/added.csv': addedCsv,
        'snapshots/ts_snapshot.sql': `{% snapshot ts_snapshot %}
    {{ config(strategy='timestamp', unique_key='id', updated_at='some_date', target_database=database, target_schema=schema) }}
    select * from {{ ref(var('seed_name', 'base')) }}
{% endsnapshot %}
`,
      });
      await p.ok('seed');
      await snapshot(p);
      expect(await count(p, 'ts_snapshot')).toBe(10);
      await snapshot(p, '{seed_name: added}');
      expect(await count(p, 'ts_snapshot')).toBe(20);
      await p.sql("update {schema}.added set some_date = some_date + interval '1 day' where id > 10 and id < 21");
      await snapshot(p, '{seed_name: added}');
      expect(await count(p, 'ts_snapshot')).toBe(30);
      // A change without a newer timestamp is not a new version.
      await p.sql("update {schema}.added set name = name || '_updated' where id < 11");
      await snapshot(p, '{seed_name: added}');
      expect(await count(p, 'ts_snapshot')).toBe(30);
    });
  });
}

// incremental/fixtures.py: the special-character variants of BaseIncrementalOnSchemaChange
// (_MODELS__A_SPECIAL_CHARS, _MODELS__INCREMENTAL_APPEND_NEW_SPECIAL_CHARS, _MODELS__INCREMENTAL_SYNC_ALL_SPECIAL_CHARS)
const q = (c: string) => `{{ adapter.quote("${c}") }}`;
const specialA = `{{ config(materialized='table') }}
with source_data as (
${[1, 2, 3, 4, 5, 6]
  .map(
    (i) =>
      `    ${i === 1 ? '' : 'union all '}select ${i} as id, 'a${i}' as ${q('field with space')}, 'b${i}' as ${q('select')}, ${i}11 as ${q('field-with-dash')}, 'T${i}' as ${q('field.with.dots')}`,
  )
  .join('\n')}
)
select id, ${q('field with space')}, ${q('select')}, ${q('field-with-dash')}, ${q('field.with.dots')} from source_data
`;
const castQ = (c: string) => `cast(${q(c)} as {{ string_type }}) as ${q(c)}`;
const laterQ = (c: string) => `cast(case when id <= 3 then null else ${q(c)} end as {{ string_type }}) as ${q(c)}`;
const specialModel = (mode: string, later: string[]) => `{{ config(materialized='incremental', unique_key='id', on_schema_change='${mode}') }}
{% set string_type = dbt.type_string() %}
with source_data as (select * from {{ ref('model_a_special_chars') }})
{% if is_incremental() %}
select id, ${later.map(castQ).join(', ')} from source_data where id not in (select id from {{ this }})
{% else %}
select id, ${castQ('field with space')}, ${castQ('select')} from source_data where id <= 3
{% endif %}
`;

for (const target of targets) {
  describe(`incremental on_schema_change with quoted column names, on ${target.name}`, () => {
    it.each([
      [
        'append_new_columns',
        ['field with space', 'select', 'field-with-dash', 'field.with.dots'],
        `${castQ('field with space')}, ${castQ('select')}, ${laterQ('field-with-dash')}, ${laterQ('field.with.dots')}`,
      ],
      [
        'sync_all_columns',
        ['field with space', 'field-with-dash', 'field.with.dots'],
        `${castQ('field with space')}, ${laterQ('field-with-dash')}, ${laterQ('field.with.dots')}`,
      ],
    ])('%s', async (mode, later, targetCols) => {
      const model = `incremental_${mode}_special_chars`;
      const p = new TestProject(target, {
        'models/model_a_special_chars.sql': specialA,
        [`models/${model}.sql`]: specialModel(mode, later),
        [`models/${model}_target.sql`]: `{{ config(materialized='table') }}\n{% set string_type = dbt.type_string() %}\nselect id, ${targetCols} from {{ ref('model_a_special_chars') }}\n`,
      });
      const select = [`model_a_special_chars ${model} ${model}_target`];
      expect(await p.ok('run', { select })).toHaveLength(3);
      expect(await p.ok('run', { select })).toHaveLength(3);
      await p.expectSame(model, `${model}_target`);
    });
  });
}

function runResultsStatus(dir: string): Record<string, string> {
  const rr = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[] };
  return Object.fromEntries(rr.results.map((r) => [r.unique_id, r.status]));
}

// incremental/test_incremental_microbatch.py, BaseMicrobatch, adapted: upstream freezes the clock at
// 2020-01-03 13:57; here the input's days are counted back from today (UTC), so the same batches arise.
const day = (back: number) =>
  new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - back)).toISOString().slice(0, 10);

for (const target of targets) {
  describe(`incremental microbatch on ${target.name}`, () => {
    it('builds one batch per day from begin, then only the lookback window; refs with event_time read their batch', async () => {
      const input = (rows: [number, number][]) => `{{ config(materialized='table', event_time='event_time') }}
${rows.map(([id, back]) => `select ${id} as id, cast('${day(back)} 00:00:00' as timestamp) as event_time`).join('\nunion all\n')}
`;
      const p = new TestProject(target, {
        'models/input_model.sql': input([
          [1, 2],
          [2, 1],
          [3, 0],
        ]),
        'models/microbatch_model.sql': `{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='event_time', batch_size='day', begin='${day(3)}') }}
select * from {{ ref('input_model') }}
`,
      });
      const [, mb] = await p.ok('run');
      expect(mb!.message).toMatch(/in 4 batches/);
      expect(await p.sql('select count(*) from {schema}.microbatch_model')).toEqual([[3]]);
      // The compiled SQL reads the input through the batch's window.
      expect(mb!.compiledSql).toMatch(/where "?event_time"? >= cast\('\d{4}-\d\d-\d\d 00:00:00' as timestamp\)/i);

      // A late row three days back is outside the lookback (one batch before today's); today's new row is not.
      p.write({
        'models/input_model.sql': input([
          [1, 2],
          [2, 1],
          [3, 0],
          [4, 3],
          [5, 0],
        ]),
      });
      const [, again] = await p.ok('run');
      expect(again!.message).toMatch(/in 2 batches/);
      expect((await p.sql('select id from {schema}.microbatch_model order by id')).map((r) => Number(r[0]))).toEqual([1, 2, 3, 5]);
      await p.ok('run', { fullRefresh: true });
      expect((await p.sql('select id from {schema}.microbatch_model order by id')).map((r) => Number(r[0]))).toEqual([1, 2, 3, 4, 5]);

      // --event-time-start/--event-time-end: only the batches of that range are rebuilt (the late row is gone from the input now).
      p.write({
        'models/input_model.sql': input([
          [1, 2],
          [2, 1],
          [3, 0],
          [5, 0],
        ]),
      });
      const { summary } = await execute('run', {
        projectDir: await p.released(),
        eventTime: { start: new Date(`${day(3)}T00:00:00Z`), end: new Date(`${day(2)}T00:00:00Z`) },
      });
      expect(summary.results.find((r) => r.node.name === 'microbatch_model')!.message).toMatch(/in 1 batch\)/);
      expect((await p.sql('select id from {schema}.microbatch_model order by id')).map((r) => Number(r[0]))).toEqual([1, 2, 3, 5]);
      if (target.name === 'duckdb') {
        const usage = await runModel(['run', '--event-time-start', '2024-01-01'], { cwd: await p.released() });
        expect(usage.code).toBe(2);
        expect(usage.stderr).toMatch(/--event-time-start and --event-time-end go together/);
      }
    });

    // dbt-core tests/functional/microbatch/test_microbatch.py, TestMicrobatchIncrementalPartitionFailure and
    // the retry of its failed batch (task/run.py MicrobatchModelRunner, task/retry.py batch_map); model.batch
    // (BatchContext) and the legacy __dbt_internal_microbatch_event_time_start/_end config keys.
    it('a failed batch is partial success with batch_results; retry runs only the failed batch; model.batch in the render', async () => {
      const input = `{{ config(materialized='table', event_time='event_time') }}
${[2, 1, 0].map((back, i) => `select ${i + 1} as id, cast('${day(back)} 00:00:00' as timestamp) as event_time`).join('\nunion all\n')}
`;
      const model = (
        failing: string,
      ) => `{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='event_time', batch_size='day', begin='${day(2)}') }}
{% if model.batch.id == '${failing}' %} invalid_sql {% endif %}
select id, event_time, '{{ model.batch.id }}' as batch_id, '{{ model.batch.event_time_start }}' as batch_start,
  '{{ model.config.__dbt_internal_microbatch_event_time_end }}' as batch_end
from {{ ref('input_model') }}
`;
      const compact = (back: number) => day(back).replaceAll('-', '');
      const p = new TestProject(target, { 'models/input_model.sql': input, 'models/microbatch_model.sql': model(compact(1)) });
      const [, mb] = await p.run('run');
      expect(mb!.status).toBe('partial success');
      expect(mb!.message).toBe('PARTIAL SUCCESS (2/3)');
      expect(mb!.error?.hint).toMatch(new RegExp(`^in the batch from ${day(1)} 00:00:00 to ${day(0)} 00:00:00`));
      const rr = JSON.parse(readFileSync(path.join(p.dir, 'target', 'run_results.json'), 'utf8')) as {
        results: { unique_id: string; status: string; batch_results: { successful: string[][]; failed: string[][] } | null }[];
      };
      const result = rr.results.find((r) => r.unique_id === 'model.test.microbatch_model')!;
      expect(result.status).toBe('partial success');
      expect(result.batch_results!.successful).toEqual([
        [`${day(2)}T00:00:00+00:00`, `${day(1)}T00:00:00+00:00`],
        [`${day(0)}T00:00:00+00:00`, `${day(-1)}T00:00:00+00:00`],
      ]);
      expect(result.batch_results!.failed).toEqual([[`${day(1)}T00:00:00+00:00`, `${day(0)}T00:00:00+00:00`]]);
      expect(rr.results.find((r) => r.unique_id === 'model.test.input_model')!.batch_results).toBeNull();
      const rows = async () =>
        (await p.sql('select id, batch_id, batch_start, batch_end from {schema}.microbatch_model order by id')).map((r) => r.map(String).join(' '));
      const row = (id: number, back: number) => `${id} ${compact(back)} ${day(back)} 00:00:00+00:00 ${day(back - 1)} 00:00:00+00:00`;
      expect(await rows()).toEqual([row(1, 2), row(3, 0)]);

      // Fixed, `model retry` runs the failed batch only; the earlier successes stay recorded.
      p.write({ 'models/microbatch_model.sql': model('none') });
      const { plan, summary } = await retry({ projectDir: await p.released() });
      expect(plan.uniqueIds).toEqual(['model.test.microbatch_model']);
      const retried = summary!.results[0]!;
      expect(retried.status).toBe('success');
      expect(retried.message).toMatch(/in 1 batch\)/);
      expect(retried.batchResults!.successful).toHaveLength(3);
      expect(await rows()).toEqual([row(1, 2), row(2, 1), row(3, 0)]);

      // The first batch failing skips the others (nothing to build on): error, every batch failed.
      p.write({ 'models/microbatch_model.sql': model(compact(2)) });
      const [, first] = await p.run('run', { fullRefresh: true });
      expect(first!.status).toBe('error');
      expect(first!.batchResults).toEqual({ successful: [], failed: expect.arrayContaining([expect.any(Array)]) });
      expect(first!.batchResults!.failed).toHaveLength(3);
      expect(first!.details).toContain('2 later batches were skipped after the first one failed');
      if (target.name === 'duckdb') {
        // In build, a partial success skips the model's descendants (dbt's BuildTask); the CLI exits 1.
        p.write({
          'models/microbatch_model.sql': model(compact(1)),
          'models/after.sql': "select * from {{ ref('microbatch_model') }}\n",
        });
        const cli = await runModel(['build', '--full-refresh'], { cwd: await p.released() });
        expect(cli.code).toBe(1);
        expect(cli.stdout).toMatch(/PARTIAL SUCCESS \(2\/3\)/);
        expect(runResultsStatus(p.dir)).toMatchObject({ 'model.test.microbatch_model': 'partial success', 'model.test.after': 'skipped' });
      }
    });

    it('names what a microbatch model lacks', async () => {
      const p = new TestProject(target, {
        'models/mb.sql':
          "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='t') }}\nselect cast('2024-01-01' as timestamp) as t\n",
      });
      const [result] = await p.run('run');
      expect(result!.status).toBe('error');
      expect(result!.error?.headline).toMatch(/^models\/mb\.sql:1:4: error \[project\]: a microbatch model needs batch_size, begin/);
    });
  });
}
