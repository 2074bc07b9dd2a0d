import type { Dialect, RelationName, RelationType } from '../warehouse/dialect.js';
import { type Plan, tempRelation } from './plan.js';
import type { ModelNode } from '../parse/nodes.js';
import { incrementalStrategy, needsStaging, planIncrementalWrite } from './plan-incremental.js';

export interface PlanContext {
  /** The type of the relation already in the warehouse at the node's name, if any. */
  existing: RelationType | null;
  fullRefresh: boolean;
  /**
   * The existing table's columns, in order: what an incremental run inserts and merges (the
   * runner reads them for an incremental model whose table exists).
   */
  columns?: string[];
}

/**
 * Materializations as pure functions of (node, compiled SQL, dialect, warehouse state).
 * Tables are built under a temporary name and swapped in, so readers never see a missing or
 * half-built table and a failure leaves the previous one in place.
 */
export function planModel(node: ModelNode, sql: string, dialect: Dialect, ctx: PlanContext): Plan {
  const rel = node.relation!;
  switch (node.materialized) {
    case 'view': {
      const statements: string[] = [];
      if (ctx.existing === 'table') statements.push(dialect.drop(rel, 'table'));
      statements.push(dialect.createViewAs(rel, sql));
      return { statements, atomic: statements.length > 1 };
    }
    case 'table':
      return planTable(rel, sql, dialect, ctx.existing);
    case 'incremental': {
      const fullRefresh = ctx.fullRefresh && node.config.full_refresh !== false;
      if (ctx.existing !== 'table' || fullRefresh || node.config.full_refresh === true) {
        return { ...planTable(rel, sql, dialect, ctx.existing), fullBuild: true };
      }
      return planIncremental(node, rel, sql, dialect, ctx.columns);
    }
    case 'ephemeral':
      return { statements: [], atomic: false };
  }
}

function planTable(rel: RelationName, sql: string, dialect: Dialect, existing: RelationType | null): Plan {
  const tmp = tempRelation(rel);
  return {
    statements: [dialect.createTableAs(tmp, sql), ...dialect.swapTable(tmp, rel, existing)],
    atomic: true,
    rowsFrom: 0,
  };
}

function planIncremental(node: ModelNode, rel: RelationName, sql: string, dialect: Dialect, columns: string[] | undefined): Plan {
  const strategy = incrementalStrategy(node, dialect);
  if (!needsStaging(node, strategy)) return { statements: [dialect.insertByName(rel, sql, columns)], atomic: false, rowsFrom: 0 };
  // Without the warehouse's answer, the new rows are taken to have the table's columns.
  const cols = (columns ?? []).map((name) => ({ name, type: '' }));
  const staging = tempRelation(rel, '__model_incr');
  const write = planIncrementalWrite(node, dialect, strategy, staging, cols, cols);
  return { statements: [dialect.createTableAs(staging, sql), ...write.statements], atomic: true, rowsFrom: (write.rowsFrom ?? 0) + 1 };
}
