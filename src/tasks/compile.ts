import { compileKey, type CompileKey } from '../compile/compile-key.js';
import { compileNode, type CompiledNode } from '../compile/compile-node.js';
import { compileIntrospecting } from '../compile/run-queries.js';
import { QueryCache } from '../compile/query-cache.js';
import { BackgroundWrites, backgroundWritesMin, type WrittenStamp } from '../core/background-writes.js';
import type { Adapter, Connection } from '../warehouse/adapter.js';
import { redact } from '../core/secrets.js';
import { nodeSqlPath, writeNodeSql } from '../core/target-files.js';
import { writeManifest } from '../execute/artifacts.js';
import { testSqlFile } from '../parse/data-tests/add-data-tests.js';
import type { Node, SqlNode } from '../parse/nodes.js';
import { ParseCache } from '../parse/parse-cache.js';
import { snapshotSqlFile } from '../parse/snapshots.js';
import { applyDefer } from './defer.js';
import { connect, openProject, select, type CommonOptions, type SelectOptions, type Session } from './session.js';

export interface CompiledFile {
  node: Node;
  sql: string;
  path: string;
  /** The parse cache's key of the node (see compileKey), when it went through the cache. */
  key?: string;
  /** The file's absolute path. */
  abs?: string;
  /** Its stat stamp right after a background writer wrote it (compile's own files, see BackgroundWrites). */
  stamp?: WrittenStamp;
}

/**
 * `model compile`: renders the selected models, snapshots and tests to target/compiled/. No
 * warehouse is touched unless a render asks it something (dbt_utils' `star`, `get_column_values`…):
 * then one connection is opened for the run, as dbt's compile opens one.
 */
export async function compile(opts: CommonOptions & SelectOptions = {}): Promise<{ session: Session; files: CompiledFile[] }> {
  const session = await openProject({ ...opts, keepCacheOpen: true });
  const nodes = select(session, opts, ['model', 'snapshot', 'test'], opts.reporter);
  await applyDefer(session, opts, new Set(nodes.map((n) => n.uniqueId)));
  // Many files: written on a worker thread while the renders go on (the cache notes their stamps once all are there).
  const writer = nodes.length >= backgroundWritesMin() ? new BackgroundWrites() : undefined;
  const written: [string, string][] = [];
  let files: CompiledFile[];
  try {
    files = await compileNodes(session, nodes, writer && { writer, written });
    // manifest.json reads nothing the writer writes: written while it finishes. It holds each compiled node's SQL, as dbt's.
    writeManifest(session, new Map(files.map((f) => [f.node.uniqueId, f.sql])));
  } catch (e) {
    if (writer) await writer.abandon();
    throw e;
  }
  if (writer) {
    const stamps = await writer.finish();
    for (const [id, abs] of written) session.cache?.noteWrittenStamp(id, abs, stamps.get(abs));
    for (const f of files) if (f.abs) f.stamp = stamps.get(f.abs);
  }
  session.cache?.save();
  return { session, files };
}

/** Where compileNodes writes in the background: the writer, and the [node id, file] of each cached entry whose file it wrote. */
interface Deferred {
  writer: BackgroundWrites;
  written: [string, string][];
}

/**
 * Renders nodes to target/compiled/, through the session's parse cache when it has one. With
 * `deferred`, the files are written by its writer: the caller awaits `finish()` and notes the
 * written entries' stamps in the cache.
 */
export async function compileNodes(session: Session, nodes: Node[], deferred?: Deferred): Promise<CompiledFile[]> {
  const files: CompiledFile[] = [];
  const { project, cache } = session;
  const keys = new Map<string, CompileKey>();
  const warehouse = lazyWarehouse(session);
  try {
    for (const node of nodes) {
      if (node.resourceType !== 'model' && node.resourceType !== 'snapshot' && node.resourceType !== 'test') continue;
      const file = node.resourceType === 'test' ? testSqlFile(node) : node.resourceType === 'snapshot' ? snapshotSqlFile(node) : node.file;
      if (!cache) {
        const { sql } = await compileIntrospecting(session, node, {}, warehouse.withConnection);
        const { abs, rel } = nodeSqlPath(project, 'compiled', file);
        writeNodeSql(project, 'compiled', file, sql, deferred?.writer);
        files.push({ node, sql, path: rel, abs });
        continue;
      }
      files.push(await compileCached(session, cache, node, file, keys, warehouse.withConnection, deferred));
    }
  } finally {
    await warehouse.close();
  }
  return files;
}

/** The session's warehouse, connected on the first render that asks it something. */
function lazyWarehouse(session: Session) {
  let adapter: Promise<Adapter> | undefined;
  return {
    withConnection: <T>(fn: (conn: Connection) => Promise<T>): Promise<T> => {
      adapter ??= connect(session);
      return adapter.then((a) => a.withConnection(fn));
    },
    close: async () => {
      if (adapter) await (await adapter.catch(() => undefined))?.close();
    },
  };
}

/** One node through the parse cache: its SQL from the previous run when its key is unchanged, the file left alone when it still holds it. */
async function compileCached(
  session: Session,
  cache: ParseCache,
  node: SqlNode,
  file: string,
  keys: Map<string, CompileKey>,
  withConnection: <T>(fn: (conn: Connection) => Promise<T>) => Promise<T>,
  deferred?: Deferred,
): Promise<CompiledFile> {
  const { key, texts } = compileKey(session, node, keys);
  const { abs, rel } = nodeSqlPath(session.project, 'compiled', file);
  const hit = cache.compiled(node.uniqueId, key);
  if (hit) {
    if (!ParseCache.stillWritten(hit, abs)) written(session, cache, node.uniqueId, file, abs, hit.sql, deferred);
    return { node, sql: hit.sql, path: rel, key, abs };
  }
  // Offline first; a render that asks the warehouse is answered by it, and its SQL (which depends
  // on what the warehouse holds) is neither cached nor replayed.
  const queries = new QueryCache();
  const logs: string[] = [];
  const { value, macroFiles, cacheable } = cache.traced(session.engine, (): { compiled?: CompiledNode; error?: unknown } => {
    try {
      return { compiled: compileNode(session, node, { queries, log: (m) => logs.push(m) }) };
    } catch (error) {
      return { error };
    }
  });
  let sql: string;
  if (queries.missing.length === 0) {
    for (const m of logs) session.engine.emitLog(m);
    if (!value.compiled) throw value.error;
    sql = value.compiled.sql;
    // SQL holding a secret stays out of the cache file.
    if (cacheable && redact(sql) === sql) cache.storeCompiled(node.uniqueId, { key, sql, macroFiles }, texts);
    else cache.refuse();
  } else {
    cache.refuse();
    sql = (await compileIntrospecting(session, node, {}, withConnection)).sql;
  }
  written(session, cache, node.uniqueId, file, abs, sql, deferred);
  return { node, sql, path: rel, key, abs };
}

/** Writes a node's compiled file and notes its stamp in the cache (once written, when in the background). */
function written(session: Session, cache: ParseCache, id: string, file: string, abs: string, sql: string, deferred: Deferred | undefined): void {
  writeNodeSql(session.project, 'compiled', file, sql, deferred?.writer);
  if (deferred) deferred.written.push([id, abs]);
  else cache.noteWritten(id, abs);
}
