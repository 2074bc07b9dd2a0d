import { ProjectError } from '../core/errors.js';
import { asList, mergeConfig } from '../project/folder-config.js';
import { unrenderedConfig } from './unrendered-config.js';
import { folderConfigFor, inProject, type SqlFile } from '../project/load-project.js';
import { MATERIALIZATIONS, parseNodeConfig, type ColumnDefinition, type NodeConfig } from '../project/schemas.js';
import { callSite } from '../templating/call-sites.js';
import { inertHooks } from '../templating/render-hooks.js';
import type { CompiledTemplate } from '../templating/template-engine.js';
import type { RelationName } from '../warehouse/dialect.js';
import { Relation } from '../warehouse/relation.js';
import type { Materialization, ModelNode, RefCall, SourceNode } from './nodes.js';
import { addDisabled, collectInto, type ParseContext } from './parse-context.js';
import type { DescribedNode, VersionedModel } from './properties.js';
import { recordRefs } from './record-refs.js';
import { registerName } from './ref-lookup.js';

/** The errors dbt's parse-time Undefined swallows (a call or attribute of what is not defined): they surface when the node compiles. */
const CAPTURED_AT_PARSE = /is not a macro or function|is not a macro namespace of this project|is undefined, so it has no|is not supported by this engine/;

/** What the parse render of one model learnt: its config (the start config with its config() calls laid over), refs, sources and relation. */
export interface ModelRender {
  config: NodeConfig;
  refs: RefCall[];
  sources: [string, string][];
  relation: RelationName | undefined;
  template: CompiledTemplate;
  /** The macro files the render called, with their hashes (through the parse cache; empty without one). */
  macroFiles: [string, string][];
  /** Whether the parse cache may keep the result (see ParseCache.traced). */
  cacheable: boolean;
}

/** Models: each file is rendered once (dbt's parse render) to learn its refs, sources and config. */
/**
 * dbt's identity of a model version: `model.<package>.<name>.v<N>`, named for the model (not its
 * file), with `v<N>` ending its fqn (dbt-core parser/schemas.py, contracts/graph/nodes.py
 * ModelNode.search_name); its relation keeps the file's name (`<name>_v<N>`, dbt's default alias).
 */
function versionsByFile(versioned: ReadonlyMap<string, VersionedModel>): Map<string, { name: string; v: string; latest: string }> {
  const out = new Map<string, { name: string; v: string; latest: string }>();
  for (const [name, ver] of versioned) for (const v of ver.versions) out.set(v.model, { name, v: v.v, latest: ver.latest });
  return out;
}

/** A version as dbt writes it: a number when it reads as one (`v: 2`), else the text. */
function versionValue(v: string): string | number {
  return /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

export function parseModels(ctx: ParseContext, described: Map<string, DescribedNode>, versioned: ReadonlyMap<string, VersionedModel> = new Map()): void {
  const { project, errors, nodes, byName, sourcesByName } = ctx;
  const versionOf = versionsByFile(versioned);
  for (const m of project.models) {
    const fqn = [project.name, ...inProject(project, m.file).split('/').slice(1, -1), m.name];
    const props = described.get(m.name);
    let config = mergeConfig(folderConfigFor(project, 'models', fqn), props?.props.config ?? {});
    const beforeRender = config;
    const sourceRelation = (s: string, t: string) => {
      const id = sourcesByName.get(`${s}.${t}`);
      return id ? (nodes.get(id) as SourceNode).relation : undefined;
    };
    const cache = ctx.cache;
    const startConfig = cache ? JSON.stringify(config) : '';
    const hit = cache?.model(m.file, startConfig, sourceRelation);
    let refs: RefCall[];
    let sources: [string, string][];
    let relation: RelationName | undefined;
    let template: CompiledTemplate | undefined;
    const errorsBefore = errors.length;
    let macroFiles: [string, string][] = [];
    let cacheable = true;
    if (hit) {
      ({ config, refs, sources, relation } = hit);
    } else {
      const rendered = renderModel(ctx, m, config);
      if (!rendered) continue;
      ({ config, refs, sources, relation, template, macroFiles, cacheable } = rendered);
    }
    if (cache && !hit && !cacheable) cache.refuse();
    if (cache && !hit && cacheable && errors.length === errorsBefore) {
      const hookTexts = (['pre-hook', 'post-hook'] as const).map((k) => JSON.stringify(config[k] ?? null));
      cache.storeModel(m.file, [m.source, ...hookTexts], {
        startConfig,
        macroFiles,
        sourceRelations: JSON.stringify(sources.map(([s, t]) => sourceRelation(s, t) ?? null)),
        config,
        refs,
        sources,
        relation,
      });
    }
    const materialized = (config.materialized ?? 'view') as Materialization;
    if (config.enabled !== false && !['view', 'table', 'incremental', 'ephemeral'].includes(materialized)) {
      errors.push(
        new ProjectError('project', `materialized '${materialized}' is not one of view, table, incremental, ephemeral`, {
          location: { file: m.file },
        }),
      );
      continue;
    }
    const ver = versionOf.get(m.name);
    const uniqueId = ver ? `model.${project.name}.${ver.name}.v${ver.v}` : `model.${project.name}.${m.name}`;
    const node: ModelNode = {
      uniqueId,
      resourceType: 'model',
      name: ver?.name ?? m.name,
      packageName: project.name,
      file: m.file,
      fqn: ver ? [...fqn.slice(0, -1), ver.name, `v${ver.v}`] : fqn,
      ...(ver ? { version: versionValue(ver.v), latestVersion: versionValue(ver.latest) } : {}),
      config: { ...config, materialized },
      tags: asList(config.tags),
      description: props?.props.description ?? '',
      columns: (props?.props.columns ?? []) as ColumnDefinition[],
      constraints: Array.isArray(props?.props.constraints) ? props.props.constraints : undefined,
      dependsOn: [],
      relation: materialized === 'ephemeral' ? undefined : relation,
      ephemeralRelation: materialized === 'ephemeral' ? relation : undefined,
      patchFile: props?.file,
      unrenderedConfig: unrenderedConfig(project, 'models', fqn, props?.props.config ?? {}, beforeRender, config),
      materialized,
      rawSql: m.source,
      refs,
      sources,
    };
    if (config.enabled === false) {
      addDisabled(ctx, node);
      continue;
    }
    nodes.set(uniqueId, node);
    if (template) ctx.templates.set(uniqueId, template);
    registerName(byName, project.name, m.name, uniqueId, project.pathPrefix === '');
  }
}

/**
 * The parse render of one model file from its start config (folder config and properties): what
 * its config() calls set, the refs and sources it reads, its relation. Errors go to `ctx.errors`;
 * undefined when the template does not compile.
 */
export function renderModel(ctx: ParseContext, m: SqlFile, startConfig: NodeConfig): ModelRender | undefined {
  const { project, target, dialect, database, engine, errors, nodes, sourcesByName, cache } = ctx;
  let config = startConfig;
  let relation: RelationName | undefined;
  let template: CompiledTemplate | undefined;
  const sourceRelation = (s: string, t: string) => {
    const id = sourcesByName.get(`${s}.${t}`);
    return id ? (nodes.get(id) as SourceNode).relation : undefined;
  };
  const recorded = recordRefs({ database, schema: target.schema, dialect, sourceRelation });
  const { refs, sources } = recorded;
  collectInto(errors, () => {
    template = engine.compile(m.file, m.source);
  });
  if (!template) return undefined;
  // dbt's parse context has the node as `model`; a microbatch model's `model.batch` is none until its batches run.
  const model = {
    name: m.name,
    batch: null,
    get config() {
      return config;
    },
  };
  const hooks = inertHooks(m.file, m.source, {
    extra: { model },
    packageName: project.name,
    ref: recorded.ref,
    source_: recorded.source_,
    config: (values) => {
      // dbt rejects a hook given under both its spellings in one config() (hooks/test_model_hooks.py BaseDuplicateHooksInConfigs).
      for (const [a, b] of [
        ['pre_hook', 'pre-hook'],
        ['post_hook', 'post-hook'],
      ] as const) {
        if (a in (values as object) && b in (values as object)) {
          throw new ProjectError('template', `config() sets both '${a}' and '${b}', which are the same config`, {
            location: { file: m.file, ...callSite(m.source, 'config') },
            source: m.source,
            hint: `keep one of them (put every hook in one list under '${b}')`,
          });
        }
      }
      const r = parseNodeConfig(values as Record<string, unknown>);
      if (!r.success) {
        const issue = r.issues[0]!;
        const key = String(issue.path[0] ?? '');
        const at = callSite(m.source, 'config');
        const given = JSON.stringify((values as Record<string, unknown>)[key]);
        const detail =
          key === 'materialized'
            ? `must be one of ${MATERIALIZATIONS.join(', ')}`
            : issue.code === 'invalid_value'
              ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
              : issue.message;
        throw new ProjectError('template', `config(${key}=${given}): ${detail}`, {
          location: { file: m.file, ...at },
          source: m.source,
        });
      }
      config = mergeConfig(config, r.data);
    },
    configGet: (key, fallback) => (config as Record<string, unknown>)[key] ?? fallback,
    thisRelation: () => new Relation(database, config.schema ?? target.schema, config.alias ?? m.name, dialect),
  });
  const parseRender = () => {
    try {
      engine.render(template!, hooks);
    } catch (e) {
      if (!(e instanceof ProjectError)) throw e;
      // dbt parses with a capturing Undefined: calling a name that is not there does not fail the
      // parse; the node's compile at run time reports it as that node's error (its children skipped).
      if (!CAPTURED_AT_PARSE.test(e.message)) errors.push(e);
    }
    // A hook's ref() is a dependency too, as in dbt (hooks/test_model_hooks.py BaseHookRefs); hooks render again at run time, where their errors are reported.
    for (const which of ['pre-hook', 'post-hook'] as const) {
      for (const h of asList(config[which] as unknown)) {
        const text = typeof h === 'string' ? h : ((h as { sql?: unknown } | null)?.sql ?? '');
        if (typeof text !== 'string' || !/\bref\s*\(/.test(text)) continue;
        try {
          engine.render(engine.compile(m.file, text), { ...hooks, source: text, config: () => undefined });
        } catch {
          // Reported when the hook runs.
        }
      }
    }
    const m8n = config.materialized ?? 'view';
    // An ephemeral model is named too: its `this` has the schema and database it would have (dbt's Relation.create_from).
    if (config.enabled === false || !['view', 'table', 'incremental', 'ephemeral'].includes(m8n)) return;
    collectInto(errors, () => {
      relation = ctx.nameFor(config, m.name, m.file);
    });
  };
  if (!cache) {
    parseRender();
    return { config, refs, sources, relation, template, macroFiles: [], cacheable: true };
  }
  const { macroFiles, cacheable } = cache.traced(engine, parseRender);
  return { config, refs, sources, relation, template, macroFiles, cacheable };
}
