import type { Workspace } from '../graph/workspace.js';
import { exposureToJson, nodeToJson } from '../execute/artifacts.js';
import { projectMacroSources } from '../parse/macro-dependencies.js';

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

/** What `graph` is while parsing (dbt's `execute` is false): every collection empty. */
export function emptyGraph(): GraphContext {
  return { nodes: {}, sources: {}, exposures: {}, metrics: {}, groups: {}, semantic_models: {}, saved_queries: {}, unit_tests: {} };
}

export function graphContext(ws: Workspace): GraphContext {
  const cached = built.get(ws.manifest);
  if (cached) return cached;
  const graph = emptyGraph();
  const macros = projectMacroSources(ws.project);
  for (const node of ws.manifest.nodes.values()) {
    if (node.resourceType === 'unit_test') continue;
    (node.resourceType === 'source' ? graph.sources : graph.nodes)[node.uniqueId] = nodeToJson(ws, node, macros);
  }
  for (const e of ws.manifest.exposures?.values() ?? []) graph.exposures[e.uniqueId] = exposureToJson(e);
  built.set(ws.manifest, graph);
  return graph;
}
