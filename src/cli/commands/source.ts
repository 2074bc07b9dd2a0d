import type { Command } from 'commander';
import { common, selection, toOptions, type CliContext, type CommonFlags } from '../options.js';

/** `model source freshness`: dbt's source freshness check, written to target/sources.json. */
export function registerSource(program: Command, { reporter, setExitCode }: CliContext): void {
  const source = program.command('source').description('commands about sources');
  selection(
    common(
      source
        .command('freshness')
        .description(
          'check how recent each source table is (max of its loaded_at_field against warn_after/error_after), write target/sources.json; exit 1 on an error',
        ),
    ),
  )
    .option('-o, --output <file>', 'write the results here instead of target/sources.json')
    .action(async (flags: CommonFlags & { output?: string }) => {
      const { sourceFreshness } = await import('../../tasks/source-freshness.js');
      const { results, file, elapsedSeconds } = await sourceFreshness({ ...toOptions(flags, reporter), output: flags.output });
      if (results.length === 0) reporter.warn('no source table has freshness criteria and a loaded_at_field among the selected ones');
      results.forEach((r, i) => {
        const name = `${r.node.sourceName}.${r.node.tableName}`;
        const label = { pass: 'PASS', warn: 'WARN', error: 'ERROR STALE', 'runtime error': 'ERROR' }[r.status];
        const age = r.ageSeconds !== undefined ? ` (loaded ${formatAge(r.ageSeconds)} ago)` : '';
        reporter.print(`${i + 1} of ${results.length} ${label} freshness of ${name}${age}`);
        if (r.error) reporter.print(`  ${r.node.location.file}${r.node.location.line ? `:${r.node.location.line}` : ''}: error [database]: ${r.error}`);
      });
      reporter.info(`Finished ${results.length} source freshness check${results.length === 1 ? '' : 's'} in ${elapsedSeconds.toFixed(2)}s; wrote ${file}.`);
      // dbt's FreshnessTask: an error or runtime error fails the run; warnings do not.
      if (results.some((r) => r.status === 'error' || r.status === 'runtime error')) setExitCode(1);
    });
}

function formatAge(s: number): string {
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
