/**
 * Runs a dbt 1.8 unit test as dbt-adapters' `unit` materialization does
 * (materializations/tests/unit.sql, unit_test_sql/get_fixture_sql.sql, tests/helpers.sql
 * get_unit_test_sql) and dbt-core's task/test.py compares: each input becomes a fixture CTE whose
 * columns and types are the input relation's (a column not given is a typed NULL, a value is cast
 * to its column's type), the model's SQL is rendered with its refs, sources and `this` reading those
 * CTEs, the expected rows are cast to the model's output types, and one `union all` query returns
 * both sides tagged `actual_or_expected`. The two sides are sorted and compared as lists of rows
 * (duplicates count); a difference fails the test with a table of the rows that differ.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileWithQueries } from '../compile/run-queries.js';
import { injectCtes } from '../compile/compile-node.js';
import { ProjectError, type SourceLocation } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import { writeNodeSql } from '../core/target-files.js';
import type { ModelNode, Node, SqlNode, UnitTestFixture, UnitTestInput, UnitTestNode } from '../parse/nodes.js';
import { typeSeed } from '../plan/seed-types.js';
import { parseCsv } from '../project/csv.js';
import type { Connection, QueryResult } from '../warehouse/adapter.js';
import type { Dialect } from '../warehouse/dialect.js';
import type { ExecutionContext } from './context.js';
import type { NodeResult } from './results.js';

interface Column {
  name: string;
  type: string;
}

const TAG = 'actual_or_expected';

export async function runUnitTest(ctx: ExecutionContext, n: Node, conn: Connection): Promise<Partial<NodeResult>> {
  const node = n as UnitTestNode;
  const { ws } = ctx;
  const d = ctx.adapter.dialect;
  const model = ws.manifest.nodes.get(node.testedNode) as ModelNode;
  const substitutes = new Map<string, string>();
  const ctes: string[] = [];
  let thisCte: string | undefined;
  for (const g of node.given) {
    const target = ws.manifest.nodes.get(g.replaces)!;
    const name = g.isThis
      ? `__dbt__cte__${model.name}__this`
      : target.resourceType === 'source'
        ? `__dbt__cte__${target.fqn.slice(1).join('__')}`.replace(/\./g, '__')
        : // Two versions of one model share a name: the version keeps their fixture CTEs apart.
          `__dbt__cte__${target.name}${target.resourceType === 'model' && target.version !== undefined ? `_v${target.version}` : ''}`.replace(/\./g, '_');
    const body = g.format === 'sql' ? g.sql! : fixtureSql(d, await inputColumns(ctx, conn, node, model, g), g, `'${target.name}'`);
    ctes.push(`${name} as (\n-- Fixture for ${g.isThis ? 'this' : target.name}\n${body}\n)`);
    if (g.isThis) thisCte = name;
    else substitutes.set(g.replaces, name);
  }
  const overrides = node.overrides;
  let main: string;
  try {
    const compiled = await compileWithQueries(
      ws,
      model,
      {
        existing: new Set(ctx.existing.keys()),
        unitTest: {
          substitutes,
          thisCte,
          isIncremental: typeof overrides.macros.is_incremental === 'boolean' ? overrides.macros.is_incremental : undefined,
          overrides: { vars: overrides.vars, envVars: overrides.envVars, macros: overrides.macros },
        },
        log: (m) => ctx.options.reporter.info(m),
      },
      conn,
    );
    main = ctes.length ? injectCtes(compiled.sql, ctes) : compiled.sql;
  } catch (e) {
    throw new ProjectError(
      'template',
      `unit test ${node.name}: rendering model '${model.name}' failed: ${e instanceof ProjectError ? e.headline : redact(String(e instanceof Error ? e.message : e))}`,
      { location: node.location },
    );
  }
  const compiledPath = writeNodeSql(ws.project, 'compiled', unitTestSqlFile(node), main);
  const actualColumns = await describe(conn, main, node, `model '${model.name}' on the fixtures`);
  const byName = new Map(actualColumns.map((c) => [c.name.toLowerCase(), c]));
  const expectedColumns = expectedColumnsOf(node.expect, actualColumns, byName);
  const expectedSql = node.expect.format === 'sql' ? node.expect.sql! : expectedRowsSql(d, node.expect, expectedColumns, byName);
  const cols = expectedColumns.map((c) => d.quoteIdentifier(c.name)).join(', ');
  const sql = `-- Build actual result given inputs
with dbt_internal_unit_test_actual as (
  select ${cols}, ${d.stringLiteral('actual')} as ${d.quoteIdentifier(TAG)}
  from (
${main}
  ) _dbt_internal_unit_test_actual
),
-- Build expected result
dbt_internal_unit_test_expected as (
  select ${cols}, ${d.stringLiteral('expected')} as ${d.quoteIdentifier(TAG)}
  from (
${expectedSql}
  ) _dbt_internal_unit_test_expected
)
-- Union actual and expected results
select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected`;
  writeNodeSql(ws.project, 'run', unitTestSqlFile(node), sql);
  let result: QueryResult;
  try {
    result = await conn.execute(sql);
  } catch (e) {
    // dbt: "There may be an error in the unit test definition: check the data types."
    throw new ProjectError('database', `unit test ${node.name}: ${redact(e instanceof Error ? e.message : String(e))}`, {
      location: node.location,
      hint: `there may be an error in the unit test definition: check the data types. The SQL is in ${compiledPath}`,
    });
  }
  const tagAt = result.columns.findIndex((c) => c.name.toLowerCase() === TAG);
  const names = result.columns.filter((_, i) => i !== tagAt).map((c) => c.name);
  const side = (which: string) => sortRows(result.rows.filter((r) => String(r[tagAt]) === which).map((r) => r.filter((_, i) => i !== tagAt)));
  const actual = side('actual');
  const expected = side('expected');
  const diff = diffRows(names, expected, actual);
  if (!diff) return { status: 'pass', message: 'PASS', failures: 0, compiledSql: main, compiledPath };
  const rendered = `actual differs from expected:\n\n${diff.join('\n')}`;
  return {
    status: 'fail',
    failures: 1,
    message: 'actual differs from expected',
    details: [`declared at ${where(node.location)}`, '', ...rendered.split('\n').slice(2)],
    artifactMessage: `\n\n${rendered}\n`,
    compiledSql: main,
    compiledPath,
  };
}

/** Where the unit test's SQL goes under target/: beside its YAML file, as dbt's pseudo test path. */
function unitTestSqlFile(node: UnitTestNode): string {
  return `${path.posix.dirname(node.file)}/${node.model}/${node.name}.sql`;
}

function where(l: SourceLocation): string {
  return `${l.file}${l.line !== undefined ? `:${l.line}` : ''}`;
}

/** A query's columns and types, from a zero-row run of it. */
async function describe(conn: Connection, sql: string, node: UnitTestNode, what: string): Promise<Column[]> {
  try {
    return (await conn.execute(`select * from (\n${sql}\n) as dbt_internal_unit_test_schema where false limit 0`)).columns;
  } catch (e) {
    throw new ProjectError('database', `unit test ${node.name}: ${what}: ${redact(e instanceof Error ? e.message : String(e))}`, {
      location: node.location,
      hint: 'check the fixtures against the columns the model reads',
    });
  }
}

/**
 * An input's columns as the warehouse has them (dbt's adapter.get_columns_in_relation). When the
 * relation is not built yet, the zero-row schema of the input's own SQL (as `--empty` renders it),
 * a seed's CSV typed as it would load, or a source's declared data types.
 */
async function inputColumns(ctx: ExecutionContext, conn: Connection, node: UnitTestNode, model: ModelNode, g: UnitTestInput): Promise<Column[]> {
  const { ws } = ctx;
  const d = ctx.adapter.dialect;
  const target = g.isThis ? model : ws.manifest.nodes.get(g.replaces)!;
  const rel = ws.deferred?.get(target.uniqueId) ?? target.relation;
  const ephemeral = target.resourceType === 'model' && target.materialized === 'ephemeral';
  if (rel && !ephemeral) {
    try {
      return (await conn.execute(`select * from ${d.qualify(rel)} where false limit 0`)).columns;
    } catch {
      // not built yet: worked out below
    }
  }
  if (target.resourceType === 'model' || target.resourceType === 'snapshot') {
    try {
      const compiled = await compileWithQueries(ws, target as SqlNode, { empty: true, fullRefresh: true, existing: new Set() }, conn);
      return (await conn.execute(`select * from (\n${compiled.sql}\n) as dbt_internal_unit_test_schema where false limit 0`)).columns;
    } catch {
      // its own inputs are not built either
    }
  }
  if (target.resourceType === 'seed') {
    const table = parseCsv(readFileSync(path.join(ws.project.dir, target.file), 'utf8'), target.file, target.config.delimiter ?? ',');
    return typeSeed(table, target.file, d, target.config.column_types ?? {}).columns.map((c) => ({ name: c.name, type: c.type }));
  }
  if (target.columns.length && target.columns.every((c) => c.data_type)) return target.columns.map((c) => ({ name: c.name, type: c.data_type! }));
  throw new ProjectError(
    'project',
    `Not able to get columns for unit test '${node.name}' from relation ${rel ? d.qualify(rel) : target.name} because the relation doesn't exist`,
    {
      location: g.location,
      hint:
        target.resourceType === 'source'
          ? `load the source first, or declare a data_type for each of its columns`
          : `build the inputs first: \`model build -s +${model.name} --exclude ${model.name} --empty\` builds them without rows`,
    },
  );
}

/** A value of a fixture cast to its column's type (dbt's format_row with the adapter's safe_cast). */
function castValue(d: Dialect, value: unknown, type: string): string {
  let literal: string;
  let kind: 'string' | 'number' | 'boolean' | 'null';
  if (value === null || value === undefined) [literal, kind] = ['null', 'null'];
  else if (typeof value === 'string') {
    [literal, kind] = [d.stringLiteral(value), 'string'];
    // A string is not cut to a narrow varchar's length (dbt-core #11974): cast to the unsized type.
    if (/^(character varying|varchar|char|character|nvarchar|text|string)\s*\(/i.test(type)) type = type.replace(/\s*\(.*\)$/, '');
  } else if (typeof value === 'number' || typeof value === 'bigint') [literal, kind] = [String(value), 'number'];
  else if (typeof value === 'boolean') [literal, kind] = [value ? 'true' : 'false', 'boolean'];
  else if (value instanceof Date) [literal, kind] = [d.stringLiteral(value.toISOString()), 'string'];
  else [literal, kind] = [d.stringLiteral(JSON.stringify(value)), 'string'];
  return d.safeCast ? d.safeCast(literal, type, kind) : `cast(${literal} as ${type})`;
}

function invalidColumn(name: string, fixture: string, columns: Column[], location: SourceLocation): ProjectError {
  return new ProjectError('project', `Invalid column name: '${name}' in unit test fixture for ${fixture}.`, {
    location,
    hint: `Accepted columns for ${fixture} are: ${columns.map((c) => c.name.toLowerCase()).join(', ')}`,
  });
}

/** dbt's get_fixture_sql: one select a row, every column of the input (typed NULL when not given). */
function fixtureSql(d: Dialect, columns: Column[], f: UnitTestFixture, fixture: string): string {
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  const rows = f.rows ?? [];
  const selects = rows.map((row) => {
    const given = new Map<string, unknown>();
    for (const [k, v] of Object.entries(row.values)) {
      if (!byName.has(k.toLowerCase())) throw invalidColumn(k.toLowerCase(), fixture, columns, row.location);
      given.set(k.toLowerCase(), v);
    }
    return `select ${columns.map((c) => `${castValue(d, given.get(c.name.toLowerCase()) ?? null, c.type)} as ${d.quoteIdentifier(c.name)}`).join(', ')}`;
  });
  if (selects.length) return selects.join('\nunion all\n');
  return `select ${columns.map((c) => `${castValue(d, null, c.type)} as ${d.quoteIdentifier(c.name)}`).join(', ')}\nlimit 0`;
}

/** The columns compared: the first expected row's (dbt), or every column of the model when no row is given. */
function expectedColumnsOf(expect: UnitTestFixture, actual: Column[], byName: Map<string, Column>): Column[] {
  const first = expect.rows?.[0];
  if (expect.format === 'sql' || !first) return actual;
  const out: Column[] = [];
  for (const row of expect.rows!) {
    for (const k of Object.keys(row.values)) {
      const c = byName.get(k.toLowerCase());
      if (!c) throw invalidColumn(k.toLowerCase(), 'expected output', actual, row.location);
      if (row === first && !out.includes(c)) out.push(c);
    }
  }
  return out;
}

/** dbt's get_expected_sql: the expected rows cast to the model's column types; a column a row leaves out is NULL. */
function expectedRowsSql(d: Dialect, expect: UnitTestFixture, columns: Column[], byName: Map<string, Column>): string {
  const rows = expect.rows ?? [];
  if (!rows.length)
    return `select * from (select ${columns.map((c) => `${castValue(d, null, c.type)} as ${d.quoteIdentifier(c.name)}`).join(', ')}) as none limit 0`;
  return rows
    .map((row) => {
      const values = new Map(Object.entries(row.values).map(([k, v]) => [byName.get(k.toLowerCase())!.name, v]));
      return `select ${columns.map((c) => `${castValue(d, values.get(c.name) ?? null, c.type)} as ${d.quoteIdentifier(c.name)}`).join(', ')}`;
    })
    .join('\nunion all\n');
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Row order with NULLs last in each column (dbt's list_rows_from_table(sort=True)). */
function compareRows(r: unknown[], s: unknown[]): number {
  for (let i = 0; i < r.length; i++) {
    const a = r[i];
    const b = s[i];
    const an = a === null || a === undefined;
    const bn = b === null || b === undefined;
    if (an || bn) {
      if (an !== bn) return an ? 1 : -1;
      continue;
    }
    if (typeof a === 'number' && typeof b === 'number') {
      if (a !== b) return a - b;
      continue;
    }
    const x = cellText(a);
    const y = cellText(b);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function sortRows(rows: unknown[][]): unknown[][] {
  return [...rows].sort(compareRows);
}

/**
 * The rows of both sides as daff renders dbt's diff: `@@` over the header, `+++` for a row only the
 * model returned, `---` for an expected row it did not return, blank for rows in both. Undefined
 * when the sides hold the same rows.
 */
export function diffRows(names: string[], expected: unknown[][], actual: unknown[][]): string[] | undefined {
  const key = (r: unknown[]) => JSON.stringify(r.map((v) => (v === undefined ? null : typeof v === 'bigint' ? v.toString() : v)));
  const left = new Map<string, number>();
  for (const r of actual) left.set(key(r), (left.get(key(r)) ?? 0) + 1);
  const marked: [string, unknown[]][] = [];
  for (const r of expected) {
    const k = key(r);
    const n = left.get(k) ?? 0;
    if (n > 0) {
      left.set(k, n - 1);
      marked.push(['', r]);
    } else marked.push(['---', r]);
  }
  const extra = new Map<string, number>();
  for (const [k, n] of left) if (n > 0) extra.set(k, n);
  for (const r of actual) {
    const k = key(r);
    const n = extra.get(k) ?? 0;
    if (n > 0) {
      extra.set(k, n - 1);
      marked.push(['+++', r]);
    }
  }
  if (marked.every(([m]) => m === '')) return undefined;
  const sorted = [...marked].sort((a, b) => compareRows(a[1], b[1]));
  const table = [['@@', ...names], ...sorted.map(([m, r]) => [m, ...r.map(cellText)])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join(',')
      .trimEnd(),
  );
}
