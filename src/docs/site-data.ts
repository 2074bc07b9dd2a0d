/**
 * What the docs page shows, as one JSON payload: built from the manifest, the last
 * run_results.json, the warehouse catalog, profiles and chart rows. Pure: no I/O here.
 */
import { z } from '../core/zod.js';
import type { ColumnInfo } from '../warehouse/adapter.js';
import type { Workspace } from '../graph/workspace.js';
import type { Node, ResourceType } from '../parse/nodes.js';
import type { RelationProfile } from '../profile/profile-relation.js';
import type { Scalar } from '../profile/profile-queries.js';
import type { ChartSpec } from './chart-spec.js';
import { layoutLineage, type LineageLayout } from './lineage-layout.js';

/** The part of dbt's run_results.json the page reads. */
export const runResultsSchema = z.looseObject({
  metadata: z.looseObject({ generated_at: z.string().optional() }).optional(),
  results: z.array(
    z.looseObject({
      unique_id: z.string(),
      status: z.string(),
      message: z.string().nullish(),
      execution_time: z.number().nullish(),
      failures: z.number().nullish(),
    }),
  ),
});
export type RunResultsFile = z.infer<typeof runResultsSchema>;

export interface SiteColumn {
  name: string;
  /** The warehouse type, when the relation is built. */
  type: string | null;
  description: string;
  tests: string[];
}

export interface SiteTest {
  id: string;
  name: string;
  column: string | null;
  status: string | null;
  message: string | null;
}

export interface SiteNode {
  id: string;
  type: ResourceType;
  name: string;
  /** The name drawn in the lineage: tests by what they check, e.g. `not_null(amount)`. */
  label: string;
  file: string;
  description: string;
  materialized: string | null;
  relation: string | null;
  /** Whether the relation exists in the warehouse (null when the warehouse was not read). */
  built: boolean | null;
  columns: SiteColumn[];
  config: Record<string, unknown>;
  tags: string[];
  rawSql: string | null;
  compiledSql: string | null;
  compileError: string | null;
  tests: SiteTest[];
  status: string | null;
  message: string | null;
  executionTime: number | null;
  parents: string[];
  children: string[];
}

export interface FunnelCheck {
  ok: boolean;
  message: string;
}

export interface SiteChart {
  id: string;
  name: string;
  title: string;
  description: string;
  spec: ChartSpec;
  /** The model's rows, or null with `note` saying why there are none. */
  rows: Record<string, Scalar>[] | null;
  note: string | null;
  check: FunnelCheck | null;
}

export interface SiteProfile {
  id: string | null;
  name: string;
  profile: RelationProfile;
}

export interface SiteData {
  project: { name: string; target: string; adapter: string; generatedAt: string; runAt: string | null; overview: string };
  nodes: SiteNode[];
  layout: LineageLayout;
  charts: SiteChart[];
  profiles: SiteProfile[];
  notes: string[];
}

export interface SiteInput {
  workspace: Workspace;
  generatedAt: string;
  overview?: string;
  /** Compiled SQL (or why it could not compile) per unique id. */
  compiled: Map<string, { sql?: string; error?: string }>;
  runResults?: RunResultsFile;
  /** Built relations' columns per unique id; absent when the warehouse was not read. */
  catalog?: Map<string, ColumnInfo[]>;
  profiles?: SiteProfile[];
  charts?: SiteChart[];
  notes?: string[];
}

const LABEL_MAX = 34;

/**
 * A short lineage label: a generic test's generated name repeats its model, which the edge
 * already shows, so it is drawn as `test(column)`; a name the project chose is kept.
 */
export function lineageLabel(node: Node, name: string): string {
  let label = name;
  const meta = node.resourceType === 'test' ? node.testMetadata : undefined;
  if (node.resourceType === 'test' && meta && name.startsWith(`${meta.name}_`)) label = node.columnName ? `${meta.name}(${node.columnName})` : meta.name;
  return label.length > LABEL_MAX ? `${label.slice(0, LABEL_MAX - 1)}…` : label;
}

function testsOf(ws: Workspace, node: Node): Node[] {
  return [...ws.manifest.nodes.values()].filter(
    (t) => t.resourceType === 'test' && (t.attachedNode ? t.attachedNode === node.uniqueId : t.dependsOn.includes(node.uniqueId)),
  );
}

export function buildSiteData(input: SiteInput): SiteData {
  const { workspace: ws } = input;
  const results = new Map((input.runResults?.results ?? []).map((r) => [r.unique_id, r]));
  const nodes: SiteNode[] = [...ws.manifest.nodes.values()]
    .sort((a, b) => a.uniqueId.localeCompare(b.uniqueId))
    .map((node) => {
      const tests: SiteTest[] = testsOf(ws, node).map((t) => ({
        id: t.uniqueId,
        name: t.name,
        column: t.resourceType === 'test' ? (t.columnName ?? null) : null,
        status: results.get(t.uniqueId)?.status ?? null,
        message: results.get(t.uniqueId)?.message ?? null,
      }));
      const built = input.catalog ? input.catalog.get(node.uniqueId) : undefined;
      const described = new Map(node.columns.map((c) => [c.name.toLowerCase(), c]));
      // Built columns in the warehouse's order, then any described column the relation lacks.
      const names = [...(built ?? []).map((c) => c.name), ...node.columns.map((c) => c.name)].filter(
        (n, i, all) => all.findIndex((m) => m.toLowerCase() === n.toLowerCase()) === i,
      );
      const columns: SiteColumn[] = names.map((name) => ({
        name,
        type: built?.find((c) => c.name.toLowerCase() === name.toLowerCase())?.type ?? described.get(name.toLowerCase())?.data_type ?? null,
        description: described.get(name.toLowerCase())?.description ?? '',
        tests: tests.filter((t) => t.column?.toLowerCase() === name.toLowerCase()).map((t) => t.name),
      }));
      const compiled = input.compiled.get(node.uniqueId);
      const result = results.get(node.uniqueId);
      let rawSql: string | null = null;
      if (node.resourceType === 'model' || node.resourceType === 'snapshot' || node.resourceType === 'test') rawSql = node.rawSql.trim();
      const name = node.resourceType === 'source' ? `${node.sourceName}.${node.tableName}` : node.name;
      return {
        id: node.uniqueId,
        type: node.resourceType,
        name,
        label: lineageLabel(node, name),
        file: node.file,
        description: node.description,
        materialized:
          node.resourceType === 'model' ? node.materialized : node.resourceType === 'seed' || node.resourceType === 'snapshot' ? node.resourceType : null,
        relation: node.relation ? ws.dialect.qualify(node.relation) : null,
        built: input.catalog ? input.catalog.has(node.uniqueId) : null,
        columns,
        config: node.config as Record<string, unknown>,
        tags: node.tags,
        rawSql,
        compiledSql: compiled?.sql ?? null,
        compileError: compiled?.error ?? null,
        tests,
        status: result?.status ?? null,
        message: result?.message ?? null,
        executionTime: result?.execution_time ?? null,
        parents: [...(ws.graph.predecessors(node.uniqueId) ?? [])].sort(),
        children: [...(ws.graph.successors(node.uniqueId) ?? [])].sort(),
      };
    });
  const layout = layoutLineage(
    nodes.map((n) => ({ id: n.id, label: n.label, small: n.type === 'test' })),
    nodes.flatMap((n) => n.parents.map((p) => ({ from: p, to: n.id }))),
  );
  return {
    project: {
      name: ws.project.name,
      target: ws.target.name,
      adapter: ws.target.type,
      generatedAt: input.generatedAt,
      runAt: input.runResults?.metadata?.generated_at ?? null,
      overview: input.overview ?? '',
    },
    nodes,
    layout,
    charts: input.charts ?? [],
    profiles: input.profiles ?? [],
    notes: input.notes ?? [],
  };
}

/** A relation a funnel starts or ends at, and its row count (null when it is not built). */
export interface FunnelEnd {
  name: string;
  rows: number | null;
}

/**
 * A funnel adds up when every step's rows equal the previous step's minus what that step
 * removed, and, when given, the first step's rows are the rows of `rowsIn` and the last step's
 * the rows of `rowsOut`.
 */
export function funnelCheck(rows: Record<string, Scalar>[], spec: ChartSpec, ends: { rowsIn?: FunnelEnd; rowsOut?: FunnelEnd } = {}): FunnelCheck {
  if (!spec.removed) return { ok: false, message: 'the chart names no `removed` column' };
  if (rows.length === 0) return { ok: false, message: 'the funnel has no rows' };
  for (let i = 1; i < rows.length; i++) {
    const before = Number(rows[i - 1]![spec.y]);
    const removed = Number(rows[i]![spec.removed] ?? 0);
    const after = Number(rows[i]![spec.y]);
    if (before - removed !== after) {
      return { ok: false, message: `step '${String(rows[i]![spec.x])}': ${before} − ${removed} ≠ ${after}` };
    }
  }
  const first = Number(rows[0]![spec.y]);
  const last = Number(rows[rows.length - 1]![spec.y]);
  for (const [end, value, what] of [
    [ends.rowsIn, first, 'rows in'],
    [ends.rowsOut, last, 'rows left'],
  ] as const) {
    if (!end) continue;
    if (end.rows === null) return { ok: false, message: `${end.name} is not built, so the ${what} cannot be checked against it` };
    if (end.rows !== value) return { ok: false, message: `${value} ${what}, but ${end.name} has ${end.rows} rows` };
  }
  const inOf = ends.rowsIn ? ` (= ${ends.rowsIn.name})` : '';
  const outOf = ends.rowsOut ? ` (= ${ends.rowsOut.name})` : '';
  return { ok: true, message: `${first} rows in${inOf} − ${first - last} removed = ${last} rows left${outOf}` };
}
