import { Option, type Command } from 'commander';
import { ProjectError } from '../../core/errors.js';
import { formatRows, type OutputFormat } from '../format.js';
import { common, toOptions, type CliContext, type CommonFlags } from '../options.js';

export function registerShow(program: Command, { reporter }: CliContext): void {
  common(program.command('show').description("run a model's query (or inline SQL) and print the first rows"))
    .argument('[model]', 'the model or seed to show')
    .option('-s, --select <model>', 'the model to show (same as the argument)')
    .option('--inline <sql>', "SQL to run, with {{ ref('…') }} and other Jinja")
    .option('--limit <n>', 'rows to show; -1 for all (as dbt)', '5')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .action(
      async (model: string | undefined, flags: Omit<CommonFlags, 'select'> & { inline?: string; limit: string; format: OutputFormat; select?: string }) => {
        const name = model ?? flags.select;
        if (!name && flags.inline === undefined) throw new ProjectError('usage', 'name a model (model show segments_derived) or pass --inline "<sql>"');
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < -1) throw new ProjectError('usage', `--limit must be a whole number (-1 for all rows), got '${flags.limit}'`);
        const { show } = await import('../../tasks/show.js');
        const { output } = await show({ ...toOptions({ ...flags, select: undefined }, reporter), model: name, inline: flags.inline, limit });
        reporter.print(formatRows(output, flags.format));
      },
    );
}
