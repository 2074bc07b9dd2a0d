/**
 * Synthetic raw voucher data, shaped like the real 2018 extract (same columns, order and types,
 * same quirks at similar rates), but with voucher amounts that depend on the customer's segment
 * so that the per-segment answers differ from one segment to the next.
 *
 * Everything is produced by one DuckDB `COPY (SELECT ... FROM range(N)) TO ...` statement, so it
 * streams in bounded memory at any size. Randomness is `hash(row index, seed, stream)`, never
 * `random()`, so the same rows and seed always give the same data whatever the thread count.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** Columns of the real extract, in order, as DuckDB reports them. */
export const VOUCHER_COLUMNS = [
  { name: 'timestamp', type: 'VARCHAR' },
  { name: 'country_code', type: 'VARCHAR' },
  { name: 'last_order_ts', type: 'VARCHAR' },
  { name: 'first_order_ts', type: 'TIMESTAMP' },
  { name: 'total_orders', type: 'VARCHAR' },
  { name: 'voucher_amount', type: 'DOUBLE' },
] as const;

/** The as-of date: the latest voucher timestamp always falls on this day (row 0 is pinned to it). */
export const REFERENCE_DATE = '2018-07-31';

/** Every voucher amount the real extract uses. */
export const VOUCHER_AMOUNTS = [1540, 1760, 2200, 2640, 3080, 3520, 4400, 5720, 8800, 11000, 13200] as const;

/** Country shares as in the real extract (China 34.9%, Australia 27.5%, Latvia 21.9%, Peru 15.7%). */
const COUNTRIES: ReadonlyArray<readonly [string, number]> = [
  ['China', 99738],
  ['Australia', 78396],
  ['Latvia', 62516],
  ['Peru', 44920],
];

/**
 * Target quirk rates. Profiled from the real extract, except the rates marked "not in real data":
 * those cover cleaning rules and segments the real file never exercises.
 */
export const QUIRK_RATES = {
  blankTotalOrders: 0.08, // real 8.00%
  zeroTotalOrders: 0.117, // real 11.73%, all with order timestamps set
  nullVoucherAmount: 0.006, // real 0.61%
  lastOrderBeforeFirst: 0.005, // not in real data (0%), but the cleaning rule exists
  voucherYearsBeforeLastOrder: 0.08, // real 8.00%: vouchers dated April-May 2015
} as const;

/** Order-count buckets: share of rows (blank/zero from QUIRK_RATES) and the value range inside. */
const ORDER_BUCKETS = {
  '1-4': 0.287,
  '5-13': 0.238,
  '14-37': 0.163,
  '38+': 0.115,
} as const;

/**
 * Days between the last order and REFERENCE_DATE. The real extract has only 30-144 days (and 20
 * rows at 2-3 days); <30 and 180+ are added so every recency bucket and the "unsegmented" case occur.
 */
const RECENCY_BUCKETS: ReadonlyArray<{ lo: number; hi: number; weight: number }> = [
  { lo: 2, hi: 29, weight: 0.03 },
  { lo: 30, hi: 60, weight: 0.22 },
  { lo: 61, hi: 90, weight: 0.26 },
  { lo: 91, hi: 120, weight: 0.24 },
  { lo: 121, hi: 180, weight: 0.15 },
  { lo: 181, hi: 540, weight: 0.1 },
];

/**
 * The amount each segment leans to. Every row takes its frequency bucket's amount with
 * probability FREQUENCY_PULL, its recency bucket's amount with RECENCY_PULL, and otherwise an
 * amount drawn from the real overall distribution. A recency segment mixes all order counts (and
 * the reverse), so a segment's own amount needs a pull well above the other type's pull times
 * the largest bucket share (~0.3); these values keep the preferred amount ahead by a wide margin
 * in every segment, so ties are practically impossible. Recency gets the larger pull because its
 * buckets are smaller (180+ is ~10% of rows), so its margins need the extra help.
 */
export const SEGMENT_AMOUNTS = {
  frequent_segment: { '1-4': 4400, '5-13': 2640, '14-37': 1760 },
  recency_segment: { '30-60': 2200, '61-90': 3520, '91-120': 5720, '121-180': 8800, '180+': 13200 },
} as const;
const FREQUENCY_PULL = 0.25;
const RECENCY_PULL = 0.35;

/** Background amount distribution: counts per amount in the real extract. */
const REAL_AMOUNT_COUNTS: ReadonlyArray<readonly [number, number]> = [
  [1540, 3138],
  [1760, 52285],
  [2200, 28670],
  [2640, 23040],
  [3080, 8387],
  [3520, 15160],
  [4400, 52272],
  [5720, 31189],
  [8800, 33123],
  [11000, 14607],
  [13200, 21968],
];

/** Real counts of 1..4 and 5..13 orders, to keep the spiky shape (2 and 7 orders are common). */
const ORDERS_1_4: ReadonlyArray<readonly [number, number]> = [
  [1, 14564],
  [2, 35137],
  [3, 9446],
  [4, 22788],
];
const ORDERS_5_13: ReadonlyArray<readonly [number, number]> = [
  [5, 7805],
  [6, 1039],
  [7, 17570],
  [8, 1338],
  [9, 12331],
  [10, 5614],
  [11, 11608],
  [12, 6968],
  [13, 3780],
];

export type OutputFormat = 'parquet' | 'csv' | 'csv.gz';

export interface GenerateOptions {
  rows: number;
  out: string;
  seed?: number;
  /** Derived from the file name when omitted. */
  format?: OutputFormat;
  /** DuckDB memory_limit, default '1GB'. */
  memoryLimit?: string;
  /** DuckDB threads; default: DuckDB's own choice. Output is identical whatever the value. */
  threads?: number;
  /** Called every `progressIntervalMs` while writing, with bytes written so far. */
  onProgress?: (info: { bytes: number; seconds: number }) => void;
  progressIntervalMs?: number;
}

export interface GenerateResult {
  out: string;
  format: OutputFormat;
  rows: number;
  seed: number;
  bytes: number;
  seconds: number;
}

export const DEFAULT_SEED = 2018;
/** Row counts past this are almost certainly a typo; DuckDB's range() would cope, disks would not. */
export const MAX_ROWS = 10_000_000_000;

/** Error for bad input: the CLI prints its message without a stack trace and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function formatFromPath(file: string): OutputFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet') || lower.endsWith('.parquet.gzip') || lower.endsWith('.pq')) return 'parquet';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.csv.gz')) return 'csv.gz';
  throw new UsageError(`cannot tell the output format from "${file}": use a .parquet, .csv or .csv.gz file name`);
}

export function validateOptions(rows: unknown, seed: unknown): void {
  if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 1 || rows > MAX_ROWS) {
    throw new UsageError(`rows must be a whole number from 1 to ${MAX_ROWS}, got ${String(rows)}`);
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new UsageError(`seed must be a whole number >= 0, got ${String(seed)}`);
  }
}

/**
 * A uniform draw in [0,1) for row `i`: 53 hash bits, so 1.0 is never reached. DuckDB combines the
 * hashes of several arguments almost linearly, so streams of plain `hash(i, seed, k)` are strongly
 * correlated (r up to 0.9); hashing that value once more makes them independent.
 */
function u(seed: number, stream: number): string {
  return `((hash(hash(i, ${seed}::BIGINT, ${stream}::INTEGER)) >> 11)::DOUBLE / 9007199254740992.0)`;
}

/** `CASE` picking one of `choices` by weight with the uniform draw `draw`. */
function weighted(draw: string, choices: ReadonlyArray<readonly [string, number]>): string {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  let acc = 0;
  const arms = choices.slice(0, -1).map(([value, w]) => {
    acc += w;
    return `WHEN ${draw} < ${(acc / total).toFixed(12)} THEN ${value}`;
  });
  const last = choices[choices.length - 1];
  if (!last) throw new Error('weighted(): no choices');
  return `(CASE ${arms.join(' ')} ELSE ${last[0]} END)`;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The SELECT producing the data; exported so that other tools can stream it elsewhere. */
export function buildVoucherSelect(rows: number, seed: number = DEFAULT_SEED): string {
  validateOptions(rows, seed);
  // Independent streams: one hash stream per decision, so changing one never shifts the others.
  const S = {
    country: u(seed, 1),
    ordersBucket: u(seed, 2),
    ordersValue: u(seed, 3),
    recencyBucket: u(seed, 4),
    recencyValue: u(seed, 5),
    gapKind: u(seed, 6),
    gapValue: u(seed, 7),
    early: u(seed, 8),
    voucherDay: u(seed, 9),
    hourA: u(seed, 10),
    hourB: u(seed, 11),
    microsOfHour: u(seed, 12),
    amountNull: u(seed, 13),
    amountPull: u(seed, 14),
    amountBackground: u(seed, 15),
  };

  const ordersBucket = weighted(S.ordersBucket, [
    ["'blank'", QUIRK_RATES.blankTotalOrders],
    ["'zero'", QUIRK_RATES.zeroTotalOrders],
    ...Object.entries(ORDER_BUCKETS).map(([k, w]) => [sqlString(k), w] as const),
  ]);
  const asChoices = (xs: ReadonlyArray<readonly [number, number]>) => xs.map(([v, w]) => [String(v), w] as const);
  const recencyBucket = weighted(
    S.recencyBucket,
    RECENCY_BUCKETS.map((b, idx) => [String(idx), b.weight] as const),
  );
  const recencyDays = `(CASE rb ${RECENCY_BUCKETS.map((b, idx) => `WHEN ${idx} THEN ${b.lo} + floor(${S.recencyValue} * ${b.hi - b.lo + 1})::INTEGER`).join(
    ' ',
  )} END)`;

  const freqAmount = `(CASE ${Object.entries(SEGMENT_AMOUNTS.frequent_segment)
    .map(([name, amt]) => `WHEN fseg = ${sqlString(name)} THEN ${amt}`)
    .join(' ')} END)`;
  const recencyAmount = `(CASE ${Object.entries(SEGMENT_AMOUNTS.recency_segment)
    .map(([name, amt]) => {
      const [lo, hi] = name.endsWith('+') ? [Number.parseInt(name, 10) + 1, null] : name.split('-').map(Number);
      return `WHEN days >= ${lo}${hi == null ? '' : ` AND days <= ${hi}`} THEN ${amt}`;
    })
    .join(' ')} END)`;
  const backgroundAmount = weighted(S.amountBackground, asChoices(REAL_AMOUNT_COUNTS));

  const ref = `DATE '${REFERENCE_DATE}'`;
  return `
WITH draws AS (
  SELECT
    i,
    ${weighted(
      S.country,
      COUNTRIES.map(([c, w]) => [sqlString(c), w] as const),
    )} AS country_code,
    ${ordersBucket} AS ob,
    ${recencyBucket} AS rb
  FROM range(${rows}) AS t(i)
),
orders AS (
  SELECT
    *,
    CASE ob
      WHEN 'blank' THEN NULL
      WHEN 'zero' THEN 0
      WHEN '1-4' THEN ${weighted(S.ordersValue, asChoices(ORDERS_1_4))}
      WHEN '5-13' THEN ${weighted(S.ordersValue, asChoices(ORDERS_5_13))}
      WHEN '14-37' THEN 14 + floor(${S.ordersValue} * 24)::INTEGER
      -- long tail like the real one (38 up to a few hundred)
      ELSE least(38 + floor(-ln(1 - ${S.ordersValue}) * 40)::INTEGER, 466)
    END AS orders,
    CASE WHEN ob IN ('1-4', '5-13', '14-37') THEN ob END AS fseg,
    ${recencyDays} AS days
  FROM draws
),
dated AS (
  SELECT
    *,
    ${ref} - days AS last_order,
    -- first order: same day for ~16% (as in the real data), a long tail of old customers, and
    -- otherwise an exponential gap growing with the order count (real correlation ~0.4);
    -- a small share lies after the last order, which cleaning rule 4 removes.
    CASE
      WHEN ${S.gapKind} < ${QUIRK_RATES.lastOrderBeforeFirst} THEN -(1 + floor(${S.gapValue} * 60)::INTEGER)
      WHEN ${S.gapKind} < 0.165 THEN 0
      WHEN ${S.gapKind} < 0.185 THEN 365 + floor(${S.gapValue} * 2500)::INTEGER
      ELSE floor(-ln(1 - ${S.gapValue}) * (50 + 7 * least(coalesce(orders, 0), 60)))::INTEGER
    END AS gap,
    -- row 0 is pinned to the as-of date so that the file's latest voucher day never depends on N
    i <> 0 AND ${S.early} < ${QUIRK_RATES.voucherYearsBeforeLastOrder} AS early
  FROM orders
),
stamped AS (
  SELECT
    *,
    CASE
      WHEN i = 0 THEN ${ref}
      -- the real extract's old vouchers all fall in 2015-04-09 .. 2015-05-31 (53 days)
      WHEN early THEN DATE '2015-04-09' + floor(${S.voucherDay} * 53)::INTEGER
      -- recent vouchers: after the last order, from 2018-06-09 up to the as-of date
      ELSE greatest(DATE '2018-06-09', last_order + 1)
        + floor(${S.voucherDay} * (${ref} - greatest(DATE '2018-06-09', last_order + 1) + 1))::INTEGER
    END AS voucher_day,
    -- afternoon/evening peak like the real 13h-22h spread
    13 + floor((${S.hourA} + ${S.hourB}) * 5)::INTEGER AS voucher_hour
  FROM dated
)
SELECT
  strftime(
    voucher_day::TIMESTAMP
      + to_microseconds(voucher_hour::BIGINT * 3600000000 + floor(${S.microsOfHour} * 3600000000)::BIGINT),
    '%Y-%m-%d %H:%M:%S.%f'
  ) AS "timestamp",
  country_code,
  strftime(last_order, '%Y-%m-%d') AS last_order_ts,
  -- the real file stores millisecond timestamps
  (last_order - gap)::TIMESTAMP::TIMESTAMP_MS AS first_order_ts,
  CASE WHEN orders IS NULL THEN '' ELSE orders::DOUBLE::VARCHAR END AS total_orders,
  CASE
    WHEN ${S.amountNull} < ${QUIRK_RATES.nullVoucherAmount} THEN NULL
    WHEN ${S.amountPull} < ${FREQUENCY_PULL} AND fseg IS NOT NULL THEN ${freqAmount}
    WHEN ${S.amountPull} >= ${FREQUENCY_PULL} AND ${S.amountPull} < ${FREQUENCY_PULL + RECENCY_PULL} AND days >= 30
      THEN ${recencyAmount}
    ELSE ${backgroundAmount}
  END::DOUBLE AS voucher_amount
FROM stamped`;
}

function copyOptions(format: OutputFormat): string {
  switch (format) {
    case 'parquet':
      return 'FORMAT parquet, COMPRESSION zstd';
    case 'csv':
      return 'FORMAT csv, HEADER true';
    case 'csv.gz':
      return "FORMAT csv, HEADER true, COMPRESSION 'gzip'";
  }
}

/** Writes `rows` synthetic voucher rows to `out`. Deterministic for a given (rows, seed). */
export async function generateVouchers(options: GenerateOptions): Promise<GenerateResult> {
  const seed = options.seed ?? DEFAULT_SEED;
  validateOptions(options.rows, seed);
  if (!options.out) throw new UsageError('an output file is required');
  const format = options.format ?? formatFromPath(options.out);
  const out = path.resolve(options.out);
  try {
    const dir = await stat(path.dirname(out));
    if (!dir.isDirectory()) throw new UsageError(`output directory ${path.dirname(out)} is not a directory`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`output directory ${path.dirname(out)} does not exist`);
  }
  if (options.threads !== undefined && (!Number.isSafeInteger(options.threads) || options.threads < 1)) {
    throw new UsageError(`threads must be a whole number >= 1, got ${String(options.threads)}`);
  }
  const memoryLimit = options.memoryLimit ?? '1GB';
  if (!/^\d+(\.\d+)?\s*[KMGT]i?B$/i.test(memoryLimit)) {
    throw new UsageError(`memory limit must look like 512MB or 2GB, got "${memoryLimit}"`);
  }

  const sql = buildVoucherSelect(options.rows, seed);
  const started = performance.now();
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'vouchers-gen-'));
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: memoryLimit,
    temp_directory: tempDir,
    // rows come out in range() order, so a file is byte-for-byte reproducible without a sort
    preserve_insertion_order: 'true',
    ...(options.threads !== undefined ? { threads: String(options.threads) } : {}),
  });
  const timer = options.onProgress
    ? setInterval(() => {
        stat(out).then(
          (s) => options.onProgress?.({ bytes: s.size, seconds: (performance.now() - started) / 1000 }),
          () => undefined,
        );
      }, options.progressIntervalMs ?? 5000)
    : undefined;
  try {
    const con = await instance.connect();
    await con.run(`COPY (${sql}) TO ${sqlString(out)} (${copyOptions(format)})`);
    con.closeSync();
  } finally {
    if (timer) clearInterval(timer);
    instance.closeSync();
    await rm(tempDir, { recursive: true, force: true });
  }
  const bytes = (await stat(out)).size;
  return { out, format, rows: options.rows, seed, bytes, seconds: (performance.now() - started) / 1000 };
}
