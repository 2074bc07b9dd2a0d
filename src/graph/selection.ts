import { ProjectError } from '../core/errors.js';
import type { Workspace } from './workspace.js';
import type { Node } from '../parse/nodes.js';
import { StateComparison, type PreviousState } from './previous-state.js';

const METHODS = [
  'tag',
  'path',
  'resource_type',
  'source',
  'config.materialized',
  'test_type',
  'test_name',
  'fqn',
  'package',
  'file',
  'unique_id',
  'state',
  'result',
] as const;

/** What one selection works with: the workspace, and the earlier run's state when `--state` gave one. */
interface SelectionScope {
  ws: Workspace;
  state?: StateComparison;
}

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

function matches(node: Node, atom: Atom, scope: SelectionScope): boolean {
  const { ws } = scope;
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
      return matchesPath(node, value);
    case 'file':
      // dbt's file method: the file's name (`orders.sql`), or its stem; a path works as well.
      return value.includes('/') ? matchesPath(node, value) : glob(value).test(baseName(node.file)) || glob(value).test(stemOf(node.file));
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
      // dbt still takes `schema` and `data` for `generic` and `singular` (selector_methods.py, TestTypeSelectorMethod).
      if (value === 'unit') return node.resourceType === 'unit_test';
      if (!TEST_TYPES[value]) throw new ProjectError('selection', `unknown test type 'test_type:${value}'`, { hint: 'use generic, singular or unit' });
      return node.resourceType === 'test' && node.testType === TEST_TYPES[value];
    case 'state':
      return stateOf(scope, atom).matches(node, value);
    case 'result':
      return stateOf(scope, atom).resultMatches(node, value);
    case 'test_name':
      // dbt: the generic test's name (`unique`, `accepted_values`), not the node's generated name.
      // A unit test answers to its own name (dbt's test_name:<unit test> in the conformance suite).
      if (node.resourceType === 'unit_test') return glob(value).test(node.name);
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

const TEST_TYPES: Record<string, 'generic' | 'singular'> = { generic: 'generic', schema: 'generic', singular: 'singular', data: 'singular' };

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

function stemOf(file: string): string {
  const base = baseName(file);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function stateOf(scope: SelectionScope, atom: Atom): StateComparison {
  if (!scope.state) {
    throw new ProjectError('selection', `'${atom.method}:${atom.value}' compares with an earlier run, but no --state folder was given`, {
      hint: "pass --state <folder with the earlier run's manifest.json> (or set DBT_STATE)",
    });
  }
  return scope.state;
}

/**
 * dbt's fqn method (the default): the node's name, or the leading parts of its fqn, so that
 * `shop` selects the whole project and `shop.staging` a folder (`*` matches within one part).
 */
function matchesFqn(node: Node, value: string): boolean {
  if (glob(value).test(node.name)) return true;
  const parts = value.split('.');
  // A model version (fqn ending `v<N>`) also answers to `<name>_v<N>` and `<name>.v<N>` (dbt's is_selected_node).
  if (node.resourceType === 'model' && node.version !== undefined && node.fqn.slice(-2).join('_') === parts.slice(-2).join('_')) return true;
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

function selectAtom(scope: SelectionScope, raw: string): Set<string> {
  const { ws } = scope;
  const atom = parseAtom(raw);
  const out = new Set<string>();
  for (const node of ws.manifest.nodes.values()) if (matches(node, atom, scope)) out.add(node.uniqueId);
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
function selectExpression(scope: SelectionScope, exprs: string[], warnings: string[]): Set<string> {
  const out = new Set<string>();
  for (const expr of exprs.flatMap((e) => e.split(/\s+/)).filter(Boolean)) {
    const parts = expr.split(',').map((p) => selectAtom(scope, p));
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
  /** The earlier run's artifacts, for `state:` and `result:` (`--state`). */
  state?: PreviousState;
}

/** dbt's node selection: `name`, `+name`, `name+`, `tag:`, `path:`, `state:modified`, … and `--exclude`. */
export function selectNodes(ws: Workspace, opts: SelectionOptions, warnings: string[] = []): Set<string> {
  const scope: SelectionScope = { ws, state: opts.state ? new StateComparison(ws, opts.state) : undefined };
  const selected = opts.select?.length ? selectExpression(scope, opts.select, warnings) : new Set(ws.manifest.nodes.keys());
  if (opts.exclude?.length) {
    for (const id of selectExpression(scope, opts.exclude, warnings)) selected.delete(id);
  }
  return selected;
}
