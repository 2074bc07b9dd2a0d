import { compileWithQueries } from '../compile/run-queries.js';
import { ProjectError } from '../core/errors.js';
import type { ModelNode } from '../parse/nodes.js';
import { strategyMacroFor, strategyMacroName } from '../plan/plan-incremental.js';
import { relationColumn } from '../templating/context/query-table.js';
import type { Connection } from '../warehouse/adapter.js';
import type { RelationName } from '../warehouse/dialect.js';
import { Relation } from '../warehouse/relation.js';
import type { ExecutionContext } from './context.js';

/**
 * A custom incremental strategy's SQL: the project's `get_incremental_<name>_sql(arg_dict)` rendered
 * with dbt's arg_dict (target_relation, temp_relation, unique_key, dest_columns, incremental_predicates;
 * dbt-adapters materializations/models/incremental/incremental.sql).
 */
export async function customStrategySql(
  ctx: ExecutionContext,
  node: ModelNode,
  conn: Connection,
  staging: RelationName,
  dest: { name: string; type: string }[],
): Promise<string> {
  const d = ctx.adapter.dialect;
  const rel = (r: RelationName) => {
    const out = new Relation(r.database, r.schema, r.identifier, d);
    out.type = 'table';
    return out;
  };
  const predicates = node.config.incremental_predicates ?? node.config.predicates ?? null;
  const argDict = {
    target_relation: rel(node.relation!),
    temp_relation: rel(staging),
    unique_key: node.config.unique_key ?? null,
    dest_columns: dest.map((c) => relationColumn(c.name, c.type, (id) => d.quoteColumn(id))),
    incremental_predicates: predicates,
  };
  const macro = strategyMacroName(node);
  // The model's own package's macro is called by its namespace; the root project's by its name.
  const call = strategyMacros(ctx, node)(macro)?.call ?? macro;
  const template = ctx.ws.engine.compile(node.file, `{{ ${call}(__model_arg_dict) }}`);
  const compiled = await compileWithQueries(
    ctx.ws,
    node,
    { template, existing: new Set(ctx.existing.keys()), extra: { __model_arg_dict: argDict }, log: (m) => ctx.options.reporter.info(m) },
    conn,
  );
  if (!compiled.sql.trim()) {
    throw new ProjectError('template', `${macro} rendered no SQL for incremental_strategy '${node.config.incremental_strategy}'`, {
      location: { file: node.file },
      hint: 'the macro should print (or return()) the statement that writes temp_relation into target_relation',
    });
  }
  return compiled.sql;
}

/** The `get_incremental_<name>_sql` macros the model sees: its own package's, then the root project's (strategyMacroFor). */
function strategyMacros(ctx: ExecutionContext, node: ModelNode) {
  return strategyMacroFor(node, ctx.ws.project.name, (pkg, name) => ctx.ws.engine.findMacro(pkg, name)?.info);
}

export function hasStrategyMacro(ctx: ExecutionContext, node: ModelNode): (name: string) => boolean {
  const find = strategyMacros(ctx, node);
  return (name) => find(name) !== undefined;
}
