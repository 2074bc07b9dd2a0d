import { graphlib, layout } from '@dagrejs/dagre';

export interface LayoutInput {
  id: string;
  label: string;
  /** Tests are drawn smaller. */
  small?: boolean;
}

export interface PlacedNode {
  id: string;
  /** Top-left corner and size, in SVG units. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface LineageLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

const CHAR_WIDTH = 7.2;
const MARGIN = 16;

/**
 * Lays the lineage out left to right (sources → models → tests) with dagre, at generate time,
 * so the page only draws: no layout code and no library runs in the browser.
 */
export function layoutLineage(nodes: LayoutInput[], edges: { from: string; to: string }[]): LineageLayout {
  const g = new graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 56, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  // Sorted input gives the same picture for the same project on every run.
  const sorted = [...nodes].sort((a, b) => a.id.localeCompare(b.id));
  for (const n of sorted) {
    const width = Math.max(n.small ? 90 : 120, Math.ceil(n.label.length * (n.small ? 6.2 : CHAR_WIDTH)) + 28);
    g.setNode(n.id, { width, height: n.small ? 24 : 34 });
  }
  const known = new Set(nodes.map((n) => n.id));
  for (const e of [...edges].sort((a, b) => `${a.from} ${a.to}`.localeCompare(`${b.from} ${b.to}`))) {
    if (known.has(e.from) && known.has(e.to)) g.setEdge(e.from, e.to);
  }
  layout(g);
  const placed: PlacedNode[] = sorted.map((n) => {
    const p = g.node(n.id);
    return { id: n.id, x: round(p.x - p.width / 2), y: round(p.y - p.height / 2), width: p.width, height: p.height };
  });
  const placedEdges: PlacedEdge[] = g.edges().map((e: { v: string; w: string }) => ({
    from: e.v,
    to: e.w,
    points: ((g.edge(e) as { points?: { x: number; y: number }[] }).points ?? []).map((pt) => ({ x: round(pt.x), y: round(pt.y) })),
  }));
  // dagre may route an edge a little outside the box it reports: the picture holds both.
  const graph = g.graph();
  const points = placedEdges.flatMap((e) => e.points);
  const width = Math.max(graph.width ?? 0, ...points.map((pt) => pt.x + MARGIN));
  const height = Math.max(graph.height ?? 0, ...points.map((pt) => pt.y + MARGIN));
  return { width: Math.ceil(width), height: Math.ceil(height), nodes: placed, edges: placedEdges };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
