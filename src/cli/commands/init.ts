import path from 'node:path';
import type { Command } from 'commander';
import { initProject } from '../../tasks/init.js';
import type { CliContext } from '../options.js';

/** `model init [name]`: dbt init without prompts (a project skeleton and a DuckDB profile). */
export function registerInit(program: Command, { reporter }: CliContext): void {
  program
    .command('init [project_name]')
    .description('create a new project (models/example, dbt_project.yml) with a DuckDB profile that builds at once; inside a project, add its profile')
    .option('--profile <name>', 'the profile the project names (default: the project name)')
    .option('--profiles-dir <dir>', 'where to write profiles.yml (default: the project folder)')
    .option('-s, --skip-profile-setup', 'write no profiles.yml')
    .option('--project-dir <dir>', 'the folder to make the project in (default: the current folder)')
    .action((projectName: string | undefined, flags: { profile?: string; profilesDir?: string; skipProfileSetup?: boolean; projectDir?: string }) => {
      const r = initProject({
        projectName,
        dir: flags.projectDir,
        profile: flags.profile,
        profilesDir: flags.profilesDir,
        skipProfileSetup: flags.skipProfileSetup,
      });
      const shown = (p: string) => path.relative(process.cwd(), p) || '.';
      if (projectName)
        reporter.print(`Created project ${projectName} in ${shown(r.projectDir)} (${r.created.filter((f) => !f.endsWith('.gitkeep')).join(', ')}).`);
      if (r.profilesFile) {
        reporter.print(r.profileKept ? `Kept the existing profile in ${shown(r.profilesFile)}.` : `Wrote a DuckDB profile to ${shown(r.profilesFile)}.`);
      }
      if (projectName) reporter.print(`Next: cd ${shown(r.projectDir)} && npx model build`);
    });
}
