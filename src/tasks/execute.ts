import { writeManifest, writeRunResults } from '../execute/artifacts.js';
import { executeNodes } from '../execute/execute-nodes.js';
import { silentReporter } from '../execute/reporter.js';
import type { RunSummary } from '../execute/results.js';
import { preflightDataTests } from '../execute/run-data-test.js';
import type { ResourceType } from '../parse/nodes.js';
import { applyDefer } from './defer.js';
import { connect, openProject, select, type RunOptions, type Session } from './session.js';

export type ExecuteCommand = 'seed' | 'run' | 'build' | 'test' | 'snapshot';

/** The resource types each command runs. */
export const COMMAND_TYPES: Record<ExecuteCommand, ResourceType[]> = {
  seed: ['seed'],
  run: ['model', 'source'],
  build: ['seed', 'source', 'model', 'snapshot', 'test', 'unit_test'],
  test: ['test', 'unit_test'],
  snapshot: ['snapshot'],
};

/**
 * `model seed`, `model run`, `model build`, `model test`: executes the selected nodes and writes the artifacts.
 * `only` narrows the selection further (watch mode: what an edit touched and its descendants).
 */
export async function execute(
  command: ExecuteCommand,
  opts: RunOptions = {},
  existing?: Session,
  only?: ReadonlySet<string>,
): Promise<{ session: Session; summary: RunSummary }> {
  const reporter = opts.reporter ?? silentReporter;
  const session = existing ?? (await openProject(opts));
  const types = COMMAND_TYPES[command].filter(
    (t) => (!opts.resourceTypes?.length || opts.resourceTypes.includes(t)) && !opts.excludeResourceTypes?.includes(t),
  );
  const selected = select(session, opts, types, reporter);
  const nodes = only ? selected.filter((n) => only.has(n.uniqueId)) : selected;
  writeManifest(session);
  const adapter = await connect(session);
  let summary: RunSummary;
  try {
    const deferred = await applyDefer(session, opts, new Set(nodes.map((n) => n.uniqueId)), adapter);
    if (deferred) reporter.info(`Deferring ${deferred} unselected node${deferred === 1 ? '' : 's'} to the relations of ${session.previousState!.dir}`);
    // Never two writers on one target: seed, run and build take the write lock (tests only read).
    if (command !== 'test') await adapter.lockForWrites?.((m) => reporter.info(m));
    // Tests of models built earlier: a misspelt column stops the run before any test query.
    if (command === 'test') await preflightDataTests(session, adapter, nodes);
    summary = await executeNodes(
      session,
      adapter,
      nodes.map((n) => n.uniqueId),
      {
        threads: session.target.threads,
        failFast: opts.failFast ?? false,
        fullRefresh: opts.fullRefresh ?? false,
        empty: opts.empty,
        eventTime: opts.eventTime,
        retryBatches: opts.retryBatches,
        partialSuccessSkips: command === 'build',
        reporter,
        signal: opts.signal,
      },
    );
  } finally {
    await adapter.close();
  }
  // Written again once the nodes ran, with the SQL of each node compiled, as dbt's runnable task does.
  const compiled = new Map<string, string>();
  for (const r of summary.results) if (r.compiledSql !== undefined) compiled.set(r.node.uniqueId, r.compiledSql);
  if (compiled.size > 0) writeManifest(session, compiled);
  writeRunResults(session, summary, {
    which: command,
    select: opts.select ?? [],
    exclude: opts.exclude ?? [],
    target: session.target.name,
    full_refresh: opts.fullRefresh ?? false,
    vars: session.project.cliVars,
    // dbt keeps every flag in `args`; retry (task/retry.py) runs the command again with them, so a
    // slim CI build retried still reads unbuilt parents from the --state manifest.
    ...deferArgs(opts),
  });
  return { session, summary };
}

/** `--defer`, `--favor-state` and `--state` (or DBT_STATE) as dbt's run_results `args` holds them (defer, favor_state, state). */
function deferArgs(opts: RunOptions): Record<string, unknown> {
  const state = opts.state ?? process.env.DBT_STATE;
  return {
    ...(opts.defer ? { defer: true } : {}),
    ...(opts.favorState ? { favor_state: true } : {}),
    ...(state ? { state } : {}),
  };
}

export const seed = (opts?: RunOptions) => execute('seed', opts);
export const run = (opts?: RunOptions) => execute('run', opts);
export const build = (opts?: RunOptions) => execute('build', opts);
export const test = (opts?: RunOptions) => execute('test', opts);
export const snapshot = (opts?: RunOptions) => execute('snapshot', opts);
