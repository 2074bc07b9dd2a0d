/**
 * Comparison with an earlier run's artifacts (`--state DIR`): the `state:` and `result:` selector
 * methods and what `--defer` reads. The rules follow dbt-core's `graph/selector_methods.py`
 * (StateSelectorMethod, ResultSelectorMethod) and the `same_*` checks of `contracts/graph/nodes.py`.
 */
import { ProjectError } from '../core/errors.js';
import { calledMacros, projectMacroSources, type MacroSource } from '../parse/macro-dependencies.js';
import type { Exposure } from '../parse/governance.js';
import type { Node } from '../parse/nodes.js';
import { dbtConfigDefaults, dbtNodeConfig } from '../parse/dbt-node-config.js';
import { checksumOf, projectFileChecksum } from '../project/file-checksum.js';
import type { RelationName } from '../warehouse/dialect.js';
import type { Workspace } from './workspace.js';

/** A node of the state manifest, as far as comparing needs it (dbt's manifest.json shape). */
export interface StateNode {
  unique_id?: string;
  resource_type?: string;
  checksum?: { name?: string; checksum?: string };
  config?: Record<string, unknown>;
  database?: string | null;
  schema?: string | null;
  alias?: string | null;
  identifier?: string | null;
  fqn?: string[];
  description?: string;
  columns?: Record<string, { name?: string; description?: string; data_type?: string | null }>;
  depends_on?: { macros?: string[]; nodes?: string[] };
  contract?: { enforced?: boolean };
}

export interface StateManifest {
  nodes: Record<string, StateNode>;
  sources: Record<string, StateNode>;
  /** dbt's `unit_tests`: each with its checksum (a string for unit tests). */
  unit_tests?: Record<string, { checksum?: unknown }>;
  macros: Record<string, { macro_sql?: string; depends_on?: { macros?: string[] } }>;
  /** dbt's `exposures`, as its manifest writes them (exposureToJson). */
  exposures?: Record<string, Record<string, unknown>>;
}

/** An earlier run's artifacts: its manifest, and the statuses of its run_results.json when there is one. */
export interface PreviousState {
  dir: string;
  manifest: StateManifest;
  /** unique id -> status of the earlier run's results. */
  results?: Map<string, string>;
}

export const STATE_SELECTORS = [
  'new',
  'modified',
  'modified.body',
  'modified.configs',
  'modified.persisted_descriptions',
  'modified.relation',
  'modified.macros',
  'modified.contract',
] as const;

/** The facts of the current project the state checks compare: computed once per selection. */
export class StateComparison {
  private readonly macros: Map<string, MacroSource>;
  private modifiedMacros?: Set<string>;

  constructor(
    private readonly ws: Workspace,
    private readonly state: PreviousState,
  ) {
    this.macros = projectMacroSources(ws.project);
  }

  previous(node: Node): StateNode | undefined {
    return this.state.manifest.nodes[node.uniqueId] ?? this.state.manifest.sources[node.uniqueId];
  }

  /** Whether `node` matches `state:<selector>`. */
  matches(node: Node, selector: string): boolean {
    if (!(STATE_SELECTORS as readonly string[]).includes(selector)) {
      throw new ProjectError('selection', `unknown state selector 'state:${selector}'`, { hint: `use one of: ${STATE_SELECTORS.join(', ')}` });
    }
    if (node.resourceType === 'unit_test') {
      // A unit test is new, or modified when its fixtures or overrides changed (its model's changes reach it through `+`).
      const before = this.state.manifest.unit_tests?.[node.uniqueId];
      if (selector === 'new') return before === undefined;
      return selector === 'modified' || selector === 'modified.body' ? before?.checksum !== node.checksum : false;
    }
    const old = this.previous(node);
    if (selector === 'new') return old === undefined;
    if (selector === 'modified.macros') return this.macrosModified(node);
    if (!old) return true;
    switch (selector) {
      case 'modified.body':
        return !this.sameBody(node, old);
      case 'modified.configs':
        return !sameConfig(node, old);
      case 'modified.persisted_descriptions':
        return !samePersistedDescription(node, old);
      case 'modified.relation':
        return !sameRelation(node, old);
      case 'modified.contract':
        return !sameContract(node, old);
      default:
        return (
          !this.sameBody(node, old) ||
          !sameConfig(node, old) ||
          !samePersistedDescription(node, old) ||
          !sameFqn(node, old) ||
          !sameRelation(node, old) ||
          !sameContract(node, old) ||
          this.macrosModified(node)
        );
    }
  }

  /**
   * Whether an exposure matches `state:<selector>` (dbt-core contracts/graph/nodes.py Exposure.same_contents:
   * fqn, type, owner, maturity, url, description, label, depends_on nodes and unrendered config). Of the
   * `modified.` subselectors only `configs` applies to an exposure (dbt's check_modified_factory finds
   * no other `same_*` method on one), so the others match none.
   */
  exposureMatches(e: Exposure, selector: string): boolean {
    if (!(STATE_SELECTORS as readonly string[]).includes(selector)) {
      throw new ProjectError('selection', `unknown state selector 'state:${selector}'`, { hint: `use one of: ${STATE_SELECTORS.join(', ')}` });
    }
    const old = this.state.manifest.exposures?.[e.uniqueId];
    if (selector === 'new') return old === undefined;
    // dbt's same_config compares the unrendered configs (a top-level `tags:` or `meta:` is no change).
    const sameConfigs = () => same(e.unrenderedConfig ?? {}, old?.unrendered_config ?? {});
    if (selector === 'modified.configs') return !old || !sameConfigs();
    if (selector !== 'modified') return false;
    if (!old) return true;
    const deps = (old.depends_on as { nodes?: string[] } | undefined)?.nodes ?? [];
    return !(
      same(e.fqn, old.fqn) &&
      e.type === old.type &&
      same({ email: null, name: null, ...e.owner }, old.owner) &&
      (e.maturity ?? null) === (old.maturity ?? null) &&
      (e.url ?? null) === (old.url ?? null) &&
      e.description === (old.description ?? '') &&
      (e.label ?? null) === (old.label ?? null) &&
      same([...new Set(e.dependsOn)].sort(), [...new Set(deps)].sort()) &&
      sameConfigs()
    );
  }

  /** The project macros `node` calls, directly, as `macro.<project>.<name>` ids (dbt's `depends_on.macros`). */
  nodeMacros(node: Node): string[] {
    return nodeMacroIds(this.ws, node, this.macros);
  }

  private sameBody(node: Node, old: StateNode): boolean {
    if (node.resourceType === 'source') return true;
    return old.checksum?.checksum === nodeChecksum(this.ws, node).checksum;
  }

  /** dbt: a node is modified through its macros when a macro it calls, directly or through other macros, changed. */
  private macrosModified(node: Node): boolean {
    this.modifiedMacros ??= this.changedMacros();
    if (!this.modifiedMacros.size) return false;
    const seen = new Set<string>();
    const stack = this.nodeMacros(node);
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      if (this.modifiedMacros.has(id)) return true;
      const m = this.macros.get(id);
      if (m) stack.push(...m.calls);
    }
    return false;
  }

  private changedMacros(): Set<string> {
    const now = new Map([...this.macros.values()].map((m) => [m.id, m.sql]));
    const packages = new Set([this.ws.project.name, ...this.ws.project.packages.map((p) => p.name)]);
    const before = this.state.manifest.macros;
    const changed = new Set<string>();
    for (const [id, sql] of now) if (before[id]?.macro_sql !== sql) changed.add(id);
    // A removed macro of the project or of an installed package (dbt's built-ins are not in `now`).
    for (const id of Object.keys(before)) if (packages.has(id.split('.')[1] ?? '') && !now.has(id)) changed.add(id);
    return changed;
  }

  /** `result:<status>`: the node had that status in the earlier run's run_results.json. */
  resultMatches(node: Node, status: string): boolean {
    if (!this.state.results) {
      throw new ProjectError('selection', `'result:${status}' needs the earlier run's run_results.json in ${this.state.dir}`, {
        hint: 'copy target/run_results.json of that run into the --state folder',
      });
    }
    return this.state.results.get(node.uniqueId) === status;
  }

  /** The relation the state manifest names for a node, for `--defer`. */
  deferredRelation(node: Node): RelationName | undefined {
    const old = this.state.manifest.nodes[node.uniqueId];
    const identifier = old?.alias ?? old?.identifier;
    if (!old?.database || !old.schema || !identifier) return undefined;
    return { database: old.database, schema: old.schema, identifier };
  }
}

/** The project and package macros a node calls directly, as dbt's `macro.<package>.<name>` ids. */
export function nodeMacroIds(ws: Workspace, node: Node, macros: ReadonlyMap<string, MacroSource>): string[] {
  if (node.resourceType !== 'model' && node.resourceType !== 'test') return [];
  return calledMacros(node.rawSql, macros, node.packageName, ws.project.name);
}

/** dbt's node `checksum`: of the SQL file for models and tests, of the CSV file for seeds. */
export function nodeChecksum(ws: Workspace, node: Node): { name: 'sha256'; checksum: string } {
  if (node.resourceType === 'seed') return projectFileChecksum(ws.project, node.file);
  if (node.resourceType === 'model' || node.resourceType === 'test') return checksumOf(node.rawSql);
  return checksumOf('');
}

/** JSON with sorted keys, so two configs compare by content. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** The config as manifest.json writes it (dbt's shape) against the earlier manifest's. */
function sameConfig(node: Node, old: StateNode): boolean {
  // A manifest that leaves keys at their defaults out (an earlier one of this engine's) reads as having them.
  return canonical(dbtNodeConfig(node)) === canonical({ ...dbtConfigDefaults(node.resourceType), ...(old.config ?? {}) });
}

/**
 * dbt's `same_database_representation`: the configured `database`, `schema` and `alias`, not the
 * names they resolve to, which differ between targets (a CI target builds elsewhere than production).
 */
function sameRelation(node: Node, old: StateNode): boolean {
  const now = node.config as Record<string, unknown>;
  const before = old.config ?? {};
  // A test's `schema` defaults to dbt_test__audit, which dbt writes: the same as none configured.
  const defaults = dbtConfigDefaults(node.resourceType);
  const value = (c: Record<string, unknown>, k: string) => canonical(c[k] ?? (k === 'schema' ? defaults[k] : null) ?? null);
  return ['database', 'schema', 'alias'].every((k) => value(now, k) === value(before, k));
}

function sameFqn(node: Node, old: StateNode): boolean {
  return old.fqn === undefined || canonical(node.fqn) === canonical(old.fqn);
}

/** dbt compares descriptions only where `persist_docs` writes them to the warehouse. */
function samePersistedDescription(node: Node, old: StateNode): boolean {
  const persist = ((node.config as Record<string, unknown>).persist_docs ?? {}) as { relation?: boolean; columns?: boolean };
  if (persist.relation && (node.description ?? '') !== (old.description ?? '')) return false;
  if (persist.columns) {
    const now = Object.fromEntries(node.columns.map((c) => [c.name, c.description ?? '']));
    const before = Object.fromEntries(Object.entries(old.columns ?? {}).map(([k, c]) => [k, c.description ?? '']));
    if (canonical(now) !== canonical(before)) return false;
  }
  return true;
}

/** dbt: with a contract enforced on either side, the columns' names and types must be the same. */
function sameContract(node: Node, old: StateNode): boolean {
  const enforced = (c: unknown) => !!(c as { enforced?: boolean } | undefined)?.enforced;
  const nowEnforced = enforced((node.config as Record<string, unknown>).contract);
  const beforeEnforced = enforced(old.config?.contract) || enforced(old.contract);
  if (!nowEnforced && !beforeEnforced) return true;
  if (nowEnforced !== beforeEnforced) return false;
  const now = Object.fromEntries(node.columns.map((c) => [c.name, c.data_type ?? null]));
  const before = Object.fromEntries(Object.entries(old.columns ?? {}).map(([k, c]) => [k, c.data_type ?? null]));
  return canonical(now) === canonical(before);
}

/** Equal as JSON values, whatever the order of object keys. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
