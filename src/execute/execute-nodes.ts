import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ColumnMismatchError, LoadRowError, type Adapter, type Connection, type QueryResult } from '../warehouse/adapter.js';
import type { RelationName, RelationType, TableKind } from '../warehouse/dialect.js';
import { relationKey } from '../warehouse/relation.js';
import { compileWithQueries } from '../compile/run-queries.js';
import { ProjectError, UpstreamCompileError } from '../core/errors.js';
import type { Workspace } from '../graph/workspace.js';
import { isExecutable, type ModelNode, type Node, type SeedNode, type SnapshotNode, type SourceNode } from '../parse/nodes.js';
import { destColumns, incrementalStrategy, needsStaging, planIncrementalWrite } from '../plan/plan-incremental.js';
import { builtKind, grantsOf, planModel } from '../plan/plan-model.js';
import { planContractTable } from '../plan/plan-contract.js';
import { checkContract } from './contract.js';
import { type Plan, tempRelation } from '../plan/plan.js';
import { redact } from '../core/secrets.js';
import { parseCsv } from '../project/csv.js';
import { typeSeed } from '../plan/seed-types.js';
import { findRaggedRow } from './csv-diagnosis.js';
import { resolveExternalFile } from './external-file.js';
import { runNodeHooks, runPersistDocs, runProjectHooks } from './hooks.js';
import { ReadyQueue } from '../graph/ready-queue.js';
import { writeNodeSql } from '../core/target-files.js';
import { type ExecuteOptions, type ExecutionContext, type NodeExecutor, recordBuilt } from './context.js';
import { runDataTest } from './run-data-test.js';
import { runUnitTest } from './run-unit-test.js';
import { customStrategySql, hasStrategyMacro } from './custom-strategy.js';
import { runMicrobatch, usesBatches } from './run-microbatch.js';
import { runSnapshot } from './run-snapshot.js';
import { isStagedLocation, runStagedSource } from './staged-source.js';
import { INTERRUPTED_MESSAGE, type NodeResult, type RunSummary } from './results.js';

/** How each kind of node is run. */
const executors: Record<Node['resourceType'], NodeExecutor> = {
  model: (ctx, node, conn) => runModel(ctx, node as ModelNode, conn),
  seed: (ctx, node, conn) => runSeed(ctx, node as SeedNode, conn),
  snapshot: (ctx, node, conn) => runSnapshot(ctx, node as SnapshotNode, conn),
  source: (ctx, node, conn) => runExternalSource(ctx, node as SourceNode, conn),
  test: runDataTest,
  unit_test: runUnitTest,
};

/**
 * Runs the given nodes in dependency order on `threads` connections. A failed node's
 * descendants are skipped; everything else goes on (or stops, with --fail-fast).
 */
export async function executeNodes(ws: Workspace, adapter: Adapter, ids: string[], options: ExecuteOptions): Promise<RunSummary> {
  const startedAt = new Date();
  const runSet = new Set(ids.filter((id) => isExecutable(ws.manifest.nodes.get(id)!)));
  const upstream = runDependencies(ws, runSet);
  const downstream = new Map<string, string[]>();
  for (const [id, ups] of upstream) {
    for (const u of ups) {
      const list = downstream.get(u);
      if (list) list.push(id);
      else downstream.set(u, [id]);
    }
  }

  const ctx: ExecutionContext = { ws, adapter, options, existing: new Map(), kinds: new Map(), results: new Map() };
  try {
    await prepareSchemas(ctx, runSet);
  } catch (e) {
    // The warehouse failed before any node ran (network, rights): a clear message, not a stack.
    if (e instanceof ProjectError) throw e;
    throw new ProjectError('connection', `preparing the schemas failed, nothing was run: ${redact(e instanceof Error ? e.message : String(e))}`);
  }
  await runProjectHooks(ctx, 'on-run-start');

  const order = topoOrder(ws, runSet);
  const remaining = new Map([...upstream].map(([id, ups]) => [id, ups.size]));
  // Ready tests first, so a model's tests run right after it; otherwise graph order.
  const position = new Map(order.map((id, i) => [id, i]));
  const ready = new ReadyQueue((id) => (isTest(ws.manifest.nodes.get(id)!) ? 0 : order.length) + position.get(id)!);
  for (const id of order) if (remaining.get(id) === 0) ready.push(id);
  const total = runSet.size;
  let index = 0;
  let stopping = false;
  let interrupted = false;
  const results: NodeResult[] = [];

  const finish = (result: NodeResult, idx: number) => {
    results.push(result);
    ctx.results.set(result.node.uniqueId, result);
    options.reporter.nodeFinished(result, idx, total);
    const partial = result.status === 'partial success';
    const failed = result.status === 'error' || (result.status === 'fail' && isTest(result.node)) || result.error instanceof UpstreamCompileError;
    if (failed || partial) {
      if (options.failFast) stopping = true;
      if (failed || options.partialSuccessSkips) skipDescendants(result.node.uniqueId, result);
    }
    for (const child of downstream.get(result.node.uniqueId) ?? []) {
      const left = remaining.get(child)! - 1;
      remaining.set(child, left);
      if (left === 0 && !ctx.results.has(child)) ready.push(child);
    }
  };

  const skipDescendants = (id: string, cause: NodeResult) => {
    const stack = [...(downstream.get(id) ?? [])];
    while (stack.length) {
      const d = stack.pop()!;
      if (ctx.results.has(d)) continue;
      const node = ws.manifest.nodes.get(d)!;
      const now = new Date();
      const verb = cause.status === 'partial success' ? 'partly failed' : 'failed';
      const what = cause.node.resourceType === 'test' ? `test ${cause.node.name} failed` : `${cause.node.resourceType} ${cause.node.name} ${verb}`;
      // A failed unit test skips its model, as dbt's build does; the reason names the test.
      const skipped: NodeResult = { node, status: 'skipped', message: `skipped: upstream ${what}`, startedAt: now, completedAt: now, threadId: 'main' };
      results.push(skipped);
      ctx.results.set(d, skipped);
      options.reporter.nodeFinished(skipped, ++index, total);
      stack.push(...(downstream.get(d) ?? []));
    }
  };

  const onAbort = () => {
    interrupted = true;
    stopping = true;
    void adapter.cancelAll();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const running = new Set<string>();
  let waiters: (() => void)[] = [];
  const wakeAll = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const worker = async (threadNo: number) => {
    for (;;) {
      if (stopping) return;
      const id = ready.shift();
      if (id === undefined) {
        // Nothing ready: done if nothing runs either, else wait for a running node to finish.
        if (running.size === 0) return;
        await new Promise<void>((r) => waiters.push(r));
        continue;
      }
      running.add(id);
      const node = ws.manifest.nodes.get(id)!;
      const idx = ++index;
      options.reporter.nodeStarted(node, idx, total);
      const result = await runOne(ctx, node, `Thread-${threadNo}`);
      running.delete(id);
      finish(result, idx);
      wakeAll();
    }
  };
  const threads = Math.max(1, Math.min(options.threads, total || 1));
  await Promise.all(Array.from({ length: threads }, (_, i) => worker(i + 1).finally(wakeAll)));
  options.signal?.removeEventListener('abort', onAbort);

  for (const id of order) {
    if (ctx.results.has(id)) continue;
    const node = ws.manifest.nodes.get(id)!;
    const now = new Date();
    const message = interrupted ? 'skipped: interrupted before it started' : 'skipped: --fail-fast stopped the run after a failure';
    const r: NodeResult = { node, status: 'skipped', message, startedAt: now, completedAt: now, threadId: 'main' };
    results.push(r);
    ctx.results.set(id, r);
  }
  // dbt runs on-run-end after failures too, though not after Ctrl-C.
  if (!interrupted) await runProjectHooks(ctx, 'on-run-end', results);
  const summary: RunSummary = {
    results,
    startedAt,
    elapsedSeconds: (Date.now() - startedAt.getTime()) / 1000,
    interrupted,
  };
  options.reporter.runFinished?.(summary);
  return summary;
}

async function runOne(ctx: ExecutionContext, node: Node, threadId: string): Promise<NodeResult> {
  const startedAt = new Date();
  const executor = executors[node.resourceType];
  try {
    if (!executor) throw new Error(`no executor for ${node.resourceType}`);
    const partial = await ctx.adapter.withConnection(async (conn) => {
      await conn.setQueryTag(`model:${node.uniqueId}`);
      return executor({ ...ctx, threadId }, node, conn);
    });
    return { node, status: 'success', message: '', startedAt, completedAt: new Date(), threadId, ...partial };
  } catch (e) {
    // Ctrl-C cancelled its query: say so instead of the database's "Interrupted!" text.
    const error = ctx.options.signal?.aborted
      ? new ProjectError('database', `${INTERRUPTED_MESSAGE}; nothing it wrote was kept`, { location: { file: node.file } })
      : toNodeError(e, node);
    // dbt skips a node whose referenced ephemeral model does not compile (and still fails the run: exitCodeOf).
    const status = error instanceof UpstreamCompileError ? 'skipped' : 'error';
    return { node, status, message: error.message, error, startedAt, completedAt: new Date(), threadId };
  }
}

/** Temporary relations the materializations build aside; one found before a run is a leftover of a killed run. */
const TEMP_SUFFIXES = ['__model_tmp', '__model_incr', '__model_snap'];

function toNodeError(e: unknown, node: Node): ProjectError {
  if (e instanceof ProjectError) return e;
  const raw = redact(e instanceof Error ? e.message : String(e));
  return new ProjectError('database', raw, { location: { file: node.file } });
}

/** For each node to run, the nodes it must wait for: nearest run-set ancestors, looking through the rest. */
function runDependencies(ws: Workspace, runSet: Set<string>): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  const reach = (id: string): Set<string> => {
    const cached = memo.get(id);
    if (cached) return cached;
    const out = new Set<string>();
    memo.set(id, out);
    for (const p of ws.graph.predecessors(id) ?? []) {
      if (runSet.has(p)) out.add(p);
      else for (const q of reach(p)) out.add(q);
    }
    return out;
  };
  const deps = new Map([...runSet].map((id) => [id, reach(id)]));
  addUnitTestOrder(ws, runSet, deps, reach);
  addTestGates(ws, runSet, deps);
  return deps;
}

function isTest(node: Node): boolean {
  return node.resourceType === 'test' || node.resourceType === 'unit_test';
}

/**
 * dbt's build runs a model's unit tests before the model: after the model's own inputs (whose
 * columns the fixtures take), and the model waits for them, so a failing unit test skips it and
 * what is built from it. In the graph a unit test is the model's child, as in dbt's manifest.
 */
function addUnitTestOrder(ws: Workspace, runSet: Set<string>, deps: Map<string, Set<string>>, reach: (id: string) => Set<string>): void {
  for (const id of runSet) {
    const node = ws.manifest.nodes.get(id)!;
    if (node.resourceType !== 'unit_test') continue;
    const model = node.testedNode;
    const before = new Set<string>();
    for (const p of ws.graph.predecessors(model) ?? []) {
      if (runSet.has(p)) before.add(p);
      else for (const q of reach(p)) before.add(q);
    }
    deps.set(id, before);
    if (runSet.has(model)) deps.get(model)!.add(id);
  }
}

/**
 * dbt's build order: a data test runs right after the nodes it reads, and a node downstream of
 * all of them waits for it, so a failing test skips what would be built from bad data. A test
 * gates a node only when every node the test reads is upstream of it, which keeps the order acyclic.
 */
function addTestGates(ws: Workspace, runSet: Set<string>, deps: Map<string, Set<string>>): void {
  const tests = [...runSet].map((id) => ws.manifest.nodes.get(id)!).filter((n) => n.resourceType === 'test' && n.dependsOn.length > 0);
  if (!tests.length) return;
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (id: string): Set<string> => {
    let out = ancestors.get(id);
    if (out) return out;
    out = new Set();
    ancestors.set(id, out);
    for (const p of ws.graph.predecessors(id) ?? []) {
      out.add(p);
      for (const a of ancestorsOf(p)) out.add(a);
    }
    return out;
  };
  for (const id of runSet) {
    // A unit test runs before its model, so no data test of the model (or after it) may gate it.
    if (isTest(ws.manifest.nodes.get(id)!)) continue;
    const up = ancestorsOf(id);
    for (const t of tests) {
      if (t.dependsOn.every((d) => up.has(d))) deps.get(id)!.add(t.uniqueId);
    }
  }
}

function topoOrder(ws: Workspace, runSet: Set<string>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const p of [...(ws.graph.predecessors(id) ?? [])].sort()) visit(p);
    if (runSet.has(id)) out.push(id);
  };
  for (const id of [...runSet].sort()) visit(id);
  return out;
}

function hasGrants(grants: unknown): boolean {
  return typeof grants === 'object' && grants !== null && Object.values(grants).some((v) => (Array.isArray(v) ? v.length > 0 : Boolean(v)));
}

async function prepareSchemas(ctx: ExecutionContext, runSet: Set<string>): Promise<void> {
  const schemas = new Map<string, { database: string; schema: string }>();
  for (const id of runSet) {
    const rel = ctx.ws.manifest.nodes.get(id)!.relation;
    if (rel) schemas.set(`${rel.database}.${rel.schema}`.toLowerCase(), { database: rel.database, schema: rel.schema });
  }
  if (!ctx.adapter.dialect.grantStatements) {
    const granted = [...runSet].map((id) => ctx.ws.manifest.nodes.get(id)!).filter((n) => n.resourceType === 'model' && hasGrants(n.config.grants));
    if (granted.length) {
      const names = granted.map((n) => n.name).slice(0, 5);
      ctx.options.reporter.info(
        `grants: is a no-op on ${ctx.adapter.type} (it has no roles); set on ${names.join(', ')}${granted.length > names.length ? ` and ${granted.length - names.length} more` : ''}`,
      );
    }
  }
  for (const { database, schema } of schemas.values()) {
    await ctx.adapter.ensureSchema(database, schema);
    const rels = await ctx.adapter.listRelations(database, schema);
    for (const [name, type] of rels) {
      const rel = { database, schema, identifier: name };
      // Only this run writes here (file lock or build lock), so a temp relation is a killed run's leftover.
      if (TEMP_SUFFIXES.some((s) => name.endsWith(s))) {
        await ctx.adapter.withConnection((c) => c.execute(ctx.adapter.dialect.drop(rel, type)));
        continue;
      }
      ctx.existing.set(relationKey(rel), type);
    }
    const kindsSql = ctx.adapter.dialect.listTableKindsSql?.(database, schema);
    if (kindsSql) {
      const r = await ctx.adapter.withConnection((c) => c.execute(kindsSql));
      for (const [name, transient] of r.rows) {
        const key = relationKey({ database, schema, identifier: String(name) });
        if (ctx.existing.has(key)) ctx.kinds.set(key, transient === 'YES' ? 'transient' : 'permanent');
      }
    }
  }
}

function writeTargetFile(ctx: ExecutionContext, kind: 'compiled' | 'run', node: Node, sql: string): string {
  return writeNodeSql(ctx.ws.project, kind, node.file.replace(/\.(csv|ya?ml)$/, '.sql'), sql);
}

async function runModel(ctx: ExecutionContext, node: ModelNode, conn: Connection): Promise<Partial<NodeResult>> {
  if (
    node.materialized === 'incremental' &&
    node.config.incremental_strategy === 'microbatch' &&
    incrementalStrategy(node, ctx.adapter.dialect, hasStrategyMacro(ctx, node)) &&
    usesBatches(ctx, node)
  ) {
    return runMicrobatch(ctx, node, conn);
  }
  const rel = node.relation!;
  const key = relationKey(rel);
  const compiled = await compileWithQueries(
    ctx.ws,
    node,
    {
      existing: new Set(ctx.existing.keys()),
      fullRefresh: ctx.options.fullRefresh,
      empty: ctx.options.empty,
      extra: ctx.threadId ? { thread_id: ctx.threadId } : undefined,
      log: (m) => ctx.options.reporter.info(m),
    },
    conn,
  );
  const compiledPath = writeTargetFile(ctx, 'compiled', node, compiled.sql);
  // The strategy is resolved (dbt-adapters base/impl.py get_incremental_strategy_macro) before any build, so an
  // unknown one fails the first run too, as dbt-tests-adapter basic/test_incremental.py BaseIncrementalBadStrategy
  // asserts. (The stored dbt-adapters, dbt-duckdb and dbt-snowflake materializations look it up only on an
  // incremental run; materializations that resolve it first, like the one the test was written against, fail here.)
  if (node.materialized === 'incremental') {
    const has = hasStrategyMacro(ctx, node);
    incrementalStrategy(node, ctx.adapter.dialect, has, has);
  }
  const existing = ctx.existing.get(key) ?? null;
  const staged = await stagedIncremental(ctx, node, conn, compiled.sql, existing);
  const columns = node.materialized === 'incremental' && existing === 'table' && !staged ? await tableColumns(ctx, conn, rel) : undefined;
  const contract = await checkContract(node, compiled.sql, ctx.adapter.dialect, conn, (m) => ctx.options.reporter.warn(m), ctx.ws.project);
  const existingKind = ctx.kinds.get(key);
  const currentGrants = await grantsInPlace(ctx, node, conn, existing, existingKind);
  const planned = staged
    ? { ...staged, statements: [...staged.statements, ...grantsOf(node, rel, 'table', ctx.adapter.dialect, currentGrants)] }
    : planModel(node, compiled.sql, ctx.adapter.dialect, { existing, fullRefresh: ctx.options.fullRefresh, columns, currentGrants, existingKind });
  const plan =
    contract && !staged && (node.materialized === 'table' || planned.fullBuild)
      ? planContractTable(planned, node.relation!, compiled.sql, ctx.adapter.dialect, contract.columns, contract.constraints, {
          transient: node.config.transient === false ? false : undefined,
        })
      : planned;
  writeTargetFile(ctx, 'run', node, [...(staged?.before ?? []), ...plan.statements].join(';\n\n'));
  if (!staged) {
    await runNodeHooks(ctx, node, 'pre-hook', conn);
    await runSqlHeader(node, conn);
  }
  let results: QueryResult[];
  try {
    results = plan.atomic ? await conn.executeAtomic(plan.statements) : await runEach(conn, plan.statements);
  } catch (e) {
    if (staged) await conn.execute(ctx.adapter.dialect.drop(staged.staging, 'table')).catch(() => undefined);
    const msg = redact(e instanceof Error ? e.message : String(e));
    throw new ProjectError('database', msg, { location: { file: node.file }, hint: `the compiled SQL is in ${compiledPath}` });
  }
  const type: RelationType = node.materialized === 'view' ? 'view' : 'table';
  // An incremental run that kept its table kept its kind.
  recordBuilt(ctx, key, type, staged || (node.materialized === 'incremental' && !plan.fullBuild) ? existingKind : builtKind(node));
  await runNodeHooks(ctx, node, 'post-hook', conn);
  await runPersistDocs(ctx, node, conn);
  const rows = plan.rowsFrom !== undefined ? results[plan.rowsFrom]?.rowsAffected : undefined;
  const verb = node.materialized === 'view' ? 'CREATE VIEW' : node.materialized === 'incremental' && !plan.fullBuild ? 'INSERT' : 'CREATE TABLE';
  return {
    message: rows !== undefined ? `${verb} (${rows} rows)` : verb,
    rows,
    compiledSql: compiled.sql,
    compiledPath,
    relationName: ctx.adapter.dialect.qualify(rel),
  };
}

/**
 * An incremental run that compares columns or matches keys: pre-hooks, then the new rows built into
 * a staging table, then the plan that changes the table (schema change, write, staging dropped).
 * Undefined when the run is a full build or a plain append.
 */
async function stagedIncremental(
  ctx: ExecutionContext,
  node: ModelNode,
  conn: Connection,
  sql: string,
  existing: RelationType | null,
): Promise<(Plan & { before: string[]; staging: RelationName }) | undefined> {
  if (node.materialized !== 'incremental' || existing !== 'table') return undefined;
  if ((ctx.options.fullRefresh && node.config.full_refresh !== false) || node.config.full_refresh === true) return undefined;
  const d = ctx.adapter.dialect;
  const has = hasStrategyMacro(ctx, node);
  const strategy = incrementalStrategy(node, d, has, has);
  if (!needsStaging(node, strategy)) return undefined;
  const rel = node.relation!;
  const staging = tempRelation(rel, '__model_incr');
  await runNodeHooks(ctx, node, 'pre-hook', conn);
  await runSqlHeader(node, conn);
  const create = d.createTableAs(staging, sql);
  const columnsOf = async (r: RelationName) =>
    (await conn.execute(d.listColumnTypesSql(r))).rows.map((row) => ({ name: String(row[0]), type: String(row[1]) }));
  try {
    const target = await columnsOf(rel);
    await conn.execute(create);
    const stagedColumns = await columnsOf(staging);
    const custom = strategy === 'custom' ? await customStrategySql(ctx, node, conn, staging, destColumns(node, target, stagedColumns)) : undefined;
    const plan = planIncrementalWrite(node, d, strategy, staging, target, stagedColumns, undefined, custom);
    return { ...plan, before: [create], staging };
  } catch (e) {
    await conn.execute(d.drop(staging, 'table')).catch(() => undefined);
    if (e instanceof ProjectError) throw e;
    throw new ProjectError('database', redact(e instanceof Error ? e.message : String(e)), { location: { file: node.file } });
  }
}

/** config(sql_header=…) or {% call set_sql_header(config) %}: runs before the model's statements, on its connection. */
async function runSqlHeader(node: ModelNode, conn: Connection): Promise<void> {
  const header = typeof node.config.sql_header === 'string' ? node.config.sql_header.trim().replace(/;\s*$/, '') : '';
  if (header) await conn.execute(header);
}

/**
 * The grants an existing relation holds now (privilege -> roles; OWNERSHIP and grants to shares or
 * database roles left out, as dbt-snowflake's standardize_grants_dict does), read only when they
 * matter: `copy_grants` (a table, or a view replaced by a view), or `grants:` on a table kept in
 * place or replaced by a table of the other kind (which keeps the old grants, see planTable).
 */
async function grantsInPlace(
  ctx: ExecutionContext,
  node: ModelNode,
  conn: Connection,
  existing: RelationType | null,
  existingKind: TableKind | undefined,
): Promise<Record<string, string[]> | undefined> {
  const dialect = ctx.adapter.dialect;
  if (!dialect.showGrantsSql || !existing || (existing === 'view') !== (node.materialized === 'view')) return undefined;
  const copy = (node.config as { copy_grants?: unknown }).copy_grants === true;
  const keptOrCopied = node.materialized === 'incremental' || (existingKind !== undefined && existingKind !== builtKind(node));
  if (!copy && !(keptOrCopied && hasGrants(node.config.grants))) return undefined;
  const r = await conn.execute(dialect.showGrantsSql(node.relation!, existing));
  const col = (name: string) => r.columns.findIndex((c) => c.name.toLowerCase() === name);
  const [privilege, grantedTo, grantee] = [col('privilege'), col('granted_to'), col('grantee_name')];
  const out: Record<string, string[]> = {};
  for (const row of r.rows) {
    const p = String(row[privilege]).toLowerCase();
    if (p === 'ownership' || String(row[grantedTo]).toUpperCase() !== 'ROLE') continue;
    (out[p] ??= []).push(String(row[grantee]).toLowerCase());
  }
  return out;
}

/** An existing table's column names, in order, as the warehouse stores them. */
async function tableColumns(ctx: ExecutionContext, conn: Connection, rel: RelationName): Promise<string[]> {
  const r = await conn.execute(ctx.adapter.dialect.listColumnsSql(rel));
  return r.rows.map((row) => String(row[0]));
}

async function runEach(conn: Connection, statements: string[]) {
  const out = [];
  for (const s of statements) out.push(await conn.execute(s));
  return out;
}

async function runSeed(ctx: ExecutionContext, node: SeedNode, conn: Connection): Promise<Partial<NodeResult>> {
  const abs = path.join(ctx.ws.project.dir, node.file);
  const delimiter = node.config.delimiter ?? ',';
  if (delimiter.length !== 1) {
    throw new ProjectError('seed', `Compilation Error: the seed's delimiter must be one character, got ${JSON.stringify(delimiter)}`, {
      location: { file: node.file },
      hint: "set +delimiter for this seed (in dbt_project.yml or its properties) to one character, such as ',' or '|'",
    });
  }
  const table = parseCsv(readFileSync(abs, 'utf8'), node.file, delimiter);
  const typed = typeSeed(table, node.file, ctx.adapter.dialect, node.config.column_types ?? {});
  const rel = node.relation!;
  await runNodeHooks(ctx, node, 'pre-hook', conn);
  let rows: number;
  try {
    // `--empty`: the table with the seed's columns and types, and no rows (as dbt's seed --empty).
    const columns = typed.columns.map((c) => ({ ...c, quote: node.config.quote_columns }));
    rows = await ctx.adapter.loadSeed(conn, rel, columns, ctx.options.empty ? [] : typed.rows);
  } catch (e) {
    if (e instanceof LoadRowError) {
      // The warehouse refused a value (a column_types the data does not fit): its line and column.
      const column = table.header.find((h) => h.toLowerCase() === e.column?.toLowerCase()) ?? e.column;
      throw new ProjectError('seed', redact(`${e.reason}${column ? ` in column '${column}'` : ''}`), {
        location: { file: node.file, line: table.rows[e.row - 1]?.line },
        hint: 'the warehouse refused this value while loading the seed; fix it or the column_types. Nothing was replaced.',
      });
    }
    const msg = redact(e instanceof Error ? e.message : String(e));
    throw new ProjectError('seed', `loading the seed failed: ${msg}`, { location: { file: node.file } });
  }
  ctx.existing.set(relationKey(rel), 'table');
  await runNodeHooks(ctx, node, 'post-hook', conn);
  await runPersistDocs(ctx, node, conn);
  return { message: `INSERT ${rows}`, rows, relationName: ctx.adapter.dialect.qualify(rel) };
}

/**
 * A CSV data file whose rows do not fit its header, as `file:line` and what is wrong: DuckDB either
 * says so with a line number, or (when the first rows are already ragged) guesses other columns.
 */
async function csvRowError(e: unknown, file: string, shown: string): Promise<ProjectError | undefined> {
  const hint = 'fix or remove that row (values holding the delimiter must be quoted). Nothing was replaced.';
  if (e instanceof ColumnMismatchError) {
    const ragged = await findRaggedRow(file).catch(() => undefined);
    if (!ragged) return undefined;
    return new ProjectError('source', `row has ${ragged.values} values but the header has ${ragged.columns} columns`, {
      location: { file: shown, line: ragged.line },
      hint,
    });
  }
  const text = e instanceof Error ? e.message : String(e);
  const m = /CSV Error on Line: (\d+)\s*\n(?:Original Line: ([^\n]*)\n)?([^\n]*)/.exec(text);
  if (!m) return undefined;
  const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(m[3]!);
  const what = counts ? `row has ${counts[2]} values but the header has ${counts[1]} columns` : m[3]!.trim() || 'this row cannot be read as CSV';
  const row = m[2] === undefined ? '' : `the row: ${m[2].length > 200 ? `${m[2].slice(0, 200)}…` : m[2]}; `;
  return new ProjectError('source', redact(what), { location: { file: shown, line: Number(m[1]) }, hint: redact(`${row}${hint}`) });
}

/** ` (3 parts, 41.2 MB uploaded)` after a load through a stage. */
function uploadedText(u: { files: number; bytes: number } | undefined): string {
  if (!u) return '';
  return ` (${u.files} part${u.files === 1 ? '' : 's'}, ${(u.bytes / 1e6).toFixed(1)} MB uploaded)`;
}

async function runExternalSource(ctx: ExecutionContext, node: SourceNode, conn: Connection): Promise<Partial<NodeResult>> {
  if (isStagedLocation(node.external!.location)) return runStagedSource(ctx, node, conn);
  const project = ctx.ws.project;
  const file = await resolveExternalFile(node, {
    projectDir: project.dir,
    cacheDir: path.join(project.targetDir, 'cache'),
    progress: (m) => ctx.options.reporter.info(m),
  });
  let loaded: Awaited<ReturnType<Adapter['loadFile']>>;
  try {
    loaded = await ctx.adapter.loadFile(
      conn,
      node.relation,
      file,
      node.columns.map((c) => c.name),
    );
  } catch (e) {
    const shown = path.relative(process.cwd(), file.path) || file.path;
    if (file.format === 'csv') {
      const bad = await csvRowError(e, file.path, shown);
      if (bad) throw bad;
    }
    if (e instanceof LoadRowError) {
      // CSV: data row N is on line N + 1 (after the header), as long as no quoted value spans lines.
      throw new ProjectError('source', redact(`${e.reason}${e.column ? ` in column '${e.column}'` : ''} (row ${e.row} of the file)`), {
        location: file.format === 'csv' ? { file: shown, line: e.row + 1 } : { file: shown },
        hint: `Snowflake refused this value while loading source '${node.sourceName}.${node.tableName}'. Nothing was replaced.`,
      });
    }
    if (e instanceof ColumnMismatchError) {
      throw new ProjectError(
        'source',
        `${shown} does not have the columns source '${node.sourceName}.${node.tableName}' declares: missing ${e.missing.join(', ')}`,
        {
          location: node.location,
          hint: `the file has: ${e.found.join(', ')}. Nothing was replaced.`,
        },
      );
    }
    const msg = redact(e instanceof Error ? e.message : String(e));
    throw new ProjectError(
      'source',
      `loading ${path.relative(process.cwd(), file.path) || file.path} into source '${node.sourceName}.${node.tableName}' failed: ${msg}`,
      {
        location: node.location,
      },
    );
  }
  ctx.existing.set(relationKey(node.relation), 'table');
  return {
    message: `LOAD ${loaded.rows} rows from ${path.basename(file.path)}${uploadedText(loaded.uploaded)}`,
    rows: loaded.rows,
    relationName: ctx.adapter.dialect.qualify(node.relation),
  };
}
