// The SQL each dialect emits for a fixed project, compared with tests/golden/<dialect>/*.sql.
// After an intended change, rewrite them with: UPDATE_GOLDEN=1 npx vitest run tests/unit/plan/golden-sql.test.ts

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RelationType, TableKind } from '../../../src/warehouse/dialect.js';
import { compileNode } from '../../../src/compile/compile-node.js';
import type { ModelNode, SeedNode } from '../../../src/parse/nodes.js';
import { openProject, type Session } from '../../../src/index.js';
import { planModel } from '../../../src/plan/plan-model.js';
import { tempRelation } from '../../../src/plan/plan.js';
import { parseCsv } from '../../../src/project/csv.js';
import { typeSeed } from '../../../src/plan/seed-types.js';
import { REPO_ROOT, writeProject } from '../../helpers/project.js';

const GOLDEN = path.join(REPO_ROOT, 'tests', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

const SEED = 'id,label,amount,day,seen_at,active\n1,a,1.5,2018-07-01,2018-07-01 10:00:00,true\n2,b,2.25,2018-07-02,2018-07-02 11:30:00,false\n';

const project = writeProject({
  'project.yml': 'name: golden\nprofile: golden\n',
  'profiles.yml': `golden:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: target/golden.duckdb
      schema: analytics
    snowflake:
      type: snowflake
      account: golden
      user: golden
      password: golden-password
      database: dh_database
      schema: analytics
`,
  'seeds/items.csv': SEED,
  'models/items_view.sql': "{{ config(materialized='view') }}\nselect id, label, {{ adapter.quote('timestamp') }} as ts from {{ ref('items') }}\n",
  'models/items_table.sql': `{{ config(materialized='table') }}
select
    id,
    {{ safe_cast('amount', type_float()) }} as amount,
    {{ safe_cast('seen_at', type_timestamp()) }} as seen_at,
    {{ datediff("cast(seen_at as date)", "cast('2018-08-01' as date)", 'day') }} as days,
    {{ dateadd('day', 7, 'day') }} as next_week,
    cast(label as {{ type_string() }}) as label,
    {{ current_timestamp() }} as built_at,
    {{ literal("it's") }} as quoted
from {{ ref('items') }}
`,
  'models/items_merge.sql': "{{ config(materialized='incremental', unique_key='id') }}\nselect id, label from {{ ref('items') }}\n",
  'models/items_delete_insert.sql':
    "{{ config(materialized='incremental', unique_key=['id', 'label'], incremental_strategy='delete+insert') }}\nselect id, label from {{ ref('items') }}\n",
  'models/items_append.sql': "{{ config(materialized='incremental') }}\nselect id, label from {{ ref('items') }}\n",
});

function emitted(session: Session): Record<string, string> {
  const { manifest } = session;
  const dialect = session.engine.dialect;
  const model = (name: string) => manifest.nodes.get(manifest.byName.get(name)!) as ModelNode;
  const plan = (name: string, existing: RelationType | null, columns?: string[], existingKind?: TableKind) => {
    const node = model(name);
    return planModel(node, compileNode(session, node).sql, dialect, { existing, fullRefresh: false, columns, ...(existingKind ? { existingKind } : {}) })
      .statements;
  };
  const columns = ['ID', 'LABEL'];
  const seed = manifest.nodes.get(manifest.byName.get('items')!) as SeedNode;
  const typed = typeSeed(parseCsv(SEED, seed.file, ','), seed.file, dialect);
  const tmp = tempRelation(seed.relation!);
  const out: Record<string, string[]> = {
    compiled: [compileNode(session, model('items_table')).sql, compileNode(session, model('items_view')).sql],
    view: plan('items_view', null),
    view_over_table: plan('items_view', 'table'),
    table: plan('items_table', null),
    table_replace: plan('items_table', 'table'),
    table_over_view: plan('items_table', 'view'),
    // A transient build replacing a permanent table (SWAP WITH takes one kind; DuckDB has one kind).
    table_replace_other_kind: plan('items_table', 'table', undefined, 'permanent'),
    incremental_first_build: plan('items_merge', null),
    incremental_merge: plan('items_merge', 'table', columns),
    incremental_delete_insert: plan('items_delete_insert', 'table', columns),
    incremental_append: plan('items_append', 'table', columns),
    seed: [dialect.createTable(tmp, typed.columns), ...dialect.swapTable(tmp, seed.relation!, 'table')],
    list_relations: [dialect.listRelationsSql(seed.relation!.database, seed.relation!.schema), dialect.listColumnsSql(seed.relation!)],
  };
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, `${v.join(';\n\n')};\n`]));
}

for (const target of ['duckdb', 'snowflake']) {
  describe(`golden SQL: ${target}`, async () => {
    const session = await openProject({ projectDir: project, target });
    const files = emitted(session);
    for (const [name, sql] of Object.entries(files)) {
      it(`${name}.sql`, () => {
        const file = path.join(GOLDEN, target, `${name}.sql`);
        if (update || !existsSync(file)) {
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, sql);
        }
        expect(sql).toBe(readFileSync(file, 'utf8'));
      });
    }
  });
}

describe('Snowflake: column names read back from the catalog', () => {
  it('are quoted exactly when the bare name would fold to another spelling', async () => {
    const { snowflakeDialect } = await import('../../../src/adapters/snowflake/snowflake-dialect.js');
    const rel = { database: 'dh_database', schema: 'analytics', identifier: 'items' };
    const staged = tempRelation(rel, '__model_incr');
    // As information_schema gives them: plain names upper-case, quoted ones as written.
    const columns = ['ID', 'Label', 'select', 'ORDER'];
    expect(snowflakeDialect.insertByName(rel, 'select 1', columns)).toContain('(ID, "Label", "select", "ORDER")');
    const merge = snowflakeDialect.merge(rel, staged, ['id'], columns);
    expect(merge).toContain('on existing_rows.id = new_rows.id');
    expect(merge).toContain('update set "Label" = new_rows."Label", "select" = new_rows."select", "ORDER" = new_rows."ORDER"');
    expect(merge).toContain('insert (ID, "Label", "select", "ORDER") values (new_rows.ID, new_rows."Label", new_rows."select", new_rows."ORDER")');
  });
});
