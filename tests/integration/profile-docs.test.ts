import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { serveDocs } from '../../src/index.js';
import { runModelInProcess } from '../helpers/in-process.js';
import { MODEL_BIN, REAL_DATA, REPO_ROOT, copyShippedProject, hasRealData, queryDuckDb, runModel } from '../helpers/project.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const RAW = 'dh_database.dh_raw.old_voucher_data';

interface JsonProfile {
  rows: number;
  columns: { name: string; nulls: number; distinct: number | null; top: { value: unknown; count: number }[]; histogram: { count: number }[] | null }[];
}

/** `model profile --format json`, in the test process (tests/helpers/in-process.ts); the table output below runs as a real process. */
async function profileJson(dir: string, name: string, extra: string[] = []): Promise<JsonProfile> {
  const r = await runModelInProcess(['profile', name, '--format', 'json', ...extra], { cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as JsonProfile;
}

/** Row count and per-column null counts of a relation, counted independently of the profile code. */
async function independentCounts(db: string, relation: string): Promise<{ rows: number; nulls: Record<string, number> }> {
  const cols = await queryDuckDb(db, `select column_name from (describe ${relation})`);
  const names = cols.map((c) => String(c.column_name));
  const sql = `select count(*) as n, ${names.map((c, i) => `sum(case when "${c}" is null then 1 else 0 end) as c${i}`).join(', ')} from ${relation}`;
  const row = (await queryDuckDb(db, sql))[0]!;
  return { rows: Number(row.n), nulls: Object.fromEntries(names.map((c, i) => [c, Number(row[`c${i}`])])) };
}

async function expectProfileMatches(dir: string, db: string, name: string, relation: string): Promise<JsonProfile> {
  const p = await profileJson(dir, name);
  const truth = await independentCounts(db, relation);
  expect(p.rows).toBe(truth.rows);
  expect(Object.fromEntries(p.columns.map((c) => [c.name, c.nulls]))).toEqual(truth.nulls);
  return p;
}

/**
 * The cleaning funnel counted again from the raw table, with the domain's four rules written
 * afresh here (not the project's SQL): rows in, removed by each rule in order, rows kept.
 */
async function independentFunnel(db: string): Promise<number[]> {
  const row = (
    await queryDuckDb(
      db,
      `with r as (
        select coalesce(lower(trim(country_code)) = 'peru', false) as country_ok,
               try_cast(nullif(trim(cast(total_orders as varchar)), '') as double) as orders,
               voucher_amount,
               try_cast(last_order_ts as timestamp) as last_ts,
               try_cast(first_order_ts as timestamp) as first_ts
        from ${RAW}
      ), f as (
        select country_ok,
               orders is not null and orders = floor(orders) and voucher_amount is not null as values_ok,
               not coalesce(orders = 0 and (last_ts is not null or first_ts is not null), false) as orders_ok,
               not coalesce(last_ts < first_ts, false) as dates_ok
        from r
      )
      select count(*) as rows_in,
        count(*) filter (where not country_ok) as r1,
        count(*) filter (where country_ok and not values_ok) as r2,
        count(*) filter (where country_ok and values_ok and not orders_ok) as r3,
        count(*) filter (where country_ok and values_ok and orders_ok and not dates_ok) as r4
      from f`,
    )
  )[0]!;
  return ['rows_in', 'r1', 'r2', 'r3', 'r4'].map((k) => Number(row[k]));
}

/** The funnel adds up: rows in = raw rows, each rule removes what the fresh count says, rows left = clean rows. */
async function expectFunnelAddsUp(db: string): Promise<void> {
  const funnel = await queryDuckDb(db, 'select * from dh_database.dh_stage.cleaning_funnel order by step');
  const rawRows = Number((await queryDuckDb(db, `select count(*) as n from ${RAW}`))[0]!.n);
  const cleanRows = Number((await queryDuckDb(db, 'select count(*) as n from dh_database.dh_stage.clean_vouchers'))[0]!.n);
  const [rowsIn, ...removed] = await independentFunnel(db);
  expect(Number(funnel[0]!.rows_remaining)).toBe(rawRows);
  expect(rowsIn).toBe(rawRows);
  expect(funnel[0]!.rows_removed).toBeNull();
  expect(funnel[0]!.rows_failing_alone).toBeNull();
  expect(funnel.slice(1).map((f) => Number(f.rows_removed))).toEqual(removed);
  for (let i = 1; i < funnel.length; i++) {
    expect(Number(funnel[i - 1]!.rows_remaining) - Number(funnel[i]!.rows_removed)).toBe(Number(funnel[i]!.rows_remaining));
  }
  expect(Number(funnel.at(-1)!.rows_remaining)).toBe(cleanRows);
}

describe('model profile and model docs on the shipped project', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = copyShippedProject();
    db = path.join(dir, 'target', 'dh_database.duckdb');
    const before = await runModel(['docs', 'generate'], { cwd: dir });
    expect(before.code).toBe(0);
    // Before any build the site still generates, and says what to do.
    const html = readFileSync(path.join(dir, 'target', 'docs', 'index.html'), 'utf8');
    expect(html).toContain('run `model build` first');
    const r = await runModel(['build'], { cwd: dir });
    expect(r.code).toBe(0);
  });

  it('profiles the raw source, a seed and a model with the right row and null counts', async () => {
    const raw = await expectProfileMatches(dir, db, 'raw.old_voucher_data', RAW);
    const amount = raw.columns.find((c) => c.name === 'voucher_amount')!;
    expect(amount.nulls).toBeGreaterThan(0);
    expect(amount.histogram!.reduce((a, b) => a + b.count, 0)).toBe(raw.rows - amount.nulls);
    const countries = raw.columns.find((c) => c.name === 'country_code')!;
    const truth = await queryDuckDb(db, `select country_code, count(*) as n from ${RAW} group by 1 order by n desc, 1 limit 5`);
    expect(countries.top).toEqual(truth.map((t) => ({ value: t.country_code, count: Number(t.n) })));
    await expectProfileMatches(dir, db, 'rules_for_segments', 'dh_database.dh_stage.rules_for_segments');
    await expectProfileMatches(dir, db, 'clean_vouchers', 'dh_database.dh_stage.clean_vouchers');
    await expectProfileMatches(dir, db, 'dh_stage.vouchers_checked', 'dh_database.dh_stage.vouchers_checked');
  });

  it('prints a readable table, and clear errors for unknown or unbuilt names', async () => {
    const r = await runModel(['profile', 'raw.old_voucher_data', '--top', '2'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Profile of raw\.old_voucher_data \("dh_database"\."dh_raw"\."old_voucher_data"\): 20,000 rows, 6 columns/);
    expect(r.stdout).toContain('Histogram of voucher_amount:');
    const unknown = await runModel(['profile', 'clean_voucher'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no model, seed or source named 'clean_voucher'");
    expect(unknown.stderr).toContain('clean_vouchers');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    // A reader that stops early closes the pipe: no stack, a clean exit.
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${MODEL_BIN}" profile raw.old_voucher_data | true`], { cwd: dir, encoding: 'utf8' });
    expect(piped.stderr).toBe('');
    expect(piped.status).toBe(0);
    const missing = await runModel(['profile', 'dh_stage.nope'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('"dh_database"."dh_stage"."nope" does not exist');
  });

  it('has a cleaning funnel whose numbers add up to the rows in and out of stage', async () => {
    await expectFunnelAddsUp(db);
  });

  it('generates a site whose data matches the warehouse, and serves it on loopback', async () => {
    const r = await runModel(['docs', 'generate'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 of 2 charts with data');
    const file = path.join(dir, 'target', 'docs', 'index.html');
    const html = readFileSync(file, 'utf8');
    const json = /<script type="application\/json" id="model-docs-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const data = JSON.parse(json) as {
      nodes: { name: string; type: string; description: string; compiledSql: string | null; status: string | null }[];
      charts: { name: string; rows: Record<string, unknown>[]; check: { ok: boolean } | null }[];
      profiles: { name: string; profile: { rows: number } }[];
    };
    const models = data.nodes.filter((n) => n.type === 'model');
    expect(models.map((m) => m.name).sort()).toEqual([
      'clean_vouchers',
      'cleaning_funnel',
      'recency_reference',
      'segment_coverage',
      'segments_derived',
      'voucher_segments',
      'vouchers_checked',
    ]);
    for (const m of models) {
      expect(m.description, m.name).not.toBe('');
      expect(m.description, m.name).not.toContain('{{');
      expect(m.compiledSql, m.name).toMatch(/select/i);
      expect(m.status, m.name).toBe('success');
    }
    const funnel = data.charts.find((c) => c.name === 'cleaning_funnel')!;
    const clean = Number((await queryDuckDb(db, 'select count(*) as n from dh_database.dh_stage.clean_vouchers'))[0]!.n);
    expect(funnel.check).toEqual({
      ok: true,
      message: `20000 rows in (= raw.old_voucher_data) − ${20000 - clean} removed = ${clean} rows left (= clean_vouchers)`,
    });
    expect(data.charts.find((c) => c.name === 'segments_derived')!.rows).toHaveLength(8);
    expect(data.profiles.map((p) => [p.name, p.profile.rows])).toEqual([['raw.old_voucher_data', 20000]]);

    const server = await serveDocs({ projectDir: dir, port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(server.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(html);
      expect((await fetch(`${server.url}..%2f..%2fproject.yml`)).status).toBe(404);
      expect((await fetch(`${server.url}../project.yml`)).status).toBe(404);
      // Not valid URL encoding: a 404, and the server keeps serving.
      expect((await fetch(`${server.url}%E0%A4%A`)).status).toBe(404);
      expect((await fetch(server.url)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it.runIf(hasChromium)('opens in headless Chromium from disk with no console error and no network', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.route('**/*', async (route) => {
        const url = route.request().url();
        requests.push(url);
        if (url.startsWith('file:') || url.startsWith('data:')) await route.continue();
        else await route.abort();
      });
      const file = path.join(dir, 'target', 'docs', 'index.html');
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-ready="true"]');

      const names = await page.$$eval('#lineage-graph g.node', (gs) => gs.map((g) => `${g.getAttribute('data-type')}:${g.getAttribute('data-name')}`));
      for (const m of [
        'clean_vouchers',
        'cleaning_funnel',
        'recency_reference',
        'segment_coverage',
        'segments_derived',
        'voucher_segments',
        'vouchers_checked',
      ]) {
        expect(names).toContain(`model:${m}`);
      }
      expect(names).toContain('source:raw.old_voucher_data');
      expect(names).toContain('seed:rules_for_segments');
      expect(names.filter((n) => n.startsWith('test:')).length).toBeGreaterThan(20);
      // Readable as drawn: node names at least 10 px tall on a 1400 px wide page.
      const label = await page.locator('#lineage-graph g.node[data-name="segments_derived"] text').boundingBox();
      expect(label!.height).toBeGreaterThanOrEqual(10);
      expect(await page.textContent('#lineage-graph g.node[data-name="not_null_segments_derived_voucher_amount"] text')).toBe('not_null(voucher_amount)');

      await page.click('#lineage-graph g.node[data-name="segments_derived"]');
      const sql = await page.textContent('#node-sql');
      expect(sql).toContain('"dh_database"."dh_stage"."voucher_segments"');
      expect(await page.textContent('#details-name')).toContain('segments_derived');
      expect(await page.textContent('#details')).toContain('The voucher amount used most often in the segment');

      // Charts render: bars drawn for every funnel step and every segment, histograms in the profile.
      expect(await page.$$eval('[data-chart="cleaning_funnel"] svg rect.bar', (r) => r.filter((x) => Number(x.getAttribute('width')) > 0).length)).toBe(5);
      expect(await page.$$eval('[data-chart="segments_derived"] svg rect.bar', (r) => r.length)).toBe(8);
      expect(await page.textContent('[data-chart="cleaning_funnel"] .check')).toMatch(/^✓ adds up/);
      expect(await page.$$eval('[data-profile="raw.old_voucher_data"] svg.histogram', (s) => s.length)).toBeGreaterThanOrEqual(2);
      const box = await page.locator('[data-chart="cleaning_funnel"] svg').boundingBox();
      expect(box!.width).toBeGreaterThan(200);
      expect(box!.height).toBeGreaterThan(50);

      mkdirSync(path.join(REPO_ROOT, 'target'), { recursive: true });
      await page.screenshot({ path: path.join(REPO_ROOT, 'target', 'docs-screenshot.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it.runIf(!hasChromium)('notes that the browser test needs Chromium', () => {
    console.log(`skipping the docs browser test: ${CHROMIUM} is not installed (.ci/run installs Debian's chromium)`);
    expect(hasChromium).toBe(false);
  });

  it.runIf(hasRealData)('profiles the real 285,570-row extract with the right counts and a funnel that adds up', async () => {
    const r = await runModel(['build', '--vars', JSON.stringify({ vouchers_path: REAL_DATA })], { cwd: dir });
    expect(r.code).toBe(0);
    const raw = await expectProfileMatches(dir, db, 'raw.old_voucher_data', RAW);
    expect(raw.rows).toBe(285570);
    await expectFunnelAddsUp(db);
  });
});
