import { Graph, alg } from '@dagrejs/graphlib';
import type { Dialect, RelationName } from '../warehouse/dialect.js';
import { Relation } from '../warehouse/relation.js';
import { addDataTests, installDataTestMacros } from './data-tests/add-data-tests.js';
import { ProjectError, positionOf, throwIfAny } from '../core/errors.js';
import { configFromTree, mergeConfig, asList, renderConfigTree, validateConfigTree, type ConfigTree } from '../project/folder-config.js';
import type { Project } from '../project/load-project.js';
import type { TargetConfig } from '../project/profiles.js';
import { MATERIALIZATIONS, parseNodeConfig, type ColumnDefinition, type ModelProperties, type NodeConfig } from '../project/schemas.js';
import { TemplateEngine, type RenderHooks, type TargetInfo } from '../templating/template-engine.js';
import { unsupportedConfigWarning } from '../project/unsupported.js';
import { didYouMean } from '../core/util.js';
import { renderDescriptions } from './descriptions.js';
import type { Materialization, ModelNode, Node, SeedNode, SourceNode, TestNode } from './nodes.js';
import { recordRefs } from './record-refs.js';

export interface Manifest {
  project: Project;
  target: TargetConfig;
  dialect: Dialect;
  engine: TemplateEngine;
  nodes: Map<string, Node>;
  /** Parent -> child edges between unique ids. */
  graph: Graph;
  /** model/seed name -> unique id, for ref(). */
  byName: Map<string, string>;
  /** `source.table` -> unique id. */
  sourcesByName: Map<string, string>;
  warnings: string[];
}

export function targetInfo(target: TargetConfig, database: string): TargetInfo {
  return {
    name: target.name,
    type: target.type,
    schema: target.schema,
    database,
    threads: target.threads,
    profile_name: target.profileName,
  };
}

/** The database name relations live in: the DuckDB catalog (file stem) or the Snowflake database. */
export function targetDatabase(target: TargetConfig): string {
  if (target.type === 'snowflake') return target.database;
  if (target.database) return target.database;
  const p = target.path ?? 'memory';
  if (p === ':memory:') return 'memory';
  const base = p.replace(/\\/g, '/').split('/').pop() ?? 'main';
  return base.replace(/\..*$/, '').replace(/[^A-Za-z0-9_]/g, '_') || 'main';
}

/**
 * The parse pass: renders every model once to learn its refs, sources and config, then
 * builds and checks the graph. Collects every error before any warehouse call.
 */
export function buildManifest(project: Project, target: TargetConfig, dialect: Dialect, opts: { log?: (m: string) => void } = {}): Manifest {
  const database = targetDatabase(target);
  const engine = new TemplateEngine(project.vars, targetInfo(target, database), dialect, { log: opts.log, project: { name: project.name, file: project.file } });
  const errors: ProjectError[] = [];
  const warnings = [...project.warnings];
  const collect = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (e instanceof ProjectError) errors.push(e);
      else throw e;
    }
  };

  installDataTestMacros(engine);
  for (const m of project.macroFiles) collect(() => engine.loadMacroSource(m.file, m.source));
  throwIfAny(errors);
  project = withRenderedFolderConfig(project, engine, errors);
  throwIfAny(errors);

  const nodes = new Map<string, Node>();
  const byName = new Map<string, string>();
  const sourcesByName = new Map<string, string>();

  // Descriptions, columns and config from properties files.
  const modelProps = new Map<string, { props: ModelProperties; file: string; index: number; key: 'models' | 'seeds' }>();
  const versioned = new Map<string, { versions: { v: string; model: string }[]; latest: string; file: string; index: number }>();
  for (const { yaml, value } of project.properties) {
    for (const key of ['models', 'seeds'] as const) {
      (value[key] ?? []).forEach((props, index) => {
        const prev = modelProps.get(props.name);
        if (prev) {
          errors.push(
            new ProjectError('project', `'${props.name}' is described twice: in ${prev.file} and here`, {
              location: yaml.locate([key, index, 'name']),
              source: yaml.source,
            }),
          );
        }
        modelProps.set(props.name, { props, file: yaml.file, index, key });
        if (key === 'models' && props.versions?.length) {
          // Each version is its own model file; the properties describe every one of them.
          const versions = props.versions.map((v) => ({ v: String(v.v), model: v.defined_in ?? `${props.name}_v${v.v}` }));
          const latest = props.latest_version !== undefined ? String(props.latest_version) : versions.map((v) => v.v).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b)).pop()!;
          versioned.set(props.name, { versions, latest, file: yaml.file, index });
          for (const v of versions) if (!modelProps.has(v.model)) modelProps.set(v.model, { props, file: yaml.file, index, key });
        }
      });
    }
  }

  const nameFor = (config: NodeConfig, name: string, file: string, resourceType: 'model' | 'seed' | 'test' = 'model'): RelationName => {
    // What dbt's generate_*_name macros see of the node (projects branch on `node.resource_type`).
    const node = { name, config, resource_type: resourceType, package_name: project.name, original_file_path: file, path: file, unique_id: `${resourceType}.${project.name}.${name}` };
    const named = (kind: 'schema' | 'alias' | 'database', macro: string, custom: unknown) =>
      (engine.defaultName(kind, custom, name) ?? String(engine.callMacro(macro, [custom ?? null, node], hooksForNaming(file)))).trim();
    const schema = named('schema', 'generate_schema_name', config.schema);
    const identifier = named('alias', 'generate_alias_name', config.alias);
    const db = named('database', 'generate_database_name', config.database);
    return { database: db || database, schema: schema || target.schema, identifier: identifier || name };
  };

  // Sources (including those loaded from files).
  for (const { yaml, value } of project.properties) {
    (value.sources ?? []).forEach((src, si) => {
      src.tables.forEach((table, ti) => {
        const uniqueId = `source.${project.name}.${src.name}.${table.name}`;
        const key = `${src.name}.${table.name}`;
        const location = yaml.locate(['sources', si, 'tables', ti, 'name']);
        if (sourcesByName.has(key)) {
          errors.push(new ProjectError('project', `source '${key}' is defined twice`, { location, source: yaml.source }));
          return;
        }
        const config = mergeConfig(configFromTree(project.folderConfig.sources, [project.name, src.name, table.name]), mergeConfig(src.config ?? {}, table.config ?? {}));
        if (config.enabled === false) return;
        let external: SourceNode['external'];
        if (table.external) {
          let loc = table.external.location;
          collect(() => {
            loc = engine.renderString(loc, yaml.file);
          });
          external = { location: loc, format: table.external.format };
        }
        const node: SourceNode = {
          uniqueId,
          resourceType: 'source',
          name: table.name,
          packageName: project.name,
          file: yaml.file,
          fqn: [project.name, src.name, table.name],
          config,
          tags: [...asList(src.tags), ...asList(table.tags), ...asList(config.tags)],
          description: table.description ?? src.description ?? '',
          columns: table.columns ?? [],
          dependsOn: [],
          sourceName: src.name,
          tableName: table.name,
          relation: {
            database: src.database ?? database,
            schema: src.schema ?? src.name,
            identifier: table.identifier ?? table.name,
          },
          external,
          location,
        };
        nodes.set(uniqueId, node);
        sourcesByName.set(key, uniqueId);
      });
    });
  }

  // Seeds.
  for (const s of project.seeds) {
    const fqn = [project.name, ...s.file.split('/').slice(1, -1), s.name];
    const props = modelProps.get(s.name);
    const config = mergeConfig(configFromTree(project.folderConfig.seeds, fqn), props?.props.config ?? {});
    if (config.enabled === false) continue;
    const uniqueId = `seed.${project.name}.${s.name}`;
    let relation: RelationName | undefined;
    collect(() => {
      relation = nameFor(config, s.name, s.file, 'seed');
    });
    const node: SeedNode = {
      uniqueId,
      resourceType: 'seed',
      name: s.name,
      packageName: project.name,
      file: s.file,
      fqn,
      config: { ...config, materialized: 'seed' },
      tags: asList(config.tags),
      description: props?.props.description ?? '',
      columns: props?.props.columns ?? [],
      dependsOn: [],
      relation,
      patchFile: props?.file,
    };
    nodes.set(uniqueId, node);
    byName.set(s.name, uniqueId);
  }

  // Models: the parse render.
  for (const m of project.models) {
    const fqn = [project.name, ...m.file.split('/').slice(1, -1), m.name];
    const props = modelProps.get(m.name);
    let config = mergeConfig(configFromTree(project.folderConfig.models, fqn), props?.props.config ?? {});
    const recorded = recordRefs({
      database,
      schema: target.schema,
      dialect,
      sourceRelation: (s, t) => {
        const id = sourcesByName.get(`${s}.${t}`);
        return id ? (nodes.get(id) as SourceNode).relation : undefined;
      },
    });
    const { refs, sources } = recorded;
    let template: ModelNode['template'] | undefined;
    collect(() => {
      template = engine.compile(m.file, m.source);
    });
    if (!template) continue;
    const hooks: RenderHooks = {
      file: m.file,
      source: m.source,
      execute: false,
      ref: recorded.ref,
      source_: recorded.source_,
      config: (values) => {
        const r = parseNodeConfig(values as Record<string, unknown>);
        if (!r.success) {
          const issue = r.issues[0]!;
          const key = String(issue.path[0] ?? '');
          const at = /\bconfig\s*\(/.exec(m.source);
          const given = JSON.stringify((values as Record<string, unknown>)[key]);
          const detail =
            key === 'materialized'
              ? `must be one of ${MATERIALIZATIONS.join(', ')}`
              : issue.code === 'invalid_value'
                ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
                : issue.message;
          throw new ProjectError('template', `config(${key}=${given}): ${detail}`, {
            location: at ? { file: m.file, ...positionOf(m.source, at.index) } : { file: m.file },
            source: m.source,
          });
        }
        config = mergeConfig(config, r.data);
      },
      configGet: (key, fallback) => (config as Record<string, unknown>)[key] ?? fallback,
      thisRelation: () => new Relation(database, config.schema ?? target.schema, config.alias ?? m.name, dialect),
      isIncremental: () => false,
    };
    collect(() => {
      engine.render(template!, hooks);
    });
    if (config.enabled === false) continue;
    const materialized = (config.materialized ?? 'view') as Materialization;
    if (!['view', 'table', 'incremental', 'ephemeral'].includes(materialized)) {
      errors.push(
        new ProjectError('project', `materialized '${materialized}' is not one of view, table, incremental, ephemeral`, {
          location: { file: m.file },
        }),
      );
      continue;
    }
    const uniqueId = `model.${project.name}.${m.name}`;
    let relation: RelationName | undefined;
    if (materialized !== 'ephemeral') {
      collect(() => {
        relation = nameFor(config, m.name, m.file);
      });
    }
    const node: ModelNode = {
      uniqueId,
      resourceType: 'model',
      name: m.name,
      packageName: project.name,
      file: m.file,
      fqn,
      config: { ...config, materialized },
      tags: asList(config.tags),
      description: props?.props.description ?? '',
      columns: (props?.props.columns ?? []) as ColumnDefinition[],
      dependsOn: [],
      relation,
      patchFile: props?.file,
      materialized,
      rawSql: m.source,
      template,
      refs,
      sources,
    };
    nodes.set(uniqueId, node);
    byName.set(m.name, uniqueId);
  }

  // A versioned model answers to its name (the latest version) and to `<name>_v<v>` (ref(name, v=…)).
  for (const [name, ver] of versioned) {
    for (const v of ver.versions) {
      const id = byName.get(v.model);
      if (!id) {
        const yaml = project.properties.find((x) => x.yaml.file === ver.file)!.yaml;
        errors.push(
          new ProjectError('project', `version ${v.v} of model '${name}' has no model file named ${v.model}.sql`, {
            location: yaml.locate(['models', ver.index, 'versions']),
            hint: `name the file ${name}_v${v.v}.sql, or point to it with 'defined_in:'`,
            source: yaml.source,
          }),
        );
        continue;
      }
      if (!byName.has(`${name}_v${v.v}`)) byName.set(`${name}_v${v.v}`, id);
      if (v.v === ver.latest && !byName.has(name)) byName.set(name, id);
    }
  }

  // Properties that describe nothing are likely typos.
  const files = new Set([...project.models.map((m) => m.name), ...project.seeds.map((x) => x.name)]);
  for (const [name, p] of modelProps) {
    // A disabled model's properties are quiet, as in dbt.
    if (!byName.has(name) && !files.has(name)) {
      const yaml = project.properties.find((x) => x.yaml.file === p.file)!.yaml;
      warnings.push(
        `${yaml.file}:${yaml.locate([p.key, p.index, 'name']).line}: '${name}' is described but no ${p.key === 'models' ? 'model' : 'seed'} has that name` +
          (didYouMean(name, byName.keys()) ? ` (${didYouMean(name, byName.keys())})` : ''),
      );
    }
  }

  const configWarning = unsupportedConfigWarning(nodes.values());
  if (configWarning) warnings.push(configWarning);

  // Generic tests from the properties files, and singular tests.
  addDataTests({ project, target, dialect, database, engine, nodes, byName, sourcesByName, errors, nameFor: (c, n, f) => nameFor(c, n, f, 'test') });

  // Resolve refs and sources into edges.
  for (const node of nodes.values()) {
    if (node.resourceType !== 'model' && node.resourceType !== 'test') continue;
    resolveDependencies(node, { byName, sourcesByName, project, errors });
  }
  // Descriptions may call doc('name') on the project's {% docs %} blocks.
  errors.push(...renderDescriptions(project, engine, nodes));
  throwIfAny(errors);

  const graph = new Graph({ directed: true });
  for (const id of nodes.keys()) graph.setNode(id);
  for (const node of nodes.values()) for (const parent of node.dependsOn) graph.setEdge(parent, node.uniqueId);
  checkCycles(graph, nodes);

  return { project, target, dialect, engine, nodes, graph, byName, sourcesByName, warnings };
}

function hooksForNaming(file: string): RenderHooks {
  return {
    file,
    source: '',
    execute: false,
    ref: () => undefined,
    source_: () => undefined,
    config: () => undefined,
    configGet: (_k, f) => f,
    thisRelation: () => undefined,
    isIncremental: () => false,
  };
}

/** The project with the Jinja in its folder configs rendered (`+schema: "{{ env_var('X') }}"`), and checked again. */
function withRenderedFolderConfig(project: Project, engine: TemplateEngine, errors: ProjectError[]): Project {
  const fc = project.folderConfig;
  if (!JSON.stringify(fc).match(/\{\{|\{%/)) return project;
  const render = (tree: ConfigTree, section: string): ConfigTree => {
    try {
      const out = renderConfigTree(tree, (text, at) => {
        try {
          return engine.renderString(text, project.file);
        } catch (e) {
          if (!(e instanceof ProjectError)) throw e;
          // Positioned at the YAML value, not at the line of the one-line template.
          throw new ProjectError(e.kind, e.message, { location: project.yaml.locate([section, ...at]), hint: e.hint, source: project.yaml.source });
        }
      });
      errors.push(...validateConfigTree(out, section, project.name, project.yaml, [], project.file === 'dbt_project.yml'));
      return out;
    } catch (e) {
      if (e instanceof ProjectError) errors.push(e);
      else throw e;
      return tree;
    }
  };
  const folderConfig = {
    models: render(fc.models, 'models'),
    seeds: render(fc.seeds, 'seeds'),
    dataTests: render(fc.dataTests, project.config.data_tests ? 'data_tests' : 'tests'),
    sources: render(fc.sources, 'sources'),
  };
  return { ...project, folderConfig };
}

function sourceDeclared(project: Project, sourceName: string, tableName: string): boolean {
  return project.properties.some(({ value }) => (value.sources ?? []).some((src) => src.name === sourceName && src.tables.some((t) => t.name === tableName)));
}

export function resolveDependencies(
  node: ModelNode | TestNode,
  ctx: { byName: Map<string, string>; sourcesByName: Map<string, string>; project: Project; errors: ProjectError[] },
): void {
  const deps = new Set<string>();
  const source = node.rawSql;
  for (const ref of node.refs) {
    const id = ctx.byName.get(ref.name);
    if (id && (!ref.package || ref.package === ctx.project.name)) {
      deps.add(id);
      continue;
    }
    const at = findCall(source, 'ref', ref.name);
    const loc = node.resourceType === 'test' && !at ? node.location : { file: node.file, ...(at ?? {}) };
    ctx.errors.push(
      new ProjectError('graph', `ref('${ref.name}') matches no model or seed`, {
        location: loc,
        hint: ctx.project.snapshotNames.includes(ref.name)
          ? `'${ref.name}' is a snapshot, and snapshots are not supported: build it as an incremental model with unique_key`
          : didYouMean(ref.name, ctx.byName.keys()),
        source: loc.file === node.file ? source : undefined,
      }),
    );
  }
  for (const [s, t] of node.sources) {
    const id = ctx.sourcesByName.get(`${s}.${t}`);
    if (id) {
      deps.add(id);
      continue;
    }
    const at = findCall(source, 'source', s);
    const loc = node.resourceType === 'test' && !at ? node.location : { file: node.file, ...(at ?? {}) };
    ctx.errors.push(
      new ProjectError('graph', `source('${s}', '${t}') ${sourceDeclared(ctx.project, s, t) ? 'is disabled (enabled: false)' : 'is not defined in any properties file'}`, {
        location: loc,
        hint: didYouMean(`${s}.${t}`, ctx.sourcesByName.keys()) ?? "declare it under 'sources:' in a .yml file beside the models",
        source: loc.file === node.file ? source : undefined,
      }),
    );
  }
  node.dependsOn = [...deps];
}

/** Line and column of `fn('name'` in a template's source, for errors about that call. */
export function findCall(source: string, fn: string, firstArg: string): { line: number; column: number } | undefined {
  const re = new RegExp(`\\b${fn}\\s*\\(\\s*(?:['"][^'"]*['"]\\s*,\\s*)?['"]${firstArg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]`);
  const m = re.exec(source);
  return m ? positionOf(source, m.index) : undefined;
}

function checkCycles(graph: Graph, nodes: Map<string, Node>): void {
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
      const at = source !== undefined ? findCall(source, 'ref', last.name) : undefined;
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
