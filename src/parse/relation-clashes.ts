import { ProjectError } from '../core/errors.js';
import { relationKey } from '../warehouse/relation.js';
import type { Node } from './nodes.js';

/**
 * Two models or seeds that would build the same relation (an `alias` or `schema` shared in one
 * database) overwrite each other: an error naming both files, as dbt refuses them
 * (aliases/test_aliases.py BaseAliasErrors). Ephemeral models build nothing; tests are left out.
 */
export function relationClashes(nodes: Iterable<Node>): ProjectError[] {
  const seen = new Map<string, Node>();
  const errors: ProjectError[] = [];
  for (const node of nodes) {
    if ((node.resourceType !== 'model' && node.resourceType !== 'seed') || !node.relation) continue;
    if (node.resourceType === 'model' && node.materialized === 'ephemeral') continue;
    const key = relationKey(node.relation);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, node);
      continue;
    }
    const r = node.relation;
    errors.push(
      new ProjectError(
        'project',
        `${node.resourceType} '${node.name}' and ${first.resourceType} '${first.name}' (${first.file}) would both build ${r.database}.${r.schema}.${r.identifier}`,
        {
          location: { file: node.file },
          hint: 'give one of them another alias or schema (config(alias=…) or +schema in the project file)',
        },
      ),
    );
  }
  return errors;
}
