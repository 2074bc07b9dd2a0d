import { StateComparison } from '../graph/previous-state.js';
import type { Adapter } from '../warehouse/adapter.js';
import type { RelationName } from '../warehouse/dialect.js';
import { relationKey } from '../warehouse/relation.js';
import { previousState, type SelectOptions, type Session } from './session.js';

/**
 * dbt's `--defer`: a ref to a node that this run does not build reads the relation the `--state`
 * manifest names for it, when this target has not built that node (or always, with
 * `--favor-state`). Without an adapter (`model compile`) nothing can be checked, so every
 * unselected node with a state relation is deferred.
 */
export async function applyDefer(session: Session, opts: SelectOptions, selected: ReadonlySet<string>, adapter?: Adapter): Promise<number> {
  if (!opts.defer) return 0;
  const state = previousState(session, opts);
  if (!state) return 0;
  const cmp = new StateComparison(session, state);
  const candidates = new Map<string, RelationName>();
  for (const node of session.manifest.nodes.values()) {
    if (selected.has(node.uniqueId) || (node.resourceType !== 'model' && node.resourceType !== 'seed')) continue;
    const rel = cmp.deferredRelation(node);
    if (rel) candidates.set(node.uniqueId, rel);
  }
  if (adapter && !opts.favorState) {
    const built = new Set<string>();
    const schemas = new Map<string, RelationName>();
    for (const id of candidates.keys()) {
      const own = session.manifest.nodes.get(id)!.relation;
      if (own) schemas.set(`${own.database}.${own.schema}`.toLowerCase(), own);
    }
    for (const { database, schema } of schemas.values()) {
      for (const name of (await adapter.listRelations(database, schema)).keys()) built.add(relationKey({ database, schema, identifier: name }));
    }
    for (const id of [...candidates.keys()]) {
      const own = session.manifest.nodes.get(id)!.relation;
      if (own && built.has(relationKey(own))) candidates.delete(id);
    }
  }
  session.deferred = candidates;
  return candidates.size;
}
