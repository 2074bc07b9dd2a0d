import { ProjectError } from '../core/errors.js';
import { didYouMean } from '../core/util.js';
import { callSite } from '../templating/call-sites.js';
import type { ModelNode, Node, SnapshotNode, TestNode } from '../parse/nodes.js';
import { bareNames, lookupRefCall } from '../parse/ref-lookup.js';
import type { Project } from '../project/load-project.js';

function sourceDeclared(project: Project, sourceName: string, tableName: string): boolean {
  return project.properties.some(({ value }) => (value.sources ?? []).some((src) => src.name === sourceName && src.tables.some((t) => t.name === tableName)));
}

/** Turns a node's recorded `ref()` and `source()` calls into `dependsOn`, with an error for each that matches nothing. */
export function resolveDependencies(
  node: ModelNode | SnapshotNode | TestNode,
  ctx: { byName: Map<string, string>; sourcesByName: Map<string, string>; project: Project; errors: ProjectError[]; disabled?: ReadonlyMap<string, Node[]> },
): void {
  const deps = new Set<string>();
  const source = node.rawSql;
  for (const ref of node.refs) {
    const id = lookupRefCall(ctx.byName, ref, node.packageName);
    if (id) {
      deps.add(id);
      continue;
    }
    const at = callSite(source, 'ref', ref.name);
    const loc = node.resourceType === 'test' && !at ? node.location : { file: node.file, ...(at ?? {}) };
    // dbt: "depends on a node named '…' which is disabled".
    const off = [...(ctx.disabled?.values() ?? [])].flat().find((n) => n.name === ref.name && (!ref.package || n.packageName === ref.package));
    ctx.errors.push(
      new ProjectError(
        'graph',
        off ? `ref('${ref.name}') names ${off.uniqueId}, which is disabled (enabled: false)` : `ref('${ref.name}') matches no model or seed`,
        {
          location: loc,
          hint: didYouMean(ref.name, bareNames(ctx.byName)),
          source: loc.file === node.file ? source : undefined,
        },
      ),
    );
  }
  for (const [s, t] of node.sources) {
    const id = ctx.sourcesByName.get(`${s}.${t}`);
    if (id) {
      deps.add(id);
      continue;
    }
    const at = callSite(source, 'source', s);
    const loc = node.resourceType === 'test' && !at ? node.location : { file: node.file, ...(at ?? {}) };
    ctx.errors.push(
      new ProjectError(
        'graph',
        `source('${s}', '${t}') ${sourceDeclared(ctx.project, s, t) ? 'is disabled (enabled: false)' : 'is not defined in any properties file'}`,
        {
          location: loc,
          hint: didYouMean(`${s}.${t}`, ctx.sourcesByName.keys()) ?? "declare it under 'sources:' in a .yml file beside the models",
          source: loc.file === node.file ? source : undefined,
        },
      ),
    );
  }
  node.dependsOn = [...deps];
}
