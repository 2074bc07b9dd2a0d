import { asList, mergeConfig } from '../project/folder-config.js';
import { folderConfigFor, inProject } from '../project/load-project.js';
import { registerName } from './ref-lookup.js';
import type { RelationName } from '../warehouse/dialect.js';
import type { SeedNode } from './nodes.js';
import { collectInto, type ParseContext } from './parse-context.js';
import type { DescribedNode } from './properties.js';

/** Seeds: one node per CSV file under the seed paths. */
export function parseSeeds(ctx: ParseContext, described: Map<string, DescribedNode>): void {
  const { project, errors, nodes, byName } = ctx;
  for (const s of project.seeds) {
    const fqn = [project.name, ...inProject(project, s.file).split('/').slice(1, -1), s.name];
    const props = described.get(s.name);
    const config = mergeConfig(folderConfigFor(project, 'seeds', fqn), props?.props.config ?? {});
    if (config.enabled === false) continue;
    const uniqueId = `seed.${project.name}.${s.name}`;
    let relation: RelationName | undefined;
    collectInto(errors, () => {
      relation = ctx.nameFor(config, s.name, s.file, 'seed');
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
    registerName(byName, project.name, s.name, uniqueId, project.pathPrefix === '');
  }
}
