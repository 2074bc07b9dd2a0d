import { alg, Graph } from '@dagrejs/graphlib';
import { throwIfAny, ProjectError } from '../core/errors.js';
import type { Node } from '../parse/nodes.js';
import { callSite } from '../templating/call-sites.js';

/** The DAG of the nodes (parent -> child edges between unique ids); throws if it has a cycle. */
export function buildDag(nodes: Map<string, Node>): Graph {
  const graph = new Graph({ directed: true });
  for (const id of nodes.keys()) graph.setNode(id);
  for (const node of nodes.values()) for (const parent of node.dependsOn) graph.setEdge(parent, node.uniqueId);
  checkCycles(graph, nodes);
  return graph;
}

/** Whether every node can be ordered (Kahn's algorithm): linear, where graphlib's cycle search is many times slower on large graphs. */
function acyclic(graph: Graph): boolean {
  const ids = graph.nodes();
  const waiting = new Map<string, number>();
  const ready: string[] = [];
  for (const id of ids) {
    const n = graph.inEdges(id)?.length ?? 0;
    if (n === 0) ready.push(id);
    else waiting.set(id, n);
  }
  let done = 0;
  while (ready.length) {
    const id = ready.pop()!;
    done++;
    for (const child of graph.successors(id) ?? []) {
      const left = waiting.get(child)! - 1;
      if (left === 0) ready.push(child);
      waiting.set(child, left);
    }
  }
  return done === ids.length;
}

function checkCycles(graph: Graph, nodes: Map<string, Node>): void {
  if (acyclic(graph)) return;
  const cycles = alg.findCycles(graph);
  if (cycles.length === 0) return;
  throwIfAny(
    cycles.map((component) => {
      const members = orderCycle(graph, component).map((id) => nodes.get(id)!);
      const first = members[0]!;
      const last = members[members.length - 1]!;
      const path = [...members, first].map((n) => n.name).join(' -> ');
      // Point at the reference that closes the cycle: the path follows the data, so the first
      // member reads the last.
      const source = 'rawSql' in first ? first.rawSql : undefined;
      const at = source !== undefined ? callSite(source, 'ref', last.name) : undefined;
      return new ProjectError('graph', `dependency cycle: ${path}`, {
        location: { file: first.file, ...(at ?? {}) },
        source,
        hint: `the models in the cycle: ${members.map((n) => `${n.name} (${n.file})`).join(', ')}; one of them must stop referring to another`,
      });
    }),
  );
}

/** The members of a strongly connected component in edge order, so the message reads as a path. */
function orderCycle(graph: Graph, component: string[]): string[] {
  const inside = new Set(component);
  const start = [...component].sort()[0]!;
  const path = [start];
  const seen = new Set(path);
  let current = start;
  for (;;) {
    const next = (graph.successors(current) ?? []).filter((s) => inside.has(s)).sort();
    const step = next.find((s) => !seen.has(s));
    if (!step) break;
    path.push(step);
    seen.add(step);
    current = step;
  }
  return path;
}
