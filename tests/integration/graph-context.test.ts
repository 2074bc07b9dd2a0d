import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startSnowflakeEmulator } from '@model/snowflake-emulator';
import { describe, expect, it } from 'vitest';
import { emulatorOutput, profilesYml } from '../helpers/profiles.js';
import { runModel, writeProject } from '../helpers/project.js';

// dbt-codegen's macros (helpers.sql `get_models`, `build_dict_column_descriptions`) read dbt's
// `graph` context variable: the manifest's flat graph (dbt-core core/dbt/context/providers.py
// `graph`, core/dbt/contracts/graph/manifest.py `build_flat_graph`), nodes by unique id with their
// `resource_type`, `name`, `path`, `depends_on.nodes`, `columns`, and sources under `graph.sources`.
// `dbt run-operation generate_source` finds a package's macro by its bare name (dbt-core's
// MacroResolver: root project, then packages).
function project(): string {
  return writeProject({
    'dbt_project.yml': "name: gr\nversion: '1.0'\nprofile: gr\n",
    'profiles.yml': 'gr:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/gr.duckdb\n',
    'packages.yml': 'packages:\n  - local: helpers\n',
    'helpers/dbt_project.yml': "name: helpers\nversion: '1.0'\n",
    'helpers/macros/h.sql': [
      '{% macro list_models(prefix) %}',
      '  {% set names = [] %}',
      "  {% for n in graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') if n.name.startswith(prefix) %}",
      "    {% do names.append(n.name ~ '@' ~ n.path ~ '<' ~ (n.depends_on.nodes | join(',')) ~ '>') %}",
      '  {% endfor %}',
      "  {% for s in graph.sources.values() %}{% do names.append('source:' ~ s.source_name ~ '.' ~ s.name ~ ':' ~ (s.columns.keys() | list | join(','))) %}{% endfor %}",
      "  {% do log(names | sort | join(' '), info=True) %}",
      '  {{ return(names | length) }}',
      '{% endmacro %}',
      '',
    ].join('\n'),
    'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    schema: main\n    tables:\n      - name: t\n        columns:\n          - name: c1\n',
    'models/stg/stg_a.sql': 'select 1 as id\n',
    'models/stg/stg_b.sql': "select * from {{ ref('stg_a') }}\n",
    'models/other.sql': 'select 2 as id\n',
    // dbt-adapters base/relation.py InformationSchema.from_relation: `<database>.INFORMATION_SCHEMA.<view>`.
    'models/cols.sql': "select column_name from {{ ref('stg_a').information_schema('columns') }} where table_name = 'stg_a'\n",
    'tests/cols_seen.sql': "select * from {{ ref('cols') }} where column_name != 'id'\n",
    'tests/graph_seen.sql': [
      "{% set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | map(attribute='name') | sort %}",
      "select '{{ models | join(',') }}' as seen where '{{ models | join(',') }}' != 'cols,other,stg_a,stg_b'",
      '',
    ].join('\n'),
  });
}

describe("dbt's graph context variable and package macros in run-operation", () => {
  it('a package macro reads graph.nodes and graph.sources, called by its bare name in run-operation', async () => {
    const dir = project();
    expect((await runModel(['deps', '--project-dir', dir])).code).toBe(0);
    const r = await runModel(['run-operation', 'list_models', '--args', '{prefix: stg_}', '--project-dir', dir]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('source:raw.t:c1 stg_a@stg/stg_a.sql<> stg_b@stg/stg_b.sql<model.gr.stg_a>');
    const q = await runModel(['run-operation', 'helpers.list_models', '--args', '{prefix: oth}', '--project-dir', dir]);
    expect(q.stdout).toContain('other@other.sql<>');
  });

  it('a singular test sees every model in graph.nodes', async () => {
    const dir = project();
    expect((await runModel(['deps', '--project-dir', dir])).code).toBe(0);
    const r = await runModel(['build', '--project-dir', dir]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS=6 /);
    expect(readFileSync(path.join(dir, 'target/compiled/gr/models/cols.sql'), 'utf8')).toContain('from "gr".INFORMATION_SCHEMA.columns where');
  });
});

// dbt-snowflake's get_columns_in_relation builds each column with SnowflakeColumn.from_description
// (dbt-adapters base/column.py): `dtype` is the type without its size (`NUMBER` of `NUMBER(38,0)`),
// which dbt-codegen's generate_source prints as `data_type: number`; `data_type` keeps the size.
// `relation.information_schema('columns')` is `<database>.INFORMATION_SCHEMA.columns` there too.
describe('columns and information_schema on Snowflake (emulator)', () => {
  it('dtype is the type name without its size; information_schema(view) is queryable', async () => {
    const emulator = await startSnowflakeEmulator({ port: 0 });
    try {
      const dir = writeProject({
        'dbt_project.yml': "name: sfcols\nversion: '1.0'\nprofile: sfcols\n",
        'profiles.yml': profilesYml('sfcols', 'sf', {
          sf: emulatorOutput({ password: 'model-password', access_url: emulator.url, database: 'cols_db', schema: 'cols_s', warehouse: 'wh' }),
        }),
        'models/m.sql': "select 1 as n, 'x'::varchar(10) as s\n",
        'macros/show_cols.sql': [
          '{% macro show_cols() %}',
          "  {% set cols = adapter.get_columns_in_relation(ref('m')) %}",
          "  {% for c in cols %}{% do log('col ' ~ c.name ~ ' dtype=' ~ c.dtype ~ ' data_type=' ~ c.data_type, info=True) %}{% endfor %}",
          "  {% set r = run_query(\"select count(*) from \" ~ ref('m').information_schema('columns') ~ \" where table_name = 'M'\") %}",
          "  {% do log('info_schema ' ~ r.columns[0].values()[0], info=True) %}",
          "  {% do log('fd ' ~ api.Column.from_description('x', 'NUMBER(10,2)').dtype, info=True) %}",
          '{% endmacro %}',
          '',
        ].join('\n'),
      });
      expect((await runModel(['run', '--project-dir', dir])).code).toBe(0);
      const r = await runModel(['run-operation', 'show_cols', '--project-dir', dir]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('col N dtype=NUMBER data_type=NUMBER(');
      expect(r.stdout).toMatch(/col S dtype=VARCHAR data_type=VARCHAR/);
      expect(r.stdout).toContain('info_schema 2');
      expect(r.stdout).toContain('fd NUMBER');
    } finally {
      await emulator.close();
    }
  });
});
