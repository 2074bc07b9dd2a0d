// dbt's adapter conformance suite, folders simple_snapshot/ and incremental/ (dbt-labs/dbt-adapters,
// dbt-tests-adapter/src/dbt/tests/adapter/), ported: each upstream class is a small inline project
// with the same steps and assertions, run on DuckDB and on the loopback Snowflake emulator.

import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, execute, openProject } from '../../src/index.js';
import type { NodeResult } from '../../src/execute/results.js';
import { writeProject } from '../helpers/project.js';

const PASSWORD = 'model-password';
let emulator: SnowflakeEmulator | undefined;
let schemaNo = 0;

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator?.close();
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
    profiles: (schema) => `p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/project.duckdb\n      schema: ${schema}\n`,
  },
  {
    name: 'snowflake',
    database: 'project_db',
    profiles: (schema) =>
      `p:\n  target: sf\n  outputs:\n    sf:\n      type: snowflake\n      account: emulator\n      user: model\n      password: ${PASSWORD}\n      access_url: ${emulator!.url}\n      database: project_db\n      schema: ${schema}\n      threads: 2\n`,
  },
];

/** A project on one target, in a schema of its own; `{schema}` in SQL is the qualified schema. */
class TestProject {
  readonly dir: string;
  readonly schema: string;
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

  /** Runs SQL statements (separated by `;` at line ends) on the target. */
  async sql(text: string): Promise<unknown[][]> {
    const session = await openProject({ projectDir: this.dir });
    const adapter = await connect(session);
    try {
      let rows: unknown[][] = [];
      await adapter.ensureSchema(this.target.name === 'duckdb' ? 'project' : 'project_db', this.schema);
      for (const stmt of this.fill(text)
        .split(/;\s*(?:\n|$)/)
        .map((s) => s.trim())
        .filter((s) => s && !/^(--[^\n]*\n?)*$/.test(s))) {
        rows = (await adapter.withConnection((c) => c.execute(stmt))).rows;
      }
      return rows;
    } finally {
      await adapter.close();
    }
  }

  /** `model <command>`: the results, and whether every node succeeded. */
  async run(command: 'snapshot' | 'run' | 'seed' | 'build', opts: { select?: string[]; fullRefresh?: boolean } = {}): Promise<NodeResult[]> {
    const { summary } = await execute(command, { projectDir: this.dir, ...opts });
    return summary.results;
  }

  async ok(command: 'snapshot' | 'run' | 'seed' | 'build', opts: { select?: string[]; fullRefresh?: boolean } = {}): Promise<NodeResult[]> {
    const results = await this.run(command, opts);
    expect(results.filter((r) => r.status !== 'success').map((r) => `${r.node.name}: ${r.message}`)).toEqual([]);
    return results;
  }

  /** Rows of a relation as sorted JSON texts with lower-case column names (dbt's check_relations_equal). */
  async rowsOf(relation: string): Promise<string[]> {
    const session = await openProject({ projectDir: this.dir });
    const adapter = await connect(session);
    try {
      const r = await adapter.withConnection((c) => c.execute(`select * from ${this.fill(`{schema}.${relation}`)}`));
      const names = r.columns.map((c) => c.name.toLowerCase());
      const order = names.map((n, i) => [n, i] as const).sort((a, b) => a[0].localeCompare(b[0]));
      return r.rows.map((row) => JSON.stringify(order.map(([n, i]) => [n, row[i] === null ? null : String(row[i])]))).sort();
    } finally {
      await adapter.close();
    }
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
        'models/snapshots.yml': snapshotsYml(`      dbt_valid_to_current: "cast('2099-12-31' as date)"\n${metaNames}`),
      });
      const current = "cast(cast('2099-12-31' as date) as timestamp)";
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

    // new_record_timestamp_mode.py, BaseSnapshotNewRecordTimestampMode
    it('hard_deletes: new_record records a deletion as a row of its own, and a return as a new version', async () => {
      const p = new TestProject(target, {
        'snapshots/snapshot.sql': snapshotActual,
        'models/snapshots.yml': snapshotsYml('      hard_deletes: new_record\n'),
        'models/ref_snapshot.sql': "select * from {{ ref('snapshot_actual') }}\n",
      });
      const ex = (where = '') => expectedSelect('dbt', 'cast(null as timestamp)', where, ", 'False' as dbt_is_deleted");
      await p.sql(`${createSeed};\ncreate table {schema}.snapshot_expected (${expectedCols('dbt', ', dbt_is_deleted TEXT')});\n${seedRows};\n${ex()}`);
      expect(await p.ok('snapshot')).toHaveLength(1);
      await p.sql(`${invalidate('dbt')};\n${ex('where id >= 4 and id <= 6')}`);
      expect(await p.ok('snapshot')).toHaveLength(1);
      await p.expectSame('snapshot_actual', 'snapshot_expected');

      const check = 'select dbt_valid_to, dbt_scd_id, dbt_is_deleted from {schema}.snapshot_actual where id = 1';
      await p.sql('delete from {schema}.seed where id = 1');
      await p.ok('snapshot');
      let rows = await p.sql(check);
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
    it('new_record with dbt_valid_to_current: the deletion row is current with the configured date', async () => {
      const p = new TestProject(target, {
        'snapshots/snapshot.sql': snapshotActual,
        'models/snapshots.yml': snapshotsYml(`      hard_deletes: new_record\n      dbt_valid_to_current: "cast('2099-12-31' as date)"\n`),
      });
      await p.sql(`${createSeed};\n${seedRows}`);
      await p.ok('snapshot');
      await p.sql('delete from {schema}.seed where id = 3');
      await p.ok('snapshot');
      const rows = await p.sql('select dbt_valid_to, dbt_is_deleted from {schema}.snapshot_actual where id = 3 order by dbt_valid_from');
      expect(rows).toHaveLength(2);
      expect(String(rows[0]![0]).slice(0, 10)).not.toBe('2099-12-31');
      expect([String(rows[1]![0]).slice(0, 10), rows[1]![1]]).toEqual(['2099-12-31', 'True']);
      await p.ok('snapshot');
      expect(await p.sql('select * from {schema}.snapshot_actual where id = 3')).toHaveLength(2);
    });

    // test_ephemeral_snapshot_hard_deletes.py, BaseSnapshotEphemeralHardDeletes (upstream writes the
    // source's schema as "{{ target.schema }}": Jinja in source properties is the dbt-render work)
    it('snapshots an ephemeral model, and takes a column the source gained', async () => {
      const p = new TestProject(target, {});
      p.write({
        'models/_sources.yml': `version: 2\nsources:\n  - name: test_source\n    schema: ${p.schema}\n    tables:\n      - name: src_customers\n`,
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
  it.each([
    ["{{ config(strategy='timestamp', updated_at='u') }}", /snapshot 'snap' has no unique_key/, /set unique_key/],
    ["{{ config(unique_key='id', updated_at='u') }}", /snapshot 'snap' has no strategy/, /strategy='timestamp'/],
    ["{{ config(unique_key='id', strategy='timestamp') }}", /has no updated_at/, /updated_at/],
    ["{{ config(unique_key='id', strategy='check') }}", /has no check_cols/, /check_cols='all'/],
    ["{{ config(unique_key='id', strategy='newest') }}", /strategy 'newest' is not one of timestamp, check/, /custom snapshot strategies/],
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
