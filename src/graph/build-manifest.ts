import { throwIfAny } from '../core/errors.js';
import { describe, parseProject, type Manifest } from '../parse/manifest.js';
import type { Project } from '../project/load-project.js';
import type { TargetConfig } from '../project/profiles.js';
import type { Dialect } from '../warehouse/dialect.js';
import { buildDag } from './dag.js';
import { resolveDependencies } from './dependencies.js';

/**
 * Parses the project and links it into a graph: every `ref()` and `source()` resolved, every
 * error of the project reported together, cycles refused. Nothing here touches a warehouse.
 */
export function buildManifest(project: Project, target: TargetConfig, dialect: Dialect, opts: { log?: (m: string) => void } = {}): Manifest {
  const { parsed, errors } = parseProject(project, target, dialect, opts);
  for (const node of parsed.nodes.values()) {
    if (node.resourceType !== 'model' && node.resourceType !== 'test') continue;
    resolveDependencies(node, { byName: parsed.byName, sourcesByName: parsed.sourcesByName, project: parsed.project, errors });
  }
  errors.push(...describe(parsed));
  throwIfAny(errors);
  return { ...parsed, graph: buildDag(parsed.nodes) };
}
