import { ProjectError } from '../core/errors.js';
import type { Workspace } from './workspace.js';
import type { Node } from '../parse/nodes.js';

const METHODS = ['tag', 'path', 'resource_type', 'source', 'config.materialized', 'test_type', 'test_name', 'fqn', 'package', 'file', 'unique_id'] as const;

interface Atom {
  method: string;
  value: string;
  parents: number; // 0 none, Infinity for '+'
  children: number;
  at: boolean;
}

function parseAtom(raw: string): Atom {
  let s = raw;
  let at = false;
  let parents = 0;
  let children = 0;
  if (s.startsWith('@')) {
    at = true;
    s = s.slice(1);
  }
  const pre = /^(\d*)\+/.exec(s);
  if (pre) {
    parents = pre[1] ? Number(pre[1]) : Infinity;
    s = s.slice(pre[0].length);
  }
  const post = /\+(\d*)$/.exec(s);
  if (post) {
    children = post[1] ? Number(post[1]) : Infinity;
    s = s.slice(0, -post[0].length);
  }
  let method = '';
  let value = s;
  const colon = s.indexOf(':');
  if (colon > 0) {
    method = s.slice(0, colon);
    value = s.slice(colon + 1);
    if (!(METHODS as readonly string[]).includes(method)) {
      throw new ProjectError('selection', `unknown selector method '${method}:' in '${raw}'`, {
        hint: `methods: ${METHODS.join(', ')}`,
      });
    }
  }
  if (!value) throw new ProjectError('selection', `empty selector '${raw}'`);
  return { method, value, parents, children, at };
}

function glob(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

function matches(node: Node, atom: Atom, ws: Workspace): boolean {
  const { method, value } = atom;
  switch (method) {
    case '': {
      if (value.includes('/') || value.endsWith('.sql') || value.endsWith('.csv')) return matchesPath(node, value);
      if (node.resourceType === 'source' && glob(value).test(`${(node as { sourceName: string }).sourceName}.${node.name}`)) return true;
      return matchesFqn(node, value);
    }
    case 'tag':
      return node.tags.some((t) => glob(value).test(t));
    case 'path':
    case 'file':
      return matchesPath(node, value);
    case 'resource_type':
      return node.resourceType === value;
    case 'source': {
      if (node.resourceType !== 'source') return false;
      const [s, t] = value.split('.');
      return glob(s!).test(node.sourceName) && (t === undefined || glob(t).test(node.tableName));
    }
    case 'config.materialized':
      return node.config.materialized === value;
    case 'test_type':
      return node.resourceType === 'test' && node.testType === value;
    case 'test_name':
      // dbt: the generic test's name (`unique`, `accepted_values`), not the node's generated name.
      return node.resourceType === 'test' && node.testMetadata !== undefined && glob(value).test(node.testMetadata.name);
    case 'fqn':
      return matchesFqn(node, value);
    case 'package':
      return node.packageName === value || value === ws.project.name;
    case 'unique_id':
      return node.uniqueId === value;
    default:
      return false;
  }
}

/**
 * dbt's fqn method (the default): the node's name, or the leading parts of its fqn, so that
 * `shop` selects the whole project and `shop.staging` a folder (`*` matches within one part).
 */
function matchesFqn(node: Node, value: string): boolean {
  if (glob(value).test(node.name)) return true;
  const parts = value.split('.');
  const fqn = node.fqn.flatMap((p) => p.split('.'));
  return parts.length <= fqn.length && parts.every((p, i) => glob(p).test(fqn[i]!));
}

function matchesPath(node: Node, value: string): boolean {
  const v = value.replace(/\\/g, '/').replace(/\/+$/, '').replace(/^\.\//, '');
  if (v.includes('*')) return glob(v).test(node.file);
  return node.file === v || node.file.startsWith(`${v}/`);
}

function walk(ws: Workspace, start: string, dir: 'up' | 'down', depth: number, into: Set<string>): void {
  let frontier = [start];
  for (let d = 0; d < depth && frontier.length; d++) {
    const next: string[] = [];
    for (const id of frontier) {
      const neighbours = (dir === 'up' ? ws.graph.predecessors(id) : ws.graph.successors(id)) ?? [];
      for (const n of neighbours) {
        if (!into.has(n)) {
          into.add(n);
          next.push(n);
        }
      }
    }
    frontier = next;
  }
}

function selectAtom(ws: Workspace, raw: string): Set<string> {
  const atom = parseAtom(raw);
  const out = new Set<string>();
  for (const node of ws.manifest.nodes.values()) if (matches(node, atom, ws)) out.add(node.uniqueId);
  const base = [...out];
  for (const id of base) {
    if (atom.parents) walk(ws, id, 'up', atom.parents, out);
    if (atom.children || atom.at) walk(ws, id, 'down', atom.at ? Infinity : atom.children, out);
  }
  if (atom.at) {
    for (const id of [...out]) walk(ws, id, 'up', Infinity, out);
  }
  return out;
}

/** One selector argument: space-separated union of comma-separated intersections. */
function selectExpression(ws: Workspace, exprs: string[], warnings: string[]): Set<string> {
  const out = new Set<string>();
  for (const expr of exprs.flatMap((e) => e.split(/\s+/)).filter(Boolean)) {
    const parts = expr.split(',').map((p) => selectAtom(ws, p));
    let acc = parts[0]!;
    for (const p of parts.slice(1)) acc = new Set([...acc].filter((x) => p.has(x)));
    if (acc.size === 0) warnings.push(`the selector '${expr}' matched nothing`);
    for (const id of acc) out.add(id);
  }
  return out;
}

export interface SelectionOptions {
  select?: string[];
  exclude?: string[];
}

/** dbt's node selection: `name`, `+name`, `name+`, `tag:`, `path:`, … and `--exclude`. */
export function selectNodes(ws: Workspace, opts: SelectionOptions, warnings: string[] = []): Set<string> {
  const selected = opts.select?.length ? selectExpression(ws, opts.select, warnings) : new Set(ws.manifest.nodes.keys());
  if (opts.exclude?.length) {
    for (const id of selectExpression(ws, opts.exclude, warnings)) selected.delete(id);
  }
  return selected;
}
