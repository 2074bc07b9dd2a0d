import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { runModel, writeProject } from '../helpers/project.js';
import { duckdbOutput, emulatorOutput, envVar, profilesYml } from '../helpers/profiles.js';

// dbt-core core/dbt/task/freshness.py and artifacts/schemas/freshness/v3: max(loaded_at_field)
// against the warehouse's current_timestamp; error_after before warn_after; a query that fails is a
// "runtime error"; an error or runtime error exits 1. parser/sources.py merge_freshness: the
// table's freshness merges over the source's one level deep, and `freshness: null` turns it off.
const SOURCES = `version: 2
sources:
  - name: raw
    schema: "{{ target.schema }}"
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 1, period: day}
      error_after: {count: 10, period: day}
    tables:
      - name: recent
        identifier: raw_events
        freshness:
          filter: "kind = 'new'"
      - name: stale
        identifier: raw_events
        freshness:
          filter: "kind = 'old'"
      - name: warned
        identifier: raw_events
        freshness:
          error_after: {count: 100000, period: day}
          filter: "kind = 'old'"
      - name: unchecked
        identifier: raw_events
        freshness: null
      - name: missing
        identifier: no_such_table
`;

function project(profiles: string): string {
  const recent = new Date(Date.now() - 3600_000).toISOString().slice(0, 19).replace('T', ' ');
  return writeProject({
    'dbt_project.yml': "name: fresh\nversion: '1.0'\nprofile: fresh\n",
    'profiles.yml': profiles,
    'seeds/raw_events.csv': `id,loaded_at,kind\n1,2020-01-01 00:00:00,old\n2,${recent},new\n`,
    'seeds/schema.yml': 'version: 2\nseeds:\n  - name: raw_events\n    config:\n      column_types: {loaded_at: timestamp}\n',
    'models/sources.yml': SOURCES,
    'models/m.sql': "select * from {{ source('raw', 'stale') }}\n",
  });
}

type Entry = { unique_id: string; status: string; max_loaded_at_time_ago_in_s?: number; criteria?: Record<string, unknown>; error?: string };

async function check(dir: string, env?: Record<string, string>) {
  const seed = await runModel(['seed', '--project-dir', dir], { env });
  expect(seed.code, seed.stderr).toBe(0);
  // dbt's build does not check freshness.
  const build = await runModel(['build', '--project-dir', dir], { env });
  expect(build.code, build.stderr).toBe(0);
  expect(build.stdout).not.toMatch(/freshness/i);
  const r = await runModel(['source', 'freshness', '--project-dir', dir], { env });
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/models\/sources\.yml:\d+: error \[database\]/);
  const out = JSON.parse(readFileSync(path.join(dir, 'target', 'sources.json'), 'utf8')) as { metadata: { dbt_schema_version: string }; results: Entry[] };
  expect(out.metadata.dbt_schema_version).toBe('https://schemas.getdbt.com/dbt/sources/v3.json');
  const by = Object.fromEntries(out.results.map((e) => [e.unique_id.split('.').pop(), e]));
  expect(Object.keys(by).sort()).toEqual(['missing', 'recent', 'stale', 'warned']);
  expect(by.recent!.status).toBe('pass');
  expect(by.recent!.criteria).toEqual({ warn_after: { count: 1, period: 'day' }, error_after: { count: 10, period: 'day' }, filter: "kind = 'new'" });
  expect(by.recent!.max_loaded_at_time_ago_in_s).toBeGreaterThan(3000);
  expect(by.recent!.max_loaded_at_time_ago_in_s).toBeLessThan(86400);
  expect(by.stale!.status).toBe('error');
  expect(by.warned!.status).toBe('warn');
  expect(by.missing!.status).toBe('runtime error');
  // -s source:x checks just that table; a pass exits 0.
  const one = await runModel(['source', 'freshness', '-s', 'source:raw.recent', '--project-dir', dir], { env });
  expect(one.code, one.stderr).toBe(0);
  const again = JSON.parse(readFileSync(path.join(dir, 'target', 'sources.json'), 'utf8')) as { results: Entry[] };
  expect(again.results.map((e) => e.unique_id)).toEqual(['source.fresh.raw.recent']);
}

describe('model source freshness', () => {
  it('on DuckDB: pass, warn, error and runtime error, written to target/sources.json', async () => {
    await check(project(profilesYml('fresh', 'dev', { dev: duckdbOutput('target/fresh.duckdb') })));
  });

  it('a bad period is an error at its file:line', async () => {
    const dir = project('fresh:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/fresh.duckdb\n');
    const file = path.join(dir, 'models', 'sources.yml');
    const text = readFileSync(file, 'utf8').replace('period: day}\n      error_after', 'period: fortnight}\n      error_after');
    await import('node:fs').then((fs) => fs.writeFileSync(file, text));
    const r = await runModel(['source', 'freshness', '--project-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/sources\.yml:7:\d+: error \[project\]: period must be one of minute, hour, day/);
  });

  describe('on the Snowflake emulator', () => {
    let emulator: SnowflakeEmulator;
    beforeAll(async () => {
      emulator = await startSnowflakeEmulator({ port: 0 });
    });
    afterAll(async () => {
      await emulator?.close();
    });
    it('gives the same statuses', async () => {
      const profiles = profilesYml('fresh', 'sf', {
        sf: emulatorOutput({
          password: envVar('SNOWFLAKE_PASSWORD'),
          warehouse: 'COMPUTE_WH',
          access_url: envVar('SNOWFLAKE_ACCESS_URL'),
          database: 'fresh_db',
          schema: 'raw_data',
          threads: 1,
        }),
      });
      await check(project(profiles), { SNOWFLAKE_PASSWORD: 'model-password', SNOWFLAKE_ACCESS_URL: emulator.url });
    });
  });
});
