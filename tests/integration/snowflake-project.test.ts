// The shipped project built with `--target snowflake` (the real CLI and snowflake-sdk, against the
// loopback emulator) gives the same dh_prod.segments_derived as the DuckDB build.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { startModel } from '../helpers/faults.js';
import { copyShippedProject, queryDuckDb, runModel } from '../helpers/project.js';
import { snowflakeGrammarFailures } from '../helpers/snowflake-grammar.js';

const PASSWORD = 'model-password';
let emulator: SnowflakeEmulator;
let project: string;

const env = (overrides: Record<string, string> = {}) => ({
  SNOWFLAKE_ACCOUNT: 'emulator',
  SNOWFLAKE_USER: 'model',
  SNOWFLAKE_PASSWORD: PASSWORD,
  SNOWFLAKE_ACCESS_URL: emulator.url,
  // A session needs a warehouse to run queries (Snowflake error 000606).
  SNOWFLAKE_WAREHOUSE: 'COMPUTE_WH',
  ...overrides,
});

/** A value as a plain number where it is one (DuckDB's JSON rows give big and decimal numbers as text). */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v !== null && typeof v === 'object') return Number(String(v));
  return v;
}

/** Rows as objects with lower-case keys, sorted, so Snowflake's upper-case names compare equal. */
function normalise(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), plain(v)])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
  project = copyShippedProject();
});
afterAll(async () => {
  await emulator?.close();
});

describe('the shipped project on Snowflake', () => {
  it('builds with --target snowflake and gives the same segments as DuckDB', async () => {
    const sf = await runModel(['build', '--target', 'snowflake'], { cwd: project, env: env() });
    expect(sf.stderr + sf.stdout).not.toContain(PASSWORD);
    expect(sf.code, sf.stderr + sf.stdout).toBe(0);
    const duck = await runModel(['build'], { cwd: project });
    expect(duck.code, duck.stderr + duck.stdout).toBe(0);

    const onSnowflake = await emulator.query('select * from dh_database.dh_prod.segments_derived');
    const onDuckDb = await queryDuckDb(path.join(project, 'target', 'dh_database.duckdb'), 'select * from dh_prod.segments_derived');
    expect(onSnowflake.length).toBeGreaterThan(0);
    expect(normalise(onSnowflake)).toEqual(normalise(onDuckDb));
    // Seeds, the raw file and every model landed, under Snowflake's upper-case names.
    const tables = await emulator.query(
      "select schema_name as table_schema, table_name from duckdb_tables() where database_name = 'DH_DATABASE' union all select schema_name, view_name from duckdb_views() where database_name = 'DH_DATABASE' order by 1, 2",
    );
    expect(tables.map((t) => `${String(t.table_schema)}.${String(t.table_name)}`)).toEqual(
      expect.arrayContaining(['DH_RAW.OLD_VOUCHER_DATA', 'DH_STAGE.RULES_FOR_SEGMENTS', 'DH_STAGE.VOUCHERS_CHECKED', 'DH_PROD.SEGMENTS_DERIVED']),
    );
    // Queries carried a tag naming their node.
    expect(emulator.statementLog.some((s) => /query_tag = 'model:model\.segmentation\.segments_derived'/i.test(s.sql))).toBe(true);
  });

  it('shows the answer with `model show --target snowflake`', async () => {
    const shown = await runModel(['show', '--target', 'snowflake', 'segments_derived', '--format', 'json', '--limit', '-1'], { cwd: project, env: env() });
    expect(shown.code, shown.stderr).toBe(0);
    const rows = JSON.parse(shown.stdout) as Record<string, unknown>[];
    const onDuckDb = await queryDuckDb(path.join(project, 'target', 'dh_database.duckdb'), 'select * from dh_prod.segments_derived');
    expect(normalise(rows)).toEqual(normalise(onDuckDb));
  });

  it('checks the connection with `model debug --target snowflake`', async () => {
    const debug = await runModel(['debug', '--target', 'snowflake'], { cwd: project, env: env() });
    expect(debug.code, debug.stderr + debug.stdout).toBe(0);
    expect(debug.stdout).toMatch(/connection: snowflake account 'emulator'.*OK/);
    expect(debug.stdout).not.toContain(PASSWORD);
  });

  it('fails fast with a clear message and no secret when the password is wrong', async () => {
    const wrong = 'not-the-password-4711';
    const started = Date.now();
    const result = await runModel(['build', '--target', 'snowflake'], { cwd: project, env: env({ SNOWFLAKE_PASSWORD: wrong }) });
    // A loose sanity bound (no retries for minutes), not a timing benchmark.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect([1, 2]).toContain(result.code);
    const output = result.stderr + result.stdout;
    expect(output).toMatch(/refused the login of user 'model'.*Incorrect username or password/);
    expect(output).not.toContain(wrong);
    expect(output).not.toContain(PASSWORD);
  });

  it('fails fast when the endpoint cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const result = await runModel(['build', '--target', 'snowflake'], { cwd: project, env: env({ SNOWFLAKE_ACCESS_URL: url }) });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect([1, 2]).toContain(result.code);
    const output = result.stderr + result.stdout;
    expect(output).toContain(`cannot reach Snowflake at ${url}`);
    expect(output).not.toContain(PASSWORD);
  });

  it('gives up on an endpoint that accepts connections but never answers after login_timeout, and exits', async () => {
    // A firewall that drops packets looks like this: the client waits for an answer that never comes.
    const sockets: net.Socket[] = [];
    // When the client first reached the endpoint: the clock starts there, not at the process start,
    // which a loaded machine can slow by seconds.
    let reached = 0;
    const silent = net.createServer((s) => {
      reached ||= Date.now();
      sockets.push(s);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const profiles = path.join(project, 'profiles-silent');
    mkdirSync(profiles, { recursive: true });
    const shipped = readFileSync(path.join(project, 'profiles.yml'), 'utf8');
    writeFileSync(path.join(profiles, 'profiles.yml'), shipped.replace('type: snowflake\n', 'type: snowflake\n      login_timeout: 2\n'));
    try {
      const run = startModel(['build', '--target', 'snowflake', '--profiles-dir', profiles], { cwd: project, env: env({ SNOWFLAKE_ACCESS_URL: url }) });
      await run.waitForErr(/no answer within 2 s/);
      const saidAt = Date.now();
      const result = await run.done;
      const endedAt = Date.now();
      const output = result.stderr + result.stdout;
      expect(output).toContain(`cannot reach Snowflake at ${url}`);
      expect(result.stderr).toContain('no answer within 2 s');
      expect(output).not.toContain(PASSWORD);
      expect(result.code).toBe(2);
      // It gave up after login_timeout (2 s), long before the client's own request timeout (90 s),
      // counted from its first connection (a loaded machine can take seconds to start the process);
      // and the process ends soon after the message, not when that request timeout fires.
      expect(reached).toBeGreaterThan(0);
      expect((saidAt - reached) / 1000).toBeLessThan(12);
      expect((endedAt - saidAt) / 1000).toBeLessThan(10);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  // Last: every statement the CLI sent above and the emulator ran parses with an independent grammar.
  it('sent only statements that parse with sqlparser-rs’s Snowflake dialect', async () => {
    const sent = emulator.statementLog.filter((e) => e.ok).map((e) => e.sql);
    expect(sent.length).toBeGreaterThan(20);
    expect(await snowflakeGrammarFailures(sent)).toEqual([]);
  });
});
