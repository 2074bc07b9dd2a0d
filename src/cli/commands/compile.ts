import type { Command } from 'commander';
import { compileOrReplay } from '../../tasks/compile-replay.js';
import { common, selection, toOptions, type CliContext, type CommonFlags } from '../options.js';
import { runWatch, WATCH_HELP } from '../watch-mode.js';

export function registerCompile(program: Command, { reporter, setExitCode }: CliContext): void {
  selection(common(program.command('compile').description('render models to SQL under target/compiled/, without a warehouse')))
    .option('-w, --watch', WATCH_HELP)
    .action(async (flags: CommonFlags & { watch?: boolean }) => {
      if (flags.watch) return runWatch('compile', toOptions(flags, reporter), reporter);
      const started = Date.now();
      const { files, projectName, failed } = await compileOrReplay(toOptions(flags, reporter));
      // One write for all the lines: ten thousand writes cost more than the compile of a cached project.
      if (files.length) reporter.print(files.map((f) => `compiled ${f.name} -> ${f.path}`).join('\n'));
      reporter.print(`Compiled ${files.length} node${files.length === 1 ? '' : 's'} of '${projectName}' in ${((Date.now() - started) / 1000).toFixed(2)}s.`);
      if (failed?.errors.length) {
        // As dbt's compile: each failing node is an error, the nodes downstream of it are skipped, exit code 1.
        for (const e of failed.errors) reporter.printError(e.error);
        for (const s of failed.skipped) reporter.print(`skipped ${s.node.name}: upstream ${s.upstream} failed to compile`);
        reporter.print(
          `Completed with ${failed.errors.length} error${failed.errors.length === 1 ? '' : 's'}; ${failed.skipped.length} skipped (see target/run_results.json).`,
        );
        setExitCode(1);
      }
    });
}
