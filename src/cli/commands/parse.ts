import path from 'node:path';
import type { Command } from 'commander';
import { common, toOptions, type CliContext, type CommonFlags } from '../options.js';

export function registerParse(program: Command, { reporter }: CliContext): void {
  common(program.command('parse').description('read and check the whole project without a warehouse, and write target/manifest.json')).action(
    async (flags: CommonFlags) => {
      const { parse } = await import('../../tasks/parse.js');
      const { session, file } = await parse(toOptions(flags, reporter));
      reporter.print(`Parsed ${session.manifest.nodes.size} nodes; wrote ${path.relative(process.cwd(), file) || file}.`);
    },
  );
}
