import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateVouchers } from '../../app/datagen/generate-vouchers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// CI keeps the real extract next to the repo; REAL_VOUCHERS_FILE lets a worktree elsewhere use it.
const REAL_FILE = process.env.REAL_VOUCHERS_FILE ?? path.resolve(repoRoot, '..', 'shared', 'data', 'vouchers_2018.parquet.gzip');
const HAS_REAL = existsSync(REAL_FILE);
const SAMPLE = path.join(repoRoot, 'data', 'vouchers_sample.parquet');

const EXPECTED_COLUMNS = [
  ['timestamp', 'VARCHAR'],
  ['country_code', 'VARCHAR'],
  ['last_order_ts', 'VARCHAR'],
  ['first_order_ts', 'TIMESTAMP'],
  ['total_orders', 'VARCHAR'],
  ['voucher_amount', 'DOUBLE'],
];
const REAL_AMOUNTS = [1540, 1760, 2200, 2640, 3080, 3520, 4400, 5720, 8800, 11000, 13200];

/** Rates profiled from the real extract; used when the file itself is not there. */
const REAL_RATES_FALLBACK: Rates = {
  blank: 0.08,
  zero: 0.1173,
  nullAmount: 0.0061,
  yearsBefore: 0.08,
  over37: 0.1146,
  china: 0.3493,
  australia: 0.2745,
  latvia: 0.2189,
  peru: 0.1573,
};
type Rates = Record<'blank' | 'zero' | 'nullAmount' | 'yearsBefore' | 'over37' | 'china' | 'australia' | 'latvia' | 'peru', number>;

const ROWS = 50_000;
const CSV_ROWS = 5_000;
let tmp = '';
let db: DuckDBInstance;
let con: DuckDBConnection;
const file = (name: string) => path.join(tmp, name);
const q = (p: string) => `'${p.replaceAll("'", "''")}'`;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await con.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}
async function one(sql: string): Promise<Record<string, unknown>> {
  const [row] = await rows(sql);
  if (!row) throw new Error(`no row from: ${sql}`);
  return row;
}
const num = (v: unknown) => Number(v);

async function describeFile(p: string): Promise<string[][]> {
  const r = await rows(`DESCRIBE SELECT * FROM read_parquet(${q(p)})`);
  return r.map((c) => [String(c.column_name), String(c.column_type)]);
}

async function rates(p: string): Promise<Rates> {
  const r = await one(`
    SELECT
      avg((total_orders = '')::INT) AS blank,
      avg((total_orders = '0.0')::INT) AS zero,
      avg((voucher_amount IS NULL)::INT) AS "nullAmount",
      avg(("timestamp"::TIMESTAMP < last_order_ts::TIMESTAMP - INTERVAL 365 DAY)::INT) AS "yearsBefore",
      avg(coalesce(try_cast(total_orders AS DOUBLE) > 37, false)::INT) AS over37,
      avg((country_code = 'China')::INT) AS china,
      avg((country_code = 'Australia')::INT) AS australia,
      avg((country_code = 'Latvia')::INT) AS latvia,
      avg((country_code = 'Peru')::INT) AS peru
    FROM read_parquet(${q(p)})`);
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, num(v)])) as Rates;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gen-vouchers-test-'));
  await Promise.all([
    generateVouchers({ rows: ROWS, seed: 7, out: file('a.parquet') }),
    generateVouchers({ rows: ROWS, seed: 7, out: file('a_again.parquet'), threads: 1 }),
    generateVouchers({ rows: ROWS, seed: 8, out: file('b.parquet') }),
    generateVouchers({ rows: CSV_ROWS, seed: 7, out: file('a.csv') }),
    generateVouchers({ rows: 20_000, seed: 2018, out: file('sample_again.parquet') }),
  ]);
  db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
});

afterAll(async () => {
  con?.closeSync();
  db?.closeSync();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('generated voucher data', () => {
  it('has the real extract’s columns, order and types', async () => {
    const generated = await describeFile(file('a.parquet'));
    expect(generated).toEqual(EXPECTED_COLUMNS);
    if (HAS_REAL) {
      expect(generated).toEqual(await describeFile(REAL_FILE));
      // the real file stores first_order_ts as millisecond timestamps; so do we
      const physical = async (p: string) =>
        rows(`SELECT name, type, converted_type FROM parquet_schema(${q(p)}) WHERE name <> 'schema' AND name <> 'duckdb_schema'`);
      expect(await physical(file('a.parquet'))).toEqual(await physical(REAL_FILE));
    } else {
      console.info(`real extract not found at ${REAL_FILE}: compared with the expected column list only`);
    }
  });

  it('writes the requested number of rows with the real text formats', async () => {
    const r = await one(`
      SELECT
        count(*) AS n,
        count(*) FILTER (WHERE NOT regexp_full_match("timestamp", '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}')) AS bad_ts,
        count(*) FILTER (WHERE NOT regexp_full_match(last_order_ts, '\\d{4}-\\d\\d-\\d\\d')) AS bad_last,
        count(*) FILTER (WHERE NOT regexp_full_match(total_orders, '(\\d+\\.0)?')) AS bad_orders,
        count(*) FILTER (WHERE first_order_ts IS NULL OR last_order_ts IS NULL OR country_code IS NULL
                          OR "timestamp" IS NULL OR total_orders IS NULL) AS unexpected_nulls,
        max("timestamp")::TIMESTAMP::DATE::VARCHAR AS as_of
      FROM read_parquet(${q(file('a.parquet'))})`);
    expect(num(r.n)).toBe(ROWS);
    expect(num(r.bad_ts)).toBe(0);
    expect(num(r.bad_last)).toBe(0);
    expect(num(r.bad_orders)).toBe(0);
    expect(num(r.unexpected_nulls)).toBe(0);
    expect(r.as_of).toBe('2018-07-31');
  });

  it('reproduces the real quirks at about the real rates', async () => {
    const gen = await rates(file('a.parquet'));
    const real = HAS_REAL ? await rates(REAL_FILE) : REAL_RATES_FALLBACK;
    if (!HAS_REAL) console.info(`real extract not found at ${REAL_FILE}: using its profiled rates`);
    const tolerance: Rates = {
      blank: 0.012,
      zero: 0.012,
      nullAmount: 0.0025,
      yearsBefore: 0.012,
      over37: 0.02,
      china: 0.015,
      australia: 0.015,
      latvia: 0.015,
      peru: 0.015,
    };
    for (const key of Object.keys(tolerance) as (keyof Rates)[]) {
      expect(Math.abs(gen[key] - real[key]), `${key}: generated ${gen[key]} vs real ${real[key]}`).toBeLessThan(tolerance[key]);
    }
  });

  it('covers every cleaning rule and recency bucket', async () => {
    const r = await one(`
      WITH g AS (
        SELECT *, DATE '2018-07-31' - last_order_ts::DATE AS days_since
        FROM read_parquet(${q(file('a.parquet'))}))
      SELECT
        avg((total_orders = '0.0' AND (last_order_ts IS NOT NULL OR first_order_ts IS NOT NULL))::INT) AS zero_with_ts,
        avg((last_order_ts::TIMESTAMP < first_order_ts)::INT) AS last_before_first,
        avg((days_since < 30)::INT) AS d_under_30,
        avg((days_since BETWEEN 30 AND 60)::INT) AS d_30_60,
        avg((days_since BETWEEN 61 AND 90)::INT) AS d_61_90,
        avg((days_since BETWEEN 91 AND 120)::INT) AS d_91_120,
        avg((days_since BETWEEN 121 AND 180)::INT) AS d_121_180,
        avg((days_since > 180)::INT) AS d_over_180,
        max(try_cast(total_orders AS DOUBLE)) AS max_orders
      FROM g`);
    expect(num(r.zero_with_ts)).toBeGreaterThan(0.1);
    // absent from the real extract, present here so cleaning rule 4 has work to do
    expect(num(r.last_before_first)).toBeGreaterThan(0.002);
    expect(num(r.last_before_first)).toBeLessThan(0.01);
    for (const bucket of ['d_under_30', 'd_30_60', 'd_61_90', 'd_91_120', 'd_121_180', 'd_over_180']) {
      expect(num(r[bucket]), bucket).toBeGreaterThan(0.01);
    }
    expect(num(r.max_orders)).toBeGreaterThan(100);
  });

  it('uses exactly the real set of voucher amounts', async () => {
    const amounts = async (p: string) =>
      (await rows(`SELECT DISTINCT voucher_amount AS a FROM read_parquet(${q(p)}) WHERE voucher_amount IS NOT NULL ORDER BY 1`)).map((r) => num(r.a));
    expect(await amounts(file('a.parquet'))).toEqual(HAS_REAL ? await amounts(REAL_FILE) : REAL_AMOUNTS);
  });

  it('is deterministic: same seed gives identical rows, another seed differs', async () => {
    const diff = async (a: string, b: string) =>
      num(
        (
          await one(`
            SELECT count(*) AS n FROM read_parquet(${q(a)}, file_row_number = true) x
            FULL JOIN read_parquet(${q(b)}, file_row_number = true) y USING (file_row_number)
            WHERE (x."timestamp", x.country_code, x.last_order_ts, x.first_order_ts, x.total_orders, x.voucher_amount)
              IS DISTINCT FROM (y."timestamp", y.country_code, y.last_order_ts, y.first_order_ts, y.total_orders, y.voucher_amount)`)
        ).n,
      );
    // a_again was written single-threaded: the thread count must not matter either
    expect(await diff(file('a.parquet'), file('a_again.parquet'))).toBe(0);
    expect(await diff(file('a.parquet'), file('b.parquet'))).toBeGreaterThan(ROWS * 0.99);
  });

  it('writes CSV that reads back to the same rows as Parquet', async () => {
    // each row depends only on (row index, seed), so the CSV is a prefix of the larger Parquet file
    const r = await one(`
      WITH c AS (
        SELECT row_number() OVER () - 1 AS file_row_number, *
        FROM read_csv(${q(file('a.csv'))}, header = true, allow_quoted_nulls = false, columns = {
          'timestamp': 'VARCHAR', 'country_code': 'VARCHAR', 'last_order_ts': 'VARCHAR',
          'first_order_ts': 'TIMESTAMP', 'total_orders': 'VARCHAR', 'voucher_amount': 'DOUBLE'})),
      p AS (SELECT * FROM read_parquet(${q(file('a.parquet'))}, file_row_number = true) WHERE file_row_number < ${CSV_ROWS})
      SELECT
        (SELECT count(*) FROM c) AS n,
        (SELECT count(*) FROM c WHERE total_orders = '') AS blanks,
        (SELECT count(*) FROM c WHERE voucher_amount IS NULL) AS nulls,
        (SELECT count(*) FROM c FULL JOIN p USING (file_row_number)
          WHERE (c."timestamp", c.country_code, c.last_order_ts, c.first_order_ts, c.total_orders, c.voucher_amount)
            IS DISTINCT FROM (p."timestamp", p.country_code, p.last_order_ts, p.first_order_ts, p.total_orders, p.voucher_amount)
        ) AS differing`);
    expect(num(r.n)).toBe(CSV_ROWS);
    expect(num(r.blanks)).toBeGreaterThan(0);
    expect(num(r.nulls)).toBeGreaterThan(0);
    expect(num(r.differing)).toBe(0);
  });
});

describe('bundled sample data/vouchers_sample.parquet', () => {
  it('is small, has the expected schema, and matches its documented command', async () => {
    expect((await stat(SAMPLE)).size).toBeLessThan(1024 * 1024);
    expect(await describeFile(SAMPLE)).toEqual(EXPECTED_COLUMNS);
    const r = await one(`
      SELECT count(*) AS n FROM (
        SELECT * FROM read_parquet(${q(SAMPLE)})
        EXCEPT ALL SELECT * FROM read_parquet(${q(file('sample_again.parquet'))}))`);
    expect(num(r.n), 'sample differs from `--rows 20000 --seed 2018` output: regenerate it').toBe(0);
    expect(num((await one(`SELECT count(*) AS n FROM read_parquet(${q(SAMPLE)})`)).n)).toBe(20_000);
  });

  it('gives Peru data in all 8 segments, and answers that differ between segments', async () => {
    // Independent of the generator: DOMAIN.md's cleaning, segments and mode, in plain SQL.
    const answers = await rows(`
      WITH raw AS (SELECT * FROM read_parquet(${q(SAMPLE)})),
      reference AS (SELECT max("timestamp")::TIMESTAMP::DATE AS d FROM raw),
      stage AS (
        SELECT last_order_ts::DATE AS last_order, total_orders::DOUBLE::INTEGER AS orders, voucher_amount
        FROM raw
        WHERE lower(trim(country_code)) IN ('peru')
          AND nullif(trim(total_orders), '') IS NOT NULL AND voucher_amount IS NOT NULL
          AND NOT (total_orders::DOUBLE = 0 AND (last_order_ts IS NOT NULL OR first_order_ts IS NOT NULL))
          AND NOT coalesce(last_order_ts::TIMESTAMP < first_order_ts, false)),
      measured AS (
        SELECT orders, (SELECT d FROM reference) - last_order AS days_since, voucher_amount FROM stage),
      rules(segment_type, segment_name, min_value, max_value) AS (VALUES
        ('frequent_segment', '1-4', 1, 4), ('frequent_segment', '5-13', 5, 13), ('frequent_segment', '14-37', 14, 37),
        ('recency_segment', '30-60', 30, 60), ('recency_segment', '61-90', 61, 90),
        ('recency_segment', '91-120', 91, 120), ('recency_segment', '121-180', 121, 180),
        ('recency_segment', '180+', 181, NULL)),
      segmented AS (
        SELECT r.segment_type, r.segment_name, m.voucher_amount
        FROM measured m JOIN rules r
          ON CASE r.segment_type WHEN 'frequent_segment' THEN m.orders ELSE m.days_since END
             BETWEEN r.min_value AND coalesce(r.max_value, 2147483647)),
      per_amount AS (
        SELECT segment_type, segment_name, voucher_amount, count(*) AS c FROM segmented GROUP BY ALL),
      counted AS (
        SELECT *,
               sum(c) OVER (PARTITION BY segment_type, segment_name) AS segment_rows,
               -- ties on count go to the smaller amount
               row_number() OVER (PARTITION BY segment_type, segment_name ORDER BY c DESC, voucher_amount) AS rank
        FROM per_amount)
      SELECT segment_type, segment_name, voucher_amount, c, segment_rows,
             c - coalesce((SELECT max(c2.c) FROM counted c2 WHERE c2.segment_type = counted.segment_type
                             AND c2.segment_name = counted.segment_name AND c2.rank = 2), 0) AS margin
      FROM counted WHERE rank = 1 ORDER BY segment_type, segment_name`);
    expect(answers.map((a) => `${a.segment_type}/${a.segment_name}`).sort()).toEqual(
      [
        'frequent_segment/1-4',
        'frequent_segment/5-13',
        'frequent_segment/14-37',
        'recency_segment/30-60',
        'recency_segment/61-90',
        'recency_segment/91-120',
        'recency_segment/121-180',
        'recency_segment/180+',
      ].sort(),
    );
    for (const a of answers) {
      // enough Peru rows that the answer is not a coin toss, and no tie for the top amount
      expect(num(a.segment_rows), `${a.segment_name} rows`).toBeGreaterThanOrEqual(100);
      expect(num(a.margin), `${a.segment_name} margin`).toBeGreaterThan(0);
    }
    expect(new Set(answers.map((a) => num(a.voucher_amount))).size).toBeGreaterThan(1);
  });
});

describe('CLI', () => {
  const tsx = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const script = path.join(repoRoot, 'scripts', 'generate-vouchers.ts');
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [tsx, script, ...args], { cwd: repoRoot }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );

  it('writes a file and reports rows, bytes and seconds', async () => {
    const out = file('cli.parquet');
    const r = await run(['--rows', '1k', '--out', out, '--seed', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote 1000 rows .* \d+ bytes .* in [\d.]+ s/);
    expect(existsSync(out)).toBe(true);
  });

  it('rejects bad input with a clear message, exit code 2 and no stack trace', async () => {
    const cases = [
      ['--rows', 'many', '--out', file('x.parquet')],
      ['--rows', '10', '--out', file('x.json')],
      ['--rows', '10'],
      ['--rows', '0', '--out', file('x.parquet')],
      ['--rows', '10', '--out', file('x.parquet'), '--nope'],
    ];
    const results = await Promise.all(cases.map(run));
    results.forEach((r, idx) => {
      expect(r.code, cases[idx]?.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^generate-vouchers: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
