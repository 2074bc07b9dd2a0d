import type { Workspace } from './workspace.js';
import { selectNodes, type SelectionOptions } from './selection.js';

/**
 * dbt's "eager" indirect selection: selecting a model selects the tests that read it, and
 * excluding a model excludes its tests. `-s test_type:…` or a test's name selects tests directly.
 */
export function withIndirectTests(ws: Workspace, opts: SelectionOptions, warnings: string[] = []): Set<string> {
  const addTests = (ids: Set<string>) => {
    for (const node of ws.manifest.nodes.values()) {
      if ((node.resourceType === 'test' || node.resourceType === 'unit_test') && node.dependsOn.some((d) => ids.has(d))) ids.add(node.uniqueId);
    }
    return ids;
  };
  const selected = opts.select?.length ? addTests(selectNodes(ws, { select: opts.select, state: opts.state }, warnings)) : new Set(ws.manifest.nodes.keys());
  if (opts.exclude?.length) {
    for (const id of addTests(selectNodes(ws, { select: opts.exclude, state: opts.state }, warnings))) selected.delete(id);
  }
  return selected;
}
