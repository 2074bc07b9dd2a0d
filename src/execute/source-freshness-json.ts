import type { SourceNode } from '../parse/nodes.js';
import type { FreshnessTime } from '../parse/source-freshness.js';

const time = (t?: FreshnessTime) => ({ count: t?.count ?? null, period: t?.period ?? null });

/** A source's freshness fields as dbt's manifest (v12 SourceDefinition) and sources.json criteria write them. */
export function freshnessCriteria(node: SourceNode): { warn_after: object; error_after: object; filter: string | null } | null {
  if (!node.freshness) return null;
  return { warn_after: time(node.freshness.warnAfter), error_after: time(node.freshness.errorAfter), filter: node.freshness.filter ?? null };
}

/** `loaded_at_query` (dbt 1.10) only when the source has one. */
export function sourceFreshnessJson(node: SourceNode): {
  loaded_at_field: string | null;
  loaded_at_query?: string;
  freshness: ReturnType<typeof freshnessCriteria>;
} {
  return {
    loaded_at_field: node.loadedAtField ?? null,
    ...(node.loadedAtQuery ? { loaded_at_query: node.loadedAtQuery } : {}),
    freshness: freshnessCriteria(node),
  };
}
