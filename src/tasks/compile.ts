import { compileKey, type CompileKey } from '../compile/compile-key.js';
import { compileNode } from '../compile/compile-node.js';
import { redact } from '../core/secrets.js';
import { nodeSqlPath, writeNodeSql } from '../core/target-files.js';
import { writeManifest } from '../execute/artifacts.js';
import { testSqlFile } from '../parse/data-tests/add-data-tests.js';
import type { Node, SqlNode } from '../parse/nodes.js';
import { ParseCache } from '../parse/parse-cache.js';
import { snapshotSqlFile } from '../parse/snapshots.js';
import { applyDefer } from './defer.js';
import { openProject, select, type CommonOptions, type SelectOptions, type Session } from './session.js';

export interface CompiledFile {
  node: Node;
  sql: string;
  path: string;
  /** The parse cache's key of the node (see compileKey), when it went through the cache. */
  key?: string;
}

/** `model compile`: renders the selected models, snapshots and tests to target/compiled/ without touching a warehouse. */
export async function compile(opts: CommonOptions & SelectOptions = {}): Promise<{ session: Session; files: CompiledFile[] }> {
  const session = await openProject({ ...opts, keepCacheOpen: true });
  const nodes = select(session, opts, ['model', 'snapshot', 'test'], opts.reporter);
  await applyDefer(session, opts, new Set(nodes.map((n) => n.uniqueId)));
  const files = compileNodes(session, nodes);
  writeManifest(session);
  session.cache?.save();
  return { session, files };
}

/** Renders nodes to target/compiled/, through the session's parse cache when it has one. */
export function compileNodes(session: Session, nodes: Node[]): CompiledFile[] {
  const files: CompiledFile[] = [];
  const { project, cache } = session;
  const keys = new Map<string, CompileKey>();
  for (const node of nodes) {
    if (node.resourceType !== 'model' && node.resourceType !== 'snapshot' && node.resourceType !== 'test') continue;
    const file = node.resourceType === 'test' ? testSqlFile(node) : node.resourceType === 'snapshot' ? snapshotSqlFile(node) : node.file;
    if (!cache) {
      const { sql } = compileNode(session, node);
      files.push({ node, sql, path: writeNodeSql(project, 'compiled', file, sql) });
      continue;
    }
    files.push(compileCached(session, cache, node, file, keys));
  }
  return files;
}

/** One node through the parse cache: its SQL from the previous run when its key is unchanged, the file left alone when it still holds it. */
function compileCached(session: Session, cache: ParseCache, node: SqlNode, file: string, keys: Map<string, CompileKey>): CompiledFile {
  const { key, texts } = compileKey(session, node, keys);
  const { abs, rel } = nodeSqlPath(session.project, 'compiled', file);
  const hit = cache.compiled(node.uniqueId, key);
  if (hit) {
    if (!ParseCache.stillWritten(hit, abs)) {
      writeNodeSql(session.project, 'compiled', file, hit.sql);
      cache.noteWritten(node.uniqueId, abs);
    }
    return { node, sql: hit.sql, path: rel, key };
  }
  const { value, macroFiles, cacheable } = cache.traced(session.engine, () => compileNode(session, node));
  const { sql } = value;
  // SQL holding a secret stays out of the cache file.
  if (cacheable && redact(sql) === sql) cache.storeCompiled(node.uniqueId, { key, sql, macroFiles }, texts);
  else cache.refuse();
  writeNodeSql(session.project, 'compiled', file, sql);
  cache.noteWritten(node.uniqueId, abs);
  return { node, sql, path: rel, key };
}
