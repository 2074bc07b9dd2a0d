import type { Node } from './nodes.js';

/** A hook as dbt's manifest holds it (dbt-core artifacts/resources/v1/config.py `Hook`). */
export interface DbtHook {
  sql: string;
  transaction: boolean;
  index: number | null;
}

/** dbt's `hooks.get_hook_dict`: SQL text, or `{sql, transaction}`, as a full hook. */
function hookOf(h: unknown): DbtHook | undefined {
  if (typeof h === 'string') return { sql: h, transaction: true, index: null };
  if (h && typeof h === 'object' && typeof (h as { sql?: unknown }).sql === 'string') {
    const o = h as { sql: string; transaction?: unknown; index?: unknown };
    return { sql: o.sql, transaction: o.transaction !== false, index: typeof o.index === 'number' ? o.index : null };
  }
  return undefined;
}

function hooksOf(...values: unknown[]): DbtHook[] {
  if (values.every((v) => v === undefined || v === null)) return [];
  return values.flatMap((v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v])).flatMap((h) => hookOf(h) ?? []);
}

const MATERIALIZED: Partial<Record<Node['resourceType'], string>> = { seed: 'seed', snapshot: 'snapshot', test: 'test' };

/** Keys of dbt's closed config objects (`Docs`, `ContractConfig`): nothing else may appear in them. */
const CLOSED: Record<string, readonly string[]> = { docs: ['show', 'node_color'], contract: ['enforced', 'alias_types'] };

/** dbt's NodeAndTestConfig defaults (dbt-core artifacts/resources/v1/config.py). */
const NODE_AND_TEST = { enabled: true, alias: null, schema: null, database: null, tags: [], meta: {}, group: null };

/** dbt 1.9's NodeConfig defaults, which models, seeds and snapshots share. */
const NODE = {
  ...NODE_AND_TEST,
  materialized: 'view',
  incremental_strategy: null,
  batch_size: null,
  lookback: 1,
  begin: null,
  persist_docs: {},
  'post-hook': [],
  'pre-hook': [],
  quoting: {},
  column_types: {},
  full_refresh: null,
  unique_key: null,
  on_schema_change: 'ignore',
  on_configuration_change: 'apply',
  grants: {},
  packages: [],
  docs: { show: true, node_color: null },
  contract: { enforced: false, alias_types: true },
  event_time: null,
  concurrent_batches: null,
};

/**
 * Every config key dbt writes for a node of each kind, at its default: ModelConfig, SeedConfig,
 * SnapshotConfig, TestConfig and SourceConfig of dbt-core's artifacts/resources/v1/ (dbt 1.9).
 */
const DEFAULTS: Record<Node['resourceType'], Record<string, unknown>> = {
  model: { ...NODE, access: 'protected' },
  seed: { ...NODE, materialized: 'seed', delimiter: ',', quote_columns: null },
  snapshot: {
    ...NODE,
    materialized: 'snapshot',
    strategy: null,
    target_schema: null,
    target_database: null,
    updated_at: null,
    check_cols: null,
    snapshot_meta_column_names: { dbt_valid_to: null, dbt_valid_from: null, dbt_scd_id: null, dbt_updated_at: null, dbt_is_deleted: null },
    dbt_valid_to_current: null,
  },
  test: {
    ...NODE_AND_TEST,
    schema: 'dbt_test__audit',
    materialized: 'test',
    severity: 'ERROR',
    store_failures: null,
    store_failures_as: null,
    where: null,
    limit: null,
    fail_calc: 'count(*)',
    warn_if: '!= 0',
    error_if: '!= 0',
  },
  source: { enabled: true, event_time: null },
  unit_test: {},
};

/** The config keys dbt writes for a node of this kind, at their defaults. */
export function dbtConfigDefaults(kind: Node['resourceType']): Readonly<Record<string, unknown>> {
  return DEFAULTS[kind];
}

/**
 * A node's `config` in the shape dbt's manifest (v12) gives it: hooks as `pre-hook`/`post-hook`
 * lists of `{sql, transaction, index}` (whether the project wrote `post_hook`, a string or a list),
 * `tags` a list, `enabled` and `materialized` always set, `docs`/`contract` only with their own
 * keys; the rest as the project configured it, over every key dbt writes at its default.
 */
export function dbtNodeConfig(node: Node, enabled = true): Record<string, unknown> {
  const { pre_hook, post_hook, 'pre-hook': preHook, 'post-hook': postHook, tags, ...rest } = node.config as Record<string, unknown>;
  const defaults = DEFAULTS[node.resourceType];
  const out: Record<string, unknown> = { ...defaults, ...rest, enabled };
  // Closed objects keep their defaults' other keys (`docs: {show: false}` still has node_color).
  for (const key of Object.keys(CLOSED)) {
    const d = defaults[key];
    const v = rest[key];
    if (d && v && typeof v === 'object') out[key] = { ...(d as object), ...v };
  }
  if (tags !== undefined) out.tags = Array.isArray(tags) ? tags : [tags];
  if (node.resourceType === 'source' || node.resourceType === 'unit_test') return out;
  // The engine keeps severity lower-case; dbt writes it as given (a test entry's upper-cased, see
  // add-data-tests.ts), its default `ERROR`.
  const written = node.unrenderedConfig?.severity;
  if (node.resourceType === 'test' && typeof written === 'string' && written.toLowerCase() === out.severity) out.severity = written;
  out.materialized = node.resourceType === 'model' ? node.materialized : (MATERIALIZED[node.resourceType] ?? rest.materialized);
  const pre = hooksOf(preHook, pre_hook);
  const post = hooksOf(postHook, post_hook);
  if (pre.length > 0 || 'pre-hook' in defaults) out['pre-hook'] = pre;
  if (post.length > 0 || 'post-hook' in defaults) out['post-hook'] = post;
  for (const key in CLOSED) {
    const v = out[key];
    // A default left as it is has only its own keys: a copy of it is what the filter would give.
    if (!v || typeof v !== 'object') continue;
    if (v === defaults[key]) out[key] = { ...v };
    else out[key] = Object.fromEntries(Object.entries(v).filter(([k]) => CLOSED[key]!.includes(k)));
  }
  return out;
}
