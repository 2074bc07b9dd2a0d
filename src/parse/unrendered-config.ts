import { mergeConfig } from '../project/folder-config.js';
import { folderConfigFor, type Project } from '../project/load-project.js';
import type { NodeConfig } from '../project/schemas.js';

/**
 * dbt's `unrendered_config`: the configs a node was given, as written: the project file's `+`
 * configs that reach it (their Jinja unrendered), its properties' `config:`, then what its own
 * `config()` calls set. Those calls are told from what the parse render changed between `start`
 * (the config it began with) and `final`; keys set nowhere are absent, as in dbt.
 */
export function unrenderedConfig(
  project: Project,
  section: keyof Project['folderConfig'],
  fqn: readonly string[],
  properties: NodeConfig,
  start: NodeConfig,
  final: NodeConfig,
): Record<string, unknown> {
  const written = project.unrenderedFolderConfig ? { ...project, folderConfig: project.unrenderedFolderConfig } : project;
  const calls: NodeConfig = {};
  for (const [k, v] of Object.entries(final)) if (JSON.stringify(v) !== JSON.stringify(start[k])) calls[k] = v;
  return mergeConfig(mergeConfig(folderConfigFor(written, section, fqn), properties), calls);
}
