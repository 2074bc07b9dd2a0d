import type { ColumnInfo, Connection } from '../warehouse/adapter.js';
import { isScalar } from './column-kind.js';
import {
  DEFAULT_SETTINGS,
  parseSummary,
  parseValues,
  planValueSets,
  summaryQuery,
  valuesQuery,
  type ColumnSummary,
  type HistogramBin,
  type ProfileSettings,
  type ProfileSql,
  type TopValue,
} from './profile-queries.js';

export interface ColumnProfile extends ColumnSummary {
  nulls: number;
  /** nulls / rows, from 0 to 1 (0 for an empty relation). */
  nullShare: number;
  top: TopValue[];
  histogram: HistogramBin[] | null;
}

export interface RelationProfile {
  /** The qualified relation name, as the warehouse spells it. */
  relation: string;
  rows: number;
  columns: ColumnProfile[];
  /** The SQL that was run, for anyone who wants to check a number. */
  queries: string[];
}

/** The columns of a relation and their warehouse types, from a query that reads no row. */
export async function describeRelation(conn: Connection, relationSql: string): Promise<ColumnInfo[]> {
  const r = await conn.execute(`select * from ${relationSql} where 1 = 0`);
  return r.columns;
}

/** Profiles one relation: one aggregate scan, then one grouping-sets scan per group of (up to 24) value sets. */
export async function profileRelation(
  conn: Connection,
  relationSql: string,
  sql: ProfileSql,
  settings: ProfileSettings = DEFAULT_SETTINGS,
): Promise<RelationProfile> {
  const columns = await describeRelation(conn, relationSql);
  const queries: string[] = [];
  const summarySql = summaryQuery(relationSql, columns, sql, settings);
  queries.push(summarySql);
  const summary = parseSummary(await conn.execute(summarySql), columns, sql, settings);
  const top = new Map<number, TopValue[]>();
  const distinct = new Map<number, number>();
  const bins = new Map<number, HistogramBin[]>();
  if (summary.rows > 0) {
    for (const sets of planValueSets(summary.columns, sql, settings)) {
      const q = valuesQuery(relationSql, columns, sets, sql, settings);
      queries.push(q);
      const parsed = parseValues(await conn.execute(q), sets, summary.columns);
      for (const [k, v] of parsed.top) top.set(k, v);
      for (const [k, v] of parsed.distinct) distinct.set(k, v);
      for (const [k, v] of parsed.bins) bins.set(k, v);
    }
  }
  return {
    relation: relationSql,
    rows: summary.rows,
    columns: summary.columns.map((c, i) => {
      const nulls = summary.rows - c.nonNull;
      // A column with no value has no values pass: nothing distinct in it.
      const distinctValues = c.distinct ?? distinct.get(i) ?? (isScalar(c.kind) && c.nonNull === 0 ? 0 : null);
      return {
        ...c,
        distinct: distinctValues,
        nulls,
        nullShare: summary.rows ? nulls / summary.rows : 0,
        top: top.get(i) ?? [],
        histogram: bins.get(i) ?? null,
      };
    }),
    queries,
  };
}
