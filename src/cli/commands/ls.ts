import { Option, type Command } from 'commander';
import type { Node } from '../../parse/nodes.js';
import { openProject, select } from '../../tasks/session.js';
import { common, selection, toOptions, type CliContext, type CommonFlags } from '../options.js';

export function registerLs(program: Command, { reporter }: CliContext): void {
  selection(common(program.command('ls').alias('list').description('list the nodes of the project')))
    .addOption(new Option('--resource-type <type...>', 'only these types').choices(['model', 'seed', 'snapshot', 'source', 'test', 'unit_test']))
    .addOption(new Option('--output <format>', 'what to print for each node').choices(['name', 'path', 'json', 'selector']).default('selector'))
    .action(async (flags: CommonFlags & { resourceType?: Node['resourceType'][]; output: string }) => {
      const session = await openProject(toOptions(flags, reporter));
      const types = flags.resourceType ?? ['model', 'seed', 'snapshot', 'source', 'test', 'unit_test'];
      const nodes = select(session, toOptions(flags, reporter), types, reporter).sort((a, b) => a.uniqueId.localeCompare(b.uniqueId));
      for (const n of nodes) {
        if (flags.output === 'name') reporter.print(n.name);
        else if (flags.output === 'path') reporter.print(n.file);
        else if (flags.output === 'json') {
          reporter.print(
            JSON.stringify({
              // dbt's keys, then where the node's relation lives.
              name: n.name,
              resource_type: n.resourceType,
              package_name: n.packageName,
              original_file_path: n.file,
              unique_id: n.uniqueId,
              alias: n.relation?.identifier ?? null,
              config: n.config,
              tags: n.tags,
              depends_on: { macros: [], nodes: n.dependsOn },
              relation: n.relation ? `${n.relation.database}.${n.relation.schema}.${n.relation.identifier}` : null,
            }),
          );
        } else reporter.print(n.resourceType === 'source' || n.resourceType === 'unit_test' ? `${n.resourceType}:${n.fqn.join('.')}` : n.fqn.join('.'));
      }
    });
}
