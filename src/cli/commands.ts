import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { ProjectError } from '../errors.js';
import { compile, connect, execute, exitCodeOf, openProject, select, show, type CommonOptions, type NodeResult, type RunOptions, type Session } from '../index.js';
import { loadProject } from '../project/load-project.js';
import { resolveTarget } from '../project/profiles.js';
import type { Node } from '../graph/nodes.js';
import { formatRows, type OutputFormat } from './format.js';
import type { CliReporter } from './reporter.js';

interface CommonFlags {
  projectDir?: string;
  target?: string;
  vars?: string;
  profilesDir?: string;
  threads?: string;
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  failFast?: boolean;
}

function common(cmd: Command): Command {
  return cmd
    .option('--project-dir <dir>', 'the project folder (default: the current folder)')
    .option('-t, --target <name>', 'the target (output) of the profile to use')
    .option('--vars <yaml>', "project vars as YAML or JSON, e.g. '{countries: [Peru]}'")
    .option('--profiles-dir <dir>', 'the folder holding profiles.yml')
    .option('--threads <n>', 'how many nodes to run at once');
}

function selection(cmd: Command): Command {
  return cmd
    .option('-s, --select <selector...>', "nodes to include: name, +name, name+, tag:x, path:models/stage, …")
    .option('--exclude <selector...>', 'nodes to leave out');
}

function toOptions(flags: CommonFlags, reporter: CliReporter): RunOptions {
  let threads: number | undefined;
  if (flags.threads !== undefined) {
    threads = Number(flags.threads);
    if (!Number.isInteger(threads) || threads < 1) throw new ProjectError('usage', `--threads must be a whole number from 1, got '${flags.threads}'`);
  }
  return {
    projectDir: flags.projectDir,
    target: flags.target,
    vars: flags.vars,
    profilesDir: flags.profilesDir,
    threads,
    select: flags.select,
    exclude: flags.exclude,
    fullRefresh: flags.fullRefresh,
    failFast: flags.failFast,
    reporter,
  };
}

export function registerCommands(program: Command, reporter: CliReporter, setCode: (c: number) => void): void {
  const runCommand = (name: 'seed' | 'run' | 'build', description: string) => {
    const cmd = selection(common(program.command(name).description(description)))
      .option('--full-refresh', 'rebuild incremental models from scratch')
      .option('-x, --fail-fast', 'stop at the first failure');
    cmd.action(async (flags: CommonFlags) => {
      const opts = toOptions(flags, reporter);
      const controller = new AbortController();
      const onSigint = () => {
        reporter.info('\nInterrupted: cancelling running queries, starting nothing new…');
        controller.abort();
      };
      process.once('SIGINT', onSigint);
      try {
        const { session, summary } = await execute(name, { ...opts, signal: controller.signal });
        printWhereResultsAre(reporter, session, summary.results);
        setCode(exitCodeOf(summary));
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    });
  };
  runCommand('build', 'load sources, seed, run models and their data tests, in graph order');
  runCommand('run', 'load file sources and materialize models');
  runCommand('seed', 'load CSV seeds into tables');

  selection(common(program.command('compile').description('render models to SQL under target/compiled/, without a warehouse'))).action(
    async (flags: CommonFlags) => {
      const started = Date.now();
      const { files, session } = await compile(toOptions(flags, reporter));
      for (const f of files) reporter.print(`compiled ${f.node.name} -> ${f.path}`);
      reporter.print(`Compiled ${files.length} node${files.length === 1 ? '' : 's'} of '${session.project.name}' in ${((Date.now() - started) / 1000).toFixed(2)}s.`);
    },
  );

  selection(common(program.command('ls').alias('list').description('list the nodes of the project')))
    .addOption(new Option('--resource-type <type...>', 'only these types').choices(['model', 'seed', 'source', 'test']))
    .addOption(new Option('--output <format>', 'what to print for each node').choices(['name', 'path', 'json', 'selector']).default('selector'))
    .action(async (flags: CommonFlags & { resourceType?: Node['resourceType'][]; output: string }) => {
      const session = await openProject(toOptions(flags, reporter));
      const types = flags.resourceType ?? ['model', 'seed', 'source', 'test'];
      const nodes = select(session, flags, types, reporter).sort((a, b) => a.uniqueId.localeCompare(b.uniqueId));
      for (const n of nodes) {
        if (flags.output === 'name') reporter.print(n.name);
        else if (flags.output === 'path') reporter.print(n.file);
        else if (flags.output === 'json') {
          reporter.print(
            JSON.stringify({
              unique_id: n.uniqueId,
              name: n.name,
              resource_type: n.resourceType,
              original_file_path: n.file,
              depends_on: n.dependsOn,
              config: n.config,
              relation: n.relation ? `${n.relation.database}.${n.relation.schema}.${n.relation.identifier}` : null,
            }),
          );
        } else reporter.print(n.resourceType === 'source' ? `source:${n.fqn.join('.')}` : n.fqn.join('.'));
      }
    });

  common(program.command('show').description("run a model's query (or inline SQL) and print the first rows"))
    .argument('[model]', 'the model or seed to show')
    .option('-s, --select <model>', 'the model to show (same as the argument)')
    .option('--inline <sql>', "SQL to run, with {{ ref('…') }} and other Jinja")
    .option('--limit <n>', 'rows to show', '10')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .action(async (model: string | undefined, flags: CommonFlags & { inline?: string; limit: string; format: OutputFormat; select?: string }) => {
      const name = model ?? (Array.isArray(flags.select) ? flags.select[0] : flags.select);
      if (!name && flags.inline === undefined) throw new ProjectError('usage', 'name a model (model show segments_derived) or pass --inline "<sql>"');
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new ProjectError('usage', `--limit must be a whole number, got '${flags.limit}'`);
      const { output } = await show({ ...toOptions({ ...flags, select: undefined }, reporter), model: name, inline: flags.inline, limit });
      reporter.print(formatRows(output, flags.format));
    });

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

  common(program.command('debug').description('check the project, the profile and the connection')).action(async (flags: CommonFlags) => {
    const opts = toOptions(flags, reporter) as CommonOptions;
    const project = loadProject({ projectDir: opts.projectDir, vars: opts.vars });
    reporter.print(`project: ${project.name} (${path.join(project.dir, project.file)})`);
    reporter.print(`  models: ${project.models.length}, seeds: ${project.seeds.length}, macro files: ${project.macroFiles.length}`);
    const { target } = resolveTarget(project, { target: opts.target, profilesDir: opts.profilesDir });
    reporter.print(`target: ${target.name} (${target.type}), threads ${target.threads}`);
    const session = await openProject(opts);
    reporter.print(`  parsed ${session.manifest.nodes.size} nodes: OK`);
    const adapter = await connect(session);
    try {
      await adapter.withConnection((c) => c.execute('select 1 as ok'));
      reporter.print(`connection: ${adapter.describe()}: OK`);
    } finally {
      await adapter.close();
    }
    reporter.print('All checks passed!');
  });
}

/** After a run: the final tables (no downstream model), and where they live. */
function printWhereResultsAre(reporter: CliReporter, session: Session, results: NodeResult[]): void {
  const ran = new Set(results.map((r) => r.node.uniqueId));
  const leaves = results.filter(
    (r) =>
      r.status === 'success' &&
      r.node.resourceType === 'model' &&
      r.node.relation &&
      !(session.manifest.graph.successors(r.node.uniqueId) ?? []).some((c) => ran.has(c) && !c.startsWith('test.')),
  );
  if (!leaves.length) return;
  const t = session.target;
  const where = t.type === 'duckdb' ? `DuckDB file ${t.path}` : `Snowflake target '${t.name}'`;
  reporter.print(`Final models, in ${where}:`);
  for (const r of leaves) {
    const rel = r.node.relation!;
    reporter.print(`  ${rel.database}.${rel.schema}.${rel.identifier}${r.rows !== undefined ? ` (${r.rows} rows)` : ''}   see: npx model show ${r.node.name}`);
  }
}
