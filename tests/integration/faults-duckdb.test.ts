// Faults done for real on DuckDB: SIGKILL at random points, Ctrl-C, a model failing mid-query,
// the database file held by another process, two builds at once.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateVouchers } from '../../app/datagen/generate-vouchers.js';
import {
  duckQuery,
  withDuckDb,
  expectNoCrash,
  faultSeed,
  fingerprints,
  holdDuckDbFile,
  prng,
  startModel,
  tempLeftovers,
  type Fingerprints,
} from '../helpers/faults.js';
import { copyShippedProject, runModel, writeProject } from '../helpers/project.js';

const SCHEMAS = ['dh_raw', 'dh_stage', 'dh_prod'];
const rng = prng(faultSeed());

let dir: string;
let db: string;
const versions: Record<'a' | 'b', Fingerprints> = { a: {}, b: {} };
let buildMs = 0;
const vars = (v: 'a' | 'b') => ['--vars', `{vouchers_path: data/${v}.parquet}`];
const snapshot = () => withDuckDb(db, (q) => fingerprints(q, 'dh_database', SCHEMAS));

/** Every table is, whole, the version one of the two inputs gives; no temp relation is left. */
async function expectOldOrNew(context: string): Promise<void> {
  const [now, leftovers] = await withDuckDb(db, async (q) => [await fingerprints(q, 'dh_database', SCHEMAS), await tempLeftovers(q, 'dh_database')] as const);
  expect(Object.keys(now).sort(), context).toEqual(Object.keys(versions.a).sort());
  for (const [table, fp] of Object.entries(now)) expect([versions.a[table], versions.b[table]], `${context}: ${table}`).toContain(fp);
  expect(leftovers, context).toEqual([]);
}

beforeAll(async () => {
  dir = copyShippedProject();
  db = path.join(dir, 'target', 'dh_database.duckdb');
  // Big enough that kills land in the middle of loading and building.
  await generateVouchers({ rows: 120_000, seed: 1, out: path.join(dir, 'data', 'a.parquet'), threads: 1 });
  await generateVouchers({ rows: 120_000, seed: 2, out: path.join(dir, 'data', 'b.parquet'), threads: 1 });
  for (const v of ['a', 'b'] as const) {
    const t0 = Date.now();
    const r = await runModel(['build', ...vars(v)], { cwd: dir });
    buildMs = Date.now() - t0;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    versions[v] = await snapshot();
  }
  expect(versions.a['dh_raw.old_voucher_data']).not.toEqual(versions.b['dh_raw.old_voucher_data']);
}, 120_000);

describe('faults on DuckDB', () => {
  it('SIGKILL at random points: every table is the old or the new one, whole; the next build just works', async () => {
    let duringWrites = 0;
    for (let i = 0; i < 8; i++) {
      const v = i % 2 ? 'a' : 'b';
      const run = startModel(['build', ...vars(v)], { cwd: dir });
      // Half the kills land anywhere in the run (start-up included), half once nodes are writing.
      if (i % 2) await run.waitFor(/START/);
      const delay = Math.floor(rng() * (i % 2 ? buildMs / 2 : buildMs));
      await new Promise((r) => setTimeout(r, delay));
      run.child.kill('SIGKILL');
      const r = await run.done;
      if (r.signal === 'SIGKILL' && /START/.test(r.stdout)) duringWrites++;
      await expectOldOrNew(`kill #${i} after ${delay} ms${i % 2 ? ' from the first START' : ''}`);
    }
    expect(duringWrites, 'kills that landed while nodes were running').toBeGreaterThanOrEqual(2);
    const r = await runModel(['build', ...vars('a')], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await snapshot()).toEqual(versions.a);
  }, 150_000);

  it.each([
    ['SIGINT', 'Ctrl-C'],
    ['SIGTERM', 'docker stop'],
  ] as const)('%s (%s) stops starting nodes, cancels the running query, exits 130 and says what was and was not done', async (signal, _why) => {
    const project = writeProject({
      'project.yml': 'name: slow\nprofile: slow\n',
      'profiles.yml': 'slow:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/slow.duckdb\n      threads: 1\n',
      // Summing billions of rows runs for minutes unless the query is really interrupted.
      'models/slow.sql': "{{ config(materialized='table') }}select sum(i) as s from range({{ var('n', 10) }}) as t(i)",
      'models/after_slow.sql': "{{ config(materialized='table') }}select s from {{ ref('slow') }}",
      'models/a_quick.sql': '{{ config(materialized="table") }}select 1 as one',
    });
    const first = await runModel(['run'], { cwd: project });
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const run = startModel(['run', '--vars', '{n: 100000000000}', '-s', 'a_quick', 'slow+'], { cwd: project });
    await run.waitFor(/START table model main\.slow/);
    await new Promise((r) => setTimeout(r, 300));
    run.child.kill(signal);
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stderr).toMatch(/Interrupted: cancelling running queries, starting nothing new/);
    expect(r.stdout).toMatch(/Interrupted: no new node was started and running queries were cancelled\./);
    expect(r.stdout).toMatch(/cancelled while running, previous tables kept \(1\): slow/);
    expect(r.stdout).toMatch(/not started \(1\): after_slow/);
    expect(r.stdout).toMatch(/done \(1\): a_quick/);
    expect(expectNoCrash(r)).toBeUndefined();
    const q = duckQuery(path.join(project, 'target', 'slow.duckdb'));
    expect(await q('select s from main.slow')).toEqual([{ s: '45' }]);
    expect(await tempLeftovers(q, 'slow')).toEqual([]);
    const results = JSON.parse(readFileSync(path.join(project, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[] };
    expect(results.results.find((x) => x.unique_id === 'model.slow.after_slow')?.status).toBe('skipped');
  });

  it('Ctrl-C during a build of the shipped project leaves every table old or new, and the next build works', async () => {
    const run = startModel(['build', ...vars('b')], { cwd: dir });
    await run.waitFor(/START source file dh_raw\.old_voucher_data/);
    await new Promise((r) => setTimeout(r, Math.floor(rng() * 400)));
    run.child.kill('SIGINT');
    const r = await run.done;
    // A run that finished before the signal landed exits 0; one that was interrupted exits 130.
    expect([0, 130], r.stdout + r.stderr).toContain(r.code);
    if (r.code === 130) expect(r.stdout).toMatch(/not started \(\d+\)/);
    await expectOldOrNew('after Ctrl-C');
    const again = await runModel(['build', ...vars('a')], { cwd: dir });
    expect(again.code).toBe(0);
    expect(await snapshot()).toEqual(versions.a);
  });

  it('a model failing halfway through its query keeps its table, skips its descendants and names file and message', async () => {
    const project = writeProject({
      'project.yml': 'name: halfway\nprofile: halfway\n',
      'profiles.yml': 'halfway:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/h.duckdb\n',
      // Row 50,000 does not cast: the query dies part-way through writing its result.
      'models/numbers.sql':
        "{{ config(materialized='table') }}select cast(case when i = {{ var('bad_row', -1) }} then 'not a number' else cast(i as varchar) end as integer) as n from range(100000) as t(i)",
      'models/total.sql': "{{ config(materialized='table') }}select sum(n) as total from {{ ref('numbers') }}",
    });
    expect((await runModel(['run'], { cwd: project })).code).toBe(0);
    const r = await runModel(['run', '--vars', '{bad_row: 50000}'], { cwd: project });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Error in model numbers (models/numbers.sql)');
    expect(r.stdout).toMatch(/models\/numbers\.sql: error \[database\]: Conversion Error: Could not convert string 'not a number' to INT32/);
    expect(r.stdout).toMatch(/SKIP table model main\.total/);
    const q = duckQuery(path.join(project, 'target', 'h.duckdb'));
    expect(await q('select count(*) as n from main.numbers')).toEqual([{ n: '100000' }]);
    expect(await q('select total from main.total')).toEqual([{ total: '4999950000' }]);
    expect(await tempLeftovers(q, 'h')).toEqual([]);
  });

  it('the database file held by another process: the message names the file, the PID and the command', async () => {
    const holder = await holdDuckDbFile(db);
    try {
      const before = await snapshot().catch(() => undefined);
      const r = await runModel(['build', ...vars('b')], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`the database file ${db} is in use: another build or server holds it (PID ${holder.pid}: `);
      expect(r.stderr).toMatch(/hint: DuckDB allows one process per file, so this run stopped before writing anything/);
      expect(r.stdout).not.toMatch(/START/);
      expect(expectNoCrash(r)).toBeUndefined();
      expect(before).toBeUndefined(); // even readers are refused while a writer holds the file
    } finally {
      await holder.release();
    }
    expect(await snapshot()).toEqual(versions.a);
  });

  it('two builds at once: one builds, the other refuses clearly; the result is whole', async () => {
    const one = startModel(['build', ...vars('b')], { cwd: dir });
    const two = startModel(['build', ...vars('b')], { cwd: dir });
    const results = await Promise.all([one.done, two.done]);
    const codes = results.map((r) => r.code).sort();
    expect(codes[0], results.map((r) => r.stdout + r.stderr).join('\n')).toBe(0);
    for (const r of results) {
      if (r.code !== 0) {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/is in use: another build or server holds it \(PID \d+/);
      }
    }
    expect(await snapshot()).toEqual(versions.b);
    expect(await tempLeftovers(duckQuery(db), 'dh_database')).toEqual([]);
  });
});
