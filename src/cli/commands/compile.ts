import type { Command } from 'commander';
import { compile } from '../../tasks/compile.js';
import { common, selection, toOptions, type CliContext, type CommonFlags } from '../options.js';
import { runWatch, WATCH_HELP } from '../watch-mode.js';

export function registerCompile(program: Command, { reporter }: CliContext): void {
  selection(common(program.command('compile').description('render models to SQL under target/compiled/, without a warehouse')))
    .option('-w, --watch', WATCH_HELP)
    .action(async (flags: CommonFlags & { watch?: boolean }) => {
      if (flags.watch) return runWatch('compile', toOptions(flags, reporter), reporter);
      const started = Date.now();
      const { files, session } = await compile(toOptions(flags, reporter));
      for (const f of files) reporter.print(`compiled ${f.node.name} -> ${f.path}`);
      reporter.print(
        `Compiled ${files.length} node${files.length === 1 ? '' : 's'} of '${session.project.name}' in ${((Date.now() - started) / 1000).toFixed(2)}s.`,
      );
    });
}
