import path from 'node:path';
import type { Command } from 'commander';
import { connect, openProject } from '../../tasks/session.js';
import { loadProject } from '../../project/load-project.js';
import { resolveTarget } from '../../project/profiles.js';
import { common, toOptions, type CliContext, type CommonFlags } from '../options.js';

export function registerDebug(program: Command, { reporter }: CliContext): void {
  common(program.command('debug').description('check the project, the profile and the connection')).action(async (flags: CommonFlags) => {
    const opts = toOptions(flags, reporter);
    const project = loadProject({ projectDir: opts.projectDir, vars: opts.vars });
    reporter.print(`project: ${project.name} (${path.join(project.dir, project.file)})`);
    reporter.print(`  models: ${project.models.length}, seeds: ${project.seeds.length}, macro files: ${project.macroFiles.length}`);
    const { target, file } = resolveTarget(project, { target: opts.target, profilesDir: opts.profilesDir });
    reporter.print(`profiles: ${file ?? 'none found (the embedded DuckDB default)'}`);
    reporter.print(`target: ${target.name} (${target.type}), threads ${target.threads}`);
    const session = await openProject(opts);
    reporter.print(`  parsed ${session.manifest.nodes.size} nodes: OK`);
    const adapter = await connect(session);
    try {
      await adapter.withConnection((c) => c.execute('select 1 as ok'));
      reporter.print(`connection: ${adapter.describe()}: OK`);
    } finally {
      await adapter.close();
    }
    reporter.print('All checks passed!');
  });
}
