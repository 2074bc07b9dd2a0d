import type { Workspace } from '../graph/workspace.js';
import type { Node } from '../parse/nodes.js';
import type { Adapter, Connection } from '../warehouse/adapter.js';
import type { RelationType, TableKind } from '../warehouse/dialect.js';
import type { Reporter } from './reporter.js';
import type { BatchResults, NodeResult } from './results.js';

export interface ExecuteOptions {
  threads: number;
  failFast: boolean;
  fullRefresh: boolean;
  /** `--empty`: models read no rows from their refs and sources. */
  empty?: boolean;
  /** Microbatch models build only the batches of this range (--event-time-start/--event-time-end). */
  eventTime?: { start: Date; end: Date };
  /** `model retry` of a microbatch model that partly succeeded: its earlier batch results, by unique id (only its failed batches run). */
  retryBatches?: ReadonlyMap<string, BatchResults>;
  /** `build`: a `partial success` skips the node's descendants, as an error does (dbt's BuildTask.MARK_DEPENDENT_ERRORS_STATUSES). */
  partialSuccessSkips?: boolean;
  reporter: Reporter;
  signal?: AbortSignal;
}

/** How one kind of node is run. */
export type NodeExecutor = (ctx: ExecutionContext, node: Node, conn: Connection) => Promise<Partial<NodeResult>>;

export interface ExecutionContext {
  ws: Workspace;
  adapter: Adapter;
  options: ExecuteOptions;
  /** Relations known to exist, by lower-cased `db.schema.name`. */
  existing: Map<string, RelationType>;
  /** The kinds of the tables among them, where the warehouse has kinds (Snowflake: transient or permanent). */
  kinds: Map<string, TableKind>;
  /** Results so far, by unique id (tests read their model's). */
  results: Map<string, NodeResult>;
  /** The worker running the node (`Thread-1`): dbt's `thread_id` in its templates. */
  threadId?: string;
}

/** Records what a node left at `key`: a table of `kind` (where the warehouse has kinds), or a view. */
export function recordBuilt(ctx: ExecutionContext, key: string, type: RelationType, kind?: TableKind): void {
  ctx.existing.set(key, type);
  if (type === 'table' && kind && ctx.adapter.dialect.listTableKindsSql) ctx.kinds.set(key, kind);
  else ctx.kinds.delete(key);
}
