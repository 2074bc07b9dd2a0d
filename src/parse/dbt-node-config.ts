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
  return values.flatMap((v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v])).flatMap((h) => hookOf(h) ?? []);
}

const MATERIALIZED: Partial<Record<Node['resourceType'], string>> = { seed: 'seed', snapshot: 'snapshot', test: 'test' };

/** Keys of dbt's closed config objects (`Docs`, `ContractConfig`): nothing else may appear in them. */
const CLOSED: Record<string, readonly string[]> = { docs: ['show', 'node_color'], contract: ['enforced', 'alias_types'] };

/**
 * A node's `config` in the shape dbt's manifest (v12) gives it: hooks as `pre-hook`/`post-hook`
 * lists of `{sql, transaction, index}` (whether the project wrote `post_hook`, a string or a list),
 * `tags` a list, `enabled` and `materialized` always set, `docs`/`contract` only with their own
 * keys; the rest as the project configured it. dbt also writes every config key at its default;
 * that is left out here (the schema does not ask for it, and it would double a large manifest).
 */
export function dbtNodeConfig(node: Node, enabled = true): Record<string, unknown> {
  const { pre_hook, post_hook, 'pre-hook': preHook, 'post-hook': postHook, tags, ...rest } = node.config as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rest, enabled };
  if (tags !== undefined) out.tags = Array.isArray(tags) ? tags : [tags];
  if (node.resourceType === 'source' || node.resourceType === 'unit_test') return out;
  out.materialized = node.resourceType === 'model' ? node.materialized : (MATERIALIZED[node.resourceType] ?? rest.materialized);
  const pre = hooksOf(preHook, pre_hook);
  const post = hooksOf(postHook, post_hook);
  if (pre.length > 0) out['pre-hook'] = pre;
  if (post.length > 0) out['post-hook'] = post;
  for (const [key, keys] of Object.entries(CLOSED)) {
    const v = out[key];
    if (v && typeof v === 'object') out[key] = Object.fromEntries(Object.entries(v).filter(([k]) => keys.includes(k)));
  }
  return out;
}
