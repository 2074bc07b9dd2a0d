// One suite of adapter behaviour, run against every target: DuckDB (a temp file) and Snowflake
// (the real snowflake-sdk against the loopback emulator). Both must give the same answers.

import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColumnMismatchError, type Adapter, type Connection } from '../../src/warehouse/adapter.js';
import { createAdapter } from '../../src/adapters/create-adapter.js';
import type { RelationName, SeedType } from '../../src/warehouse/dialect.js';
import { connect, execute, type Session } from '../../src/index.js';
import { duckDbTargetSchema, snowflakeTargetSchema, type TargetConfig } from '../../src/project/profiles.js';
import { snowflakeGrammarFailures } from '../helpers/snowflake-grammar.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { writeProject } from '../helpers/project.js';

const PASSWORD = 'model-password';

interface Harness {
  /** The target as an adapter sees it. */
  target(): TargetConfig;
  database: string;
  /** profiles.yml text for a project on this target. */
  profiles(): string;
}

let emulator: SnowflakeEmulator | undefined;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'model-conformance-'));

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator?.close();
});

const duckdb: Harness = {
  database: 'conformance',
  target: () => ({
    ...duckDbTargetSchema.parse({ type: 'duckdb', path: path.join(scratch, 'conformance.duckdb'), schema: 'main' }),
    name: 'dev',
    profileName: 'p',
  }),
  profiles: () => `p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/project.duckdb\n      schema: conf\n`,
};

const snowflake: Harness = {
  database: 'conformance_db',
  target: () => ({
    ...snowflakeTargetSchema.parse({
      type: 'snowflake',
      account: 'emulator',
      user: 'model',
      password: PASSWORD,
      access_url: emulator!.url,
      warehouse: 'compute_wh',
      database: 'conformance_db',
      schema: 'public',
    }),
    name: 'sf',
    profileName: 'p',
  }),
  profiles: () =>
    `p:\n  target: sf\n  outputs:\n    sf:\n      type: snowflake\n      account: emulator\n      user: model\n      password: ${PASSWORD}\n      access_url: ${emulator!.url}\n      warehouse: compute_wh\n      database: project_db\n      schema: conf\n      threads: 2\n`,
};

const rows = (a: Adapter, sql: string, binds?: (string | number | boolean | null)[]) => a.withConnection((c) => c.execute(sql, binds)).then((r) => r.rows);

function conformance(name: string, harness: Harness): void {
  describe(`adapter conformance: ${name}`, () => {
    let adapter: Adapter;
    let rel: (identifier: string) => RelationName;
    let q: (identifier: string) => string;

    beforeAll(async () => {
      adapter = await createAdapter(harness.target(), harness.database, scratch);
      await adapter.open();
      await adapter.ensureSchema(harness.database, 'conf');
      rel = (identifier) => ({ database: harness.database, schema: 'conf', identifier });
      q = (identifier) => adapter.dialect.qualify(rel(identifier));
    });
    afterAll(async () => {
      await adapter?.close();
    });

    it('creates the schema idempotently and lists tables and views by lower-case name', async () => {
      await adapter.ensureSchema(harness.database, 'conf');
      await rows(adapter, adapter.dialect.createTableAs(rel('listed_table'), 'select 1 as id'));
      await rows(adapter, adapter.dialect.createViewAs(rel('listed_view'), `select id from ${q('listed_table')}`));
      const listed = await adapter.listRelations(harness.database, 'conf');
      expect(listed.get('listed_table')).toBe('table');
      expect(listed.get('listed_view')).toBe('view');
    });

    it('replaces a table by building it aside and swapping it in: readers see the old or the new, never nothing', async () => {
      const d = adapter.dialect;
      const target = rel('swapped');
      await rows(adapter, d.createTableAs(target, 'select 1 as v'));
      const seen: unknown[] = [];
      let writing = true;
      const reader = (async () => {
        while (writing) seen.push((await rows(adapter, `select v from ${q('swapped')}`))[0]?.[0]);
      })();
      for (let version = 2; version <= 4; version++) {
        const tmp = rel('swapped__model_tmp');
        await adapter.withConnection((c) => c.executeAtomic([d.createTableAs(tmp, `select ${version} as v`), ...d.swapTable(tmp, target, 'table')]));
      }
      writing = false;
      await reader;
      expect(seen.length).toBeGreaterThan(0);
      for (const v of seen) expect([1, 2, 3, 4]).toContain(v);
      expect(await rows(adapter, `select v from ${q('swapped')}`)).toEqual([[4]]);
      const listed = await adapter.listRelations(harness.database, 'conf');
      expect(listed.has('swapped__model_tmp')).toBe(false);
      // A view is replaced by a table too.
      await rows(adapter, d.createViewAs(rel('was_view'), 'select 1 as v'));
      const tmp = rel('was_view__model_tmp');
      await adapter.withConnection((c) => c.executeAtomic([d.createTableAs(tmp, 'select 2 as v'), ...d.swapTable(tmp, rel('was_view'), 'view')]));
      expect((await adapter.listRelations(harness.database, 'conf')).get('was_view')).toBe('table');
      expect(await rows(adapter, `select v from ${q('was_view')}`)).toEqual([[2]]);
    });

    it('binds values as data, whatever they contain', async () => {
      const values = [
        "O'Brien",
        'a; drop table x; --',
        '/* not a comment */ -- nor this',
        'ünïcødé ✓ 日本語',
        'back\\slash \\n',
        '',
        42,
        -7,
        3.5,
        true,
        false,
        null,
      ];
      const sql = `select ${values.map(() => '?').join(', ')}`;
      expect(await rows(adapter, sql, values)).toEqual([values]);
    });

    it('quotes string literals safely', async () => {
      const tricky = "it's \\ a 'test' -- ; /* */";
      expect(await rows(adapter, `select ${adapter.dialect.stringLiteral(tricky)}`)).toEqual([[tricky]]);
    });

    it('round-trips numbers, text, dates, timestamps, booleans and NULLs', async () => {
      const d = adapter.dialect;
      const types: SeedType[] = ['integer', 'bigint', 'double', 'boolean', 'date', 'timestamp', 'text'];
      const columns = types.map((t) => ({ name: `c_${t}`, type: d.seedColumnType(t) }));
      const data: (string | null)[][] = [
        ['1', '9007199254740991', '2.5', 'true', '2018-07-21', '2018-07-21 18:59:21.102761', 'hello'],
        ['-3', '-12', '-0.125', 'false', '1999-12-31', '2018-07-31 00:00:00', "O'Brien; --"],
        [null, null, null, null, null, null, null],
      ];
      const n = await adapter.withConnection((c) => adapter.loadSeed(c, rel('typed'), columns, data));
      expect(n).toBe(3);
      const got = await rows(adapter, `select ${columns.map((c) => d.quoteIdentifier(c.name)).join(', ')} from ${q('typed')} order by c_integer nulls last`);
      expect(got).toEqual([
        [-3, -12, -0.125, false, '1999-12-31', '2018-07-31 00:00:00', "O'Brien; --"],
        [1, 9007199254740991, 2.5, true, '2018-07-21', '2018-07-21 18:59:21.102761', 'hello'],
        [null, null, null, null, null, null, null],
      ]);
      const decimals = await rows(adapter, 'select cast(12.34 as decimal(10, 2)), cast(null as decimal(10, 2)), cast(12345678901234567890 as decimal(38, 0))');
      expect(decimals).toEqual([[12.34, null, '12345678901234567890']]);
    });

    it('loads a seed into a fresh table and replaces it on the next load', async () => {
      const d = adapter.dialect;
      const columns = [
        { name: 'id', type: d.seedColumnType('integer') },
        { name: 'label', type: d.seedColumnType('text') },
      ];
      const many = Array.from({ length: 3_000 }, (_, i) => [String(i), `row ${i}`]);
      expect(await adapter.withConnection((c) => adapter.loadSeed(c, rel('seeded'), columns, many))).toBe(3_000);
      expect(await rows(adapter, `select count(*), sum(id), max(label) from ${q('seeded')}`)).toEqual([[3_000, (2_999 * 3_000) / 2, 'row 999']]);
      await adapter.withConnection((c) => adapter.loadSeed(c, rel('seeded'), columns, [['7', 'only']]));
      expect(await rows(adapter, `select id, label from ${q('seeded')}`)).toEqual([[7, 'only']]);
    });

    describe('loading a local file', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'model-conformance-files-'));
      const parquet = path.join(dir, 'events.parquet');
      const csv = path.join(dir, 'events.csv');
      const partial = path.join(dir, 'partial.parquet');

      beforeAll(async () => {
        const instance = await DuckDBInstance.create(':memory:');
        const c = await instance.connect();
        const select = `select i as id, 'name ' || i as name, i * 1.5 as score, date '2018-07-01' + i::integer as day,
            timestamp '2018-07-01 10:00:00.25' + (i * interval 1 hour) as ts, i % 2 = 0 as even,
            case when i = 3 then null else 'x' end as maybe, i::decimal(10, 2) as amount
          from range(1, 7001) t(i)`;
        await c.run(`copy (${select}) to '${parquet}' (format parquet)`);
        await c.run(`copy (${select}) to '${csv}' (header)`);
        await c.run(`copy (select i as id from range(3) t(i)) to '${partial}' (format parquet)`);
        c.closeSync();
        instance.closeSync();
      });

      // 7,000 rows of 8 columns: more than one batch of binds on Snowflake.
      it('loads Parquet with its column names and types, untouched', async () => {
        const loaded = await adapter.withConnection((c) => adapter.loadFile(c, rel('events'), { path: parquet, format: 'parquet' }, ['id', 'name', 'ts']));
        expect(loaded.rows).toBe(7000);
        expect(loaded.columns.map((c) => c.name)).toEqual(['id', 'name', 'score', 'day', 'ts', 'even', 'maybe', 'amount']);
        const got = await rows(adapter, `select id, name, score, day, ts, even, maybe, amount from ${q('events')} where id in (2, 3) order by id`);
        expect(got).toEqual([
          [2, 'name 2', 3, '2018-07-03', '2018-07-01 12:00:00.25', true, 'x', 2],
          [3, 'name 3', 4.5, '2018-07-04', '2018-07-01 13:00:00.25', false, null, 3],
        ]);
      });

      it('loads CSV as text columns', async () => {
        const loaded = await adapter.withConnection((c) => adapter.loadFile(c, rel('events_csv'), { path: csv, format: 'csv' }, ['id']));
        expect(loaded.rows).toBe(7000);
        expect(await rows(adapter, `select id, name, score from ${q('events_csv')} where id = '3'`)).toEqual([['3', 'name 3', '4.5']]);
      });

      it('refuses a file that lacks a declared column and keeps the previous table', async () => {
        const attempt = adapter.withConnection((c) => adapter.loadFile(c, rel('events'), { path: partial, format: 'parquet' }, ['id', 'name']));
        await expect(attempt).rejects.toBeInstanceOf(ColumnMismatchError);
        await expect(attempt).rejects.toMatchObject({ missing: ['name'] });
        expect(await rows(adapter, `select count(*) from ${q('events')}`)).toEqual([[7000]]);
      });
    });

    it('reports bad SQL with the database message and no secret', async () => {
      const failure = await rows(adapter, `select * from ${q('no_such_table')}`).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect(failure!.message).toMatch(/no_such_table/i);
      expect(failure!.message).toMatch(/does not exist/i);
      expect(failure!.message).not.toContain(PASSWORD);
      expect(adapter.describe()).not.toContain(PASSWORD);
    });

    it('sets a query tag without failing', async () => {
      await adapter.withConnection(async (c: Connection) => {
        await c.setQueryTag('model:model.p.some_node');
        await c.setQueryTag(undefined);
      });
    });

    describe('incremental models through the runner', () => {
      let dir: string;
      const build = async (batch: number, fullRefresh = false) => {
        const { summary, session } = await execute('build', { projectDir: dir, vars: `{batch: ${batch}}`, fullRefresh });
        const failed = summary.results.filter((r) => r.status !== 'success');
        expect(failed.map((r) => `${r.node.name}: ${r.message}`)).toEqual([]);
        return session;
      };
      const read = async (session: Session, model: string) => {
        const a = await connect(session);
        try {
          const node = session.manifest.nodes.get(session.manifest.byName.get(model)!)!;
          return await rows(a, `select id, label from ${a.dialect.qualify(node.relation!)} order by id, label`);
        } finally {
          await a.close();
        }
      };

      beforeAll(() => {
        const model = (strategy: string, key: boolean) =>
          `{{ config(materialized='incremental', incremental_strategy='${strategy}'${key ? ", unique_key='id'" : ''}) }}
select id, label from {{ ref('batches') }}
where batch <= {{ var('batch') }}
{% if is_incremental() %}  and batch = {{ var('batch') }}{% endif %}\n`;
        dir = writeProject({
          'project.yml': 'name: p\nprofile: p\n',
          'profiles.yml': harness.profiles(),
          'seeds/batches.csv': 'id,label,batch\n1,a,1\n2,b,1\n2,b2,2\n3,c,2\n',
          'models/inc_append.sql': model('append', false),
          'models/inc_merge.sql': model('merge', true),
          'models/inc_delete_insert.sql': model('delete+insert', true),
          // A quoted mixed-case column: Snowflake stores it as written, so it must be quoted again when read back.
          'models/inc_quoted.sql': model('merge', true).replace('select id, label from', 'select id, label as "Label" from'),
        });
      });

      it('appends, merges and delete+inserts the new batch; a full refresh rebuilds', async () => {
        let session = await build(1);
        expect(await read(session, 'inc_merge')).toEqual([
          [1, 'a'],
          [2, 'b'],
        ]);
        session = await build(2);
        expect(await read(session, 'inc_append')).toEqual([
          [1, 'a'],
          [2, 'b'],
          [2, 'b2'],
          [3, 'c'],
        ]);
        const upserted = [
          [1, 'a'],
          [2, 'b2'],
          [3, 'c'],
        ];
        expect(await read(session, 'inc_merge')).toEqual(upserted);
        expect(await read(session, 'inc_delete_insert')).toEqual(upserted);
        const a = await connect(session);
        try {
          const node = session.manifest.nodes.get(session.manifest.byName.get('inc_quoted')!)!;
          expect(await rows(a, `select id, "Label" from ${a.dialect.qualify(node.relation!)} order by id`)).toEqual(upserted);
        } finally {
          await a.close();
        }
        session = await build(1, true);
        expect(await read(session, 'inc_append')).toEqual([
          [1, 'a'],
          [2, 'b'],
        ]);
      });
    });

    it('gives the same answers from the cross-database macros (date differences, the current UTC time)', async () => {
      const ts = (text: string) => `"cast('${text}' as " ~ type_timestamp() ~ ")"`;
      const dir = writeProject({
        'project.yml': 'name: p\nprofile: p\n',
        'profiles.yml': harness.profiles(),
        'models/cross_db.sql': `select
  {{ datediff("cast('2024-01-07' as date)", "cast('2024-01-08' as date)", 'week') }} as week_crossed,
  {{ datediff("cast('2024-01-01' as date)", "cast('2024-01-07' as date)", 'week') }} as week_same,
  {{ datediff("cast('2024-01-31' as date)", "cast('2024-02-01' as date)", 'month') }} as month_crossed,
  {{ datediff(${ts('2018-07-31 23:00:00')}, ${ts('2018-08-01 01:00:00')}, 'day') }} as day_crossed,
  {{ current_timestamp() }} as built_at
`,
      });
      const { summary, session } = await execute('build', { projectDir: dir });
      expect(summary.results.filter((r) => r.status !== 'success').map((r) => r.message)).toEqual([]);
      const a = await connect(session);
      try {
        const node = session.manifest.nodes.get(session.manifest.byName.get('cross_db')!)!;
        const [row] = await rows(a, `select week_crossed, week_same, month_crossed, day_crossed, built_at from ${a.dialect.qualify(node.relation!)}`);
        expect(row!.slice(0, 4)).toEqual([1, 0, 1, 1]);
        // UTC whatever the session's time zone (the emulator starts in Snowflake's America/Los_Angeles).
        const builtAt = Date.parse(`${String(row![4]).replace(' ', 'T')}Z`);
        expect(Math.abs(builtAt - Date.now())).toBeLessThan(5 * 60_000);
      } finally {
        await a.close();
      }
    });
  });
}

conformance('duckdb', duckdb);
conformance('snowflake', snowflake);

// Runs last (tests run in file order): everything the Snowflake adapter sent above, and the
// emulator ran, must also parse with an independent Snowflake grammar (tests/helpers/snowflake-grammar.ts).
describe('the statements the Snowflake adapter sent', () => {
  it('all parse with sqlparser-rs’s Snowflake dialect', async () => {
    const sent = emulator!.statementLog.filter((e) => e.ok).map((e) => e.sql);
    expect(sent.length).toBeGreaterThan(50);
    expect(await snowflakeGrammarFailures(sent)).toEqual([]);
  });
});
