import { ProjectError, positionOf } from '../core/errors.js';
import { asList, mergeConfig } from '../project/folder-config.js';
import { unrenderedConfig } from './unrendered-config.js';
import { folderConfigFor, inProject } from '../project/load-project.js';
import type { NodeConfig } from '../project/schemas.js';
import { registerName } from './ref-lookup.js';
import type { RelationName } from '../warehouse/dialect.js';
import type { SeedNode } from './nodes.js';
import { addDisabled, collectInto, type ParseContext } from './parse-context.js';
import type { DescribedNode } from './properties.js';

/** Seeds: one node per CSV file under the seed paths. */
export function parseSeeds(ctx: ParseContext, described: Map<string, DescribedNode>): void {
  const { project, errors, nodes, byName } = ctx;
  for (const s of project.seeds) {
    const fqn = [project.name, ...inProject(project, s.file).split('/').slice(1, -1), s.name];
    const props = described.get(s.name);
    const config = mergeConfig(folderConfigFor(project, 'seeds', fqn), props?.props.config ?? {});
    const uniqueId = `seed.${project.name}.${s.name}`;
    const enabled = config.enabled !== false;
    if (enabled) seedHookRefError(ctx, s.name, config);
    let relation: RelationName | undefined;
    if (enabled) {
      collectInto(errors, () => {
        relation = ctx.nameFor(config, s.name, s.file, 'seed');
      });
    }
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
      unrenderedConfig: unrenderedConfig(project, 'seeds', fqn, props?.props.config ?? {}, config, config),
    };
    if (!enabled) {
      addDisabled(ctx, node);
      continue;
    }
    nodes.set(uniqueId, node);
    registerName(byName, project.name, s.name, uniqueId, project.pathPrefix === '');
  }
}

/** dbt: "Seeds cannot depend on other nodes" (a seed's hook calling ref(), hooks/test_model_hooks.py BaseHooksRefsOnSeeds). */
function seedHookRefError(ctx: ParseContext, name: string, config: NodeConfig): void {
  for (const which of ['pre-hook', 'post-hook'] as const) {
    for (const h of asList(config[which] as unknown)) {
      const text = typeof h === 'string' ? h : isSqlHook(h) ? h.sql : '';
      if (!/\{\{[^}]*\bref\s*\(/.test(text)) continue;
      const { yaml, file } = ctx.project;
      const at = yaml.source.indexOf(text.trim().slice(0, 40));
      ctx.errors.push(
        new ProjectError('project', `seed '${name}': its ${which} calls ref(), but seeds cannot depend on other nodes`, {
          location: at === -1 ? { file } : { file, ...positionOf(yaml.source, at) },
          source: at === -1 ? undefined : yaml.source,
          hint: 'a seed is loaded before any model is built: move the statement to a model, or to on-run-end',
        }),
      );
      return;
    }
  }
}

function isSqlHook(h: unknown): h is { sql: string } {
  return typeof h === 'object' && h !== null && typeof (h as { sql?: unknown }).sql === 'string';
}
