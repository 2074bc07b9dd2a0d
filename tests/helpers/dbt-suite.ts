/**
 * What the ports of dbt's adapter conformance suite (dbt-labs/dbt-adapters,
 * dbt-tests-adapter/src/dbt/tests/adapter/) share: a dbt project written inline, built with the
 * real CLI on the embedded DuckDB or on the loopback Snowflake emulator, and read back.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { runModelInProcess } from './in-process.js';
import { queryDuckDb, writeProject, type CliResult } from './project.js';

export type Target = 'duckdb' | 'snowflake';

/** A dbt project named `suite` with a profile for both targets (Snowflake through the emulator at `SNOWFLAKE_ACCESS_URL`). */
export function suiteProject(files: Record<string, string>, projectYml = ''): string {
  return writeProject({
    'dbt_project.yml': `name: suite\nprofile: suite\nconfig-version: 2\n${projectYml}`,
    'profiles.yml': `suite:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: target/suite.duckdb
      schema: main
      threads: 2
    snowflake:
      type: snowflake
      account: emulator
      user: model
      password: "{{ env_var('SNOWFLAKE_PASSWORD') }}"
      access_url: "{{ env_var('SNOWFLAKE_ACCESS_URL') }}"
      warehouse: compute_wh
      database: suite_db
      schema: public
      threads: 2
`,
    ...files,
  });
}

let emulator: SnowflakeEmulator | undefined;

/** The emulator, started once per test file (close it with stopEmulator in afterAll). */
export async function suiteEmulator(): Promise<SnowflakeEmulator> {
  emulator ??= await startSnowflakeEmulator({ port: 0 });
  return emulator;
}

export async function stopEmulator(): Promise<void> {
  await emulator?.close();
  emulator = undefined;
}

/** Runs `model <args>` in the project on the target (in the test process: see in-process.ts). */
export async function dbt(dir: string, target: Target, args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const env: Record<string, string> = { ...extraEnv };
  if (target === 'snowflake') {
    const e = await suiteEmulator();
    Object.assign(env, { SNOWFLAKE_PASSWORD: 'model-password', SNOWFLAKE_ACCESS_URL: e.url });
  }
  return runModelInProcess([...args, '--target', target], { cwd: dir, env });
}

/** Rows of a query, on the target's warehouse; column names lower-cased, numbers as numbers. */
export async function query(dir: string, target: Target, sql: string): Promise<Record<string, unknown>[]> {
  const rows = target === 'duckdb' ? await queryDuckDb(path.join(dir, 'target', 'suite.duckdb'), sql) : await (await suiteEmulator()).query(sql);
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), plain(v)])));
}

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return v;
}

/** The schema models land in on the target (qualified for the emulator's single DuckDB). */
export function schemaOf(target: Target): string {
  return target === 'duckdb' ? 'main' : 'suite_db.public';
}

export interface RunResult {
  unique_id: string;
  status: string;
  message?: string | null;
  failures?: number | null;
}

/** `target/run_results.json`'s results by unique_id. */
export function runResults(dir: string): Map<string, RunResult> {
  const data = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { results: RunResult[] };
  return new Map(data.results.map((r) => [r.unique_id, r]));
}

/** The upstream suite's `equals` and `assert_equal` (utils/base_utils.py, BaseUtils), as macros. */
export const BASE_UTILS_MACROS: Record<string, string> = {
  'macros/equals.sql': `{% macro equals(expr1, expr2) -%}
{%- if adapter.behavior.enable_truthy_nulls_equals_macro.no_warn %}
    case when (({{ expr1 }} = {{ expr2 }}) or ({{ expr1 }} is null and {{ expr2 }} is null)) then 0 else 1 end = 0
{%- else -%}
    ({{ expr1 }} = {{ expr2 }})
{%- endif %}
{% endmacro %}
`,
  'macros/test_assert_equal.sql': `{% test assert_equal(model, actual, expected) %}
select * from {{ model }}
where not {{ equals(actual, expected) }}
{% endtest %}
`,
  'macros/replace_empty.sql': `{% macro replace_empty(expr) -%}
case
    when {{ expr }} = 'EMPTY' then ''
    else {{ expr }}
end
{% endmacro %}
`,
};

/** Each relation in the target schema and whether it is a table or a view (dbt.tests.util check_relation_types). */
export async function relationTypes(dir: string, target: Target): Promise<Record<string, string>> {
  const rows =
    target === 'duckdb'
      ? await query(
          dir,
          target,
          "select lower(table_name) as name, case when table_type = 'VIEW' then 'view' else 'table' end as type from information_schema.tables where table_schema = 'main'",
        )
      : await query(
          dir,
          target,
          "select lower(table_name) as name, 'table' as type from duckdb_tables() where database_name = 'SUITE_DB' and schema_name = 'PUBLIC' union all select lower(view_name), 'view' from duckdb_views() where database_name = 'SUITE_DB' and schema_name = 'PUBLIC'",
        );
  // model_build_lock: the engine's own lock table on Snowflake, not a project relation.
  return Object.fromEntries(rows.filter((r) => r.name !== 'model_build_lock').map((r) => [String(r.name), String(r.type)]));
}

/** The rows of each relation, sorted, are the same (dbt.tests.util check_relations_equal). */
export async function relationRows(dir: string, target: Target, name: string): Promise<string[]> {
  const rows = await query(dir, target, `select * from ${schemaOf(target)}.${name}`);
  return rows.map((r) => JSON.stringify(r)).sort();
}
