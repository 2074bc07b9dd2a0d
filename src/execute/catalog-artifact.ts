import path from 'node:path';
import type { Workspace } from '../graph/workspace.js';
import type { Node } from '../parse/nodes.js';
import type { RelationType } from '../warehouse/dialect.js';
import type { ColumnInfo } from '../warehouse/adapter.js';
import { metadata, writeJsonAtomic } from './artifacts.js';

/** A built relation of the project, as the warehouse describes it. */
export interface CatalogEntry {
  node: Node;
  type: RelationType;
  columns: ColumnInfo[];
}

/**
 * `target/catalog.json` in dbt's shape (catalog v1: `nodes` and `sources` by unique_id, each with
 * `metadata`, `columns` by name with `type` and `index`, and `stats`), which lineage tools read.
 */
export function writeCatalog(ws: Workspace, entries: CatalogEntry[]): string {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  for (const { node, type, columns } of entries) {
    if (!node.relation) continue;
    const table = {
      metadata: {
        type: type === 'view' ? 'VIEW' : 'BASE TABLE',
        schema: node.relation.schema,
        name: node.relation.identifier,
        database: node.relation.database,
        comment: null,
        owner: null,
      },
      columns: Object.fromEntries(columns.map((c, i) => [c.name, { type: c.type, index: i + 1, name: c.name, comment: null }])),
      stats: {
        has_stats: { id: 'has_stats', label: 'Has Stats?', value: false, include: false, description: 'Indicates whether there are statistics for this table' },
      },
      unique_id: node.uniqueId,
    };
    (node.resourceType === 'source' ? sources : nodes)[node.uniqueId] = table;
  }
  const file = path.join(ws.project.targetDir, 'catalog.json');
  writeJsonAtomic(file, { metadata: { ...metadata('catalog'), env: {} }, nodes, sources, errors: null });
  return file;
}
