import { compileWithQueries } from '../compile/run-queries.js';
import { ProjectError } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import { writeNodeSql } from '../core/target-files.js';
import type { SnapshotNode } from '../parse/nodes.js';
import { snapshotSqlFile } from '../parse/snapshots.js';
import {
  type Backfill,
  type CatalogColumn,
  canBackfill,
  checkSnapshotTarget,
  type CustomSnapshotStrategy,
  planSnapshotBuild,
  SnapshotSql,
  stagingRelation,
} from '../plan/plan-snapshot.js';
import type { Connection } from '../warehouse/adapter.js';
import type { RelationName } from '../warehouse/dialect.js';
import { relationKey } from '../warehouse/relation.js';
import type { ExecutionContext } from './context.js';
import { runNodeHooks, runPersistDocs } from './hooks.js';
import type { NodeResult } from './results.js';

async function catalogColumns(ctx: ExecutionContext, conn: Connection, rel: RelationName): Promise<CatalogColumn[]> {
  const r = await conn.execute(ctx.adapter.dialect.listColumnTypesSql(rel));
  return r.rows.map((row) => ({ name: String(row[0]), type: String(row[1]) }));
}

/**
 * Runs a snapshot as dbt's snapshot materialization does: the first run builds the table (each row
 * current); later runs stage the changes, add the columns the query gained, and MERGE them in.
 * Nothing is changed when a statement fails: DuckDB runs the changes in one transaction, and on
 * Snowflake the only write to the snapshot table after the columns is the one MERGE statement.
 */
export async function runSnapshot(ctx: ExecutionContext, node: SnapshotNode, conn: Connection): Promise<Partial<NodeResult>> {
  const d = ctx.adapter.dialect;
  const rel = node.relation;
  const key = relationKey(rel);
  const compiled = await compileWithQueries(ctx.ws, node, { existing: new Set(ctx.existing.keys()), log: (m) => ctx.options.reporter.info(m) }, conn);
  const compiledPath = writeNodeSql(ctx.ws.project, 'compiled', snapshotSqlFile(node), compiled.sql);
  const existing = ctx.existing.get(key) ?? null;
  const fail = (e: unknown): never => {
    if (e instanceof ProjectError) throw e;
    throw new ProjectError('database', redact(e instanceof Error ? e.message : String(e)), {
      location: { file: node.file },
      hint: `the compiled SQL is in ${compiledPath}`,
    });
  };
  await runNodeHooks(ctx, node, 'pre-hook', conn);
  const custom = node.snapshot.strategy === 'custom' ? await customStrategy(ctx, node, conn, existing === 'table') : undefined;
  let rows: number | undefined;
  let verb: string;
  if (existing !== 'table') {
    const plan = planSnapshotBuild(node, compiled.sql, d, existing, custom);
    writeNodeSql(ctx.ws.project, 'run', snapshotSqlFile(node), plan.statements.join(';\n\n'));
    const results = await conn.executeAtomic(plan.statements).catch(fail);
    rows = results[0]?.rowsAffected;
    verb = 'SELECT';
  } else {
    const snap = new SnapshotSql(node, d, custom);
    const staging = stagingRelation(node);
    let targetColumns: CatalogColumn[] = [];
    let queryColumns: string[] = [];
    let stagingColumns: CatalogColumn[] = [];
    const statements: string[] = [];
    try {
      targetColumns = await catalogColumns(ctx, conn, rel);
      checkSnapshotTarget(node, d, targetColumns);
      queryColumns = (await conn.execute(`select * from (\n${compiled.sql}\n) as snapshot_query where 1 = 0`)).columns.map((c) => c.name);
      const select = snap.stagingSelect(compiled.sql, d.qualify(rel), queryColumns, targetColumns);
      statements.push(d.createTableAs(staging, select));
      await conn.execute(statements[0]!);
      stagingColumns = await catalogColumns(ctx, conn, staging);
      const backfill = await backfillAsked(ctx, node, conn, compiled.sql, stagingColumns, targetColumns);
      const apply = [...snap.applyStatements(stagingColumns, targetColumns, backfill), d.drop(staging, 'table')];
      statements.push(...apply);
      writeNodeSql(ctx.ws.project, 'run', snapshotSqlFile(node), statements.join(';\n\n'));
      const results = await conn.executeAtomic(apply);
      rows = results[results.length - 2]?.rowsAffected;
    } catch (e) {
      await conn.execute(d.drop(staging, 'table')).catch(() => undefined);
      fail(e);
    }
    verb = 'MERGE';
  }
  ctx.existing.set(key, 'table');
  await runNodeHooks(ctx, node, 'post-hook', conn);
  await runPersistDocs(ctx, node, conn);
  return {
    message: rows !== undefined ? `${verb} ${rows}` : verb,
    rows,
    compiledSql: compiled.sql,
    compiledPath,
    relationName: d.qualify(rel),
  };
}

const SEPARATOR = '\n-- model: strategy field --\n';

/**
 * A custom snapshot strategy, as dbt's strategy_dispatch calls it: the project's
 * `snapshot_<name>_strategy(node, snapshotted_rel, current_rel, model_config, target_exists)`,
 * whose returned dict gives updated_at, scd_id and row_changed (strategies.sql).
 */
async function customStrategy(ctx: ExecutionContext, node: SnapshotNode, conn: Connection, targetExists: boolean): Promise<CustomSnapshotStrategy> {
  const name = node.snapshot.customStrategy!;
  const macro = `snapshot_${name}_strategy`;
  // Each field printed on its own (a macro's output is markup, not a plain string, so no tojson).
  const fields = ['updated_at', 'scd_id', 'row_changed'] as const;
  const call = `${macro}(__model_node, 'snapshotted_data', 'source_data', __model_config, __model_target_exists)`;
  const text = `{% set __model_strategy = ${call} %}${fields.map((f) => `{{ __model_strategy.get('${f}', '') }}`).join(SEPARATOR)}`;
  const template = ctx.ws.engine.compile(node.file, text);
  const extra = {
    __model_node: { name: node.name, unique_id: node.uniqueId, resource_type: 'snapshot', config: node.config },
    __model_config: node.config,
    __model_target_exists: targetExists,
  };
  const compiled = await compileWithQueries(
    ctx.ws,
    node,
    { template, extra, existing: new Set(ctx.existing.keys()), log: (m) => ctx.options.reporter.info(m) },
    conn,
  );
  const parts = compiled.sql.split(SEPARATOR).map((t) => t.trim());
  const dict = Object.fromEntries(fields.map((f, i) => [f, parts[i] ?? '']));
  const missing = fields.filter((k) => !dict[k]);
  if (missing.length) {
    throw new ProjectError('template', `${macro} must return() a dict with ${missing.join(', ')} for snapshot '${node.name}'`, {
      location: { file: node.file },
      hint: 'as dbt\'s snapshot_timestamp_strategy does: {"unique_key": …, "updated_at": …, "row_changed": …, "scd_id": …}, SQL written against snapshotted_rel and current_rel',
    });
  }
  return { updatedAt: dict.updated_at!, scdId: dict.scd_id!, rowChanged: dict.row_changed! };
}

/**
 * A snapshot column backfill, when both switches are on (the `dbt_snapshot_backfill_enabled` var and
 * the snapshot's `backfill_new_columns`) and the query gained columns; dbt's warning says what it does.
 */
async function backfillAsked(
  ctx: ExecutionContext,
  node: SnapshotNode,
  conn: Connection,
  sql: string,
  stagingColumns: CatalogColumn[],
  targetColumns: CatalogColumn[],
): Promise<Backfill | undefined> {
  const mode = node.config.backfill_new_columns;
  if (mode !== true && mode !== 'source') return undefined;
  const gained = stagingColumns.filter(
    (c) => !/^dbt_change_type$|^dbt_unique_key(_\d+)?$/i.test(c.name) && !targetColumns.some((t) => t.name.toLowerCase() === c.name.toLowerCase()),
  );
  if (!gained.length) return undefined;
  const template = ctx.ws.engine.compile(node.file, "{{ var('dbt_snapshot_backfill_enabled', False) }}");
  const flag = (await compileWithQueries(ctx.ws, node, { template, existing: new Set(ctx.existing.keys()) }, conn)).sql.trim();
  if (!/^true$/i.test(flag)) return undefined;
  const names = gained.map((c) => c.name.toLowerCase()).join(', ');
  if (!canBackfill(node)) {
    ctx.options.reporter.warn(
      `${node.file}: snapshot '${node.name}' does not backfill [${names}]: its unique_key is an expression, and backfill matches rows on key columns`,
    );
    return undefined;
  }
  ctx.options.reporter.warn(
    `Backfilling ${gained.length} new column(s) [${names}] in snapshot '${node.name}'. Historical rows will be populated with CURRENT source values, not point-in-time historical values.`,
  );
  return { sql, at: `${new Date().toISOString().slice(0, 19)}Z` };
}
