import { type ProjectError, UpstreamCompileError } from '../core/errors.js';
import type { Node } from '../parse/nodes.js';

/** dbt's node statuses; `partial success` is a microbatch model some of whose batches failed (dbt-core RunStatus.PartialSuccess). */
export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn' | 'partial success';

/** A microbatch batch as dbt records it: its UTC window, `[start, end)`, as ISO texts. */
export type BatchSpan = [start: string, end: string];

/** run_results.json's `batch_results` (dbt-core artifacts/schemas/batch_results.py). */
export interface BatchResults {
  successful: BatchSpan[];
  failed: BatchSpan[];
}

export interface NodeResult {
  node: Node;
  status: NodeStatus;
  /** One line: what happened ("CREATE TABLE (8 rows)", the database's error, why skipped). */
  message: string;
  rows?: number;
  /** For data tests: how many rows broke the assertion. */
  failures?: number;
  startedAt: Date;
  completedAt: Date;
  threadId: string;
  compiledSql?: string;
  /** Compiled SQL written under target/compiled/, relative to the project. */
  compiledPath?: string;
  relationName?: string;
  /** The user-facing error, with its location, when status is error. */
  error?: ProjectError;
  /** Extra lines to show under the node's result (failing rows, hints). */
  details?: string[];
  /** run_results.json's message when it differs from the one-line `message` (a unit test's rendered diff, as dbt writes it). */
  artifactMessage?: string;
  /** A microbatch model: which batches were written and which failed or were skipped. */
  batchResults?: BatchResults;
}

export interface RunSummary {
  results: NodeResult[];
  startedAt: Date;
  elapsedSeconds: number;
  /** True when Ctrl-C stopped the run. */
  interrupted: boolean;
}

/** The message of a node whose query was cancelled by an interrupt (the reporter lists these apart). */
export const INTERRUPTED_MESSAGE = 'cancelled by an interrupt while running';

/** Exit status CI can gate on: 0 all good (warnings allowed), 1 something failed. */
export function exitCodeOf(summary: RunSummary): number {
  if (summary.interrupted) return 130;
  return summary.results.some((r) => r.status === 'error' || r.status === 'fail' || r.status === 'partial success' || r.error instanceof UpstreamCompileError)
    ? 1
    : 0;
}

export function countByStatus(results: NodeResult[]): Record<NodeStatus, number> {
  const out: Record<NodeStatus, number> = { success: 0, error: 0, skipped: 0, pass: 0, fail: 0, warn: 0, 'partial success': 0 };
  for (const r of results) out[r.status]++;
  return out;
}
