// Values from vars and seeds reach SQL only as quoted data; planted secrets appear in no output.

import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { copyShippedProject, queryDuckDb, runModel, type CliResult } from '../helpers/project.js';

const NASTY = [`'; drop table dh_database.dh_prod.segments_derived; --`, `x' or '1'='1`, `O'Higgins /* comment */ -- tail`, `a\\'; select 1; --`];
const TABLES = "select table_schema || '.' || table_name as t from information_schema.tables where table_schema like 'dh_%' order by 1";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const abs = path.join(dir, name);
    return statSync(abs).isDirectory() ? filesUnder(abs) : [abs];
  });
}

describe('values never reach SQL unquoted', () => {
  it('vars with quotes, semicolons and comment markers are compared as text and drop nothing', async () => {
    const dir = copyShippedProject();
    expect((await runModel(['build'], { cwd: dir })).code).toBe(0);
    const db = path.join(dir, 'target', 'dh_database.duckdb');
    const tablesBefore = await queryDuckDb(db, TABLES);
    const r = await runModel(['run', '--vars', JSON.stringify({ countries: ['Peru', ...NASTY] })], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await queryDuckDb(db, TABLES)).toEqual(tablesBefore);
    const compiled = readFileSync(path.join(dir, 'target', 'compiled', 'segmentation', 'models', 'stage', 'vouchers_checked.sql'), 'utf8');
    // Each value sits inside one string literal, its quotes doubled.
    expect(compiled).toContain(`'''; drop table dh_database.dh_prod.segments_derived; --'`);
    expect(compiled).toContain(`'x'' or ''1''=''1'`);
    expect(compiled).toContain(`'o''higgins /* comment */ -- tail'`);
    const peru = await queryDuckDb(db, "select count(*) as n from dh_database.dh_stage.clean_vouchers where lower(trim(country_code)) = 'peru'");
    const all = await queryDuckDb(db, 'select count(*) as n from dh_database.dh_stage.clean_vouchers');
    expect(all).toEqual(peru);
  });

  it('a seed holding SQL-looking values loads them as data on DuckDB', async () => {
    const dir = copyShippedProject();
    writeFileSync(path.join(dir, 'seeds', 'nasty.csv'), `id,label\n${NASTY.map((v, i) => `${i},"${v.replace(/"/g, '""')}"`).join('\n')}\n`);
    const r = await runModel(['seed'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const db = path.join(dir, 'target', 'dh_database.duckdb');
    expect((await queryDuckDb(db, 'select label from dh_database.dh_stage.nasty order by id')).map((x) => x.label)).toEqual(NASTY);
  });

  describe('on Snowflake', () => {
    let emulator: SnowflakeEmulator;
    beforeAll(async () => {
      emulator = await startSnowflakeEmulator({ port: 0 });
    });
    afterAll(async () => {
      await emulator?.close();
    });

    it('seed values and vars travel as binds or quoted literals', async () => {
      const dir = copyShippedProject();
      writeFileSync(path.join(dir, 'seeds', 'nasty.csv'), `id,label\n${NASTY.map((v, i) => `${i},"${v.replace(/"/g, '""')}"`).join('\n')}\n`);
      const env = {
        SNOWFLAKE_ACCOUNT: 'emulator',
        SNOWFLAKE_USER: 'model',
        SNOWFLAKE_PASSWORD: 'model-password',
        SNOWFLAKE_ACCESS_URL: emulator.url,
        SNOWFLAKE_WAREHOUSE: 'COMPUTE_WH',
      };
      const r = await runModel(['build', '--target', 'snowflake', '--vars', JSON.stringify({ countries: ['Peru', ...NASTY] })], { cwd: dir, env });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect((await emulator.query('select label from DH_DATABASE.DH_STAGE.NASTY order by id')).map((x) => x.LABEL)).toEqual(NASTY);
      expect((await emulator.query('select count(*) as n from DH_DATABASE.DH_PROD.SEGMENTS_DERIVED'))[0]!.n).toBeTruthy();
      expect(emulator.statementLog.some((s) => !s.ok && /drop table dh_database\.dh_prod/i.test(s.sql))).toBe(false);
    });
  });
});

describe('secrets appear in no output', () => {
  const SECRET = 'pl4nted-S3CRET-value-9f8e7d';
  const SNOWFLAKE_PASSWORD = 'pl4nted-SF-password-1a2b3c';
  // A secret with a quote, a double quote and a backslash: files hold it escaped (JSON, SQL literals).
  const QUOTED = `pl4nted-qu"o't\\ed-5c6d7e`;
  const forms = (s: string) => {
    const sql = s.replace(/'/g, "''");
    return [...new Set([s, sql, sql.replace(/\\/g, '\\\\')].flatMap((f) => [f, JSON.stringify(f).slice(1, -1)]))];
  };
  let dir: string;
  const outputs: CliResult[] = [];
  let emulator: SnowflakeEmulator;

  beforeAll(async () => {
    emulator = await startSnowflakeEmulator({ port: 0, users: { model: SNOWFLAKE_PASSWORD } });
    dir = copyShippedProject();
    // A model that uses the secret (as dbt users do for API keys in SQL), a model that fails with
    // the secret in its SQL, and a profile setting that reads it.
    writeFileSync(
      path.join(dir, 'models', 'prod', 'uses_secret.sql'),
      "select count(*) as n from {{ ref('segments_derived') }} where '{{ env_var('DBT_ENV_SECRET_API_KEY') }}' <> ''",
    );
    writeFileSync(path.join(dir, 'models', 'prod', 'fails_with_secret.sql'), "select '{{ env_var('MY_API_TOKEN') }}' as t from no_such_table_here");
    appendFileSync(path.join(dir, 'project.yml'), '\nquery-comment: "{{ env_var(\'MY_API_TOKEN\') }}"\n');
    writeFileSync(
      path.join(dir, 'models', 'prod', 'quoted_secret.sql'),
      "select {{ literal(env_var('MODEL_SECRET_QUOTED')) }} as k\n-- {{ env_var('MODEL_SECRET_QUOTED') }}\n",
    );
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('build (success and failure), compile, show, debug, ls and docs generate print and write no secret', async () => {
    const env = {
      DBT_ENV_SECRET_API_KEY: SECRET,
      MY_API_TOKEN: SECRET,
      MODEL_SECRET_QUOTED: QUOTED,
      // Every DuckDB statement and its binds, appended here: grepped with the rest of target/.
      MODEL_SQL_LOG: path.join(dir, 'target', 'sql-log.jsonl'),
      SNOWFLAKE_ACCOUNT: 'emulator',
      SNOWFLAKE_USER: 'model',
      SNOWFLAKE_PASSWORD,
      SNOWFLAKE_ACCESS_URL: emulator.url,
      SNOWFLAKE_WAREHOUSE: 'COMPUTE_WH',
    };
    const run = async (args: string[], extra: Record<string, string> = {}) => {
      const r = await runModel(args, { cwd: dir, env: { ...env, ...extra } });
      outputs.push(r);
      return r;
    };
    const failed = await run(['build']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/Error in model fails_with_secret/);
    expect(failed.stdout).toMatch(/no_such_table_here/);
    expect((await run(['build', '--exclude', 'fails_with_secret'])).code).toBe(0);
    expect((await run(['compile'])).code).toBe(0);
    expect((await run(['show', 'uses_secret'])).code).toBe(0);
    expect((await run(['show', '--inline', "select '{{ env_var('MY_API_TOKEN') }}' as leaked"])).code).toBe(0);
    expect((await run(['debug'])).code).toBe(0);
    await run(['ls']);
    expect((await run(['docs', 'generate'])).code).toBe(0);
    // Snowflake: a good login, and a refused one whose error must not echo the password.
    expect((await run(['build', '--target', 'snowflake', '--exclude', 'fails_with_secret'])).code).toBe(0);
    expect((await run(['debug', '--target', 'snowflake'], { SNOWFLAKE_PASSWORD: `${SNOWFLAKE_PASSWORD}-wrong` })).code).not.toBe(0);

    expect((await run(['show', 'quoted_secret', '--format', 'json'])).code).toBe(0);
    const planted = [SECRET, SNOWFLAKE_PASSWORD, ...forms(QUOTED)];
    for (const r of outputs) {
      for (const s of planted) {
        expect(r.stdout).not.toContain(s);
        expect(r.stderr).not.toContain(s);
      }
    }
    const written = filesUnder(path.join(dir, 'target')).filter((f) => !/\.duckdb(\.wal)?$/.test(f));
    expect(written.some((f) => f.endsWith('run_results.json'))).toBe(true);
    expect(written.some((f) => f.endsWith('manifest.json'))).toBe(true);
    expect(written.some((f) => f.includes(`${path.sep}compiled${path.sep}`))).toBe(true);
    expect(written.some((f) => f.endsWith('sql-log.jsonl'))).toBe(true);
    expect(written.some((f) => f.endsWith(path.join('docs', 'index.html')))).toBe(true);
    for (const f of written) {
      const text = readFileSync(f, 'latin1');
      for (const s of planted) expect(text, f).not.toContain(s);
    }
  });
});
