import type { Adapter, Connection, QueryResult } from '../warehouse/adapter.js';
import { compileWithQueries } from '../compile/run-queries.js';
import { ProjectError, throwIfAny } from '../core/errors.js';
import type { Workspace } from '../graph/workspace.js';
import type { Node, TestNode } from '../parse/nodes.js';
import type { ExecutionContext } from './context.js';
import type { NodeResult } from './results.js';
import { redact } from '../core/secrets.js';
import { writeNodeSql } from '../core/target-files.js';
import { didYouMean } from '../core/util.js';
import { storesFailuresAs, testSqlFile } from '../parse/data-tests/add-data-tests.js';
import { DEFAULT_THRESHOLD, parseThreshold, testStatus, type Threshold } from '../parse/data-tests/thresholds.js';

/** How many failing rows a result shows inline. */
export const SAMPLE_ROWS = 5;

interface TestSettings {
  severity: 'error' | 'warn';
  warnIf: Threshold;
  errorIf: Threshold;
  limit: number | null;
  failCalc: string;
  storeFailures: 'table' | 'view' | undefined;
}

const STORE_FAILURES_AS = ['ephemeral', 'table', 'view'];

function settingsOf(node: TestNode): TestSettings {
  const c = node.config;
  const as = c.store_failures_as;
  if (as !== undefined && as !== null && !STORE_FAILURES_AS.includes(as)) {
    // dbt-core's message for it (a Compilation Error of that test alone).
    throw new ProjectError(
      'project',
      `Compilation Error in test ${node.name}: '${as}' is not a valid value for \`store_failures_as\`. Accepted values are: ['ephemeral', 'table', 'view']`,
      { location: node.location, hint: 'set store_failures_as to table, view or ephemeral, or leave it out' },
    );
  }
  const threshold = (v: unknown) => {
    const t = parseThreshold(v ?? DEFAULT_THRESHOLD);
    // Checked when the project was parsed; a bad value here is a bug, not a user mistake.
    if (typeof t === 'string') throw new Error(`threshold of ${node.uniqueId}: ${t}`);
    return t;
  };
  return {
    severity: String(c.severity ?? 'error').toLowerCase() === 'warn' ? 'warn' : 'error',
    warnIf: threshold(c.warn_if),
    errorIf: threshold(c.error_if),
    limit: c.limit ?? null,
    failCalc: c.fail_calc ?? 'count(*)',
    storeFailures: node.relation !== undefined ? storesFailuresAs(c) : undefined,
  };
}

function where(node: TestNode): string {
  const l = node.location;
  return `${l.file}${l.line !== undefined ? `:${l.line}` : ''}`;
}

function writeTestSql(ws: Workspace, kind: 'compiled' | 'run', node: TestNode, sql: string): string {
  return writeNodeSql(ws.project, kind, testSqlFile(node), sql);
}

/** Errors while compiling a generic test point at its YAML entry, not at the generated call. */
function relocate(e: unknown, node: TestNode): unknown {
  if (e instanceof ProjectError && node.testType === 'generic' && e.location?.file === node.file) {
    return new ProjectError(e.kind, `test ${node.name}: ${e.message}`, { location: node.location, hint: e.hint });
  }
  return e;
}

/** Runs one data test: counts its failing rows, keeps a few to show (and all, with store_failures). */
export async function runDataTest(ctx: ExecutionContext, n: Node, conn: Connection): Promise<Partial<NodeResult>> {
  const node = n as TestNode;
  const { ws } = ctx;
  const dialect = ctx.adapter.dialect;
  let sql: string;
  try {
    // Introspection in a test's SQL (adapter.get_columns_in_relation, run_query) asks the warehouse, as in dbt.
    sql = (await compileWithQueries(ws, node, {}, conn)).sql;
  } catch (e) {
    throw relocate(e, node);
  }
  const compiledPath = writeTestSql(ws, 'compiled', node, sql);
  const missing = await missingColumn(ws, conn, node);
  if (missing) throw missing;

  const s = settingsOf(node);
  const body = s.limit !== null ? `${sql}\nlimit ${s.limit}` : sql;
  const statements: string[] = [];
  let from = `(\n${body}\n)`;
  let stored: string | undefined;
  if (s.storeFailures) {
    const rel = node.relation!;
    // A relation of the other kind left by an earlier run (table <-> view) is dropped first.
    const other = s.storeFailures === 'table' ? 'view' : 'table';
    const existing = await conn
      .execute(dialect.listRelationsSql(rel.database, rel.schema))
      .then((r) => r.rows.find((row) => String(row[0]).toLowerCase() === rel.identifier.toLowerCase())?.[1])
      .catch(() => undefined);
    if (existing === other) statements.push(dialect.drop(rel, other));
    statements.push(s.storeFailures === 'view' ? dialect.createViewAs(rel, body) : dialect.createTableAs(rel, body));
    stored = dialect.qualify(rel);
    from = stored;
  }
  const countSql = `select ${s.failCalc} as failures from ${from} dbt_internal_test`;
  writeTestSql(ws, 'run', node, [...statements, countSql].join(';\n\n'));
  let failures: number;
  let sample: QueryResult | undefined;
  try {
    for (const st of statements) await conn.execute(st);
    const counted = await conn.execute(countSql);
    failures = Number(counted.rows[0]?.[0] ?? 0);
    if (!Number.isFinite(failures)) failures = 0;
    if (failures > 0) sample = await conn.execute(`select * from ${from} dbt_internal_test limit ${Math.min(SAMPLE_ROWS, s.limit ?? SAMPLE_ROWS)}`);
  } catch (e) {
    // The usual reason on a fresh target: what the test reads was never built. Say so plainly.
    const unbuilt = await unbuiltParents(ws, conn, node);
    const missingSources = unbuilt.filter((p) => p.resourceType === 'source');
    if (missingSources.length) {
      const names = missingSources.map((p) => `source ${p.fqn.slice(1).join('.')} (${ws.dialect.qualify(p.relation!)})`).join(', ');
      throw new ProjectError('database', `test ${node.name}: ${names} does not exist in the warehouse`, {
        location: node.location,
        hint: 'sources are read, not built: load the table first (an on-run-start hook can), or declare `external: {location: …}` on the source table',
      });
    }
    if (unbuilt.length) {
      const names = unbuilt.map((p) => `${p.name} (${ws.dialect.qualify(p.relation!)})`).join(', ');
      throw new ProjectError('database', `test ${node.name}: ${unbuilt.length === 1 ? 'what it tests is' : 'what it tests are'} not built yet: ${names}`, {
        location: node.location,
        hint: `run \`model build\` first (for just these and what they read: \`model build -s ${unbuilt.map((p) => `+${p.name}`).join(' ')}\`)`,
      });
    }
    const msg = redact(e instanceof Error ? e.message : String(e));
    throw new ProjectError('database', `test ${node.name}: ${msg}`, { location: node.location, hint: `the compiled SQL is in ${compiledPath}` });
  }
  const status = testStatus(failures, s.severity, s.warnIf, s.errorIf);
  const plural = failures === 1 ? 'result' : 'results';
  const message =
    status === 'pass'
      ? 'PASS'
      : `Got ${failures} ${plural}, configured to ${status === 'fail' ? 'fail' : 'warn'} if ${(status === 'fail' ? s.errorIf : s.warnIf).text}`;
  const details: string[] = [];
  if (status !== 'pass') {
    details.push(`declared at ${where(node)}`);
    details.push(`compiled SQL: ${compiledPath}`);
    if (stored) details.push(`failing rows stored in ${stored}`);
    if (sample?.rows.length) {
      const shown = sample.rows.length;
      details.push(failures > shown ? `first ${shown} failing rows:` : `failing rows:`);
      details.push(...formatTable(sample));
    }
  }
  return {
    status,
    failures,
    message,
    details,
    compiledSql: sql,
    compiledPath,
    relationName: stored,
  };
}

/** A small aligned table of rows for terminal output. */
export function formatTable(result: QueryResult): string[] {
  const names = result.columns.map((c) => c.name);
  const text = (v: unknown) => (v === null || v === undefined ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const cells = result.rows.map((r) => r.map(text).map((c) => (c.length > 40 ? `${c.slice(0, 39)}…` : c)));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (vals: string[]) => `| ${vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(names), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.map(line)];
}

const PLAIN_COLUMN = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * A test on a column that its model does not have gives an error at the YAML line that declares
 * it, instead of the warehouse's message about the generated query.
 */
async function missingColumn(ws: Workspace, conn: Connection, node: TestNode): Promise<ProjectError | undefined> {
  if (node.columnName === undefined || !node.attachedNode) return undefined;
  const col = node.columnName.replace(/^"(.*)"$/, '$1');
  if (!PLAIN_COLUMN.test(col)) return undefined;
  const attached = ws.manifest.nodes.get(node.attachedNode);
  if (!attached?.relation) return undefined;
  let columns: string[];
  try {
    const r = await conn.execute(`select * from ${ws.dialect.qualify(attached.relation)} limit 0`);
    columns = r.columns.map((c) => c.name);
  } catch {
    // Not built yet: the test's own query reports that.
    return undefined;
  }
  if (columns.some((c) => c.toLowerCase() === col.toLowerCase())) return undefined;
  return new ProjectError('project', `test ${node.name}: column '${col}' is not a column of ${attached.resourceType} '${attached.name}'`, {
    location: node.location,
    hint: didYouMean(col, columns) ?? `its columns: ${columns.join(', ')}`,
  });
}

/**
 * Before `model test` runs anything: every tested column must exist in the relations already
 * built, so a misspelt column stops the run with its YAML line and nothing half-run.
 */
export async function preflightDataTests(ws: Workspace, adapter: Adapter, nodes: Node[]): Promise<void> {
  const tests = nodes.filter((n): n is TestNode => n.resourceType === 'test');
  if (!tests.length) return;
  const errors = await adapter.withConnection(async (conn) => {
    const out: ProjectError[] = [];
    for (const t of tests) {
      const e = await missingColumn(ws, conn, t);
      if (e) out.push(e);
    }
    return out;
  });
  throwIfAny(errors);
}

/**
 * The models, seeds and sources a test reads whose relations are not in the warehouse (asked on
 * the test's own connection). Empty when they all exist, or when the warehouse cannot say.
 */
async function unbuiltParents(ws: Workspace, conn: Connection, node: TestNode): Promise<Node[]> {
  const listed = new Map<string, Set<string> | undefined>();
  const out: Node[] = [];
  for (const id of node.dependsOn) {
    const parent = ws.manifest.nodes.get(id);
    if (!parent?.relation || (parent.resourceType === 'model' && parent.materialized === 'ephemeral')) continue;
    const { database, schema, identifier } = parent.relation;
    const key = `${database}.${schema}`;
    if (!listed.has(key)) {
      const names = await conn
        .execute(ws.dialect.listRelationsSql(database, schema))
        .then((r) => new Set(r.rows.map((row) => String(row[0]).toLowerCase())))
        .catch(() => undefined);
      listed.set(key, names);
    }
    const names = listed.get(key);
    if (names && !names.has(identifier.toLowerCase())) out.push(parent);
  }
  return out;
}
