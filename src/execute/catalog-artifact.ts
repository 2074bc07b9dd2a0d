import path from 'node:path';
import type { Workspace } from '../graph/workspace.js';
import type { Node } from '../parse/nodes.js';
import type { QueryResult } from '../warehouse/adapter.js';
import { metadata, writeJsonAtomic } from './artifacts.js';

export interface CatalogColumn {
  name: string;
  type: string;
  index: number;
  comment: string | null;
}

/** One relation as the warehouse's catalog describes it (`Dialect.catalogSql`), names as stored. */
export interface CatalogRelation {
  database: string;
  schema: string;
  name: string;
  /** `BASE TABLE`, `VIEW`, … as the warehouse reports it. */
  type: string;
  comment: string | null;
  owner: string | null;
  columns: CatalogColumn[];
  rowCount: number | null;
  bytes: number | null;
  lastAltered: string | null;
  clusteringKey: string | null;
}

/** A built relation of the project, as the warehouse describes it. */
export interface CatalogEntry {
  node: Node;
  relation: CatalogRelation;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));

/** A UTC time as dbt-snowflake's catalog gives it: `to_varchar(convert_timezone('UTC', t), 'yyyy-mm-dd HH24:MI') || 'UTC'`. */
function lastModified(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const raw =
    v instanceof Date
      ? v
      : typeof v === 'number'
        ? new Date(v)
        : new Date(
            String(v)
              .replace(' ', 'T')
              .replace(/ ?([+-]\d\d):?(\d\d)$/, '$1:$2'),
          );
  if (Number.isNaN(raw.getTime())) return String(v);
  return `${raw.toISOString().slice(0, 16).replace('T', ' ')}UTC`;
}

/** The rows of `Dialect.catalogSql`, grouped into relations by lower-cased name. */
export function catalogRelations(result: QueryResult): Map<string, CatalogRelation> {
  const out = new Map<string, CatalogRelation>();
  for (const r of result.rows) {
    const [database, schema, name, type, comment, owner, columnName, columnIndex, columnType, columnComment, rowCount, bytes, lastAltered, clusteringKey] = r;
    const key = String(name).toLowerCase();
    let rel = out.get(key);
    if (!rel) {
      rel = {
        database: String(database),
        schema: String(schema),
        name: String(name),
        type: text(type) ?? 'BASE TABLE',
        comment: text(comment),
        owner: text(owner),
        columns: [],
        rowCount: num(rowCount),
        bytes: num(bytes),
        lastAltered: lastModified(lastAltered),
        clusteringKey: text(clusteringKey),
      };
      out.set(key, rel);
    }
    rel.columns.push({ name: String(columnName), type: String(columnType), index: Number(columnIndex), comment: text(columnComment) });
  }
  return out;
}

interface StatsItem {
  id: string;
  label: string;
  value: string | number | boolean | null;
  include: boolean;
  description: string;
}

/**
 * A relation's `stats` as dbt's `format_stats` (dbt-core task/docs/generate.py) builds them from the
 * adapter's `stats:<id>:…` columns: only those the adapter includes, and always `has_stats`, true
 * when any is included. The items and their texts are dbt-snowflake's (macros/catalog.sql); a
 * warehouse that reports none (DuckDB, as dbt-duckdb) has `has_stats` false alone.
 */
export function catalogStats(rel: CatalogRelation): Record<string, StatsItem> {
  const items: StatsItem[] = [
    {
      id: 'clustering_key',
      label: 'Clustering Key',
      value: rel.clusteringKey,
      include: rel.clusteringKey !== null,
      description: 'The key used to cluster this table',
    },
    { id: 'row_count', label: 'Row Count', value: rel.rowCount, include: rel.rowCount !== null, description: 'An approximate count of rows in this table' },
    {
      id: 'bytes',
      label: 'Approximate Size',
      value: rel.bytes,
      include: rel.bytes !== null,
      description: 'Approximate size of the table as reported by Snowflake',
    },
    {
      id: 'last_modified',
      label: 'Last Modified',
      value: rel.lastAltered,
      include: rel.lastAltered !== null && rel.type === 'BASE TABLE',
      description: 'The timestamp for last update/change',
    },
  ];
  const stats: Record<string, StatsItem> = {};
  for (const item of items) if (item.include) stats[item.id] = item;
  stats.has_stats = {
    id: 'has_stats',
    label: 'Has Stats?',
    value: Object.keys(stats).length > 0,
    include: false,
    description: 'Indicates whether there are statistics for this table',
  };
  return stats;
}

/**
 * `target/catalog.json` in dbt's shape (catalog v1: `nodes` and `sources` by unique_id, each with
 * `metadata` {type, schema, name, database, comment, owner} as the warehouse stores them, `columns`
 * by name with `type`, `index` and `comment`, and `stats`), which lineage tools read.
 */
export function writeCatalog(ws: Workspace, entries: CatalogEntry[], errors: string[] = []): string {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  for (const { node, relation: rel } of entries) {
    const table = {
      metadata: { type: rel.type, schema: rel.schema, name: rel.name, database: rel.database, comment: rel.comment, owner: rel.owner },
      columns: Object.fromEntries(rel.columns.map((c) => [c.name, { type: c.type, index: c.index, name: c.name, comment: c.comment }])),
      stats: catalogStats(rel),
      unique_id: node.uniqueId,
    };
    (node.resourceType === 'source' ? sources : nodes)[node.uniqueId] = table;
  }
  const file = path.join(ws.project.targetDir, 'catalog.json');
  writeJsonAtomic(file, { metadata: metadata('catalog'), nodes, sources, errors: errors.length ? errors : null });
  return file;
}
