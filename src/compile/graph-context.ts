import type { Workspace } from '../graph/workspace.js';
import type { Exposure } from '../parse/governance.js';
import { projectMacroSources, type MacroSource } from '../parse/macro-dependencies.js';
import type { Node } from '../parse/nodes.js';

/**
 * dbt's `graph` context variable: the manifest's flat graph (dbt-core `Manifest.build_flat_graph`,
 * documented at docs.getdbt.com/reference/dbt-jinja-functions/graph), nodes, sources and exposures
 * keyed by unique id, each as manifest.json lists it. Built once per parsed manifest, on first use.
 */
export type GraphContext = Record<
  'nodes' | 'sources' | 'exposures' | 'metrics' | 'groups' | 'semantic_models' | 'saved_queries' | 'unit_tests',
  Record<string, unknown>
>;

const built = new WeakMap<object, GraphContext>();

/** How manifest.json lists a node and an exposure: execute/artifacts.ts, a layer above, registers them as it loads. */
export interface GraphWriters {
  node(ws: Workspace, node: Node, macros: Map<string, MacroSource>): unknown;
  exposure(e: Exposure): unknown;
}
let writers: GraphWriters | undefined;

export function registerGraphWriters(w: GraphWriters): void {
  writers = w;
}

/** What `graph` is while parsing (dbt's `execute` is false): every collection empty. */
export function emptyGraph(): GraphContext {
  return { nodes: {}, sources: {}, exposures: {}, metrics: {}, groups: {}, semantic_models: {}, saved_queries: {}, unit_tests: {} };
}

export function graphContext(ws: Workspace): GraphContext {
  const cached = built.get(ws.manifest);
  if (cached) return cached;
  if (!writers) throw new Error('graph: execute/artifacts.ts has not registered the manifest writers');
  const graph = emptyGraph();
  const macros = projectMacroSources(ws.project);
  for (const node of ws.manifest.nodes.values()) {
    if (node.resourceType === 'unit_test') continue;
    (node.resourceType === 'source' ? graph.sources : graph.nodes)[node.uniqueId] = writers.node(ws, node, macros);
  }
  for (const e of ws.manifest.exposures?.values() ?? []) graph.exposures[e.uniqueId] = writers.exposure(e);
  built.set(ws.manifest, graph);
  return graph;
}
