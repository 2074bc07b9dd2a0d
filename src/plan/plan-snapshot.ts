import { ProjectError } from '../core/errors.js';
import type { SnapshotNode } from '../parse/nodes.js';
import type { ColumnInfo } from '../warehouse/adapter.js';
import type { Dialect, RelationType } from '../warehouse/dialect.js';
import { type Plan, tempRelation } from './plan.js';

/** A column as the warehouse's catalog stores it. */
export type CatalogColumn = ColumnInfo;

/** Columns of the staging table that are the merge's bookkeeping, never copied into the snapshot. */
function isBookkeeping(name: string): boolean {
  return /^dbt_change_type$|^dbt_unique_key(_\d+)?$/i.test(name);
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * What a custom strategy macro (`snapshot_<name>_strategy`) returned, as dbt's materialization reads
 * it: SQL for `updated_at`, `scd_id` and `row_changed` (written against `snapshotted_data` and `source_data`).
 */
export interface CustomSnapshotStrategy {
  updatedAt: string;
  scdId: string;
  rowChanged: string;
}

/**
 * dbt's snapshot materialization (dbt-adapters, macros/materializations/snapshots/: snapshot.sql,
 * helpers.sql, strategies.sql, snapshot_merge.sql) as SQL text: the strategy's expressions, the
 * first build, the staging query of changes and the merge that applies them.
 */
export class SnapshotSql {
  private readonly s: SnapshotNode['snapshot'];
  private readonly q: (id: string) => string;

  constructor(
    private readonly node: SnapshotNode,
    private readonly dialect: Dialect,
    private readonly custom?: CustomSnapshotStrategy,
  ) {
    if (node.snapshot.strategy === 'custom' && !custom)
      throw new ProjectError('project', `snapshot '${node.name}': its custom strategy was not rendered`, { location: { file: node.file } });
    this.s = node.snapshot;
    this.q = (id) => dialect.quoteIdentifier(id);
  }

  private col(name: keyof SnapshotNode['snapshot']['columnNames']): string {
    return this.q(this.s.columnNames[name]);
  }

  /** strategy.updated_at: the user's column for `timestamp`; for `check`, updated_at if given, else the snapshot time. */
  private get updatedAt(): string {
    return this.custom?.updatedAt ?? this.s.updatedAt ?? this.dialect.snapshotTime;
  }

  /** snapshot_hash_arguments: md5 of the arguments cast to text, null as '', joined with '|'. */
  private hash(args: string[]): string {
    return `md5(${args.map((a) => `coalesce(cast(${a} as varchar), '')`).join(" || '|' || ")})`;
  }

  /** api.Relation.scd_args: the key expression(s), then updated_at. */
  private get scdId(): string {
    if (this.custom) return this.custom.scdId;
    return this.hash([...this.s.uniqueKey, this.updatedAt]);
  }

  private keyFields(from?: string): string {
    const at = from ? `${from}.` : '';
    if (!this.s.keyIsList) return `${at}${from ? 'dbt_unique_key' : this.s.uniqueKey[0]!} as dbt_unique_key`;
    return this.s.uniqueKey.map((k, i) => `${from ? `${at}dbt_unique_key_${i + 1}` : k} as dbt_unique_key_${i + 1}`).join(', ');
  }

  private keyJoin(a: string, b: string): string {
    if (!this.s.keyIsList) return `${a}.dbt_unique_key = ${b}.dbt_unique_key`;
    return this.s.uniqueKey.map((_, i) => `${a}.dbt_unique_key_${i + 1} = ${b}.dbt_unique_key_${i + 1}`).join(' and ');
  }

  private keyIsNull(a: string, not = false): string {
    return `${a}.${this.s.keyIsList ? 'dbt_unique_key_1' : 'dbt_unique_key'} is ${not ? 'not ' : ''}null`;
  }

  /** get_dbt_valid_to_current: null (or dbt_valid_to_current) typed as updated_at. */
  private get validToCurrent(): string {
    return `coalesce(nullif(${this.updatedAt}, ${this.updatedAt}), ${this.s.validToCurrent ?? 'null'}) as ${this.col('dbt_valid_to')}`;
  }

  /** A current row: dbt_valid_to is null, or holds dbt_valid_to_current. */
  private isCurrent(rel: string): string {
    const validTo = `${rel ? `${rel}.` : ''}${this.col('dbt_valid_to')}`;
    return this.s.validToCurrent ? `(${validTo} = ${this.s.validToCurrent} or ${validTo} is null)` : `${validTo} is null`;
  }

  /** The first build: the query's rows, each the current version (build_snapshot_table). */
  buildSelect(sql: string): string {
    const deleted = this.s.hardDeletes === 'new_record' ? `,\n    'False' as ${this.col('dbt_is_deleted')}` : '';
    return `select *,
    ${this.scdId} as ${this.col('dbt_scd_id')},
    ${this.updatedAt} as ${this.col('dbt_updated_at')},
    ${this.updatedAt} as ${this.col('dbt_valid_from')},
    ${this.validToCurrent}${deleted}
from (
${sql}
) sbq`;
  }

  /**
   * strategy.row_changed. For `check`, the columns compared are `check_cols` ('all': the query's)
   * that the snapshot table already has; a column the table lacks makes every row a change.
   */
  private rowChanged(queryColumns: string[], targetColumns: CatalogColumn[]): string {
    if (this.custom) return `(${this.custom.rowChanged})`;
    if (this.s.strategy === 'timestamp') return `(snapshotted_data.${this.col('dbt_valid_from')} < source_data.${this.s.updatedAt})`;
    let wanted: string[];
    if (this.s.checkCols === 'all') wanted = queryColumns;
    else {
      wanted = this.s.checkCols.map((c) => {
        const found = queryColumns.find((qc) => same(qc, c.replace(/^"(.*)"$/, '$1')));
        if (!found) {
          throw new ProjectError('project', `check_cols names '${c}', which snapshot '${this.node.name}' does not select`, {
            location: { file: this.node.file },
            hint: `its query returns: ${queryColumns.join(', ')}`,
          });
        }
        return found;
      });
    }
    const existing = wanted.filter((c) => targetColumns.some((t) => same(t.name, c)));
    if (existing.length < wanted.length) return '(TRUE)';
    const qc = (c: string) => this.dialect.quoteColumn(targetColumns.find((t) => same(t.name, c))!.name);
    const one = (c: string) => {
      const a = `snapshotted_data.${qc(c)}`;
      const b = `source_data.${qc(c)}`;
      return `${a} != ${b}\n        or\n        (\n            ((${a} is null) and not (${b} is null))\n            or\n            ((not ${a} is null) and (${b} is null))\n        )`;
    };
    return `(\n        ${existing.map(one).join(' or ')}\n    )`;
  }

  /** The changes since the last run, one row per insert, update or delete (snapshot_staging_table). */
  stagingSelect(sql: string, target: string, queryColumns: string[], targetColumns: CatalogColumn[]): string {
    const hd = this.s.hardDeletes;
    const newRecord = hd === 'new_record';
    const changed = this.rowChanged(queryColumns, targetColumns);
    const wasDeleted = newRecord ? ` or snapshotted_data.${this.col('dbt_is_deleted')} = 'True'` : '';
    const deletedCol = (from: string) => (newRecord ? `, ${from}.${this.col('dbt_is_deleted')}` : '');
    const now = this.dialect.snapshotTime;
    const notYetDeleted = `not (snapshotted_data.${this.col('dbt_is_deleted')} = 'True' and ${this.isCurrent('snapshotted_data')})`;
    const parts = [
      `with snapshot_query as (\n${sql}\n),`,
      `snapshotted_data as (\n    select *, ${this.keyFields()}\n    from ${target}\n    where ${this.isCurrent('')}\n),`,
      `insertions_source_data as (
    select *, ${this.keyFields()},
        ${this.updatedAt} as ${this.col('dbt_updated_at')},
        ${this.updatedAt} as ${this.col('dbt_valid_from')},
        ${this.validToCurrent},
        ${this.scdId} as ${this.col('dbt_scd_id')}
    from snapshot_query
),`,
      `updates_source_data as (
    select *, ${this.keyFields()},
        ${this.updatedAt} as ${this.col('dbt_updated_at')},
        ${this.updatedAt} as ${this.col('dbt_valid_from')},
        ${this.updatedAt} as ${this.col('dbt_valid_to')}
    from snapshot_query
),`,
    ];
    if (hd !== 'ignore') parts.push(`deletes_source_data as (\n    select *, ${this.keyFields()}\n    from snapshot_query\n),`);
    parts.push(`insertions as (
    select 'insert' as dbt_change_type, source_data.*${newRecord ? `, 'False' as ${this.col('dbt_is_deleted')}` : ''}
    from insertions_source_data as source_data
    left outer join snapshotted_data on ${this.keyJoin('snapshotted_data', 'source_data')}
    where ${this.keyIsNull('snapshotted_data')}
       or (${this.keyIsNull('snapshotted_data', true)} and (${changed}${wasDeleted}))
),`);
    parts.push(`updates as (
    select 'update' as dbt_change_type, source_data.*, snapshotted_data.${this.col('dbt_scd_id')}${deletedCol('snapshotted_data')}
    from updates_source_data as source_data
    join snapshotted_data on ${this.keyJoin('snapshotted_data', 'source_data')}
    where (${changed}${wasDeleted})
)${hd === 'ignore' ? '' : ','}`);
    if (hd !== 'ignore') {
      parts.push(`deletes as (
    select 'delete' as dbt_change_type, source_data.*,
        ${now} as ${this.col('dbt_valid_from')},
        ${now} as ${this.col('dbt_updated_at')},
        ${now} as ${this.col('dbt_valid_to')},
        snapshotted_data.${this.col('dbt_scd_id')}${deletedCol('snapshotted_data')}
    from snapshotted_data
    left join deletes_source_data as source_data on ${this.keyJoin('snapshotted_data', 'source_data')}
    where ${this.keyIsNull('source_data')}${newRecord ? `\n      and ${notYetDeleted}` : ''}
)${newRecord ? ',' : ''}`);
    }
    if (newRecord) {
      const cols = queryColumns.map((c) => {
        const inTarget = targetColumns.find((t) => same(t.name, c));
        return inTarget ? `snapshotted_data.${this.dialect.quoteColumn(inTarget.name)}` : `source_data.${this.dialect.quoteColumn(c)}`;
      });
      parts.push(`deletion_records as (
    select 'insert' as dbt_change_type,
        ${[...cols, this.keyFields('snapshotted_data')].join(',\n        ')},
        ${now} as ${this.col('dbt_valid_from')},
        ${now} as ${this.col('dbt_updated_at')},
        snapshotted_data.${this.col('dbt_valid_to')} as ${this.col('dbt_valid_to')},
        ${this.hash([`snapshotted_data.${this.col('dbt_scd_id')}`, now])} as ${this.col('dbt_scd_id')},
        'True' as ${this.col('dbt_is_deleted')}
    from snapshotted_data
    left join deletes_source_data as source_data on ${this.keyJoin('snapshotted_data', 'source_data')}
    where ${this.keyIsNull('source_data')}
      and ${notYetDeleted}
)`);
    }
    const unions = ['insertions', 'updates', ...(hd !== 'ignore' ? ['deletes'] : []), ...(newRecord ? ['deletion_records'] : [])];
    return `${parts.join('\n')}\nselect * from ${unions.join('\nunion all\nselect * from ')}`;
  }

  /**
   * Snapshot column backfill (dbt-adapters simple_snapshot/test_snapshot_backfill.py, opted in with
   * the `dbt_snapshot_backfill_enabled` var and `backfill_new_columns`): every version of a row gets
   * the columns the query gained, from the row's CURRENT source values, matched on the unique key;
   * `backfill_audit_column` (text) gathers a JSON dict of each backfilled column and when.
   */
  private backfillStatements(added: CatalogColumn[], targetColumns: CatalogColumn[], b: Backfill): string[] {
    if (!added.length) return [];
    const d = this.dialect;
    const rel = this.node.relation;
    const out: string[] = [];
    const audit = this.node.config.backfill_audit_column as string | undefined;
    const auditCol = audit ? d.quoteIdentifier(audit) : undefined;
    // Named as written (like dbt's meta columns), not as a catalog name: quoteIdentifier, not addColumn's quoting.
    if (audit && !targetColumns.some((t) => same(t.name, audit))) out.push(`alter table ${d.qualify(rel)} add column ${auditCol} varchar`);
    const sets = added.map((c) => `${d.quoteColumn(c.name)} = DBT_INTERNAL_SOURCE.${d.quoteColumn(c.name)}`);
    if (auditCol) {
      const entries = d.stringLiteral(added.map((c) => `${JSON.stringify(c.name.toLowerCase())}: ${JSON.stringify(b.at)}`).join(', '));
      const cur = `DBT_INTERNAL_DEST.${auditCol}`;
      sets.push(
        `${auditCol} = case when ${cur} is null or ${cur} in ('', '{}') then '{' || ${entries} || '}' else substr(${cur}, 1, length(${cur}) - 1) || ', ' || ${entries} || '}' end`,
      );
    }
    const on = this.s.uniqueKey.map((k) => `DBT_INTERNAL_DEST.${k} = DBT_INTERNAL_SOURCE.${k}`).join(' and ');
    out.push(`update ${d.qualify(rel)} as DBT_INTERNAL_DEST
set ${sets.join(',\n    ')}
from (
${b.sql}
) as DBT_INTERNAL_SOURCE
where ${on}`);
    return out;
  }

  /**
   * What applies the staged changes: the columns the snapshot table lacks are added, then one
   * MERGE on dbt_scd_id closes changed rows and inserts new versions (snapshot_merge_sql); on
   * DuckDB an UPDATE and an INSERT, as dbt-duckdb does.
   */
  applyStatements(stagingColumns: CatalogColumn[], targetColumns: CatalogColumn[], backfill?: Backfill): string[] {
    const d = this.dialect;
    const rel = d.qualify(this.node.relation);
    const staging = d.qualify(stagingRelation(this.node));
    const copied = stagingColumns.filter((c) => !isBookkeeping(c.name));
    const missing = copied.filter((c) => !targetColumns.some((t) => same(t.name, c.name)));
    const added = [
      ...missing.map((c) => d.addColumn(this.node.relation, c.name, c.type)),
      ...(backfill ? this.backfillStatements(missing, targetColumns, backfill) : []),
    ];
    const cols = copied.map((c) => d.quoteColumn(c.name));
    const validTo = this.col('dbt_valid_to');
    const current = this.s.validToCurrent
      ? `(DBT_INTERNAL_DEST.${validTo} = ${this.s.validToCurrent} or DBT_INTERNAL_DEST.${validTo} is null)`
      : `DBT_INTERNAL_DEST.${validTo} is null`;
    if (d.snapshotUpdateInsert) {
      // dbt-duckdb's duckdb__snapshot_merge_sql: close the changed and deleted rows, then add the new versions.
      const scd = this.col('dbt_scd_id');
      const update = `update ${rel} as DBT_INTERNAL_DEST
set ${validTo} = DBT_INTERNAL_SOURCE.${validTo}
from ${staging} as DBT_INTERNAL_SOURCE
where DBT_INTERNAL_SOURCE.${scd}::text = DBT_INTERNAL_DEST.${scd}::text
  and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update', 'delete')
  and ${current}`;
      const insert = `insert into ${rel} (${cols.join(', ')})
select ${cols.map((c) => `DBT_INTERNAL_SOURCE.${c}`).join(', ')}
from ${staging} as DBT_INTERNAL_SOURCE
where DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'`;
      return [...added, update, insert];
    }
    // Only updates and deletes match: a row revived with its old updated_at has its old dbt_scd_id,
    // and must still be inserted (simple_snapshot/test_snapshot.py test_revives_are_captured_by_snapshot),
    // as dbt-duckdb's UPDATE + INSERT does.
    const merge = `merge into ${rel} as DBT_INTERNAL_DEST
using ${staging} as DBT_INTERNAL_SOURCE
on DBT_INTERNAL_SOURCE.${this.col('dbt_scd_id')} = DBT_INTERNAL_DEST.${this.col('dbt_scd_id')}
 and DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')
when matched
 and ${current}
 and DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')
    then update set ${validTo} = DBT_INTERNAL_SOURCE.${validTo}
when not matched
 and DBT_INTERNAL_SOURCE.dbt_change_type = 'insert'
    then insert (${cols.join(', ')})
    values (${cols.map((c) => `DBT_INTERNAL_SOURCE.${c}`).join(', ')})`;
    return [...added, merge];
  }
}

/** A column backfill asked for: the snapshot's query (its current rows) and the time it is recorded with. */
export interface Backfill {
  sql: string;
  /** ISO 8601 UTC, seconds, `Z`. */
  at: string;
}

/** Whether backfill can match rows: every unique_key is a plain column name (an expression cannot be qualified on both sides). */
export function canBackfill(node: SnapshotNode): boolean {
  return node.snapshot.uniqueKey.every((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k.trim()));
}

export function stagingRelation(node: SnapshotNode) {
  return tempRelation(node.relation, '__model_snap');
}

/** The first build of a snapshot: built aside and swapped in, like a table. */
export function planSnapshotBuild(node: SnapshotNode, sql: string, dialect: Dialect, existing: RelationType | null, custom?: CustomSnapshotStrategy): Plan {
  if (existing === 'view') {
    throw new ProjectError('project', `snapshot '${node.name}' would replace the view ${dialect.qualify(node.relation)}`, {
      location: { file: node.file },
      hint: 'a snapshot keeps history in a table: drop the view, or give the snapshot another name or schema',
    });
  }
  const tmp = tempRelation(node.relation);
  const select = new SnapshotSql(node, dialect, custom).buildSelect(sql);
  // Transient unless `transient: false`, as dbt-snowflake's create_table_as builds a snapshot's table.
  const kind = node.config.transient === false ? { transient: false } : {};
  return {
    statements: [dialect.createTableAs(tmp, select, kind), ...dialect.swapTable(tmp, node.relation, existing)],
    atomic: true,
    rowsFrom: 0,
    fullBuild: true,
  };
}

/** A snapshot table must carry dbt's columns to be merged into (adapter.assert_valid_snapshot_target_given_strategy). */
export function checkSnapshotTarget(node: SnapshotNode, dialect: Dialect, targetColumns: CatalogColumn[]): void {
  const names = node.snapshot.columnNames;
  const needed = [names.dbt_valid_from, names.dbt_valid_to, names.dbt_scd_id, names.dbt_updated_at];
  const missing = needed.filter((n) => !targetColumns.some((t) => same(t.name, n)));
  if (missing.length) {
    throw new ProjectError('project', `snapshot target is missing configured columns: ${dialect.qualify(node.relation)} has no ${missing.join(', ')}`, {
      location: { file: node.file },
      hint: 'a table of that name that no snapshot built is in the way; drop or rename it (or set snapshot_meta_column_names to the names it uses)',
    });
  }
}
