import { createHash } from 'node:crypto';
import type { Workspace } from '../graph/workspace.js';
import type { Node, SqlNode } from '../parse/nodes.js';

export interface CompileKey {
  /** A hash of everything a compile render of the node reads from the manifest. */
  key: string;
  /** The raw SQL of the node and of every ephemeral model inlined into it (for the parse cache's volatility check). */
  texts: string[];
}

/**
 * What a node's compiled SQL depends on, besides the global inputs (engine, target, vars, macros):
 * the node as parsed (text, config, relation, refs, dependencies), the relation of every node it
 * reads (a deferred one's, under --defer), and, for an ephemeral model it inlines, that model's own key. `memo` holds keys by id.
 */
export function compileKey(ws: Workspace, node: SqlNode, memo: Map<string, CompileKey>): CompileKey {
  const known = memo.get(node.uniqueId);
  if (known) return known;
  const texts = [node.rawSql];
  const deps: unknown[] = [];
  const ids = node.resourceType === 'test' && node.attachedNode ? [...node.dependsOn, node.attachedNode] : node.dependsOn;
  for (const id of ids) {
    const dep = ws.manifest.nodes.get(id) as Node | undefined;
    if (dep?.resourceType === 'model' && dep.materialized === 'ephemeral') {
      const inner = compileKey(ws, dep, memo);
      texts.push(...inner.texts);
      deps.push([id, inner.key]);
    } else deps.push([id, ws.deferred?.get(id) ?? dep?.relation ?? null]);
  }
  const key = createHash('sha1')
    .update(JSON.stringify([node, deps]))
    .digest('hex');
  const out = { key, texts };
  memo.set(node.uniqueId, out);
  return out;
}
