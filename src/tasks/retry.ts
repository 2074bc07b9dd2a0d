import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ProjectError } from '../core/errors.js';
import { isPlainObject } from '../core/util.js';
import type { BatchResults, BatchSpan, RunSummary } from '../execute/results.js';
import { loadProject } from '../project/load-project.js';
import { execute, type ExecuteCommand } from './execute.js';
import type { RunOptions, Session } from './session.js';

/** dbt-core's `task/retry.py` RETRYABLE_STATUSES: error, fail, skipped, runtime error and partial success. */
const RETRYABLE = new Set(['error', 'fail', 'skipped', 'runtime error', 'partial success']);
const COMMANDS = new Set<ExecuteCommand>(['seed', 'run', 'build', 'test', 'snapshot']);

export interface RetryPlan {
  command: ExecuteCommand;
  uniqueIds: string[];
  file: string;
  /** Microbatch models that partly succeeded, with their batch results: only the failed batches run again. */
  batches: Map<string, BatchResults>;
}

const isSpan = (v: unknown): v is BatchSpan => Array.isArray(v) && v.length === 2 && v.every((t) => typeof t === 'string' && !Number.isNaN(Date.parse(t)));

/** A result's `batch_results`, when it is well formed. */
function batchResultsOf(r: Record<string, unknown>): BatchResults | undefined {
  const b = r.batch_results;
  if (!isPlainObject(b) || !Array.isArray(b.successful) || !Array.isArray(b.failed)) return undefined;
  if (!b.successful.every(isSpan) || !b.failed.every(isSpan)) return undefined;
  return { successful: b.successful, failed: b.failed };
}

/** What `model retry` would run: the last command, over the nodes of its run_results.json that did not succeed. */
export function planRetry(opts: Pick<RunOptions, 'projectDir' | 'state'> = {}): RetryPlan & { previous: Record<string, unknown> } {
  const project = loadProject({ projectDir: opts.projectDir });
  const dir = opts.state ? path.resolve(project.dir, opts.state) : project.targetDir;
  const file = path.join(dir, 'run_results.json');
  if (!existsSync(file)) {
    throw new ProjectError('usage', `there is no earlier run to retry: ${path.relative(process.cwd(), file) || file} does not exist`, {
      hint: 'retry re-runs what failed in the last seed, run, build, test or snapshot',
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ProjectError('usage', `${file} is not valid JSON: ${(e as Error).message}`, { location: { file } });
  }
  const args = isPlainObject(data) && isPlainObject(data.args) ? data.args : {};
  const command = String(args.which ?? '') as ExecuteCommand;
  if (!COMMANDS.has(command)) {
    throw new ProjectError('usage', `the last run (${file}) was '${args.which ?? 'unknown'}', which retry cannot repeat`, {
      hint: 'retry repeats seed, run, build, test and snapshot',
    });
  }
  const results = isPlainObject(data) && Array.isArray(data.results) ? data.results : [];
  const uniqueIds = results
    .filter((r): r is { unique_id: string; status: string } => isPlainObject(r) && typeof r.unique_id === 'string' && RETRYABLE.has(String(r.status)))
    .map((r) => r.unique_id);
  // As dbt's RetryTask: only `run` passes the batches on, and only for a model with some batches
  // written and some failed (with none written, the model runs from scratch).
  const batches = new Map<string, BatchResults>();
  if (command === 'run') {
    for (const r of results) {
      if (!isPlainObject(r) || typeof r.unique_id !== 'string' || !RETRYABLE.has(String(r.status))) continue;
      const b = batchResultsOf(r);
      if (b?.successful.length && b.failed.length) batches.set(r.unique_id, b);
    }
  }
  return { command, uniqueIds, file, batches, previous: args };
}

/**
 * `model retry`: runs the last command again, with its target, vars and full-refresh, over the
 * nodes that failed, errored or were skipped in it (dbt's `retry`). Nothing to retry is success.
 */
export async function retry(opts: RunOptions = {}): Promise<{ plan: RetryPlan; session?: Session; summary?: RunSummary }> {
  const plan = planRetry(opts);
  if (!plan.uniqueIds.length) return { plan };
  const prev = plan.previous;
  const vars = isPlainObject(prev.vars) && Object.keys(prev.vars).length ? JSON.stringify(prev.vars) : undefined;
  const { session, summary } = await execute(plan.command, {
    ...opts,
    target: opts.target ?? (typeof prev.target === 'string' ? prev.target : undefined),
    vars: opts.vars ?? vars,
    fullRefresh: opts.fullRefresh ?? prev.full_refresh === true,
    retryBatches: plan.batches,
    select: plan.uniqueIds.map((id) => `unique_id:${id}`),
    exclude: [],
    // As dbt's RetryTask, with the earlier run's flags: a deferred run defers again (its unbuilt
    // parents are read from the same --state manifest); retry's own --state only says where
    // run_results.json is.
    state: prev.defer === true && typeof prev.state === 'string' ? prev.state : undefined,
    defer: prev.defer === true && typeof prev.state === 'string',
    favorState: prev.favor_state === true,
  });
  return { plan, session, summary };
}
