// Faults done for real against the loopback Snowflake emulator, with the real CLI and snowflake-sdk:
// SIGKILL at random points, Ctrl-C, 5xx answers and dropped connections, two builds at once.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateVouchers } from '../../app/datagen/generate-vouchers.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { expectNoCrash, faultSeed, fingerprints, prng, startModel, tempLeftovers, type Fingerprints } from '../helpers/faults.js';
import { runModelInProcess } from '../helpers/in-process.js';
import { copyShippedProject, runModel, writeProject } from '../helpers/project.js';

const SCHEMAS = ['DH_RAW', 'DH_STAGE', 'DH_PROD'];
const PASSWORD = 'model-password';
const rng = prng(faultSeed());

let emulator: SnowflakeEmulator;
let dir: string;
let buildMs = 0;
const versions: Record<'a' | 'b', Fingerprints> = { a: {}, b: {} };
const env = (extra: Record<string, string> = {}) => ({
  SNOWFLAKE_ACCOUNT: 'emulator',
  SNOWFLAKE_USER: 'model',
  SNOWFLAKE_PASSWORD: PASSWORD,
  SNOWFLAKE_ACCESS_URL: emulator.url,
  SNOWFLAKE_WAREHOUSE: 'COMPUTE_WH',
  ...extra,
});
const args = (v: 'a' | 'b') => ['build', '--target', 'snowflake', '--vars', `{vouchers_path: data/${v}.parquet}`];
const build = (v: 'a' | 'b', extra: Record<string, string> = {}) => runModel(args(v), { cwd: dir, env: env(extra) });
/**
 * The same build in the test process (tests/helpers/in-process.ts), where the test only needs its
 * outcome: what the faults leave behind is still done to real processes (startModel, build).
 */
const buildHere = (v: 'a' | 'b', extra: Record<string, string> = {}) => runModelInProcess(args(v), { cwd: dir, env: env(extra) });
const snapshot = () => fingerprints((sql) => emulator.query(sql), 'DH_DATABASE', SCHEMAS);
const leftovers = () => tempLeftovers((sql) => emulator.query(sql), 'DH_DATABASE');

async function expectOldOrNew(context: string): Promise<void> {
  const now = await snapshot();
  expect(Object.keys(now).sort(), context).toEqual(Object.keys(versions.a).sort());
  for (const [table, fp] of Object.entries(now)) expect([versions.a[table], versions.b[table]], `${context}: ${table}`).toContain(fp);
}

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
  dir = copyShippedProject();
  // A killed build's lock goes stale after 3 s here (30 s by default), so the next build takes over quickly.
  const profiles = path.join(dir, 'profiles.yml');
  writeFileSync(
    profiles,
    readFileSync(profiles, 'utf8').replace(
      /(\n\s+)schema: public\n/,
      `$1schema: public$1lock_stale_after: 3$1lock_timeout: "{{ env_var('MODEL_LOCK_TIMEOUT', '60') }}"\n`,
    ),
  );
  await generateVouchers({ rows: 20_000, seed: 1, out: path.join(dir, 'data', 'a.parquet'), threads: 1 });
  await generateVouchers({ rows: 20_000, seed: 2, out: path.join(dir, 'data', 'b.parquet'), threads: 1 });
  for (const v of ['a', 'b'] as const) {
    const t0 = Date.now();
    // The second as a real process: its time sets when the kills below land.
    const r = v === 'a' ? await buildHere(v) : await build(v);
    buildMs = Date.now() - t0;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    versions[v] = await snapshot();
  }
  expect(versions.a['dh_raw.old_voucher_data']).not.toEqual(versions.b['dh_raw.old_voucher_data']);
}, 120_000);

afterAll(async () => {
  await emulator?.close();
});

describe('faults on Snowflake (emulator)', () => {
  it('SIGKILL at random points: every table is the old or the new one, whole; the next build cleans up and works', async () => {
    let duringWrites = 0;
    for (let i = 0; i < 5; i++) {
      const v = i % 2 ? 'a' : 'b';
      const run = startModel(args(v), { cwd: dir, env: env() });
      // Some kills land anywhere in the run (start-up and login included), some once nodes are writing.
      if (i % 2 === 0) await run.waitFor(/START/);
      const delay = Math.floor(rng() * (i % 2 === 0 ? buildMs / 2 : buildMs));
      await new Promise((r) => setTimeout(r, delay));
      run.child.kill('SIGKILL');
      const r = await run.done;
      if (r.signal === 'SIGKILL' && /START/.test(r.stdout)) duringWrites++;
      await expectOldOrNew(`kill #${i} after ${delay} ms${i % 2 === 0 ? ' from the first START' : ''}`);
    }
    expect(duringWrites, 'kills that landed while nodes were running').toBeGreaterThanOrEqual(2);
    // The last kill may have left its lock and temp tables: the next build takes the stale lock and drops them.
    const r = await buildHere('a');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await snapshot()).toEqual(versions.a);
    expect(await leftovers()).toEqual([]);
  }, 150_000);

  it('Ctrl-C exits 130, says what was done, and releases the build lock', async () => {
    const run = startModel(args('b'), { cwd: dir, env: env() });
    await run.waitFor(/START source file dh_raw\.old_voucher_data/);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toMatch(/Interrupted: no new node was started and running queries were cancelled\.\n\s+done \(\d+\)/);
    expect(r.stdout).toMatch(/not started \(\d+\): .*segments_derived/);
    expect(expectNoCrash(r)).toBeUndefined();
    await expectOldOrNew('after Ctrl-C');
    expect(await leftovers()).toEqual([]);
    // The lock was released on the way out: the next build does not wait for it.
    const next = await buildHere('a', { MODEL_LOCK_TIMEOUT: '0' });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stderr).not.toMatch(/Waiting for another build/);
    expect(await snapshot()).toEqual(versions.a);
    expect(await leftovers()).toEqual([]);
  });

  it('Ctrl-C cancels the statement running in Snowflake: exit 130 at once, the previous table kept', async () => {
    const project = writeProject({
      'project.yml': 'name: slow\nprofile: slow\n',
      'profiles.yml': `slow:\n  target: sf\n  outputs:\n    sf:\n      type: snowflake\n      account: emulator\n      user: model\n      password: ${PASSWORD}\n      access_url: ${emulator.url}\n      warehouse: compute_wh\n      database: slow_db\n      schema: public\n      threads: 1\n`,
      // Summing 10^11 rows runs for many minutes unless the emulator really stops the statement.
      'models/slow.sql': "{{ config(materialized='table') }}select sum(i) as s from range({{ var('n', 10) }}) as t(i)",
      'models/after_slow.sql': "{{ config(materialized='table') }}select s from {{ ref('slow') }}",
    });
    const first = await runModelInProcess(['run'], { cwd: project });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const cancelledBefore = emulator.stats.cancelled;
    const run = startModel(['run', '--vars', '{n: 100000000000}'], { cwd: project });
    await run.waitFor(/START table model public\.slow/);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toMatch(/cancelled while running, previous tables kept \(1\): slow/);
    expect(r.stdout).toMatch(/not started \(1\): after_slow/);
    expect(emulator.stats.cancelled).toBe(cancelledBefore + 1);
    expect(await emulator.query('select s from SLOW_DB.PUBLIC.SLOW')).toEqual([{ S: 45 }]);
    expect(await tempLeftovers((sql) => emulator.query(sql), 'SLOW_DB')).toEqual([]);
  });

  it('5xx answers and dropped connections are retried; no row is written twice', async () => {
    emulator.setFaults({ http503: 2, destroySocket: 1 });
    const r = await buildHere('b');
    emulator.setFaults({});
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await snapshot()).toEqual(versions.b);

    // Connections dropped after the statement ran (the answer is lost): the SDK resends the
    // request with its request id and gets the first answer instead of inserting again.
    const before = emulator.stats.duplicateRequests;
    const run = startModel(args('a'), { cwd: dir, env: env() });
    await run.waitFor(/START (seed|source) file/);
    emulator.setFaults({ destroyAfterExecute: 2 });
    const again = await run.done;
    emulator.setFaults({});
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(emulator.stats.duplicateRequests).toBeGreaterThan(before);
    expect(await snapshot()).toEqual(versions.a);
  });

  it('an endpoint that keeps failing gives a clear failure, bounded, without a stack trace', async () => {
    emulator.setFaults({ http503: 1_000_000, target: 'login' });
    const r = await build('b');
    emulator.setFaults({});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error \[connection\]: (cannot reach Snowflake|cannot connect to Snowflake|cannot start a Snowflake session)/);
    expect(r.stdout).not.toMatch(/START/);
    expect(expectNoCrash(r)).toBeUndefined();
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(await snapshot()).toEqual(versions.a);
  });

  it('two builds at once: the second waits for the first; the result is whole, no row twice', async () => {
    // Slow every query a little so the first build still holds the lock when the second one,
    // which has to start a process and log in first, asks for it.
    emulator.setFaults({ delayMs: 40 });
    const one = startModel(args('b'), { cwd: dir, env: env() });
    await one.waitFor(/START/);
    const two = startModel(args('b'), { cwd: dir, env: env() });
    const [r1, r2] = await Promise.all([one.done, two.done]).finally(() => emulator.setFaults({}));
    expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/Waiting for another build to finish \(lock held by .* pid \d+/);
    expect(await snapshot()).toEqual(versions.b);
    expect(await leftovers()).toEqual([]);
  });

  it('with lock_timeout 0 the second build refuses at once, naming the holder', async () => {
    const one = startModel(args('a'), { cwd: dir, env: env() });
    await one.waitFor(/START/);
    const two = await buildHere('a', { MODEL_LOCK_TIMEOUT: '0' });
    const r1 = await one.done;
    expect(r1.code).toBe(0);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/error \[connection\]: another build is writing to dh_database\.public \(lock held by .* pid \d+ since [\d-]+T/);
    expect(two.stdout).not.toMatch(/START/);
    expect(await snapshot()).toEqual(versions.a);
  });
});
