import type { Graph } from '@dagrejs/graphlib';
import { throwIfAny } from '../core/errors.js';
import { parseProject, renderNodeDescriptions, targetDatabase, type Manifest, type RenderOptions } from '../parse/manifest.js';
import type { Project } from '../project/load-project.js';
import type { TargetConfig } from '../project/profiles.js';
import type { CompiledTemplate, TemplateEngine } from '../templating/template-engine.js';
import type { Dialect, RelationName } from '../warehouse/dialect.js';
import { buildDag } from './dag.js';
import { resolveDependencies } from './dependencies.js';

/**
 * A parsed project ready to compile and run: the plain `manifest`, and the live pieces built
 * beside it (the project's files, the target and its dialect, the template engine with every macro
 * loaded, each node's compiled template, and the DAG).
 */
export interface Workspace {
  project: Project;
  target: TargetConfig;
  dialect: Dialect;
  /** The relations' database name (DuckDB catalog or Snowflake database). */
  database: string;
  manifest: Manifest;
  engine: TemplateEngine;
  /** Compiled templates of the manifest's models and tests, by unique id. */
  templates: Map<string, CompiledTemplate>;
  /** Parent -> child edges between unique ids. */
  graph: Graph;
  /**
   * Relations that refs to these nodes read instead of the nodes' own (`--defer`: unselected
   * nodes this target has not built, read from the production run's manifest).
   */
  deferred?: Map<string, RelationName>;
}

/**
 * Parses the project and links it into a graph: every `ref()` and `source()` resolved, every
 * error of the project reported together, cycles refused. Nothing here touches a warehouse.
 */
export function buildWorkspace(project: Project, target: TargetConfig, dialect: Dialect, opts: RenderOptions = {}): Workspace {
  const parsed = parseProject(project, target, dialect, opts);
  const { manifest, errors } = parsed;
  for (const node of manifest.nodes.values()) {
    if (node.resourceType !== 'model' && node.resourceType !== 'snapshot' && node.resourceType !== 'test') continue;
    resolveDependencies(node, { byName: manifest.byName, sourcesByName: manifest.sourcesByName, project: parsed.project, errors, disabled: manifest.disabled });
  }
  errors.push(...renderNodeDescriptions(parsed));
  throwIfAny(errors);
  const graph = buildDag(manifest.nodes);
  return { project: parsed.project, target, dialect, database: targetDatabase(target), manifest, engine: parsed.engine, templates: parsed.templates, graph };
}
