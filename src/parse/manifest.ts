import { type ProjectError, throwIfAny } from '../core/errors.js';
import type { Project } from '../project/load-project.js';
import type { TargetConfig } from '../project/profiles.js';
import { unsupportedConfigWarning } from '../project/unsupported.js';
import { TemplateEngine, type CompiledTemplate, type TargetInfo } from '../templating/template-engine.js';
import type { Dialect } from '../warehouse/dialect.js';
import { addDataTests } from './data-tests/add-data-tests.js';
import { renderDescriptions } from './descriptions.js';
import { parseGovernance, type Exposure, type Group } from './governance.js';
import { parseMacros, withRenderedFolderConfig } from './macros.js';
import { parseModels } from './models.js';
import type { Node } from './nodes.js';
import type { ParseCache } from './parse-cache.js';
import type { ParseContext } from './parse-context.js';
import { nameVersionedModels, parseNodeProperties, undescribedWarnings } from './properties.js';
import { relationNamer } from './relation-names.js';
import { parseSeeds } from './seeds.js';
import { relationClashes } from './relation-clashes.js';
import { parseSnapshots } from './snapshots.js';
import { parseSources } from './sources.js';
import { parseUnitTests } from './unit-tests.js';

/**
 * What parsing produces: plain, serialisable data (no functions, no class instances; Maps and
 * arrays only, so `structuredClone` and `v8.serialize` round-trip it), which is what a parse cache
 * can store. The live pieces a compile needs (the template engine, compiled templates, the DAG)
 * are built beside it: see `Workspace` in graph/workspace.ts.
 */
export interface Manifest {
  projectName: string;
  nodes: Map<string, Node>;
  /** model/seed name -> unique id, for ref(). */
  byName: Map<string, string>;
  /** `source.table` -> unique id. */
  sourcesByName: Map<string, string>;
  /** Nodes configured `enabled: false`, by unique id: in manifest.json's `disabled`, not in the graph. */
  disabled: Map<string, Node[]>;
  /** The project's macros (the engine's own left out), in the order they were loaded. */
  macros: { name: string; file: string; package?: string }[];
  warnings: string[];
  /** `groups:` and `exposures:` of the properties files (governance.ts), by unique id. */
  groups?: Map<string, Group>;
  exposures?: Map<string, Exposure>;
}

/** What parsing produces: the manifest, and the live engine and compiled templates it was parsed with. */
export interface ParseResult {
  manifest: Manifest;
  /** The project, with the Jinja in its folder configs rendered. */
  project: Project;
  engine: TemplateEngine;
  templates: Map<string, CompiledTemplate>;
  errors: ProjectError[];
}

/** How templates render: where the engine's log and warnings go; `strictUndefined` (else the project's `flags: {strict_undefined: true}`). */
export interface RenderOptions {
  log?: (m: string) => void;
  warn?: (m: string) => void;
  strictUndefined?: boolean;
  cache?: ParseCache;
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

/** What every render of a project needs: the template engine with every macro loaded, and the folder configs' Jinja rendered. */
export interface PreparedEngine {
  engine: TemplateEngine;
  /** The project with its folder configs rendered. */
  project: Project;
  /** Its installed packages, likewise, with the root's folder configs laid over theirs. */
  packages: Project[];
  database: string;
  errors: ProjectError[];
}

/** The engine a project renders with; throws at once when the macros or folder configs are broken, since every render depends on them. */
export function prepareEngine(project: Project, target: TargetConfig, dialect: Dialect, opts: RenderOptions = {}): PreparedEngine {
  const database = targetDatabase(target);
  const engine = new TemplateEngine(project.vars, targetInfo(target, database), dialect, {
    log: opts.log,
    warn: opts.warn,
    strictUndefined: opts.strictUndefined ?? project.config.flags?.strict_undefined === true,
    behaviorFlags: project.config.flags ?? {},
    project: { name: project.name, file: project.file },
  });
  const errors: ProjectError[] = [];
  parseMacros(project, engine);
  engine.configurePackages(new Map(project.packages.map((p) => [p.name, p.vars])), project.config.dispatch ?? []);
  project = withRenderedFolderConfig(project, engine, errors);
  const root = project;
  const packages = project.packages.map((p) => ({ ...withRenderedFolderConfig(p, engine, errors), rootFolderConfig: root.folderConfig }));
  throwIfAny(errors);
  return { engine, project, packages, database, errors };
}

/**
 * The parse pass: one parser per resource type (macros, properties, sources, seeds, models, data
 * tests), in the order they depend on each other. Collects every error; the graph layer adds the
 * ref checks and the descriptions' `doc()` errors (`renderNodeDescriptions`) before anything is thrown, so one
 * run reports them all. Throws at once only when the macros or folder configs are broken, since
 * every later render depends on them.
 */
export function parseProject(project: Project, target: TargetConfig, dialect: Dialect, opts: RenderOptions = {}): ParseResult {
  const prepared = prepareEngine(project, target, dialect, opts);
  const { engine, database, errors, packages } = prepared;
  project = prepared.project;
  const warnings = [...project.warnings];
  opts.cache?.begin(project, target, engine);

  const ctx: ParseContext = {
    warnings,
    project,
    target,
    dialect,
    database,
    engine,
    nodes: new Map<string, Node>(),
    byName: new Map<string, string>(),
    sourcesByName: new Map<string, string>(),
    disabled: new Map<string, Node[]>(),
    templates: new Map<string, CompiledTemplate>(),
    errors,
    cache: opts.cache,
    nameFor: relationNamer(project, target, engine, database),
  };
  // The root project first (its names win a clash), then each installed package with its own configs.
  const parts = [ctx, ...packages.map((p) => ({ ...ctx, project: p, nameFor: relationNamer(p, target, engine, database) }))];
  const described = parts.map((part) => {
    const properties = parseNodeProperties(part.project, errors);
    parseSources(part);
    parseSeeds(part, properties.byName);
    parseModels(part, properties.byName, properties.versioned);
    parseSnapshots(part);
    nameVersionedModels(part.project, properties.versioned, ctx.byName, errors);
    return properties;
  });
  // Unit tests once every part's models are known (an input may be a package's model).
  for (const [i, part] of parts.entries()) parseUnitTests(part, described[i]!.versioned);
  errors.push(...relationClashes(ctx.nodes.values()));
  warnings.push(...undescribedWarnings(project, described[0]!.byName, ctx.byName));
  const configWarning = unsupportedConfigWarning(ctx.nodes.values());
  if (configWarning) warnings.push(configWarning);
  // Generic tests from the properties files, and singular tests.
  for (const part of parts) addDataTests({ ...part, nameFor: (c, n, f) => part.nameFor(c, n, f, 'test') });
  // Groups, exposures and model access, once every node and its tests are known.
  const { groups, exposures } = parseGovernance(
    parts.map((p) => p.project),
    ctx,
  );

  const { nodes, byName, sourcesByName, templates, disabled } = ctx;
  const macros = [...engine.macros.values()]
    .filter((m) => !m.file.startsWith('<'))
    .map((m) => ({ name: m.name, file: m.file, ...(m.package ? { package: m.package } : {}) }));
  return {
    manifest: { projectName: project.name, nodes, byName, sourcesByName, disabled, macros, warnings, groups, exposures },
    project,
    engine,
    templates,
    errors,
  };
}

/** Descriptions may call doc('name') on the project's {% docs %} blocks: rendered once every node is known. */
export function renderNodeDescriptions(parsed: ParseResult): ProjectError[] {
  return renderDescriptions(parsed.project, parsed.engine, parsed.manifest.nodes);
}
