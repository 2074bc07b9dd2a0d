import type { Connection } from '../warehouse/adapter.js';
import { ProjectError } from '../core/errors.js';
import type { Workspace } from '../graph/workspace.js';
import type { SqlNode } from '../parse/nodes.js';
import { redact } from '../core/secrets.js';
import { compileNode, type CompileContext, type CompiledNode } from './compile-node.js';
import { QueryCache } from './query-cache.js';

/** Renders pass until every query a template asked for has an answer (queries that depend on answers). */
const MAX_PASSES = 8;

/** compileNode, with `run_query()` answered from the warehouse over `conn`. */
export async function compileWithQueries(ws: Workspace, node: SqlNode, ctx: CompileContext, conn: Connection): Promise<CompiledNode> {
  const cache = new QueryCache();
  for (let pass = 1; ; pass++) {
    cache.missing = [];
    let compiled: CompiledNode | undefined;
    let error: unknown;
    const logs: string[] = [];
    try {
      compiled = compileNode(ws, node, { ...ctx, queries: cache, log: (m) => logs.push(m) });
    } catch (e) {
      error = e;
    }
    // A render that lacked an answer may fail on the empty stand-in: only the last word counts.
    if (cache.missing.length === 0) {
      for (const m of logs) (ctx.log ?? ((x: string) => process.stderr.write(`${x}\n`)))(m);
      if (compiled) return compiled;
      throw error;
    }
    if (pass >= MAX_PASSES) {
      throw new ProjectError('template', `run_query(): ${node.file} still asks for new queries after ${MAX_PASSES} renders`, {
        location: { file: node.file },
        hint: 'a query text that changes with each answer cannot be settled; build it from values that do not depend on its own result',
      });
    }
    for (const sql of cache.missing) {
      try {
        cache.set(sql, await conn.execute(sql));
      } catch (e) {
        const msg = redact(e instanceof Error ? e.message : String(e));
        throw new ProjectError('database', `run_query() failed: ${msg}`, { location: { file: node.file }, hint: `the query was:\n${redact(sql)}` });
      }
    }
  }
}

/**
 * compileNode for the commands that need no warehouse (compile, show's render): the node renders
 * offline, and only when a render asks the warehouse something (`run_query()`, a `statement`
 * block, `adapter.get_columns_in_relation()`: dbt_utils' `star`, `get_column_values`, `date_spine`)
 * is a connection opened, with `withConnection`, as dbt's compile and show open one. A node that
 * asks nothing gives exactly the SQL it gave before, with no connection; `asked` says whether it asked.
 */
export async function compileIntrospecting(
  ws: Workspace,
  node: SqlNode,
  ctx: CompileContext,
  withConnection: <T>(fn: (conn: Connection) => Promise<T>) => Promise<T>,
  trial: OfflineRender = renderOffline(ws, node, ctx),
): Promise<CompiledNode & { asked: boolean }> {
  if (!trial.asks) {
    for (const m of trial.logs) (ctx.log ?? ((x: string) => ws.engine.emitLog(x)))(m);
    if (trial.compiled) return { ...trial.compiled, asked: false };
    throw trial.error;
  }
  const answered = await withConnection((conn) => compileWithQueries(ws, node, ctx, conn));
  return { ...answered, asked: true };
}

/** A render with no warehouse: its result or error, whether it asked the warehouse something, and the logs it held back. */
export interface OfflineRender {
  compiled?: CompiledNode;
  error?: unknown;
  asks: boolean;
  logs: string[];
}

/** Renders a node offline, recording (not running) what it asks the warehouse; see compileIntrospecting. */
export function renderOffline(ws: Workspace, node: SqlNode, ctx: CompileContext): OfflineRender {
  const queries = new QueryCache();
  const logs: string[] = [];
  let compiled: CompiledNode | undefined;
  let error: unknown;
  try {
    compiled = compileNode(ws, node, { ...ctx, queries, log: (m) => logs.push(m) });
  } catch (e) {
    error = e;
  }
  return { compiled, error, asks: queries.missing.length > 0, logs };
}
