import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { writeJUnit } from '../../execute/junit.js';
import { exitCodeOf, type NodeResult } from '../../execute/results.js';
import { parseCsv } from '../../project/csv.js';
import { execute } from '../../tasks/execute.js';
import type { Session } from '../../tasks/session.js';
import { common, resourceTypeFlags, selection, toOptions, withInterrupts, type CliContext, type CommonFlags } from '../options.js';
import { formatRows } from '../format.js';
import type { CliReporter } from '../reporter.js';
import { runWatch, WATCH_HELP } from '../watch-mode.js';

/** `model build`, `model run`, `model seed`. */
export function registerRunCommands(program: Command, { reporter, setExitCode }: CliContext): void {
  const runCommand = (name: 'seed' | 'run' | 'build' | 'snapshot', description: string) => {
    const cmd = selection(common(program.command(name).description(description)));
    // dbt's snapshot has no --full-refresh: a snapshot's history is never rebuilt.
    if (name !== 'snapshot') cmd.option('--full-refresh', 'rebuild incremental models from scratch');
    cmd.option('-x, --fail-fast', 'stop at the first failure');
    if (name !== 'snapshot') {
      cmd.option(
        '--empty',
        'build from no rows: every ref() and source() a model reads gives zero rows, and seeds load no rows (checks SQL and schemas cheaply)',
      );
    }
    if (name === 'run' || name === 'build') {
      cmd
        .option('--event-time-start <time>', 'microbatch models: build only the batches from this time (UTC), with --event-time-end')
        .option('--event-time-end <time>', 'microbatch models: build only the batches before this time');
    }
    if (name === 'seed') cmd.option('--show', "print the first rows of each seed loaded (dbt's seed --show)");
    if (name === 'build') resourceTypeFlags(cmd);
    if (name === 'build') cmd.option('--store-failures', "keep each test's failing rows in a table of the audit schema (unless its config says otherwise)");
    if (name === 'build') cmd.option('--junit <file>', 'also write the results as JUnit XML (for CI test reports)');
    if (name === 'run' || name === 'build') cmd.option('-w, --watch', WATCH_HELP);
    cmd.action(async (flags: CommonFlags & { junit?: string; watch?: boolean; show?: boolean }) => {
      const opts = toOptions(flags, reporter);
      if (flags.watch && (name === 'run' || name === 'build')) return runWatch(name, opts, reporter);
      await withInterrupts(reporter, async (signal) => {
        const { session, summary } = await execute(name, { ...opts, signal });
        printWhereResultsAre(reporter, session, summary.results, flags.target);
        if (flags.show) printSeedSamples(reporter, session, summary.results);
        if (flags.junit) reporter.info(`JUnit report: ${writeJUnit(flags.junit, summary, `model ${name}`)}`);
        setExitCode(exitCodeOf(summary));
      });
    });
  };
  runCommand('build', 'load sources, seed, run models with their unit tests (before) and data tests (after), in graph order');
  runCommand('run', 'load file sources and materialize models');
  runCommand('seed', 'load CSV seeds into tables');
  runCommand('snapshot', 'record changes of the snapshots (snapshots/ and snapshots: YAML) as type-2 history');
}

/** `seed --show`: each loaded seed's first rows, as read from its file (dbt prints a sample of the loaded table). */
function printSeedSamples(reporter: CliReporter, session: Session, results: NodeResult[]): void {
  for (const r of results) {
    if (r.status !== 'success' || r.node.resourceType !== 'seed') continue;
    const text = readFileSync(path.join(session.project.dir, r.node.file), 'utf8');
    const table = parseCsv(text, r.node.file, r.node.config.delimiter ?? ',');
    const rows = table.rows.slice(0, 10).map((row) => row.values);
    reporter.info(`Random sample of table: ${r.relationName ?? r.node.name}`);
    reporter.info(formatRows({ columns: table.header.map((h) => ({ name: h, type: 'text' })), rows }, 'table'));
  }
}

/** After a run: the final tables (no downstream model), and where they live. */
function printWhereResultsAre(reporter: CliReporter, session: Session, results: NodeResult[], targetFlag: string | undefined): void {
  const ran = new Set(results.map((r) => r.node.uniqueId));
  const leaves = results.filter(
    (r) =>
      r.status === 'success' &&
      r.node.resourceType === 'model' &&
      r.node.relation &&
      !(session.graph.successors(r.node.uniqueId) ?? []).some((c) => ran.has(c) && !c.startsWith('test.') && !c.startsWith('unit_test.')),
  );
  if (!leaves.length) return;
  const t = session.target;
  const where = t.type === 'duckdb' ? `DuckDB file ${t.path}` : `Snowflake target '${t.name}'`;
  // The hint must reach the same target and project the build used.
  const flags = [
    ...(targetFlag ? [`--target ${targetFlag}`] : []),
    ...(session.project.dir !== process.cwd() ? [`--project-dir ${path.relative(process.cwd(), session.project.dir) || '.'}`] : []),
  ].join(' ');
  reporter.print(`Final models, in ${where}:`);
  for (const r of leaves) {
    const rel = r.node.relation!;
    // An incremental run's count is of the rows it added or changed, not of the table.
    const added = r.node.resourceType === 'model' && r.node.materialized === 'incremental' && !r.message.startsWith('CREATE');
    const rows = r.rows === undefined ? '' : added ? ` (${r.rows} rows added or updated)` : ` (${r.rows} rows)`;
    reporter.print(`  ${rel.database}.${rel.schema}.${rel.identifier}${rows}   see: npx model show ${r.node.name}${flags ? ` ${flags}` : ''}`);
  }
}
