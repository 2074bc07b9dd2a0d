import { changesKind, type Dialect, type RelationName, type RelationType, type TableKind } from '../warehouse/dialect.js';
import { type Plan, tempRelation } from './plan.js';
import type { ModelNode } from '../parse/nodes.js';
import { incrementalStrategy, needsStaging, planIncrementalWrite, strategyMacroName, type StrategyMacro } from './plan-incremental.js';
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
  /**
   * The existing relation's grants (privilege -> roles, without OWNERSHIP), read when they matter:
   * copy_grants, a table kept in place, or one replaced by a table of the other kind.
   */
  currentGrants?: Record<string, string[]>;
  /** The existing table's kind, where the warehouse has kinds (Snowflake: transient or permanent). */
  existingKind?: TableKind;
  /**
   * The project's or package's `get_incremental_<name>_sql` macros the model sees (strategyMacroFor):
   * with one, the plan names the custom strategy that writes the rows instead of the built-in SQL.
   */
  strategyMacro?: (name: string) => StrategyMacro | undefined;
}

/** The kind a table model is built as: transient unless `transient: false`, as dbt-snowflake does. */
export function builtKind(node: ModelNode): TableKind {
  return node.config.transient === false ? 'permanent' : 'transient';
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
      // dbt-snowflake's view: `copy_grants` replaces with COPY GRANTS, and then (should_revoke) what
      // the config does not name is revoked; without it the replaced view's grants are gone.
      const copyGrants = copiesGrants(node) && ctx.existing === 'view';
      statements.push(dialect.createViewAs(rel, sql, { copyGrants }), ...grantsOf(node, rel, 'view', dialect, copyGrants ? ctx.currentGrants : undefined));
      return { statements, atomic: statements.length > 1 };
    }
    case 'table':
      return planTable(node, rel, sql, dialect, ctx);
    case 'incremental': {
      const fullRefresh = ctx.fullRefresh && node.config.full_refresh !== false;
      if (ctx.existing !== 'table' || fullRefresh || node.config.full_refresh === true) {
        return { ...planTable(node, rel, sql, dialect, ctx), fullBuild: true };
      }
      return planIncremental(node, rel, sql, dialect, ctx.columns, ctx.currentGrants, ctx.strategyMacro);
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
  if (copiesGrants(node) && current && Object.keys(configuredGrants(node)).length === 0) return dialect.grantStatements?.(tmp, 'table', current) ?? [];
  return grantsOf(node, tmp, 'table', dialect);
}

function copiesGrants(node: ModelNode): boolean {
  return (node.config as { copy_grants?: unknown }).copy_grants === true;
}

/**
 * A table is built under a temporary name, granted there, and swapped in. When the existing table
 * is of the other kind (SWAP WITH refuses that), the temporary table is copied into a new table of
 * the configured kind WITH COPY GRANTS, so readers keep access throughout, and the grants are then
 * brought to the config as for a table kept in place (revoke what it does not name, grant the rest).
 */
function planTable(node: ModelNode, rel: RelationName, sql: string, dialect: Dialect, ctx: PlanContext): Plan {
  const tmp = tempRelation(rel);
  const built = builtKind(node);
  const kinds = ctx.existingKind ? { built, existing: ctx.existingKind } : undefined;
  const current = ctx.existing === 'table' ? ctx.currentGrants : undefined;
  const otherKind = changesKind(ctx.existing, kinds);
  return {
    statements: [
      dialect.createTableAs(tmp, sql, built === 'permanent' ? { transient: false } : {}),
      ...(otherKind ? [] : rebuiltGrants(node, tmp, dialect, current)),
      ...dialect.swapTable(tmp, rel, ctx.existing, kinds),
      ...(otherKind ? grantsOf(node, rel, 'table', dialect, current) : []),
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
  strategyMacro?: (name: string) => StrategyMacro | undefined,
): Plan {
  const has = strategyMacro ? (name: string) => strategyMacro(name) !== undefined : undefined;
  const strategy = incrementalStrategy(node, dialect, has, has);
  const staging = tempRelation(rel, '__model_incr');
  if (strategy === 'custom') {
    // The macro renders against the warehouse (it is given the table's columns): the static plan
    // stages the new rows and names the macro that writes them.
    const name = strategyMacroName(node);
    const found = strategyMacro?.(name);
    return {
      statements: [dialect.createTableAs(staging, sql)],
      atomic: true,
      rowsFrom: 0,
      strategy: { name: 'custom', macro: found?.call ?? name, ...(found ? { file: found.file } : {}), ...(found?.package ? { package: found.package } : {}) },
    };
  }
  if (!needsStaging(node, strategy))
    return {
      statements: [dialect.insertByName(rel, sql, columns), ...grantsOf(node, rel, 'table', dialect, current)],
      atomic: false,
      rowsFrom: 0,
      strategy: { name: strategy },
    };
  // Without the warehouse's answer, the new rows are taken to have the table's columns.
  const cols = (columns ?? []).map((name) => ({ name, type: '' }));
  const write = planIncrementalWrite(node, dialect, strategy, staging, cols, cols);
  return {
    statements: [dialect.createTableAs(staging, sql), ...write.statements, ...grantsOf(node, rel, 'table', dialect, current)],
    atomic: true,
    rowsFrom: (write.rowsFrom ?? 0) + 1,
    strategy: { name: strategy },
  };
}
