import type { Connection } from '../warehouse/adapter.js';
import { compileWithQueries } from '../compile/run-queries.js';
import { ProjectError } from '../core/errors.js';
import type { Workspace } from '../graph/workspace.js';
import { standInModel, type ModelNode, type SeedNode, type SnapshotNode } from '../parse/nodes.js';
import type { CompiledTemplate } from '../templating/template-engine.js';
import { asList } from '../project/folder-config.js';
import type { HookConfig } from '../project/schemas.js';
import { redact } from '../core/secrets.js';
import type { ExecutionContext } from './context.js';
import type { NodeResult } from './results.js';

type NodeHook = 'pre-hook' | 'post-hook';
type ProjectHook = 'on-run-start' | 'on-run-end';

/** The SQL texts of a hook config: a string, `{sql: …}`, or a list of either. */
export function hookTexts(value: HookConfig | undefined): string[] {
  return asList(value)
    .map((h) => (typeof h === 'string' ? h : h.sql))
    .filter((t) => t.trim() !== '');
}

/** A hook's text as a model-shaped node, so it renders with the node's `this`, refs and config. */
function hookNode(
  ws: Workspace,
  base: Partial<ModelNode> & Pick<ModelNode, 'uniqueId' | 'name' | 'file'>,
  text: string,
  label: string,
): { node: ModelNode; template: CompiledTemplate } {
  let template: CompiledTemplate;
  try {
    template = ws.engine.compile(base.file, text);
  } catch (e) {
    throw relabel(e, label, base.file, text);
  }
  return { node: standInModel(ws.project.name, { ...base, rawSql: text }), template };
}

function relabel(e: unknown, label: string, file: string, text: string): unknown {
  if (!(e instanceof ProjectError)) return e;
  // Lines inside a hook's text do not match the file it came from: name the hook instead.
  return new ProjectError(e.kind, `${label}: ${e.message}`, { location: { file }, hint: e.hint ?? `the hook is: ${text.trim()}` });
}

async function runHook(
  ws: Workspace,
  ctx: ExecutionContext,
  { node, template }: { node: ModelNode; template: CompiledTemplate },
  label: string,
  conn: Connection,
  extra?: Record<string, unknown>,
): Promise<void> {
  let sql: string;
  try {
    sql = (
      await compileWithQueries(
        ws,
        node,
        {
          template,
          existing: new Set(ctx.existing.keys()),
          fullRefresh: ctx.options.fullRefresh,
          extra: ctx.threadId ? { thread_id: ctx.threadId, ...extra } : extra,
          log: (m) => ctx.options.reporter.info(m),
        },
        conn,
      )
    ).sql;
  } catch (e) {
    throw relabel(e, label, node.file, node.rawSql);
  }
  if (!sql.trim()) return;
  try {
    await conn.execute(sql);
  } catch (e) {
    const msg = redact(e instanceof Error ? e.message : String(e));
    throw new ProjectError('database', `${label} failed: ${msg}`, { location: { file: node.file }, hint: `the hook's SQL was:\n${redact(sql)}` });
  }
}

/** Runs a model's or seed's `pre-hook`s or `post-hook`s on its own connection, in order. */
export async function runNodeHooks(ctx: ExecutionContext, node: ModelNode | SeedNode | SnapshotNode, which: NodeHook, conn: Connection): Promise<void> {
  const texts = hookTexts(node.config[which] as HookConfig | undefined);
  for (const [i, text] of texts.entries()) {
    const base = { ...(node as ModelNode), materialized: node.resourceType === 'model' ? node.materialized : 'table' } as ModelNode;
    const label = `${which}${texts.length > 1 ? ` #${i + 1}` : ''} of ${node.resourceType} ${node.name}`;
    await runHook(ctx.ws, ctx, hookNode(ctx.ws, base, text, label), label, conn);
  }
}

/** Runs the project's `on-run-start` or `on-run-end` hooks once, in order; `results` feeds on-run-end. */
export async function runProjectHooks(ctx: ExecutionContext, which: ProjectHook, results: NodeResult[] = []): Promise<void> {
  const { ws } = ctx;
  const project = ws.project;
  const texts = hookTexts(project.config[which] as HookConfig | undefined);
  if (!texts.length) return;
  ctx.options.reporter.info(`Running ${texts.length} ${which} hook${texts.length === 1 ? '' : 's'}`);
  const relations = results.map((r) => r.node.relation).filter((r) => r !== undefined);
  const extra = {
    schemas: [...new Set(relations.map((r) => r.schema))],
    database_schemas: [...new Map(relations.map((r) => [`${r.database}.${r.schema}`, [r.database, r.schema]])).values()],
    results: results.map((r) => ({
      node: { unique_id: r.node.uniqueId, name: r.node.name, resource_type: r.node.resourceType },
      status: r.status,
      message: r.message,
      failures: r.failures ?? null,
      execution_time: (r.completedAt.getTime() - r.startedAt.getTime()) / 1000,
    })),
  };
  await ctx.adapter.withConnection(async (conn) => {
    for (const [i, text] of texts.entries()) {
      const name = `${project.name}-${which}-${i}`;
      const label = `${which}${texts.length > 1 ? ` #${i + 1}` : ''} in ${project.file}`;
      await runHook(ws, ctx, hookNode(ws, { uniqueId: `operation.${project.name}.${name}`, name, file: project.file }, text, label), label, conn, extra);
    }
  });
}

/**
 * dbt's `persist_docs(relation, model)` after a node is built (dbt-adapters' table, view,
 * incremental, seed and snapshot materializations call it after the post-hooks): when its
 * `persist_docs` config sets `relation` or `columns`, the node's description and its documented
 * columns' descriptions become the warehouse's comments. Rendered as a hook, so a project's
 * `persist_docs` / `alter_relation_comment` / `alter_column_comment` macro decides, as in dbt.
 */
export async function runPersistDocs(ctx: ExecutionContext, node: ModelNode | SeedNode | SnapshotNode, conn: Connection): Promise<void> {
  const config = node.config as { persist_docs?: { relation?: unknown; columns?: unknown } };
  const wanted = config.persist_docs;
  if (!wanted || (wanted.relation !== true && wanted.columns !== true)) return;
  if (!node.description && !node.columns.some((c) => c.description)) return;
  const base = { ...(node as ModelNode), materialized: node.resourceType === 'model' ? node.materialized : 'table' } as ModelNode;
  const label = `persist_docs of ${node.resourceType} ${node.name}`;
  const model = {
    name: node.name,
    unique_id: node.uniqueId,
    description: node.description,
    columns: Object.fromEntries(node.columns.map((c) => [c.name, { name: c.name, description: c.description ?? '', quote: c.quote ?? false }])),
  };
  await runHook(ctx.ws, ctx, hookNode(ctx.ws, base, '{% do persist_docs(this, model) %}', label), label, conn, { model });
}
