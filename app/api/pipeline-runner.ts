/**
 * Runs the pipeline (the same build as `model build`) in the server's process, one run at a time,
 * then reloads the answer. Readers keep the previous answer until the new one is read whole.
 */
import { countByStatus, execute, exitCodeOf, openProject, type CommonOptions, type NodeResult, type Reporter, type RunSummary } from '../../src/index.js';
import { loadAnswer, servedRelations, type AnswerCache } from './answer-cache.js';
import { ApiError } from './api-error.js';
import type { PipelineAnswer } from './schemas.js';

export interface PipelineLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** The engine's progress as log lines (node names and statuses; error details only in the log). */
function logReporter(log: PipelineLog): Reporter {
  return {
    info: (message) => log.info({}, message),
    warn: (message) => log.warn({}, message),
    nodeStarted: () => undefined,
    nodeFinished: (r: NodeResult) => {
      const fields = { node: r.node.uniqueId, status: r.status, seconds: (r.completedAt.getTime() - r.startedAt.getTime()) / 1000 };
      if (r.status === 'error' || r.status === 'fail') log.error({ ...fields, detail: r.error?.headline ?? r.message }, 'pipeline node failed');
      else log.info(fields, 'pipeline node finished');
    },
  };
}

export class PipelineRunner {
  private running: Promise<PipelineAnswer> | undefined;

  constructor(
    private readonly options: CommonOptions,
    private readonly cache: AnswerCache,
    private readonly log: PipelineLog,
  ) {}

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Starts a run; an ApiError 409 while another runs. */
  run(): Promise<PipelineAnswer> {
    if (this.running) throw new ApiError(409, 'pipeline_running', 'the pipeline is already running; try again when it has finished');
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Loads the answer the warehouse holds now (at startup), without building. */
  async reload(): Promise<void> {
    const session = await openProject({ ...this.options, reporter: logReporter(this.log) });
    const loaded = await loadAnswer(session);
    if ('missing' in loaded) this.cache.fail(loaded.missing);
    else this.cache.swap(loaded.answer);
  }

  private async runOnce(): Promise<PipelineAnswer> {
    const started = Date.now();
    this.log.info({}, 'pipeline started');
    const { session, summary } = await execute('build', { ...this.options, reporter: logReporter(this.log) });
    const answerNode = servedRelations(session).answer.uniqueId;
    const answerResult = summary.results.find((r) => r.node.uniqueId === answerNode);
    let reloaded = false;
    // Reload only when the answer table was rebuilt: otherwise the warehouse still holds the old one.
    if (answerResult?.status === 'success') {
      try {
        const loaded = await loadAnswer(session, answerResult.completedAt.toISOString());
        if ('answer' in loaded) {
          this.cache.swap(loaded.answer);
          reloaded = true;
        } else this.cache.fail(loaded.missing);
      } catch (e) {
        this.cache.fail(`reading the new answer failed: ${e instanceof Error ? e.message : String(e)}`);
        this.log.error({ detail: e instanceof Error ? e.message : String(e) }, 'reading the new answer failed');
      }
    }
    const answer = summarize(summary, reloaded, this.cache, (Date.now() - started) / 1000);
    this.log.info({ status: answer.status, seconds: answer.duration_seconds, reloaded }, 'pipeline finished');
    return answer;
  }
}

function summarize(summary: RunSummary, reloaded: boolean, cache: AnswerCache, seconds: number): PipelineAnswer {
  const tests = summary.results.filter((r) => r.node.resourceType === 'test');
  const nodes = summary.results.filter((r) => r.node.resourceType !== 'test');
  const code = exitCodeOf(summary);
  const current = cache.answer;
  return {
    status: summary.interrupted ? 'interrupted' : code === 0 ? 'success' : 'error',
    nodes: { total: nodes.length, by_status: nonZero(countByStatus(nodes)) },
    tests: { total: tests.length, by_status: nonZero(countByStatus(tests)) },
    duration_seconds: Math.round(seconds * 1000) / 1000,
    failed: summary.results.filter((r) => r.status === 'error' || r.status === 'fail').map((r) => ({ node: r.node.uniqueId, status: r.status })),
    answer: { reloaded, rows: current ? current.rows.size : null, built_at: current?.builtAt ?? null },
  };
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}
