import type { Dialect, RelationName, RelationType } from '../warehouse/dialect.js';
import { type Plan, tempRelation } from './plan.js';
import type { ModelNode } from '../parse/nodes.js';
import { incrementalStrategy, needsStaging, planIncrementalWrite } from './plan-incremental.js';
import { asList } from '../project/folder-config.js';

export interface PlanContext {
  /** The type of the relation already in the warehouse at the node's name, if any. */
  existing: RelationType | null;
  fullRefresh: boolean;
  /**
   * The existing table's columns, in order: what an incremental run inserts and merges (the
   * runner reads them for an incremental model whose table exists).
   */
  columns?: string[];
  /** The existing relation's grants (privilege -> roles, without OWNERSHIP), read when they matter: copy_grants, or a table kept in place. */
  currentGrants?: Record<string, string[]>;
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
      statements.push(dialect.createViewAs(rel, sql), ...grantsOf(node, rel, 'view', dialect));
      return { statements, atomic: statements.length > 1 };
    }
    case 'table':
      return planTable(node, rel, sql, dialect, ctx.existing, ctx.currentGrants);
    case 'incremental': {
      const fullRefresh = ctx.fullRefresh && node.config.full_refresh !== false;
      if (ctx.existing !== 'table' || fullRefresh || node.config.full_refresh === true) {
        return { ...planTable(node, rel, sql, dialect, ctx.existing, ctx.currentGrants), fullBuild: true };
      }
      return planIncremental(node, rel, sql, dialect, ctx.columns, ctx.currentGrants);
    }
    case 'ephemeral':
      return { statements: [], atomic: false };
  }
}

/** The configured grants: privilege -> roles, empty entries dropped. */
function configuredGrants(node: ModelNode): Record<string, string[]> {
  const raw = node.config.grants;
  const grants: Record<string, string[]> = {};
  if (!raw || typeof raw !== 'object') return grants;
  for (const [privilege, roles] of Object.entries(raw as Record<string, unknown>)) {
    const list = asList(roles as string | string[] | undefined).filter((r) => r !== '');
    if (list.length) grants[privilege] = list;
  }
  return grants;
}

/** What `a` has that `b` lacks, compared case-insensitively (dbt's diff_of_two_dicts). */
export function diffGrants(a: Record<string, string[]>, b: Record<string, string[]>): Record<string, string[]> {
  const lowered = new Map(Object.entries(b).map(([k, v]) => [k.toLowerCase(), new Set(v.map((r) => r.toLowerCase()))]));
  const out: Record<string, string[]> = {};
  for (const [privilege, roles] of Object.entries(a)) {
    const have = lowered.get(privilege.toLowerCase());
    const missing = have ? roles.filter((r) => !have.has(r.toLowerCase())) : roles;
    if (missing.length) out[privilege] = missing;
  }
  return out;
}

/**
 * dbt's `grants:` (privilege -> role or roles) as DCL statements, as dbt's apply_grants does: with
 * the relation's current grants (a table kept in place: should_revoke), first revoke what the
 * config does not name, then grant what is missing; on a fresh relation, grant the config. With no
 * config it is a no-op. A rebuilt table is granted under its temporary name, before the swap:
 * SWAP WITH moves grants with the table, so readers keep access throughout.
 */
export function grantsOf(node: ModelNode, rel: RelationName, type: RelationType, dialect: Dialect, current?: Record<string, string[]>): string[] {
  const config = configuredGrants(node);
  if (!dialect.grantStatements || Object.keys(config).length === 0) return [];
  if (!current) return dialect.grantStatements(rel, type, config);
  return [...(dialect.revokeStatements?.(rel, type, diffGrants(current, config)) ?? []), ...dialect.grantStatements(rel, type, diffGrants(config, current))];
}

/**
 * The grants a rebuilt table starts with under its temporary name: the config's, or with
 * `copy_grants` and no config, the replaced table's own (dbt-snowflake's COPY GRANTS keeps them;
 * with a config, dbt then revokes down to the config, which is the config).
 */
function rebuiltGrants(node: ModelNode, tmp: RelationName, dialect: Dialect, current: Record<string, string[]> | undefined): string[] {
  const copy = (node.config as { copy_grants?: unknown }).copy_grants === true;
  if (copy && current && Object.keys(configuredGrants(node)).length === 0) return dialect.grantStatements?.(tmp, 'table', current) ?? [];
  return grantsOf(node, tmp, 'table', dialect);
}

function planTable(node: ModelNode, rel: RelationName, sql: string, dialect: Dialect, existing: RelationType | null, current?: Record<string, string[]>): Plan {
  const tmp = tempRelation(rel);
  const transient = node.config.transient === false ? { transient: false } : {};
  return {
    statements: [
      dialect.createTableAs(tmp, sql, transient),
      ...rebuiltGrants(node, tmp, dialect, existing === 'table' ? current : undefined),
      ...dialect.swapTable(tmp, rel, existing),
    ],
    atomic: true,
    rowsFrom: 0,
  };
}

function planIncremental(
  node: ModelNode,
  rel: RelationName,
  sql: string,
  dialect: Dialect,
  columns: string[] | undefined,
  current?: Record<string, string[]>,
): Plan {
  const strategy = incrementalStrategy(node, dialect);
  if (!needsStaging(node, strategy))
    return { statements: [dialect.insertByName(rel, sql, columns), ...grantsOf(node, rel, 'table', dialect, current)], atomic: false, rowsFrom: 0 };
  // Without the warehouse's answer, the new rows are taken to have the table's columns.
  const cols = (columns ?? []).map((name) => ({ name, type: '' }));
  const staging = tempRelation(rel, '__model_incr');
  const write = planIncrementalWrite(node, dialect, strategy, staging, cols, cols);
  return {
    statements: [dialect.createTableAs(staging, sql), ...write.statements, ...grantsOf(node, rel, 'table', dialect, current)],
    atomic: true,
    rowsFrom: (write.rowsFrom ?? 0) + 1,
  };
}
