import type { Command } from 'commander';
import { exitCodeOf } from '../../execute/results.js';
import { retry } from '../../tasks/retry.js';
import { common, toOptions, withInterrupts, type CliContext, type CommonFlags } from '../options.js';

/** `model retry`: the last seed, run, build, test or snapshot again, over what failed, errored or was skipped. */
export function registerRetry(program: Command, { reporter, setExitCode }: CliContext): void {
  common(
    program
      .command('retry')
      .description(
        'run the last seed, run, build, test or snapshot again, only for the nodes that failed, errored or were skipped, and only the failed batches of microbatch models (from target/run_results.json)',
      ),
  )
    .option('--state <dir>', 'read run_results.json from this folder instead of the target path')
    .option('-x, --fail-fast', 'stop at the first failure')
    .action(async (flags: CommonFlags) => {
      const opts = toOptions(flags, reporter);
      await withInterrupts(reporter, async (signal) => {
        const { plan, summary } = await retry({ ...opts, signal });
        if (!summary) {
          reporter.print(`Nothing to retry: every node of the last '${plan.command}' succeeded (${plan.file}).`);
          return;
        }
        setExitCode(exitCodeOf(summary));
      });
    });
}
