import path from 'node:path';
import type { Command } from 'commander';
import { ProjectError } from '../../core/errors.js';
import { common, toOptions, type CliContext, type CommonFlags } from '../options.js';

export function registerDocs(program: Command, { reporter }: CliContext): void {
  const docs = program.command('docs').description('the project documentation site: lineage, descriptions, SQL, data profile, charts');
  common(docs.command('generate').description('write target/docs/index.html, one self-contained page that opens from disk'))
    .option('--no-data', 'do not read the warehouse (no column types, profiles or charts)')
    .option('--profile <relation...>', 'profile these relations too, besides the sources')
    .option('--no-compile', "as dbt's: do not compile the project (no compiled SQL, no manifest.json)")
    .action(async (flags: Omit<CommonFlags, 'select'> & { data: boolean; compile: boolean; profile?: string[] }) => {
      const { generateDocs } = await import('../../tasks/docs.js');
      const { file, data } = await generateDocs({ ...toOptions(flags, reporter), noData: !flags.data, noCompile: !flags.compile, profile: flags.profile });
      for (const note of data.notes) reporter.info(note);
      reporter.print(
        `Wrote ${path.relative(process.cwd(), file) || file} (${data.nodes.length} nodes, ${data.profiles.length} profile${data.profiles.length === 1 ? '' : 's'}, ${data.charts.filter((c) => c.rows).length} of ${data.charts.length} charts with data).`,
      );
      reporter.print('Open it in a browser, or run `model docs serve`.');
    });
  docs
    .command('serve')
    .description('serve target/docs on 127.0.0.1')
    .option('--project-dir <dir>', 'the project folder')
    .option('--port <port>', 'the port (0 picks a free one)', '8080')
    .action(async (flags: { projectDir?: string; port: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port)) throw new ProjectError('usage', `--port must be a whole number, got '${flags.port}'`);
      const { serveDocs } = await import('../../tasks/serve-docs.js');
      const server = await serveDocs({ projectDir: flags.projectDir, port });
      reporter.print(`Serving the docs at ${server.url} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
