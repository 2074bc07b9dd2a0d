import { ProjectError } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import type { SourceNode } from '../parse/nodes.js';
import type { Connection } from '../warehouse/adapter.js';
import { relationKey } from '../warehouse/relation.js';
import type { ExecutionContext } from './context.js';
import type { NodeResult } from './results.js';

/** Whether a source's `external.location` names files in a stage (`@stage/path`) rather than a local file or URL. */
export function isStagedLocation(location: string): boolean {
  return location.trimStart().startsWith('@');
}

/**
 * The file format COPY reads the files with: dbt-external-tables' `file_format` as written, else one
 * from `format` (CSV with its header, so columns match by name as for Parquet).
 */
function fileFormatOf(ext: NonNullable<SourceNode['external']>): string | undefined {
  if (ext.file_format !== undefined) return ext.file_format;
  if (ext.format === 'parquet') return '( type = parquet )';
  if (ext.format === 'csv') return `( type = csv parse_header = true field_optionally_enclosed_by = '"' )`;
  return undefined;
}

/**
 * Loads a source whose files already live in a stage (dbt-external-tables' `external:` on
 * Snowflake) into its table with COPY INTO, with no upload: a table of the declared columns and
 * data types, filled by matching the files' columns by name, swapped in whole.
 */
export async function runStagedSource(ctx: ExecutionContext, node: SourceNode, conn: Connection): Promise<Partial<NodeResult>> {
  const ext = node.external!;
  const label = `source '${node.sourceName}.${node.tableName}'`;
  const adapter = ctx.adapter;
  if (!adapter.loadStaged) {
    throw new ProjectError('source', `${label}: location '${ext.location}' names files in a stage, which a ${adapter.type} target cannot read`, {
      location: node.location,
      hint: 'build this source with a Snowflake target, or point location at a local file or an http(s) URL',
    });
  }
  const untyped = node.columns.filter((c) => !c.data_type);
  if (node.columns.length === 0 || untyped.length) {
    throw new ProjectError(
      'source',
      `${label}: files in a stage are loaded into the declared columns, so each needs a data_type${untyped.length ? ` (missing for ${untyped.map((c) => c.name).join(', ')})` : ' (none are declared)'}`,
      { location: node.location, hint: 'declare the columns as dbt-external-tables does: `columns: [{name: id, data_type: number}]`' },
    );
  }
  let rows: number;
  try {
    rows = await adapter.loadStaged(
      conn,
      node.relation,
      { location: ext.location.trim(), fileFormat: fileFormatOf(ext), ...(ext.pattern !== undefined ? { pattern: ext.pattern } : {}) },
      node.columns.map((c) => ({ name: c.name, type: c.data_type! })),
    );
  } catch (e) {
    // Snowflake's text names the staged file, line, row and column; its ON_ERROR advice is left out.
    const text = (e instanceof Error ? e.message : String(e)).replace(/\n\s*If you would like to continue loading[^\n]*/, '');
    throw new ProjectError('source', redact(`loading ${ext.location} into ${label} failed: ${text}`), {
      location: node.location,
      hint: 'Nothing was replaced.',
    });
  }
  ctx.existing.set(relationKey(node.relation), 'table');
  return { message: `COPY ${rows} rows from ${ext.location.trim()}`, rows, relationName: adapter.dialect.qualify(node.relation) };
}
