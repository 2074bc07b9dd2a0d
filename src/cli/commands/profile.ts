import { Option, type Command } from 'commander';
import { ProjectError } from '../../core/errors.js';
import { formatProfileTable } from '../format-profile.js';
import { common, toOptions, type CliContext, type CommonFlags } from '../options.js';

function whole(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ProjectError('usage', `${flag} must be a whole number, got '${v}'`);
  return n;
}

export function registerProfile(program: Command, { reporter }: CliContext): void {
  common(program.command('profile').description('profile a built relation: rows, and per column nulls, distinct values, min/max, top values, a histogram'))
    .argument('<relation>', 'a model or seed, a source as source_name.table_name (raw.old_voucher_data), or schema.table')
    .option('--top <n>', 'most frequent values to show per column', '5')
    .option('--bins <n>', 'histogram bins for numeric and time columns', '20')
    .option('--approx', 'with --top 0, count distinct values approximately (faster on very large tables)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (relation: string, flags: Omit<CommonFlags, 'select'> & { top: string; bins: string; approx?: boolean; format: 'table' | 'json' }) => {
      const { runProfile } = await import('../../tasks/profile.js');
      const { profile: p } = await runProfile({
        ...toOptions(flags, reporter),
        relation,
        topValues: whole('--top', flags.top),
        bins: whole('--bins', flags.bins),
        distinct: flags.approx ? 'approx' : 'exact',
      });
      if (flags.format === 'json') {
        const { queries: _queries, ...rest } = p;
        reporter.print(JSON.stringify(rest, null, 2));
      } else reporter.print(formatProfileTable(p));
    });
}
