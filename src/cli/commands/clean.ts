import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadProject } from '../../project/load-project.js';
import type { CliContext } from '../options.js';

export function registerClean(program: Command, { reporter }: CliContext): void {
  program
    .command('clean')
    .description('delete what commands wrote under the target path (keeps the DuckDB database unless --all)')
    .option('--project-dir <dir>', 'the project folder')
    .option('--all', 'also delete DuckDB database files under the target path')
    .action((flags: { projectDir?: string; all?: boolean }) => {
      const project = loadProject({ projectDir: flags.projectDir });
      const dir = project.targetDir;
      if (!existsSync(dir)) {
        reporter.print(`Nothing to clean: ${path.relative(process.cwd(), dir) || dir} does not exist.`);
        return;
      }
      const kept: string[] = [];
      for (const entry of readdirSync(dir)) {
        const isDb = /\.duckdb(\.wal)?$/.test(entry) || entry === '.duckdb_tmp';
        if (isDb && !flags.all) {
          kept.push(entry);
          continue;
        }
        rmSync(path.join(dir, entry), { recursive: true, force: true });
      }
      for (const extra of project.config['clean-targets'] ?? []) {
        const abs = path.resolve(project.dir, extra);
        if (abs !== dir && abs.startsWith(project.dir + path.sep)) rmSync(abs, { recursive: true, force: true });
      }
      reporter.print(`Cleaned ${path.relative(process.cwd(), dir) || dir}${kept.length ? ` (kept ${kept.join(', ')}; use --all to delete)` : ''}.`);
    });
}
