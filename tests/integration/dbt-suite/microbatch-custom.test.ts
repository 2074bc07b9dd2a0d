// dbt-core tests/functional/microbatch/test_microbatch.py, BaseMicrobatchCustomUserStrategy and its
// TestMicrobatchCustomUserStrategyDefault / …ProjectFlagTrueValid cases, and TestMicrobatchUsingRefRenderSkipsFilter, on the embedded DuckDB and the
// loopback Snowflake emulator. A root-project get_incremental_microbatch_sql runs on the whole model
// unless dbt_project.yml sets the behaviour flag require_batched_execution_for_custom_microbatch_strategy
// (dbt-core's Manifest.use_microbatch_batches), then once per batch. Upstream freezes the clock at
// 2020-01-03 13:57; here the input's days count back from today (UTC), giving the same batches.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dbt, query, runResults, schemaOf, stopEmulator, suiteProject, type Target } from '../../helpers/dbt-suite.js';

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
const day = (back: number) =>
  new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - back)).toISOString().slice(0, 10);

const files = (): Record<string, string> => ({
  'models/input_model.sql': `{{ config(materialized='table', event_time='event_time') }}
${[1, 2, 3].map((id) => `select ${id} as id, cast('${day(3 - id)} 00:00:00' as timestamp) as event_time`).join('\nunion all\n')}
`,
  'models/microbatch_model.sql': `{{ config(materialized='incremental', incremental_strategy='microbatch', unique_key='id', event_time='event_time', batch_size='day', begin='${day(2)}') }}
select * from {{ ref('input_model') }}
`,
  'macros/microbatch.sql': `{% macro get_incremental_microbatch_sql(arg_dict) %}
    {% do log('custom microbatch strategy', info=True) %}
     {%- set dest_cols_csv = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    insert into {{ arg_dict["target_relation"] }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ arg_dict["temp_relation"] }}
    )
{% endmacro %}
`,
});

const DEPRECATION = /macros\/microbatch\.sql:1: get_incremental_microbatch_sql runs on the whole of models\/microbatch_model\.sql, not per batch/;

for (const target of ['duckdb', 'snowflake'] as const satisfies Target[]) {
  describe(`microbatch custom strategy on ${target}`, () => {
    afterEach(async () => {
      if (target === 'snowflake') await stopEmulator();
    });
    const count = async (dir: string) => (await query(dir, target, `select count(*) as n from ${schemaOf(target)}.microbatch_model`))[0];
    const batches = (dir: string) =>
      (runResults(dir).get('model.suite.microbatch_model') as { batch_results?: { successful: unknown[] } | null }).batch_results ?? null;

    // TestMicrobatchCustomUserStrategyDefault: the flag false, the first run warns (the deprecation,
    // once), the next uses the custom macro, not in batches.
    it('TestMicrobatchCustomUserStrategyDefault', async () => {
      const dir = suiteProject(files(), 'flags:\n  require_batched_execution_for_custom_microbatch_strategy: false\n');
      const first = await dbt(dir, target, ['run']);
      expect(first.code, out(first)).toBe(0);
      expect(out(first).match(new RegExp(DEPRECATION.source, 'g'))).toHaveLength(1);
      expect(out(first)).not.toMatch(/flags \(require_batched/); // the flag is honoured, not listed as ignored
      const second = await dbt(dir, target, ['run']);
      expect(second.code, out(second)).toBe(0);
      expect(out(second)).toContain('custom microbatch strategy');
      expect(batches(dir)).toBeNull();
      // The macro appended the whole model's rows once more.
      expect(await count(dir)).toEqual({ n: 6 });
    });

    // TestMicrobatchCustomUserStrategyProjectFlagTrueValid: no deprecation; the custom macro writes each batch.
    it('TestMicrobatchCustomUserStrategyProjectFlagTrueValid', async () => {
      const dir = suiteProject(files(), 'flags:\n  require_batched_execution_for_custom_microbatch_strategy: true\n');
      const first = await dbt(dir, target, ['run']);
      expect(first.code, out(first)).toBe(0);
      expect(out(first)).not.toMatch(DEPRECATION);
      expect(batches(dir)?.successful).toHaveLength(3);
      expect(await count(dir)).toEqual({ n: 3 });
      const second = await dbt(dir, target, ['run']);
      expect(second.code, out(second)).toBe(0);
      expect(out(second)).toContain('custom microbatch strategy');
      // Batched: yesterday's (the lookback) and today's batch, each appended by the macro.
      expect(batches(dir)?.successful).toHaveLength(2);
      expect(await count(dir)).toEqual({ n: 5 });
    });

    // test_microbatch.py TestMicrobatchUsingRefRenderSkipsFilter: `ref('input_model').render()` is the
    // relation's name, without the batch's event_time filter (dbt-adapters BaseRelation.render vs
    // __str__). Upstream's row counts are Postgres' merge on unique_key; here a batch replaces its
    // window (as dbt-duckdb's microbatch), so the port checks that the unfiltered batches read rows
    // outside their window, which the filtered ones did not.
    it('TestMicrobatchUsingRefRenderSkipsFilter', async () => {
      const { 'macros/microbatch.sql': _custom, ...plain } = files();
      const dir = suiteProject(plain);
      expect((await dbt(dir, target, ['run'])).code).toBe(0);
      expect((await dbt(dir, target, ['run'])).code).toBe(0);
      expect(await count(dir)).toEqual({ n: 3 });
      // Two rows in the coming days: outside every batch so far.
      const schema = schemaOf(target);
      writeFileSync(
        path.join(dir, 'models', 'input_model.sql'),
        `${plain['models/input_model.sql']!.trimEnd()}\nunion all\nselect 4 as id, cast('${day(-1)} 00:00:00' as timestamp) as event_time\nunion all\nselect 5 as id, cast('${day(-2)} 00:00:00' as timestamp) as event_time\n`,
      );
      expect((await dbt(dir, target, ['run', '--select', 'input_model'])).code).toBe(0);
      expect((await dbt(dir, target, ['run', '--select', 'microbatch_model'])).code).toBe(0);
      expect(await count(dir)).toEqual({ n: 3 });
      writeFileSync(
        path.join(dir, 'models', 'microbatch_model.sql'),
        plain['models/microbatch_model.sql']!.replace("{{ ref('input_model') }}", "{{ ref('input_model').render() }}"),
      );
      const run = await dbt(dir, target, ['run', '--select', 'microbatch_model']);
      expect(run.code, out(run)).toBe(0);
      const ids = await query(dir, target, `select distinct id from ${schema}.microbatch_model order by id`);
      expect(ids.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    });
  });
}
