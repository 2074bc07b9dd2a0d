import { compileWithQueries } from '../compile/run-queries.js';
import { ProjectError } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import { writeNodeSql } from '../core/target-files.js';
import type { ModelNode } from '../parse/nodes.js';
import { microbatchWindows, planIncrementalWrite } from '../plan/plan-incremental.js';
import { builtKind, planModel } from '../plan/plan-model.js';
import { tempRelation } from '../plan/plan.js';
import type { Connection } from '../warehouse/adapter.js';
import type { RelationName } from '../warehouse/dialect.js';
import { relationKey } from '../warehouse/relation.js';
import { type ExecutionContext, recordBuilt } from './context.js';
import { runNodeHooks } from './hooks.js';
import type { NodeResult } from './results.js';

/**
 * An incremental model with `incremental_strategy='microbatch'`: one render and one write per batch
 * window, oldest first, each reading only its window of the upstream nodes that have an `event_time`.
 * The first batch of a first run (or of a full refresh) builds the table; every later one replaces
 * its window's rows, atomically. A failed batch stops the model; the batches before it stay written.
 */
export async function runMicrobatch(ctx: ExecutionContext, node: ModelNode, conn: Connection): Promise<Partial<NodeResult>> {
  const d = ctx.adapter.dialect;
  const rel = node.relation!;
  const key = relationKey(rel);
  const fullRefresh = (ctx.options.fullRefresh && node.config.full_refresh !== false) || node.config.full_refresh === true;
  let existing = ctx.existing.get(key) ?? null;
  let built = existing === 'table' && !fullRefresh;
  const windows = microbatchWindows(node, new Date(), built, ctx.options.eventTime);
  const columnsOf = async (r: RelationName) =>
    (await conn.execute(d.listColumnTypesSql(r))).rows.map((row) => ({ name: String(row[0]), type: String(row[1]) }));
  await runNodeHooks(ctx, node, 'pre-hook', conn);
  let rows = 0;
  let sql = '';
  let compiledPath = '';
  for (const [i, batch] of windows.entries()) {
    const known = new Set(ctx.existing.keys());
    if (!built) known.delete(key);
    const compiled = await compileWithQueries(ctx.ws, node, { existing: known, fullRefresh: false, batch, log: (m) => ctx.options.reporter.info(m) }, conn);
    sql = compiled.sql;
    compiledPath = writeNodeSql(ctx.ws.project, 'compiled', node.file, sql);
    const staging = tempRelation(rel, '__model_incr');
    try {
      if (!built) {
        const existingKind = existing === 'table' ? ctx.kinds.get(key) : undefined;
        const plan = planModel({ ...node, materialized: 'table' }, sql, d, { existing, fullRefresh: true, ...(existingKind ? { existingKind } : {}) });
        const results = await conn.executeAtomic(plan.statements);
        rows += results[0]?.rowsAffected ?? 0;
        existing = 'table';
        recordBuilt(ctx, key, 'table', builtKind(node));
        built = true;
        continue;
      }
      const target = await columnsOf(rel);
      await conn.execute(d.createTableAs(staging, sql));
      const plan = planIncrementalWrite(node, d, 'microbatch', staging, target, await columnsOf(staging), batch);
      writeNodeSql(ctx.ws.project, 'run', node.file, plan.statements.join(';\n\n'));
      const results = await conn.executeAtomic(plan.statements);
      rows += results[plan.rowsFrom ?? 0]?.rowsAffected ?? 0;
    } catch (e) {
      await conn.execute(d.drop(staging, 'table')).catch(() => undefined);
      const done = i === 0 ? 'no batch was written' : `batches before ${batch.start} are written`;
      if (e instanceof ProjectError) throw e;
      throw new ProjectError('database', redact(e instanceof Error ? e.message : String(e)), {
        location: { file: node.file },
        hint: `in the batch from ${batch.start} to ${batch.end} (${done}); the compiled SQL is in ${compiledPath}`,
      });
    }
  }
  await runNodeHooks(ctx, node, 'post-hook', conn);
  return {
    message: `INSERT (${rows} rows in ${windows.length} batch${windows.length === 1 ? '' : 'es'})`,
    rows,
    compiledSql: sql,
    compiledPath,
    relationName: d.qualify(rel),
  };
}
