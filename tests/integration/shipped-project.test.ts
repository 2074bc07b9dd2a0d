import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_DATA, copyShippedProject, hasRealData, queryDuckDb, runModel } from '../helpers/project.js';

interface Answer {
  segment_type: string;
  segment_name: string;
  voucher_amount: number;
  voucher_count: number;
  segment_rows: number;
}

/**
 * The answer computed independently, straight from the raw file with plain SQL that follows
 * DOMAIN.md (not the project's models): clean, bucket, take the mode with ties to the smaller amount.
 */
async function expectedAnswers(file: string, countries: string[], reference?: string): Promise<Answer[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const list = countries.map((c) => `'${c.toLowerCase()}'`).join(', ');
  const reader = file.endsWith('.csv') ? `read_csv('${file}')` : `read_parquet('${file}')`;
  const sql = `
    with raw as (select * from ${reader}),
    typed as (
      select try_cast("timestamp" as timestamp) as ts,
             lower(trim(country_code)) as country,
             try_cast(last_order_ts as timestamp) as last_ts,
             try_cast(first_order_ts as timestamp) as first_ts,
             try_cast(nullif(trim(cast(total_orders as varchar)), '') as double) as orders,
             nullif(cast(voucher_amount as double), 'NaN'::double) as amount
      from raw
    ),
    ref as (select ${reference ? `date '${reference}'` : 'cast(max(ts) as date)'} as d ${reference ? '' : 'from typed'}),
    clean as (
      select * from typed
      where country in (${list})
        and orders is not null and amount is not null
        and not (orders = 0 and (last_ts is not null or first_ts is not null))
        and not coalesce(last_ts < first_ts, false)
    ),
    m as (
      select amount, cast(orders as bigint) as orders, date_diff('day', cast(last_ts as date), (select d from ref)) as days from clean
    ),
    seg as (
      select 'frequent_segment' as t,
        case when orders between 1 and 4 then '1-4' when orders between 5 and 13 then '5-13' when orders between 14 and 37 then '14-37' end as s, amount from m
      union all
      select 'recency_segment',
        case when days between 30 and 60 then '30-60' when days between 61 and 90 then '61-90' when days between 91 and 120 then '91-120'
             when days between 121 and 180 then '121-180' when days >= 181 then '180+' end, amount from m
    ),
    counts as (select t, s, amount, count(*) as n from seg where s is not null group by all)
    select t as segment_type, s as segment_name,
           arg_min(amount, (-n, amount)) as voucher_amount, max(n) as voucher_count, sum(n) as segment_rows
    from counts group by all order by all`;
  const rows = (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  conn.closeSync();
  instance.closeSync();
  return rows.map((r) => ({
    segment_type: String(r.segment_type),
    segment_name: String(r.segment_name),
    voucher_amount: Number(r.voucher_amount),
    voucher_count: Number(r.voucher_count),
    segment_rows: Number(r.segment_rows),
  }));
}

async function actualAnswers(dbFile: string): Promise<Answer[]> {
  const rows = await queryDuckDb(dbFile, 'select * from dh_database.dh_prod.segments_derived order by segment_type, segment_name');
  return rows.map((r) => ({
    segment_type: String(r.segment_type),
    segment_name: String(r.segment_name),
    voucher_amount: Number(r.voucher_amount),
    voucher_count: Number(r.voucher_count),
    segment_rows: Number(r.segment_rows),
  }));
}

describe('the shipped segmentation project on DuckDB', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = copyShippedProject();
    db = path.join(dir, 'target', 'dh_database.duckdb');
    const r = await runModel(['build'], { cwd: dir });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
  });

  it('builds raw -> stage -> prod on the bundled sample with the independent answer', async () => {
    const expected = await expectedAnswers(path.join(dir, 'data', 'vouchers_sample.parquet'), ['Peru']);
    expect(expected.length).toBe(8);
    expect(await actualAnswers(db)).toEqual(expected);
    // The sample is built so that segments do not all share one answer.
    expect(new Set(expected.map((e) => e.voucher_amount)).size).toBeGreaterThan(1);
  });

  it('has exactly the DOMAIN columns in dh_prod.segments_derived', async () => {
    const cols = await queryDuckDb(
      db,
      "select column_name from information_schema.columns where table_schema = 'dh_prod' and table_name = 'segments_derived' order by ordinal_position",
    );
    expect(cols.map((c) => c.column_name)).toEqual([
      'segment_type',
      'segment_name',
      'min_value',
      'max_value',
      'voucher_amount',
      'voucher_count',
      'segment_rows',
    ]);
  });

  it('keeps the raw table a faithful copy of the file', async () => {
    const raw = await queryDuckDb(db, 'select count(*) as n from dh_database.dh_raw.old_voucher_data');
    const file = await queryDuckDb(db, `select count(*) as n from read_parquet('${path.join(dir, 'data', 'vouchers_sample.parquet')}')`);
    expect(raw[0]!.n).toEqual(file[0]!.n);
    const types = await queryDuckDb(
      db,
      "select column_name, data_type from information_schema.columns where table_schema = 'dh_raw' and table_name = 'old_voucher_data' order by ordinal_position",
    );
    expect(types.map((t) => `${t.column_name}:${t.data_type}`)).toEqual([
      'timestamp:VARCHAR',
      'country_code:VARCHAR',
      'last_order_ts:VARCHAR',
      'first_order_ts:TIMESTAMP',
      'total_orders:VARCHAR',
      'voucher_amount:DOUBLE',
    ]);
  });

  it('has a cleaning funnel that adds up', async () => {
    const funnel = await queryDuckDb(db, 'select * from dh_database.dh_stage.cleaning_funnel order by step');
    const clean = await queryDuckDb(db, 'select count(*) as n from dh_database.dh_stage.clean_vouchers');
    const rowsIn = Number(funnel[0]!.rows_remaining);
    const removed = funnel.slice(1).reduce((a, r) => a + Number(r.rows_removed), 0);
    expect(rowsIn - removed).toBe(Number(clean[0]!.n));
    expect(Number(funnel[4]!.rows_remaining)).toBe(Number(clean[0]!.n));
    for (const step of funnel.slice(1)) expect(Number(step.rows_removed)).toBeGreaterThan(0);
  });

  it('writes dbt-shaped artifacts', async () => {
    const results = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8'));
    const ids = results.results.map((r: { unique_id: string }) => r.unique_id);
    expect(ids).toContain('model.segmentation.segments_derived');
    expect(ids).toContain('seed.segmentation.rules_for_segments');
    expect(ids).toContain('source.segmentation.raw.old_voucher_data');
    expect(results.results.every((r: { status: string }) => r.status === 'success' || r.status === 'pass')).toBe(true);
    // The project's own data tests ran and passed, generic and singular.
    const tests = results.results.filter((r: { unique_id: string }) => r.unique_id.startsWith('test.'));
    expect(tests.length).toBeGreaterThan(20);
    expect(ids).toContain('test.segmentation.rules_no_overlapping_ranges');
    expect(ids.some((id: string) => id.startsWith('test.segmentation.unique_combination_of_columns_segments_derived_segment_type__segment_name.'))).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8'));
    expect(manifest.nodes['model.segmentation.segments_derived'].depends_on.nodes).toEqual(['model.segmentation.voucher_segments']);
    expect(manifest.sources['source.segmentation.raw.old_voucher_data'].schema).toBe('dh_raw');
    // dbt's paths: below the model, seed or test path; a generic test's is its generated file.
    const derived = manifest.nodes['model.segmentation.segments_derived'];
    expect([derived.path, derived.original_file_path]).toEqual(['prod/segments_derived.sql', 'models/prod/segments_derived.sql']);
    expect(derived.refs).toEqual([{ name: 'voucher_segments', package: null, version: null }]);
    expect(manifest.nodes['seed.segmentation.rules_for_segments'].path).toBe('rules_for_segments.csv');
    expect(manifest.nodes['test.segmentation.rules_no_overlapping_ranges'].path).toBe('rules_no_overlapping_ranges.sql');
    const notNull = Object.values(manifest.nodes as Record<string, { name: string; path: string; original_file_path: string }>).find(
      (n) => n.name === 'not_null_segments_derived_segment_type',
    )!;
    expect([notNull.path, notNull.original_file_path]).toEqual(['not_null_segments_derived_segment_type.sql', 'models/prod/prod.yml']);
  });

  it('answers with other countries and a fixed reference date through --vars', async () => {
    const r = await runModel(['build', '--vars', '{countries: [" peru", LATVIA], recency_reference_date: "2018-09-15"}'], { cwd: dir });
    expect(r.code).toBe(0);
    const expected = await expectedAnswers(path.join(dir, 'data', 'vouchers_sample.parquet'), ['Peru', 'Latvia'], '2018-09-15');
    expect(await actualAnswers(db)).toEqual(expected);
  });

  it('stops before prod when a rules row overlaps another, naming the rows and the test', async () => {
    const before = await actualAnswers(db);
    const rules = path.join(dir, 'seeds', 'rules_for_segments.csv');
    const original = readFileSync(rules, 'utf8');
    try {
      writeFileSync(rules, original.replace('frequent_segment,5-13,5,13', 'frequent_segment,5-13,4,13'));
      const r = await runModel(['build'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('Failure in test rules_no_overlapping_ranges (data-tests/rules_no_overlapping_ranges.sql)');
      expect(r.stdout).toContain('declared at data-tests/rules_no_overlapping_ranges.sql:1');
      expect(r.stdout).toMatch(/\| frequent_segment +\| 1-4 +\| 5-13 +\| 1 +\| 4 +\| 4 +\| 13 +\|/);
      expect(r.stdout).toMatch(/SKIP table model dh_prod\.segments_derived/);
      expect(await actualAnswers(db)).toEqual(before);
    } finally {
      writeFileSync(rules, original);
    }
  });

  it('answers from unrounded amounts and honours blanks, case, spaces, bucket edges and odd counts on an awkward file', async () => {
    // Amounts 1.234 and 1.231 are different amounts: rounded to cents they would merge into one
    // mode of 4 instead of 1.234 counted 3 times.
    const file = path.join(dir, 'awkward.csv');
    writeFileSync(
      file,
      `${[
        'timestamp,country_code,last_order_ts,first_order_ts,total_orders,voucher_amount',
        '2018-07-31 20:44:28.78,Peru,2018-06-01,2018-01-01 00:00:00,4.0,10.0',
        '2018-07-30 10:00:00,Peru,2018-06-01,2018-01-01 00:00:00,4.0,5.0',
        '2018-07-30 10:00:00, peru ,2018-06-01,2018-01-01 00:00:00,1.0,5.0',
        '2018-07-30 10:00:00,PERU,2018-06-01,2018-01-01 00:00:00,2.0,10.0',
        '2018-07-30 10:00:00,Peru,2018-06-01,2018-01-01 00:00:00,,10.0',
        '2018-07-30 10:00:00,Peru,2018-06-01,2018-01-01 00:00:00,  ,10.0',
        '2018-07-30 10:00:00,Peru,2018-06-01,2018-01-01 00:00:00,3.0,',
        '2018-07-30 10:00:00,Peru,2018-06-01,2018-01-01 00:00:00,0.0,7.0',
        '2018-07-30 10:00:00,Peru,,,0.0,7.0',
        '2018-07-30 10:00:00,Peru,2018-01-01,2018-06-01 00:00:00,5.0,7.0',
        '2018-07-30 10:00:00,Peru,2018-06-01,2018-06-01 00:00:00,5.0,7.5',
        '2018-07-30 10:00:00,Peru,2018-07-01,2018-06-01 00:00:00,13.0,7.5',
        '2018-07-30 10:00:00,Peru,2018-07-02,2018-06-01 00:00:00,14.0,7.5',
        '2018-07-30 10:00:00,Peru,2018-03-03,2018-01-01 00:00:00,37.0,1.234',
        '2018-07-30 10:00:00,Peru,2018-03-02,2018-01-01 00:00:00,38.0,1.231',
        '2018-07-30 10:00:00,Peru,2018-02-01,2018-01-01 00:00:00,37.0,1.231',
        '2018-07-30 10:00:00,Peru,2018-01-31,2018-01-01 00:00:00,37.0,1.234',
        '2018-07-30 10:00:00,Peru,2018-07-15,2018-01-01 00:00:00,37.0,1.234',
        '2018-07-30 10:00:00,Latvia,2018-06-01,2018-01-01 00:00:00,4.0,99.0',
        '2015-07-30 10:00:00,China,2018-06-01,2018-01-01 00:00:00,4.0,99.0',
        '2018-07-30 10:00:00,,2018-06-01,2018-01-01 00:00:00,4.0,99.0',
        // Counts no bucket holds: in no frequent segment, still in a recency one; the build goes on.
        '2018-07-30 10:00:00,Peru,2018-06-20,2018-01-01 00:00:00,3000000000.0,3.0',
        '2018-07-30 10:00:00,Peru,2018-06-20,2018-01-01 00:00:00,-2.0,3.0',
        // NaN (pandas' missing value) is no amount: counted, these three would be 1-4's mode.
        '2018-07-30 10:00:00,Peru,2018-06-01,2018-01-01 00:00:00,2.0,NaN',
        '2018-07-30 10:00:00,Peru,2018-06-01,2018-01-01 00:00:00,2.0,NaN',
        '2018-07-30 10:00:00,Peru,2018-06-01,2018-01-01 00:00:00,2.0,NaN',
      ].join('\n')}\n`,
    );
    const r = await runModel(['build', '--vars', JSON.stringify({ vouchers_path: file })], { cwd: dir });
    expect(r.code).toBe(0);
    const actual = await actualAnswers(db);
    expect(actual).toEqual(await expectedAnswers(file, ['Peru']));
    expect(actual.find((a) => a.segment_name === '1-4')).toMatchObject({ voucher_amount: 5, voucher_count: 2 });
    expect(actual.find((a) => a.segment_name === '14-37')).toEqual({
      segment_type: 'frequent_segment',
      segment_name: '14-37',
      voucher_amount: 1.234,
      voucher_count: 3,
      segment_rows: 5,
    });
  });

  it.runIf(hasRealData)('builds the real 285,570-row extract with the independent answer', async () => {
    const r = await runModel(['build', '--vars', JSON.stringify({ vouchers_path: REAL_DATA })], { cwd: dir });
    expect(r.code).toBe(0);
    const raw = await queryDuckDb(db, 'select count(*) as n from dh_database.dh_raw.old_voucher_data');
    expect(Number(raw[0]!.n)).toBe(285570);
    expect(await actualAnswers(db)).toEqual(await expectedAnswers(REAL_DATA, ['Peru']));
  });
});
