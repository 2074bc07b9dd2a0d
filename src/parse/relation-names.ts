import type { Project } from '../project/load-project.js';
import type { TargetConfig } from '../project/profiles.js';
import type { NodeConfig } from '../project/schemas.js';
import { inertHooks } from '../templating/render-hooks.js';
import type { TemplateEngine } from '../templating/template-engine.js';
import type { RelationName } from '../warehouse/dialect.js';

/**
 * The relation a node gets: its schema, alias and database through the project's
 * generate_schema_name, generate_alias_name and generate_database_name macros (or dbt's defaults).
 */
export function relationNamer(project: Project, target: TargetConfig, engine: TemplateEngine, database: string) {
  return (config: NodeConfig, name: string, file: string, resourceType: 'model' | 'seed' | 'snapshot' | 'test' = 'model'): RelationName => {
    // What dbt's generate_*_name macros see of the node (projects branch on `node.resource_type`).
    const node = {
      name,
      config,
      resource_type: resourceType,
      package_name: project.name,
      original_file_path: file,
      path: file,
      unique_id: `${resourceType}.${project.name}.${name}`,
    };
    const named = (kind: 'schema' | 'alias' | 'database', macro: string, custom: unknown) =>
      (engine.defaultName(kind, custom, name) ?? String(engine.callMacro(macro, [custom ?? null, node], inertHooks(file)))).trim();
    const schema = named('schema', 'generate_schema_name', config.schema);
    const identifier = named('alias', 'generate_alias_name', config.alias);
    const db = named('database', 'generate_database_name', config.database);
    return { database: db || database, schema: schema || target.schema, identifier: identifier || name };
  };
}
