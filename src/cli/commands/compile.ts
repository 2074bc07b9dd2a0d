import type { Command } from 'commander';
import { compileOrReplay } from '../../tasks/compile-replay.js';
import { common, selection, toOptions, type CliContext, type CommonFlags } from '../options.js';
import { runWatch, WATCH_HELP } from '../watch-mode.js';

export function registerCompile(program: Command, { reporter }: CliContext): void {
  selection(common(program.command('compile').description('render models to SQL under target/compiled/, without a warehouse')))
    .option('-w, --watch', WATCH_HELP)
    .action(async (flags: CommonFlags & { watch?: boolean }) => {
      if (flags.watch) return runWatch('compile', toOptions(flags, reporter), reporter);
      const started = Date.now();
      const { files, projectName } = await compileOrReplay(toOptions(flags, reporter));
      // One write for all the lines: ten thousand writes cost more than the compile of a cached project.
      if (files.length) reporter.print(files.map((f) => `compiled ${f.name} -> ${f.path}`).join('\n'));
      reporter.print(`Compiled ${files.length} node${files.length === 1 ? '' : 's'} of '${projectName}' in ${((Date.now() - started) / 1000).toFixed(2)}s.`);
    });
}
