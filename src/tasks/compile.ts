import { compileKey, type CompileKey } from '../compile/compile-key.js';
import { compileIntrospecting, renderOffline } from '../compile/run-queries.js';
import { BackgroundWrites, backgroundWritesMin, type WrittenStamp } from '../core/background-writes.js';
import type { Adapter, Connection } from '../warehouse/adapter.js';
import { isUserError, type ProjectError, ProjectErrors } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import { nodeSqlPath, writeNodeSql } from '../core/target-files.js';
import { writeManifest, writeRunResults } from '../execute/artifacts.js';
import type { NodeResult } from '../execute/results.js';
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
export async function compile(
  opts: CommonOptions & SelectOptions & { keepGoing?: boolean } = {},
): Promise<{ session: Session; files: CompiledFile[]; failed: CompileFailures }> {
  const started = new Date();
  const failed: CompileFailures = { errors: [], skipped: [] };
  const session = await openProject({ ...opts, keepCacheOpen: true });
  const nodes = select(session, opts, ['model', 'snapshot', 'test'], opts.reporter);
  await applyDefer(session, opts, new Set(nodes.map((n) => n.uniqueId)));
  // Many files: written on a worker thread while the renders go on (the cache notes their stamps once all are there).
  const writer = nodes.length >= backgroundWritesMin() ? new BackgroundWrites() : undefined;
  const written: [string, string][] = [];
  let files: CompiledFile[];
  try {
    files = await compileNodes(session, nodes, writer && { writer, written }, opts.keepGoing ? failed : undefined);
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
  if (failed.errors.length)
    writeCompileResults(session, files, failed, started, {
      which: 'compile',
      select: opts.select ?? [],
      exclude: opts.exclude ?? [],
      target: session.target.name,
    });
  return { session, files, failed };
}

/**
 * The nodes a `keepGoing` compile could not compile: each failing node with its error, and the
 * selected nodes downstream of one (skipped), as dbt's compile task records them (GraphRunnableTask
 * marks a failed node's descendants skipped, and the others still compile).
 */
export interface CompileFailures {
  errors: { node: Node; error: ProjectError }[];
  skipped: { node: Node; upstream: string }[];
}

/** run_results.json of a compile with errors: `success` per compiled node (its compiled_code), `error`, `skipped`. */
function writeCompileResults(session: Session, files: CompiledFile[], failed: CompileFailures, started: Date, args: Record<string, unknown>): void {
  const now = new Date();
  const base = { startedAt: started, completedAt: now, threadId: 'Thread-1' };
  const results: NodeResult[] = [
    ...files.map((f): NodeResult => ({ ...base, node: f.node, status: 'success', message: '', compiledSql: f.sql })),
    ...failed.errors.map((e): NodeResult => ({ ...base, node: e.node, status: 'error', message: e.error.headline, error: e.error })),
    ...failed.skipped.map((s): NodeResult => ({ ...base, node: s.node, status: 'skipped', message: `skipped: upstream ${s.upstream} failed to compile` })),
  ];
  writeRunResults(session, { results, startedAt: started, elapsedSeconds: (now.getTime() - started.getTime()) / 1000, interrupted: false }, args);
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
export async function compileNodes(session: Session, nodes: Node[], deferred?: Deferred, failed?: CompileFailures): Promise<CompiledFile[]> {
  let files: CompiledFile[] = [];
  const { project, cache } = session;
  const keys = new Map<string, CompileKey>();
  const warehouse = lazyWarehouse(session);
  const compileOne = async (node: SqlNode): Promise<CompiledFile> => {
    const file = node.resourceType === 'test' ? testSqlFile(node) : node.resourceType === 'snapshot' ? snapshotSqlFile(node) : node.file;
    if (!cache) {
      const { sql } = await compileIntrospecting(session, node, {}, warehouse.withConnection);
      const { abs, rel } = nodeSqlPath(project, 'compiled', file);
      writeNodeSql(project, 'compiled', file, sql, deferred?.writer);
      return { node, sql, path: rel, abs };
    }
    return compileCached(session, cache, node, file, keys, warehouse.withConnection, deferred);
  };
  try {
    for (const node of nodes) {
      if (node.resourceType !== 'model' && node.resourceType !== 'snapshot' && node.resourceType !== 'test') continue;
      if (!failed) {
        files.push(await compileOne(node));
        continue;
      }
      try {
        files.push(await compileOne(node));
      } catch (e) {
        if (!isUserError(e)) throw e;
        failed.errors.push({ node, error: e instanceof ProjectErrors ? e.errors[0]! : (e as ProjectError) });
      }
    }
  } finally {
    await warehouse.close();
  }
  if (failed?.errors.length) files = skipDownstream(nodes, files, failed);
  return files;
}

/** Moves the compiled nodes downstream of a failed one (through the selected nodes) to `failed.skipped`. */
function skipDownstream(nodes: Node[], files: CompiledFile[], failed: CompileFailures): CompiledFile[] {
  const blocked = new Map<string, string>(failed.errors.map((e) => [e.node.uniqueId, e.node.uniqueId]));
  const selected = new Map(nodes.map((n) => [n.uniqueId, n]));
  const upstreamOf = (node: Node, seen = new Set<string>()): string | undefined => {
    for (const dep of node.dependsOn) {
      const hit = blocked.get(dep);
      if (hit) return hit;
      const parent = selected.get(dep);
      if (parent && !seen.has(dep)) {
        seen.add(dep);
        const up = upstreamOf(parent, seen);
        if (up) return up;
      }
    }
    return undefined;
  };
  const kept: CompiledFile[] = [];
  for (const f of files) {
    const up = upstreamOf(f.node);
    if (up) failed.skipped.push({ node: f.node, upstream: up });
    else kept.push(f);
  }
  return kept;
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
  const { value, macroFiles, cacheable } = cache.traced(session.engine, () => renderOffline(session, node, {}));
  if (value.asks) cache.refuse();
  const { sql } = await compileIntrospecting(session, node, {}, withConnection, value);
  // SQL holding a secret stays out of the cache file.
  if (!value.asks) {
    if (cacheable && redact(sql) === sql) cache.storeCompiled(node.uniqueId, { key, sql, macroFiles }, texts);
    else cache.refuse();
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
