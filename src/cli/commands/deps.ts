import type { Command } from 'commander';
import { installDeps } from '../../tasks/deps.js';
import type { CliContext } from '../options.js';

export function registerDeps(program: Command, { reporter }: CliContext): void {
  program
    .command('deps')
    .description('install the packages of packages.yml (or dependencies.yml) into packages-install-path (default dbt_packages/), pinned in package-lock.yml')
    .option('--project-dir <dir>', 'the project folder (default: the current folder)')
    .option('--upgrade', 'resolve the package list again and rewrite package-lock.yml, even when it still matches')
    .option('--lock', 'only resolve and write package-lock.yml; install nothing')
    .addHelpText('after', '\nHub packages come from DBT_PACKAGE_HUB_URL (default https://hub.getdbt.com/); git packages are cloned with the git command.')
    .action(async (flags: { projectDir?: string; upgrade?: boolean; lock?: boolean }) => {
      const result = await installDeps({
        projectDir: flags.projectDir,
        upgrade: flags.upgrade,
        lockOnly: flags.lock,
        log: (m) => reporter.print(m),
        warn: (m) => reporter.warn(m),
      });
      if (!flags.lock && result.installed.length)
        reporter.print(`Installed ${result.installed.length} package${result.installed.length === 1 ? '' : 's'} into ${result.installPath}.`);
    });
}
