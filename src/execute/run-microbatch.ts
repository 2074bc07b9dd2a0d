import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileWithQueries } from '../compile/run-queries.js';
import { positionOf, ProjectError } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import { writeNodeSql } from '../core/target-files.js';
import type { ModelNode } from '../parse/nodes.js';
import { type BatchWindow, destColumns, microbatchWindows, planIncrementalWrite } from '../plan/plan-incremental.js';
import { builtKind, planModel } from '../plan/plan-model.js';
import { tempRelation } from '../plan/plan.js';
import { PyDateTime } from '../templating/context/py-datetime.js';
import type { Connection } from '../warehouse/adapter.js';
import type { RelationName } from '../warehouse/dialect.js';
import { relationKey } from '../warehouse/relation.js';
import { type ExecutionContext, recordBuilt } from './context.js';
import { customStrategySql } from './custom-strategy.js';
import { runNodeHooks } from './hooks.js';
import type { BatchSpan, NodeResult } from './results.js';

const CUSTOM_MICROBATCH_MACRO = 'get_incremental_microbatch_sql';
const BATCHED_FLAG = 'require_batched_execution_for_custom_microbatch_strategy';

/** The root project's own `get_incremental_microbatch_sql`, if it defines one (a package's is not used, as dbt's dispatch). */
function customMicrobatchMacro(ctx: ExecutionContext): { file: string } | undefined {
  const info = ctx.ws.engine.macros.get(CUSTOM_MICROBATCH_MACRO);
  return info && info.package === undefined && !info.file.startsWith('<') ? info : undefined;
}

/**
 * Whether a microbatch model runs batch by batch, as dbt-core's Manifest.use_microbatch_batches
 * decides: yes with the built-in strategy; with the project's own `get_incremental_microbatch_sql`
 * only when dbt_project.yml sets `flags: {require_batched_execution_for_custom_microbatch_strategy:
 * true}`, else that macro writes the whole model's new rows at once, as an incremental model's
 * custom strategy (dbt's deprecated behaviour, warned about once per run).
 */
export function usesBatches(ctx: ExecutionContext, node: ModelNode): boolean {
  const custom = customMicrobatchMacro(ctx);
  if (!custom || ctx.ws.project.config.flags?.[BATCHED_FLAG] === true) return true;
  if (!warnedCustomMicrobatch.has(ctx)) {
    warnedCustomMicrobatch.add(ctx);
    ctx.options.reporter.warn(
      `${macroSite(ctx, custom.file)}: ${CUSTOM_MICROBATCH_MACRO} runs on the whole of ${node.file}, not per batch: a custom microbatch macro outside of batched execution is deprecated in dbt. ` +
        `Set flags: {${BATCHED_FLAG}: true} in ${ctx.ws.project.file} to run it once per batch`,
    );
  }
  return false;
}
const warnedCustomMicrobatch = new WeakSet<ExecutionContext>();

/** `file:line` of the macro's `{% macro … %}` tag (the file alone when it cannot be read). */
function macroSite(ctx: ExecutionContext, file: string): string {
  try {
    const text = readFileSync(path.join(ctx.ws.project.dir, file), 'utf8');
    const at = new RegExp(`\\{%-?\\s*macro\\s+${CUSTOM_MICROBATCH_MACRO}\\b`).exec(text);
    return at ? `${file}:${positionOf(text, at.index).line}` : file;
  } catch {
    return file;
  }
}

const instant = (stamp: string) => Date.parse(`${stamp.replace(' ', 'T')}Z`);

/** A batch as run_results.json records it (dbt serialises its aware datetimes with isoformat()). */
export function batchSpan(w: BatchWindow): BatchSpan {
  return [`${w.start.replace(' ', 'T')}+00:00`, `${w.end.replace(' ', 'T')}+00:00`];
}

/** The batch window of a recorded span (`dbt retry` re-runs the failed ones). */
export function spanWindow([start, end]: BatchSpan): BatchWindow {
  const stamp = (t: string) => new Date(t).toISOString().slice(0, 19).replace('T', ' ');
  return { start: stamp(start), end: stamp(end) };
}

/** MicrobatchBuilder.batch_id: the batch's start as `%Y%m%d`, with `T%H` for hourly batches. */
function batchId(node: ModelNode, w: BatchWindow): string {
  const [date, time] = w.start.split(' ');
  return `${date!.replaceAll('-', '')}${node.config.batch_size === 'hour' ? `T${time!.slice(0, 2)}` : ''}`;
}

function batchFile(node: ModelNode, w: BatchWindow): string {
  return node.file.replace(/\.sql$/i, `/${node.name}_${batchId(node, w)}.sql`);
}

/** `model` in a batch's render: dbt's `model.batch` (BatchContext) and the legacy config keys of the window. */
function batchModel(node: ModelNode, w: BatchWindow): Record<string, unknown> {
  const start = new PyDateTime(instant(w.start), true);
  const end = new PyDateTime(instant(w.end), true);
  return {
    name: node.name,
    unique_id: node.uniqueId,
    config: { ...node.config, __dbt_internal_microbatch_event_time_start: start, __dbt_internal_microbatch_event_time_end: end },
    batch: { id: batchId(node, w), event_time_start: start, event_time_end: end },
  };
}

/**
 * An incremental model with `incremental_strategy='microbatch'`, as dbt-core's MicrobatchModelRunner
 * runs it (task/run.py): one render and one write per batch window, oldest first, each reading only
 * its window of the upstream nodes that have an `event_time`. The first batch of a first run (or of a
 * full refresh) builds the table; every later one replaces its window's rows, atomically. A failed
 * batch does not stop the others, except the first: when it fails the rest are skipped. Some batches
 * failed is `partial success`, all of them `error`; `batch_results` records which. Pre-hooks run
 * before the first batch, post-hooks after the last one when it succeeded. Under `model retry`, only
 * the batches that failed before run again.
 */
export async function runMicrobatch(ctx: ExecutionContext, node: ModelNode, conn: Connection): Promise<Partial<NodeResult>> {
  const d = ctx.adapter.dialect;
  const rel = node.relation!;
  const key = relationKey(rel);
  const fullRefresh = (ctx.options.fullRefresh && node.config.full_refresh !== false) || node.config.full_refresh === true;
  let existing = ctx.existing.get(key) ?? null;
  const previous = ctx.options.retryBatches?.get(node.uniqueId);
  let built = existing === 'table' && (!fullRefresh || !!previous);
  const windows = previous ? previous.failed.map(spanWindow) : microbatchWindows(node, new Date(), built, ctx.options.eventTime);
  const columnsOf = async (r: RelationName) =>
    (await conn.execute(d.listColumnTypesSql(r))).rows.map((row) => ({ name: String(row[0]), type: String(row[1]) }));
  await runNodeHooks(ctx, node, 'pre-hook', conn);
  let rows = 0;
  let sql = '';
  let compiledPath = '';
  const successful: BatchWindow[] = [];
  const failed: BatchWindow[] = [];
  const errors: ProjectError[] = [];

  const runBatch = async (batch: BatchWindow) => {
    const known = new Set(ctx.existing.keys());
    if (!built) known.delete(key);
    const extra = { model: batchModel(node, batch), ...(ctx.threadId ? { thread_id: ctx.threadId } : {}) };
    const compiled = await compileWithQueries(
      ctx.ws,
      node,
      { existing: known, fullRefresh: false, batch, extra, log: (m) => ctx.options.reporter.info(m) },
      conn,
    );
    sql = compiled.sql;
    // Each batch's SQL in a file of its own, as dbt's split_suffix does (models/x/x_20240101.sql).
    writeNodeSql(ctx.ws.project, 'compiled', node.file, sql);
    compiledPath = writeNodeSql(ctx.ws.project, 'compiled', batchFile(node, batch), sql);
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
        return;
      }
      const target = await columnsOf(rel);
      await conn.execute(d.createTableAs(staging, sql));
      const staged = await columnsOf(staging);
      // The project's get_incremental_microbatch_sql writes the batch's rows (its arg_dict's temp_relation).
      const custom = customMicrobatchMacro(ctx) ? await customStrategySql(ctx, node, conn, staging, destColumns(node, target, staged)) : undefined;
      const plan = custom
        ? planIncrementalWrite(node, d, 'custom', staging, target, staged, batch, custom)
        : planIncrementalWrite(node, d, 'microbatch', staging, target, staged, batch);
      writeNodeSql(ctx.ws.project, 'run', batchFile(node, batch), plan.statements.join(';\n\n'));
      const results = await conn.executeAtomic(plan.statements);
      rows += results[plan.rowsFrom ?? 0]?.rowsAffected ?? 0;
    } catch (e) {
      await conn.execute(d.drop(staging, 'table')).catch(() => undefined);
      throw e;
    }
  };

  for (const [i, batch] of windows.entries()) {
    // dbt skips every other batch when the first one fails (the table may not even exist).
    if (i > 0 && successful.length === 0) {
      failed.push(batch);
      continue;
    }
    try {
      await runBatch(batch);
      successful.push(batch);
    } catch (e) {
      failed.push(batch);
      const where = `in the batch from ${batch.start} to ${batch.end}`;
      errors.push(
        e instanceof ProjectError
          ? new ProjectError(e.kind, e.message, { location: e.location, hint: e.hint ? `${where}; ${e.hint}` : where })
          : new ProjectError('database', redact(e instanceof Error ? e.message : String(e)), {
              location: { file: node.file },
              hint: `${where}; the compiled SQL is in ${compiledPath}`,
            }),
      );
    }
  }
  const last = windows[windows.length - 1];
  if (!last || successful.includes(last)) await runNodeHooks(ctx, node, 'post-hook', conn);

  const batchResults = {
    successful: [...successful.map(batchSpan), ...(previous?.successful ?? [])].sort((a, b) => a[0].localeCompare(b[0])),
    failed: failed.map(batchSpan),
  };
  const common = { rows, compiledSql: sql, compiledPath, relationName: d.qualify(rel), batchResults };
  const n = windows.length;
  if (!failed.length) return { ...common, message: `INSERT (${rows} rows in ${n} batch${n === 1 ? '' : 'es'})` };
  const skipped = failed.length - errors.length;
  const details = [
    ...errors.slice(1).map((e) => `also ${e.hint?.split(';')[0] ?? 'in another batch'}: ${e.message}`),
    ...(skipped ? [`${skipped} later batch${skipped === 1 ? ' was' : 'es were'} skipped after the first one failed`] : []),
    'model retry runs the failed batches again',
  ];
  if (!successful.length) return { ...common, status: 'error', message: errors[0]!.message, error: errors[0], details };
  return { ...common, status: 'partial success', message: `PARTIAL SUCCESS (${successful.length}/${n})`, error: errors[0], details };
}
