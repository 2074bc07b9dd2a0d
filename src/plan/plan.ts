import type { RelationName } from '../warehouse/dialect.js';

/** What executing one model means: statements to run, and whether they form one atomic unit. */
export interface Plan {
  statements: string[];
  atomic: boolean;
  /** Index of the statement whose row count is the node's "rows" figure. */
  rowsFrom?: number;
  /** Set when the plan is a full (re)build of an incremental model. */
  fullBuild?: boolean;
  /**
   * An incremental run's strategy: a built-in one, or `custom` with the `get_incremental_<name>_sql`
   * macro that writes the rows (a project's or package's override of a built-in one included).
   */
  strategy?: { name: string; macro?: string; file?: string; package?: string };
}

export function tempRelation(rel: RelationName, suffix = '__model_tmp'): RelationName {
  return { ...rel, identifier: `${rel.identifier}${suffix}` };
}
