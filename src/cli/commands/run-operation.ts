import type { Command } from 'commander';
import { common, toOptions, type CliContext, type CommonFlags } from '../options.js';

/** `model run-operation MACRO --args '{...}'`: one macro, run on the target's connection (dbt's run-operation). */
export function registerRunOperation(program: Command, { reporter, setExitCode }: CliContext): void {
  common(
    program
      .command('run-operation')
      .description("call a macro with execute true on the target's connection (run_query and statement run); prints its log() lines and what it returns"),
  )
    .argument('<macro>', 'the macro to run: name, or package.name')
    .option('--args <yaml>', "the macro's keyword arguments as YAML or JSON, e.g. '{role: reporter, dry_run: false}'")
    .action(async (macro: string, flags: CommonFlags & { args?: string }) => {
      const { runOperation } = await import('../../tasks/run-operation.js');
      const started = Date.now();
      reporter.info(`Running operation ${macro}`);
      const r = await runOperation({ ...toOptions(flags, reporter), macro, args: flags.args, log: (m) => reporter.print(m) });
      if (r.error !== undefined) {
        // dbt: a failed operation is an error result and exit code 1 (task/run_operation.py interpret_results).
        reporter.fatal(r.error);
        reporter.info(`Encountered an error while running operation ${macro}`);
        setExitCode(1);
        return;
      }
      if (r.returned !== undefined) reporter.print(typeof r.returned === 'string' ? r.returned : JSON.stringify(r.returned));
      reporter.info(`Finished operation ${macro} in ${((Date.now() - started) / 1000).toFixed(2)}s.`);
    });
}
