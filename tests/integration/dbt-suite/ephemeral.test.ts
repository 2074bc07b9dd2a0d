// Ports of dbt's ephemeral/ adapter tests (dbt-tests-adapter/src/dbt/tests/adapter/ephemeral/
// test_ephemeral.py; the stored copy of dbt-adapters lacks that folder, so read from dbt-core's
// tests/adapter copy, and dbt-duckdb's tests/functional/adapter/test_ephemeral.py, which loads the
// seed as a CSV seed as here), on the embedded DuckDB and the loopback Snowflake emulator.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dbt, relationRows, runResults, stopEmulator, suiteProject, type Target } from '../../helpers/dbt-suite.js';

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

// The first ten rows of upstream's seed (seeds__seed_sql), as a CSV seed.
const SEED = `id,first_name,last_name,email,gender,ip_address
1,Jack,Hunter,jhunter0@pbs.org,Male,59.80.20.168
2,Kathryn,Walker,kwalker1@ezinearticles.com,Female,194.121.179.35
3,Gerald,Ryan,gryan2@com.com,Male,11.3.212.243
4,Bonnie,Spencer,bspencer3@ameblo.jp,Female,216.32.196.175
5,Harold,Taylor,htaylor4@people.com.cn,Male,253.10.246.136
6,Jacqueline,Griffin,jgriffin5@t.co,Female,16.13.192.220
7,Wanda,Arnold,warnold6@google.nl,Female,232.116.150.64
8,Craig,Ortiz,cortiz7@sciencedaily.com,Male,199.126.106.13
9,Gary,Day,gday8@nih.gov,Male,35.81.68.186
10,Rose,Wright,rwright9@yahoo.co.jp,Female,236.82.178.100
`;

/** The compiled SQL of a model, whitespace removed (upstream compares the run file that way). */
const compiled = (dir: string, model: string) =>
  readFileSync(path.join(dir, 'target', 'compiled', 'suite', 'models', `${model}.sql`), 'utf8')
    .split(/\s+/)
    .join('');
const squash = (sql: string) => sql.split(/\s+/).join('');

for (const target of ['duckdb', 'snowflake'] as const satisfies Target[]) {
  describe(`ephemeral/ on ${target}`, () => {
    afterEach(async () => {
      if (target === 'snowflake') await stopEmulator();
    });

    // BaseEphemeralMulti / TestEphemeralMulti: CTEs of ephemeral models are shared and listed in
    // dependency order. Upstream compares the whole `create view … __dbt_tmp as (…)` run file;
    // the port compares the compiled query inside it (the DDL around it is this engine's own).
    it('test_ephemeral.py BaseEphemeralMulti', async () => {
      const dir = suiteProject({
        'seeds/seed.csv': SEED,
        'models/dependent.sql':
          "\n-- multiple ephemeral refs should share a cte\nselect * from {{ref('base')}} where gender = 'Male'\nunion all\nselect * from {{ref('base')}} where gender = 'Female'\n",
        'models/double_dependent.sql':
          "\n-- base_copy just pulls from base. Make sure the listed\n-- graph of CTEs all share the same dbt_cte__base cte\nselect * from {{ref('base')}} where gender = 'Male'\nunion all\nselect * from {{ref('base_copy')}} where gender = 'Female'\n",
        'models/super_dependent.sql': "select * from {{ref('female_only')}}\nunion all\nselect * from {{ref('double_dependent')}} where gender = 'Male'\n",
        'models/base/female_only.sql': "{{ config(materialized='ephemeral') }}\n\nselect * from {{ ref('base_copy') }} where gender = 'Female'\n",
        'models/base/base.sql': "{{ config(materialized='ephemeral') }}\n\nselect * from {{ this.schema }}.seed\n",
        'models/base/base_copy.sql': "{{ config(materialized='ephemeral') }}\n\nselect * from {{ ref('base') }}\n",
      });
      expect((await dbt(dir, target, ['seed'])).code).toBe(0);
      const run = await dbt(dir, target, ['run']);
      expect(run.code, out(run)).toBe(0);
      expect(runResults(dir).size).toBe(3);
      const seed = await relationRows(dir, target, 'seed');
      for (const model of ['dependent', 'double_dependent', 'super_dependent']) expect(await relationRows(dir, target, model)).toEqual(seed);
      const schema = target === 'duckdb' ? 'main' : 'public';
      expect(compiled(dir, 'double_dependent')).toBe(
        squash(`with __dbt__cte__base as (
select * from ${schema}.seed
),  __dbt__cte__base_copy as (
select * from __dbt__cte__base
)
-- base_copy just pulls from base. Make sure the listed
-- graph of CTEs all share the same dbt_cte__base cte
select * from __dbt__cte__base where gender = 'Male'
union all
select * from __dbt__cte__base_copy where gender = 'Female'`),
      );
    });

    // TestEphemeralNested: an ephemeral model on an ephemeral model on a table.
    it('test_ephemeral.py TestEphemeralNested', async () => {
      const dir = suiteProject({
        'models/ephemeral_level_two.sql': '{{\n  config(\n    materialized = "ephemeral",\n  )\n}}\nselect * from {{ ref(\'source_table\') }}\n',
        'models/root_view.sql': 'select * from {{ref("ephemeral")}}\n',
        'models/ephemeral.sql': '{{\n  config(\n    materialized = "ephemeral",\n  )\n}}\nselect * from {{ref("ephemeral_level_two")}}\n',
        'models/source_table.sql':
          "{{ config(materialized='table') }}\n\nwith source_data as (\n\n    select 1 as id\n    union all\n    select null as id\n\n)\n\nselect *\nfrom source_data\n",
      });
      const run = await dbt(dir, target, ['run']);
      expect(run.code, out(run)).toBe(0);
      expect(runResults(dir).size).toBe(2);
      const table = target === 'duckdb' ? '"suite"."main"."source_table"' : 'suite_db.public.source_table';
      expect(compiled(dir, 'root_view')).toBe(
        squash(`with __dbt__cte__ephemeral_level_two as (
select * from ${table}
),  __dbt__cte__ephemeral as (
select * from __dbt__cte__ephemeral_level_two
)select * from __dbt__cte__ephemeral`),
      );
    });

    // TestEphemeralErrorHandling: an ephemeral model that fails to compile (an unknown adapter
    // method, tolerated at parse as dbt's capturing Undefined does); the model on it is the run's
    // one result, skipped, with the Compilation Error (dbt-core task/base.py BaseRunner.on_skip),
    // and the error points at the ephemeral model's file:line.
    it('test_ephemeral.py TestEphemeralErrorHandling', async () => {
      const dir = suiteProject({
        'seeds/seed.csv': SEED,
        'models/dependent.sql': "-- base copy is an error\nselect * from {{ref('base_copy')}} where gender = 'Male'\n",
        'models/base/base.sql': "{{ config(materialized='ephemeral') }}\n\nselect * from {{ this.schema }}.seed\n",
        'models/base/base_copy.sql': "{{ config(materialized='ephemeral') }}\n\n{{ adapter.invalid_method() }}\n\nselect * from {{ ref('base') }}\n",
      });
      const run = await dbt(dir, target, ['run']);
      expect(run.code).not.toBe(0);
      const results = [...runResults(dir).values()];
      expect(results.map((r) => [r.unique_id, r.status])).toEqual([['model.suite.dependent', 'skipped']]);
      expect(results[0]?.message).toContain('Compilation Error');
      expect(out(run)).toMatch(/models\/base\/base_copy\.sql:3/);
    });
  });
}
