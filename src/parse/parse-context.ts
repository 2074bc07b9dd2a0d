import { ProjectError } from '../core/errors.js';
import type { Project } from '../project/load-project.js';
import type { TargetConfig } from '../project/profiles.js';
import type { NodeConfig } from '../project/schemas.js';
import type { CompiledTemplate, TemplateEngine } from '../templating/template-engine.js';
import type { Dialect, RelationName } from '../warehouse/dialect.js';
import type { Node } from './nodes.js';
import type { ParseCache } from './parse-cache.js';

/** What every resource parser reads and adds to: the project, the template engine, and the nodes so far. */
export interface ParseContext {
  project: Project;
  target: TargetConfig;
  dialect: Dialect;
  /** The relations' database name (DuckDB catalog or Snowflake database). */
  database: string;
  engine: TemplateEngine;
  nodes: Map<string, Node>;
  /** model/seed name -> unique id, for ref(). */
  byName: Map<string, string>;
  /** `source.table` -> unique id. */
  sourcesByName: Map<string, string>;
  /** Nodes configured `enabled: false`, by unique id (dbt's manifest `disabled`): kept out of the graph. */
  disabled: Map<string, Node[]>;
  /** Every error found so far: parsing goes on after one, so all of them are reported at once. */
  /** The compiled template of each model and test, by unique id: live objects, kept beside the manifest, not in it. */
  templates: Map<string, CompiledTemplate>;
  errors: ProjectError[];
  /** The parse cache, when partial parsing is on. */
  cache?: ParseCache;
  /** Warnings for the run's report (a test declared for a model that does not exist). */
  warnings: string[];
  /** The relation a node of this config and name gets, through generate_schema_name and friends. */
  nameFor(config: NodeConfig, name: string, file: string, resourceType?: 'model' | 'seed' | 'snapshot' | 'test'): RelationName;
}

/** Keeps a disabled node for the manifest's `disabled` section (dbt lists each unique id's disabled nodes). */
export function addDisabled(ctx: Pick<ParseContext, 'disabled'>, node: Node): void {
  const list = ctx.disabled.get(node.uniqueId);
  if (list) list.push(node);
  else ctx.disabled.set(node.uniqueId, [node]);
}

/** Runs `fn`, keeping a project error for the report instead of stopping. */
export function collectInto(errors: ProjectError[], fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProjectError) errors.push(e);
    else throw e;
  }
}
