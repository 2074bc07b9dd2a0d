import type { Dialect, RelationName } from '../warehouse/dialect.js';
import { type Plan, tempRelation } from './plan.js';

/** One `constraints:` entry of a model or a column, as dbt-core's `ColumnLevelConstraint` / `ModelLevelConstraint` take it. */
export interface Constraint {
  type: 'not_null' | 'primary_key' | 'unique' | 'foreign_key' | 'check' | 'custom';
  name?: string;
  expression?: string;
  columns?: string[];
  to?: string;
  to_columns?: string[];
  warn_unsupported?: boolean;
  warn_unenforced?: boolean;
}

export interface ContractColumn {
  name: string;
  /** The declared `data_type`, as written in the properties file. */
  type: string;
  constraints: Constraint[];
}

/**
 * Whether a warehouse creates and enforces a constraint, as dbt-adapters' `ConstraintSupport`
 * says per adapter (dbt-snowflake: not_null enforced, primary_key/unique/foreign_key created but
 * not enforced, check not supported; dbt-duckdb: not_null, primary_key, unique, check enforced).
 */
export function constraintSupport(dialect: Dialect, type: Constraint['type']): 'enforced' | 'not_enforced' | 'not_supported' {
  if (type === 'custom') return 'enforced';
  if (dialect.type === 'snowflake') return type === 'not_null' ? 'enforced' : type === 'check' ? 'not_supported' : 'not_enforced';
  return type === 'foreign_key' ? 'not_supported' : 'enforced';
}

/** The DDL of one constraint, column-level when `column` is given; undefined when the warehouse does not support it. */
function constraintSql(dialect: Dialect, c: Constraint, column?: string): string | undefined {
  if (constraintSupport(dialect, c.type) === 'not_supported') return undefined;
  const named = c.name ? `constraint ${dialect.quoteIdentifier(c.name)} ` : '';
  const cols = column ? '' : ` (${(c.columns ?? []).map((x) => dialect.quoteIdentifier(x)).join(', ')})`;
  switch (c.type) {
    case 'not_null':
      return column ? 'not null' : undefined;
    case 'primary_key':
      return `${named}primary key${cols}`;
    case 'unique':
      return `${named}unique${cols}`;
    case 'check':
      return c.expression ? `${named}check (${c.expression})` : undefined;
    case 'foreign_key':
      if (c.expression) return `${named}${column ? 'references' : `foreign key${cols} references`} ${c.expression}`;
      if (!c.to) return undefined;
      return `${named}${column ? 'references' : `foreign key${cols} references`} ${c.to}${c.to_columns?.length ? ` (${c.to_columns.map((x) => dialect.quoteIdentifier(x)).join(', ')})` : ''}`;
    case 'custom':
      return c.expression;
  }
}

/**
 * A contracted table, built as dbt's `get_table_columns_and_constraints` + `get_select_subquery`
 * build it: the full-build plan's CREATE TABLE AS (its first statement, under the temporary name)
 * becomes a CREATE TABLE with the declared column types and constraints, then an INSERT of the
 * model's rows in the contract's column order; the rest (grants, swap) stays as planned.
 */
export function planContractTable(
  base: Plan,
  rel: RelationName,
  sql: string,
  dialect: Dialect,
  columns: ContractColumn[],
  modelConstraints: Constraint[],
  opts: { transient?: boolean } = {},
): Plan {
  const tmp = tempRelation(rel);
  const defs = columns.map((c) => {
    const parts = c.constraints.map((k) => constraintSql(dialect, k, c.name)).filter((s): s is string => !!s);
    return [`${dialect.quoteIdentifier(c.name)} ${c.type}`, ...parts].join(' ');
  });
  for (const k of modelConstraints) {
    if (k.type === 'not_null') continue;
    const s = constraintSql(dialect, k);
    if (s) defs.push(s);
  }
  const names = columns.map((c) => dialect.quoteIdentifier(c.name)).join(', ');
  return {
    ...base,
    statements: [
      // Transient on Snowflake unless `transient: false`, as createTableAs builds it (and dbt-snowflake):
      // a table of the other kind could not be swapped with the one it replaces.
      `create or replace ${dialect.type === 'snowflake' && opts.transient !== false ? 'transient ' : ''}table ${dialect.qualify(tmp)} (\n  ${defs.join(',\n  ')}\n)`,
      `insert into ${dialect.qualify(tmp)} (${names})\nselect ${names} from (\n${sql}\n) as model_subq`,
      ...base.statements.slice(1),
    ],
    atomic: true,
    rowsFrom: 1,
  };
}
