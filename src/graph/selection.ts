import { ProjectError } from '../core/errors.js';
import type { Workspace } from './workspace.js';
import type { Node } from '../parse/nodes.js';
import type { Exposure } from '../parse/governance.js';
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
  'selector',
  'exposure',
  'version',
] as const;

/** What one selection works with: the workspace, and the earlier run's state when `--state` gave one. */
interface SelectionScope {
  ws: Workspace;
  state?: StateComparison;
  /** `ls`: exposures are selectable leaves of the graph (children of what they depend on), as in dbt's graph. */
  exposures?: ExposureLinks;
}

interface ExposureLinks {
  byId: Map<string, Exposure>;
  /** A node's exposures (its children outside the run graph). */
  childrenOf: Map<string, string[]>;
}

function exposureLinks(ws: Workspace): ExposureLinks {
  const byId = new Map(ws.manifest.exposures ?? []);
  const childrenOf = new Map<string, string[]>();
  for (const e of byId.values()) for (const d of e.dependsOn) childrenOf.set(d, [...(childrenOf.get(d) ?? []), e.uniqueId]);
  return { byId, childrenOf };
}

/** The criteria an exposure answers to (dbt's selector methods on an Exposure): its name and fqn, tags, file, package, id, type, state. */
function exposureMatches(e: Exposure, atom: Atom, scope: SelectionScope): boolean {
  const { method, value } = atom;
  switch (method) {
    case '':
    case 'fqn':
      if (value.includes('/') && method === '') return matchesFilePath(e.file, value);
      return glob(value).test(e.name) || fqnMatches(e.fqn, value);
    case 'exposure':
      return glob(value).test(e.name);
    case 'tag':
      return e.tags.some((t) => glob(value).test(t));
    case 'path':
      return matchesFilePath(e.file, value);
    case 'file':
      return value.includes('/') ? matchesFilePath(e.file, value) : glob(value).test(baseName(e.file)) || glob(value).test(stemOf(e.file));
    case 'resource_type':
      return value === 'exposure';
    case 'package':
      return e.packageName === value || value === scope.ws.project.name;
    case 'unique_id':
      return e.uniqueId === value;
    case 'state':
      return stateOf(scope, atom).exposureMatches(e, value);
    default:
      return false;
  }
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

/**
 * dbt's `version:` method (dbt-core graph/selector_methods.py, VersionSelectorMethod): only models answer;
 * `latest` is the model's latest version, `prerelease` a version above it, `old` one below, `none` an unversioned model.
 */
function matchesVersion(node: Node, value: string): boolean {
  if (!['latest', 'prerelease', 'old', 'none'].includes(value)) {
    throw new ProjectError('selection', `unknown version selector 'version:${value}'`, { hint: 'use latest, prerelease, old or none' });
  }
  if (node.resourceType !== 'model') return false;
  const { version, latestVersion } = node;
  if (value === 'none') return version === undefined;
  if (version === undefined || latestVersion === undefined) return false;
  const order = compareVersions(version, latestVersion);
  return value === 'latest' ? order === 0 : value === 'prerelease' ? order > 0 : order < 0;
}

/** Versions compare as numbers when both are numbers, else as strings (dbt's UnparsedVersion). */
function compareVersions(a: string | number, b: string | number): number {
  const na = Number(a);
  const nb = Number(b);
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
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
    case 'version':
      return matchesVersion(node, value);
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
  return fqnMatches(node.fqn, value);
}

function fqnMatches(nodeFqn: string[], value: string): boolean {
  const parts = value.split('.');
  const fqn = nodeFqn.flatMap((p) => p.split('.'));
  return parts.length <= fqn.length && parts.every((p, i) => glob(p).test(fqn[i]!));
}

function matchesPath(node: Node, value: string): boolean {
  return matchesFilePath(node.file, value);
}

function matchesFilePath(file: string, value: string): boolean {
  const v = value.replace(/\\/g, '/').replace(/\/+$/, '').replace(/^\.\//, '');
  if (v.includes('*')) return glob(v).test(file);
  return file === v || file.startsWith(`${v}/`);
}

function walk(ws: Workspace, start: Iterable<string>, dir: 'up' | 'down', depth: number, into: Set<string>, exposures?: ExposureLinks): void {
  let frontier = [...start];
  for (let d = 0; d < depth && frontier.length; d++) {
    const next: string[] = [];
    for (const id of frontier) {
      const exposure = exposures?.byId.get(id);
      const neighbours = exposure
        ? dir === 'up'
          ? exposure.dependsOn
          : []
        : [...((dir === 'up' ? ws.graph.predecessors(id) : ws.graph.successors(id)) ?? []), ...(dir === 'down' ? (exposures?.childrenOf.get(id) ?? []) : [])];
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

/**
 * How tests (and unit tests) follow the nodes they test (dbt's `--indirect-selection`,
 * graph/selector.py expand_selection): `eager` when any parent is selected, `cautious` when
 * all are, `buildable` when all are selected or ancestors of the selection, `empty` never.
 */
export const INDIRECT_SELECTION = ['eager', 'cautious', 'buildable', 'empty'] as const;
export type IndirectSelection = (typeof INDIRECT_SELECTION)[number];

/** dbt's selection spec (graph/selector_spec.py): one criterion, or a set operation on others. */
export type SelectionSpec =
  | {
      kind: 'criteria';
      raw: string;
      atom: Atom;
      indirect: IndirectSelection;
      /** For `selector:<name>`: the named selectors' specs, whose selection the graph operators start from. */
      inner?: SelectionSpec;
    }
  | {
      kind: 'union' | 'intersection' | 'difference';
      parts: SelectionSpec[];
      indirect: IndirectSelection;
      /** Warn when this part selects nothing (each `--select` word, as dbt's expect_exists). */
      expectExists?: string;
    };

export interface Atom {
  method: string;
  value: string;
  parents: number; // 0 none, Infinity for '+'
  children: number;
  at: boolean;
}

/** A criterion from the CLI form: `+tag:nightly+2`, `@orders`, `path:models/x`. */
export function criteria(raw: string, indirect: IndirectSelection = 'eager'): SelectionSpec {
  return { kind: 'criteria', raw, atom: parseAtom(raw), indirect };
}

/** A criterion from its parts (a selectors.yml `method:`/`value:` mapping); an unknown method is an error. */
export function criteriaOf(atom: Atom, raw: string, indirect: IndirectSelection): SelectionSpec {
  if (atom.method && !(METHODS as readonly string[]).includes(atom.method)) {
    throw new ProjectError('selection', `unknown selector method '${atom.method}'`, { hint: `methods: ${METHODS.join(', ')}` });
  }
  return { kind: 'criteria', raw, atom, indirect };
}

/** `--select a b,c --exclude d`: the union of each word's intersection, less the exclusions (graph/cli.py parse_difference). */
export function specFromFlags(select: string[] | undefined, exclude: string[] | undefined, indirect: IndirectSelection = 'eager'): SelectionSpec {
  const union = (words: string[], expect: boolean): SelectionSpec => ({
    kind: 'union',
    indirect,
    parts: words
      .flatMap((e) => e.split(/\s+/))
      .filter(Boolean)
      .map((word) => ({
        kind: 'intersection' as const,
        indirect,
        parts: word.split(',').map((p) => criteria(p, indirect)),
        expectExists: expect ? word : undefined,
      })),
  });
  // Nothing selected means every node (dbt's default `fqn:*` and `source:*`; every node here has an fqn).
  const included: SelectionSpec = select?.length ? union(select, true) : criteria('fqn:*', indirect);
  return { kind: 'difference', indirect, parts: [included, union(exclude ?? [], true)] };
}

interface Selected {
  direct: Set<string>;
  /** Tests that some but not all of their parents selected, kept in case a later part selects the rest. */
  indirect: Set<string>;
}

function isTest(node: Node | undefined): boolean {
  return node?.resourceType === 'test' || node?.resourceType === 'unit_test';
}

/** The tests `selected` brings along in the given mode (dbt's expand_selection). */
function expand(scope: SelectionScope, selected: Set<string>, mode: IndirectSelection): Selected {
  const { ws } = scope;
  const direct = new Set(selected);
  const indirect = new Set<string>();
  const buildable = mode === 'buildable' ? withAncestorsAndSources(ws, selected) : undefined;
  for (const id of selected) {
    for (const child of ws.graph.successors(id) ?? []) {
      const node = ws.manifest.nodes.get(child);
      if (!node || !isTest(node) || direct.has(child)) continue;
      if (mode === 'eager' || node.dependsOn.every((d) => selected.has(d))) direct.add(child);
      else if (buildable && node.dependsOn.every((d) => buildable.has(d))) direct.add(child);
      else if (mode !== 'empty') indirect.add(child);
    }
  }
  return { direct, indirect };
}

function withAncestorsAndSources(ws: Workspace, selected: Set<string>): Set<string> {
  const out = new Set(selected);
  walk(ws, selected, 'up', Infinity, out);
  for (const node of ws.manifest.nodes.values()) if (node.resourceType === 'source') out.add(node.uniqueId);
  return out;
}

/** Held-back tests whose parents a set operation has now selected (dbt's incorporate_indirect_nodes). */
function incorporate(scope: SelectionScope, direct: Set<string>, indirect: Set<string>, mode: IndirectSelection): Set<string> {
  if (mode !== 'cautious' && mode !== 'buildable') return direct;
  const selected = new Set(direct);
  const allowed = mode === 'buildable' ? withAncestorsAndSources(scope.ws, direct) : direct;
  for (const id of indirect) {
    const node = scope.ws.manifest.nodes.get(id);
    if (isTest(node) && node!.dependsOn.every((d) => allowed.has(d))) selected.add(id);
  }
  return selected;
}

function combine(kind: 'union' | 'intersection' | 'difference', sets: Set<string>[]): Set<string> {
  if (!sets.length) return new Set();
  const [first, ...rest] = sets;
  if (kind === 'union') return new Set(sets.flatMap((s) => [...s]));
  if (kind === 'intersection') return new Set([...first!].filter((x) => rest.every((s) => s.has(x))));
  return new Set([...first!].filter((x) => !rest.some((s) => s.has(x))));
}

function evaluate(scope: SelectionScope, spec: SelectionSpec, warnings: string[]): Selected {
  if (spec.kind === 'criteria') {
    const { ws } = scope;
    const { atom } = spec;
    let collected = new Set<string>();
    if (atom.method === 'selector') {
      if (!spec.inner) throw new ProjectError('selection', `'${spec.raw}' names a selector, but no selectors.yml was read`);
      collected = evaluate(scope, spec.inner, warnings).direct;
    } else if (atom.method === 'exposure') {
      // An exposure runs nothing itself: `+exposure:x` selects what it depends on and their parents.
      const re = glob(atom.value);
      const exposures = [...(ws.manifest.exposures?.values() ?? [])].filter((e) => re.test(e.name));
      const selected = new Set<string>();
      // Where exposures are selectable (`ls`), the exposure itself is selected, as in dbt.
      if (scope.exposures) for (const e of exposures) selected.add(e.uniqueId);
      if (atom.parents) {
        const deps = exposures.flatMap((e) => e.dependsOn);
        for (const d of deps) selected.add(d);
        walk(ws, deps, 'up', atom.parents - 1, selected);
      }
      return spec.indirect === 'empty' ? { direct: selected, indirect: new Set() } : expand(scope, selected, spec.indirect);
    } else if (atom.method === 'fqn' && atom.value === '*') {
      // Every node (what selecting nothing means): no need to match each one.
      collected = new Set(ws.manifest.nodes.keys());
    } else for (const node of ws.manifest.nodes.values()) if (matches(node, atom, scope)) collected.add(node.uniqueId);
    if (scope.exposures) {
      if (atom.method === 'fqn' && atom.value === '*') for (const id of scope.exposures.byId.keys()) collected.add(id);
      else for (const e of scope.exposures.byId.values()) if (exposureMatches(e, atom, scope)) collected.add(e.uniqueId);
    }
    const selected = new Set(collected);
    const links = scope.exposures;
    if (atom.at) {
      walk(ws, collected, 'down', Infinity, selected, links);
      walk(ws, [...selected], 'up', Infinity, selected, links);
    }
    if (atom.parents) walk(ws, collected, 'up', atom.parents, selected, links);
    if (atom.children) walk(ws, collected, 'down', atom.children, selected, links);
    return spec.indirect === 'empty' ? { direct: selected, indirect: new Set() } : expand(scope, selected, spec.indirect);
  }
  const parts = spec.parts.map((p) => evaluate(scope, p, warnings));
  const direct = combine(
    spec.kind,
    parts.map((p) => p.direct),
  );
  const indirect = combine(
    spec.kind,
    parts.map((p) => new Set([...p.direct, ...p.indirect])),
  );
  const out = incorporate(scope, direct, indirect, spec.indirect);
  if (spec.expectExists !== undefined && out.size === 0) warnings.push(`the selector '${spec.expectExists}' matched nothing`);
  return { direct: out, indirect };
}

export interface SelectionOptions {
  select?: string[];
  exclude?: string[];
  /** How tests follow the selected nodes (`--indirect-selection`); eager when not given. */
  indirectSelection?: IndirectSelection;
  /** A spec to use instead of select/exclude (a selectors.yml definition). */
  spec?: SelectionSpec;
  /** The earlier run's artifacts, for `state:` and `result:` (`--state`). */
  state?: PreviousState;
  /** Exposures are selectable too (`ls`): their ids come back with the nodes'. */
  withExposures?: boolean;
}

/**
 * dbt's node selection: `name`, `+name`, `name+`, `tag:`, `path:`, `state:modified`, … and `--exclude`,
 * or a selectors.yml definition; tests come along with the nodes they test as `indirectSelection` says.
 */
export function selectNodes(ws: Workspace, opts: SelectionOptions, warnings: string[] = []): Set<string> {
  const scope: SelectionScope = {
    ws,
    state: opts.state ? new StateComparison(ws, opts.state) : undefined,
    exposures: opts.withExposures ? exposureLinks(ws) : undefined,
  };
  const spec = opts.spec ?? specFromFlags(opts.select, opts.exclude, opts.indirectSelection);
  return evaluate(scope, spec, warnings).direct;
}
