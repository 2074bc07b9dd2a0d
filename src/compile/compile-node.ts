import type { RelationName } from '../warehouse/dialect.js';
import { BatchFilteredRelation, CteReference, EmptyRelation, Relation, relationKey } from '../warehouse/relation.js';
import { InternalError, ProjectError, UpstreamCompileError } from '../core/errors.js';
import type { Workspace } from '../graph/workspace.js';
import type { ModelNode, Node, SourceNode, SqlNode, TestNode } from '../parse/nodes.js';
import { inertHooks, type RenderHooks } from '../templating/render-hooks.js';
import type { CompiledTemplate } from '../templating/template-engine.js';
import { kwargContextName } from '../parse/data-tests/add-data-tests.js';
import { lookupRef } from '../parse/ref-lookup.js';
import { flatGraph } from '../execute/artifacts.js';
import type { QueryCache } from './query-cache.js';

export interface CompileContext {
  /** The template of the node asked for, when it is not one of the workspace's (a hook's text, inline SQL). */
  template?: CompiledTemplate;
  /** Relations that exist in the warehouse (lower-cased `db.schema.name`), for `is_incremental()`. */
  existing?: Set<string>;
  fullRefresh?: boolean;
  /** Extra names for the render (a project hook's `schemas`, `results`). */
  extra?: Record<string, unknown>;
  /** Answers to `run_query()` / `statement` so far; a render asks for what it lacks (see run-queries.ts). */
  queries?: QueryCache;
  /** Where `log()` output goes, instead of the engine's default. */
  log?: (msg: string) => void;
  /** `--empty`: every ref() and source() reads no rows (dbt's render_limited). */
  empty?: boolean;
  /** One batch of a microbatch model: refs and sources with an `event_time` read only this window. */
  batch?: { start: string; end: string };
  /**
   * A unit test: the refs and sources of these nodes (by unique id) read the named fixture CTEs
   * instead of their relations, `this` reads `thisCte`, and `overrides` answer is_incremental(),
   * var(), env_var() and the macros named.
   */
  unitTest?: { substitutes: ReadonlyMap<string, string>; thisCte?: string; isIncremental?: boolean; overrides: NonNullable<RenderHooks['overrides']> };
}

export interface CompiledNode {
  sql: string;
  /** Ephemeral models inlined as CTEs, in the order they were added. */
  ctes: string[];
}

/** The compile pass: renders one node with its real relations, ephemeral models inlined as CTEs. */
export function compileNode(ws: Workspace, node: SqlNode, ctx: CompileContext = {}): CompiledNode {
  const ctes = new Map<string, string>();
  const sql = renderWithCtes(ws, node, ctx, ctes, []);
  const list = [...ctes.entries()].map(([name, body]) => `${name} as (\n${body}\n)`);
  return { sql: list.length ? injectCtes(sql, list) : sql, ctes: [...ctes.keys()] };
}

function renderWithCtes(ws: Workspace, node: SqlNode, ctx: CompileContext, ctes: Map<string, string>, stack: string[]): string {
  let template = ctx.template ?? ws.templates.get(node.uniqueId);
  if (!template) {
    // A node the parse cache answered was never compiled: compiled here once, on first need.
    template = ws.engine.compile(node.file, node.rawSql);
    if (ws.manifest.nodes.get(node.uniqueId) === node) ws.templates.set(node.uniqueId, template);
  }
  const dialect = ws.dialect;
  const rel = (r: RelationName) => new Relation(r.database, r.schema, r.identifier, dialect);
  const read = (r: RelationName) => (ctx.empty ? new EmptyRelation(r.database, r.schema, r.identifier, dialect) : rel(r));
  // One batch of a microbatch model reads only the window of the parents that have an `event_time`.
  const batched = (target: Node, relation: RelationName) => {
    const eventTime = target.config.event_time;
    return ctx.batch && !ctx.empty && typeof eventTime === 'string' ? new BatchFilteredRelation(relation, dialect, eventTime, ctx.batch) : undefined;
  };
  const unit = ctx.unitTest;
  const hooks = inertHooks(node.file, node.rawSql, {
    packageName: node.packageName,
    execute: true,
    extra:
      node.resourceType === 'test' || ctx.extra || unit
        ? { ...(node.resourceType === 'test' ? testContext(ws, node) : {}), ...unitTestNames(unit), ...ctx.extra }
        : undefined,
    overrides: unit?.overrides,
    runQuery: ctx.queries ? (sql) => ctx.queries!.lookup(sql) : undefined,
    log: ctx.log,
    graph: () => flatGraph(ws),
    ref: (args) => {
      const name = args[args.length - 1]!;
      const id = lookupRef(ws.manifest.byName, name, args.length > 1 ? args[0] : undefined, node.packageName);
      const target = id ? ws.manifest.nodes.get(id) : undefined;
      if (!target) throw new ProjectError('graph', `ref('${name}') matches no model or seed`, { location: { file: node.file } });
      const fixture = unit?.substitutes.get(target.uniqueId);
      if (fixture) return new CteReference(fixture);
      if (target.resourceType === 'model' && target.materialized === 'ephemeral') {
        const cteName = `__dbt__cte__${ephemeralName(target)}`;
        if (!ctes.has(cteName)) {
          if (stack.includes(target.uniqueId)) throw new InternalError(`ephemeral cycle at ${target.uniqueId}`);
          // Dependencies of the ephemeral model come first, so each CTE only sees earlier ones.
          let body: string;
          try {
            body = renderWithCtes(ws, target, { ...ctx, template: undefined }, ctes, [...stack, target.uniqueId]);
          } catch (e) {
            if (!(e instanceof ProjectError) || e instanceof UpstreamCompileError) throw e;
            const message = `Compilation Error in ${node.resourceType} ${node.name}, caused by compilation error in referenced ephemeral model ${target.uniqueId}: ${e.message}`;
            throw new UpstreamCompileError(target.uniqueId, e, message, target.rawSql);
          }
          ctes.set(cteName, body);
        }
        return new CteReference(cteName);
      }
      const relation = ws.deferred?.get(target.uniqueId) ?? target.relation;
      if (!relation) throw new InternalError(`${target.uniqueId} has no relation`);
      return batched(target, relation) ?? read(relation);
    },
    source_: (s, t) => {
      const id = ws.manifest.sourcesByName.get(`${s}.${t}`);
      if (!id) throw new ProjectError('graph', `source('${s}', '${t}') is not defined`, { location: { file: node.file } });
      const fixture = unit?.substitutes.get(id);
      if (fixture) return new CteReference(fixture);
      const src = ws.manifest.nodes.get(id) as SourceNode;
      return batched(src, src.relation) ?? read(src.relation);
    },
    configGet: (key, fallback) => (node.config as Record<string, unknown>)[key] ?? fallback,
    // Inside an ephemeral model, `this` is the relation the model would have (database, schema, alias),
    // not its CTE: dbt-core's ModelContext.this is Relation.create_from(config, model) for every node
    // (core/dbt/context/providers.py), whatever it is materialized as.
    thisRelation: () => {
      if (unit?.thisCte && stack.length === 0) return new CteReference(unit.thisCte);
      if (node.resourceType === 'model' && node.materialized === 'ephemeral') return node.ephemeralRelation ? rel(node.ephemeralRelation) : undefined;
      if (!node.relation) return undefined;
      const r = rel(node.relation);
      if (node.resourceType === 'model') r.type = node.materialized === 'view' ? 'view' : 'table';
      return r;
    },
    isIncremental: () =>
      unit?.isIncremental ??
      (node.resourceType === 'model' &&
        node.materialized === 'incremental' &&
        !ctx.fullRefresh &&
        node.config.full_refresh !== true &&
        !!node.relation &&
        !!ctx.existing?.has(relationKey(node.relation))),
  });
  return ws.engine.render(template, hooks).trim().replace(/;\s*$/, '');
}

/** Overridden macros that are context functions here rather than macros (current_timestamp, …): names of the render. */
function unitTestNames(unit: CompileContext['unitTest']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(unit?.overrides.macros ?? {})) if (name !== 'is_incremental') out[name] = () => value;
  return out;
}

function testContext(ws: Workspace, node: TestNode): Record<string, unknown> {
  const kwargs = node.testMetadata?.kwargs ?? {};
  // Arguments under names of their own, so that none can shadow a global such as config or ref.
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [kwargContextName(k), v]));
  if (node.attachedNode) {
    const attached = ws.manifest.nodes.get(node.attachedNode) as Node | undefined;
    if (attached?.relation) out.model = new Relation(attached.relation.database, attached.relation.schema, attached.relation.identifier, ws.dialect);
  }
  if (node.columnName !== undefined) out.column_name = node.columnName;
  return out;
}

const LEADING = /^(\s|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/;

/** Adds CTEs in front of a query, merging with its own WITH clause if it has one. */
export function injectCtes(sql: string, ctes: string[]): string {
  const lead = LEADING.exec(sql)?.[0] ?? '';
  const rest = sql.slice(lead.length);
  const withMatch = /^with(\s+recursive)?\b/i.exec(rest);
  if (withMatch) {
    const head = withMatch[0];
    return `${lead}${head} ${ctes.join(',\n')},\n${rest.slice(head.length).trimStart()}`;
  }
  // No WITH: dbt puts one before the first token that is not whitespace, comments included
  // (dbt-core's _inject_ctes_into_sql, sqlparse's token_first), so leading comments follow the CTEs.
  const ws = /^\s*/.exec(sql)?.[0] ?? '';
  return `${ws}with ${ctes.join(',\n')}\n${sql.slice(ws.length)}`;
}

/** The name an ephemeral model's CTE is built from: a model version's is its file's (`<name>_v<N>`), so two versions do not clash. */
function ephemeralName(node: ModelNode): string {
  return node.version !== undefined ? `${node.name}_v${node.version}` : node.name;
}
