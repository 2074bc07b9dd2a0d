import path from 'node:path';
import type { Command } from 'commander';
import { ProjectError } from '../../core/errors.js';
import type { Node } from '../../parse/nodes.js';
import type { PlannedWrite } from '../../warehouse/adapter.js';
import { connect, openProject } from '../../tasks/session.js';
import { loadProject } from '../../project/load-project.js';
import { resolveTarget } from '../../project/profiles.js';
import { common, toOptions, type CliContext, type CommonFlags } from '../options.js';

/** The relations a build creates or replaces: models (not ephemeral), seeds and loaded sources. */
function plannedWrites(nodes: Iterable<Node>): PlannedWrite[] {
  const out: PlannedWrite[] = [];
  for (const n of nodes) {
    if (!n.relation) continue;
    if (n.resourceType === 'model' && n.materialized !== 'ephemeral') out.push({ relation: n.relation, kind: n.materialized === 'view' ? 'view' : 'table' });
    else if (n.resourceType === 'seed' || (n.resourceType === 'source' && n.external)) out.push({ relation: n.relation, kind: 'table' });
  }
  return out;
}

export function registerDebug(program: Command, { reporter }: CliContext): void {
  common(
    program
      .command('debug')
      .description('check the project, the profile, the connection and (on Snowflake) the warehouse, role, database and privileges a build needs'),
  ).action(async (flags: CommonFlags) => {
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
    let failed = 0;
    try {
      await adapter.withConnection((c) => c.execute('select 1 as ok'));
      reporter.print(`connection: ${adapter.describe()}: OK`);
      if (adapter.checkAccess) {
        reporter.print('access (what a build needs):');
        for (const check of await adapter.checkAccess(plannedWrites(session.manifest.nodes.values()))) {
          reporter.print(`  ${check.what}: ${check.ok ? 'OK' : 'FAIL'} (${check.detail})`);
          if (!check.ok) {
            failed++;
            if (check.fix) reporter.print(`    fix: ${check.fix}`);
          }
        }
      }
    } finally {
      await adapter.close();
    }
    if (failed) {
      throw new ProjectError('connection', `${failed} access check${failed === 1 ? '' : 's'} failed: a build would stop there`, {
        hint: 'an administrator can run the fixes printed above',
      });
    }
    reporter.print('All checks passed!');
  });
}
