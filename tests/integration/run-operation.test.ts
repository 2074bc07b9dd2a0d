import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryDuckDb, runModel, writeProject } from '../helpers/project.js';

// dbt-core core/dbt/task/run_operation.py: the macro runs with execute true on the target's
// connection; run_results.json holds one result under the macro's unique_id (success/error,
// failures 0/1); a failure exits 1, an unknown macro is an error before any run.
function project(): string {
  return writeProject({
    'dbt_project.yml': "name: ops\nversion: '1.0'\nprofile: ops\n",
    'profiles.yml': 'ops:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/ops.duckdb\n',
    'models/m.sql': 'select 1 as id\n',
    'macros/ops.sql': [
      '{% macro make_table(name, n=3) %}',
      "  {% do run_query('create or replace table main.' ~ name ~ ' as select range as i from range(' ~ n ~ ')') %}",
      "  {% set r = run_query('select count(*) as c from main.' ~ name) %}",
      "  {% if execute %}{{ log('rows: ' ~ r.columns[0].values()[0], info=True) }}{% endif %}",
      "  {{ return({'name': name, 'rows': r.columns[0].values()[0]}) }}",
      '{% endmacro %}',
      '{% macro broken() %}',
      "  {% do run_query('select * from no_such_table') %}",
      '{% endmacro %}',
      "{% macro only_logs() %}{% do log('logged', info=True) %}{% endmacro %}",
      '',
    ].join('\n'),
  });
}

describe('model run-operation', () => {
  it('runs a macro with --args, prints its log() and return value, and writes run_results.json', async () => {
    const dir = project();
    const r = await runModel(['run-operation', 'make_table', '--args', '{name: t1, n: 5}', '--project-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rows: 5');
    expect(r.stdout).toContain('{"name":"t1","rows":5}');
    expect(await queryDuckDb(path.join(dir, 'target/ops.duckdb'), 'select count(*)::int as n from main.t1')).toEqual([{ n: 5 }]);
    const rr = JSON.parse(readFileSync(path.join(dir, 'target/run_results.json'), 'utf8'));
    expect(rr.results).toHaveLength(1);
    expect(rr.results[0]).toMatchObject({ unique_id: 'macro.ops.make_table', status: 'success', failures: 0 });
  });

  it('a macro that returns nothing prints only its log() (its whitespace output is no value)', async () => {
    const dir = project();
    const r = await runModel(['run-operation', 'only_logs', '--project-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('logged');
    expect(r.stdout).not.toContain('"val"');
  });

  it('a failing macro is an error at its file:line, exit code 1, and an error result', async () => {
    const dir = project();
    const r = await runModel(['run-operation', 'broken', '--project-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/macros\/ops\.sql:7: error \[database\]/);
    const rr = JSON.parse(readFileSync(path.join(dir, 'target/run_results.json'), 'utf8'));
    expect(rr.results[0]).toMatchObject({ unique_id: 'macro.ops.broken', status: 'error', failures: 1 });
  });

  it('an unknown macro or bad --args is a usage error', async () => {
    const dir = project();
    const r = await runModel(['run-operation', 'make_tabel', '--project-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean 'make_table'?");
    const bad = await runModel(['run-operation', 'make_table', '--args', '{name: [}', '--project-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--args is not valid YAML or JSON');
  });
});
