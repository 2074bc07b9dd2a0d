import type { Command } from 'commander';
import { exitCodeOf } from '../../execute/results.js';
import { writeJUnit } from '../../execute/junit.js';
import { execute } from '../../tasks/execute.js';
import { common, resourceTypeFlags, selection, toOptions, withInterrupts, type CliContext, type CommonFlags } from '../options.js';

/** `model test`: runs the data tests of the selected models; exit 1 when an error-severity test fails. */
export function registerTest(program: Command, { reporter, setExitCode }: CliContext): void {
  const cmd = resourceTypeFlags(
    selection(
      common(
        program
          .command('test')
          .description('run data tests (each returns the rows that break an assertion) and unit tests (a model on fixture rows against expected rows)'),
      ),
    ),
  )
    .option('-x, --fail-fast', 'stop at the first failure')
    .option('--store-failures', "keep each test's failing rows in a table of the audit schema (unless its config says otherwise)")
    .option('--junit <file>', 'also write the results as JUnit XML (for CI test reports)');
  cmd.action(async (flags: CommonFlags & { junit?: string }) => {
    const opts = toOptions(flags, reporter);
    await withInterrupts(reporter, async (signal) => {
      const { summary } = await execute('test', { ...opts, signal });
      if (flags.junit) reporter.info(`JUnit report: ${writeJUnit(flags.junit, summary, 'model test')}`);
      setExitCode(exitCodeOf(summary));
    });
  });
}
