import { ProjectError, type SourceLocation } from '../core/errors.js';
import type { Project } from '../project/load-project.js';
import type { ModelNode } from '../parse/nodes.js';
import { type Constraint, type ContractColumn, constraintSupport } from '../plan/plan-contract.js';
import type { Connection } from '../warehouse/adapter.js';
import type { Dialect } from '../warehouse/dialect.js';

export interface Contract {
  columns: ContractColumn[];
  constraints: Constraint[];
}

export function contractEnforced(node: ModelNode): boolean {
  const c = node.config.contract as { enforced?: unknown } | undefined;
  return !!c && c.enforced === true && node.materialized !== 'ephemeral';
}

/**
 * Checks a model with `contract: {enforced: true}` before it is built, as dbt-adapters'
 * `assert_columns_equivalent` does: the query's columns (from a zero-row run of it, dbt's
 * `get_empty_subquery_sql`) against the declared ones (`cast(null as <data_type>)`, dbt's
 * `get_empty_schema_sql`), so both sides are spelled by the warehouse itself. Order does not matter
 * (the insert selects by name); a missing, extra or differently typed column fails with dbt's table.
 */
export async function checkContract(
  node: ModelNode,
  sql: string,
  dialect: Dialect,
  conn: Connection,
  warn: (m: string) => void,
  project?: Project,
): Promise<Contract | undefined> {
  if (!contractEnforced(node)) return undefined;
  const at = (column?: string, key: 'name' | 'data_type' = 'name') => contractLocation(project, node, column, key);
  const untyped = node.columns.filter((c) => !c.data_type);
  if (node.columns.length === 0 || untyped.length > 0) {
    throw new ProjectError(
      'contract',
      `model ${node.name} has an enforced contract, but ${untyped.length ? `columns ${untyped.map((c) => c.name).join(', ')} have` : 'it declares'} no data_type`,
      {
        ...at(untyped[0]?.name),
        hint: 'give every column of a contracted model a `data_type:` in its properties file',
      },
    );
  }
  const castOf = (c: { name: string; data_type?: string }) => `cast(null as ${c.data_type}) as ${dialect.quoteIdentifier(c.name)}`;
  const declaredSql = `select ${node.columns.map(castOf).join(', ')} where false`;
  let declared: { name: string; type: string }[];
  try {
    declared = (await conn.execute(declaredSql)).columns;
  } catch (e) {
    // Which column's type the warehouse refuses: each alone, only on this error path.
    let bad: string | undefined;
    for (const c of node.columns) {
      if (bad) break;
      await conn.execute(`select ${castOf(c)} where false`).catch(() => {
        bad = c.name;
      });
    }
    throw new ProjectError('contract', `model ${node.name}: a declared data_type is not a type here: ${e instanceof Error ? e.message : String(e)}`, {
      ...at(bad, 'data_type'),
    });
  }
  const actual = (await conn.execute(`select * from (\n${sql}\n) as model_subq where false limit 0`)).columns;
  const key = (n: string) => n.toLowerCase();
  const actualBy = new Map(actual.map((c) => [key(c.name), c]));
  const declaredBy = new Map(declared.map((c) => [key(c.name), c]));
  const rows: string[][] = [];
  for (const c of actual) {
    const d = declaredBy.get(key(c.name));
    if (!d) rows.push([c.name, c.type, '', 'missing in contract']);
    else if (normalType(d.type) !== normalType(c.type)) rows.push([c.name, c.type, d.type, 'data type mismatch']);
  }
  for (const d of declared) if (!actualBy.has(key(d.name))) rows.push([d.name, '', d.type, 'missing in definition']);
  if (rows.length > 0) {
    const first = rows[0]!;
    // The line to look at: the declared column's data_type, the declared column, or the model's columns: list.
    const where = first[3] === 'data type mismatch' ? at(first[0], 'data_type') : first[3] === 'missing in definition' ? at(first[0]) : at();
    throw new ProjectError(
      'contract',
      `This model has an enforced contract that failed.\nPlease ensure the name, data_type, and number of columns in your contract match the columns in your model's definition.\n\n${table(['column_name', 'definition_type', 'contract_type', 'mismatch_reason'], rows)}`,
      { ...where, hint: `model ${node.name}: change its SQL (${node.file}) or its columns' data_type in ${where.location.file}` },
    );
  }
  const columns: ContractColumn[] = node.columns.map((c) => ({
    name: actualBy.get(key(c.name))!.name,
    type: c.data_type!,
    constraints: constraintsOf((c as { constraints?: unknown }).constraints),
  }));
  const model = constraintsOf(node.constraints);
  if (node.materialized === 'view') {
    if (columns.some((c) => c.constraints.length) || model.length)
      warn(`model ${node.name}: constraints are not applied to a view (only the contract's names and types are checked)`);
    return { columns, constraints: [] };
  }
  for (const k of [...model, ...columns.flatMap((c) => c.constraints)]) {
    const support = constraintSupport(dialect, k.type);
    if (support === 'not_supported' && k.warn_unsupported !== false)
      warn(`model ${node.name}: the ${k.type} constraint is not supported on ${dialect.type} and will be ignored`);
    if (support === 'not_enforced' && k.warn_unenforced !== false)
      warn(`model ${node.name}: the ${k.type} constraint is created but not enforced on ${dialect.type}`);
  }
  return { columns, constraints: model };
}

/**
 * Where a contract error points: the properties file's line of the column (its `data_type:` or
 * its entry), else the model's `columns:` key, else the model's entry; the model's SQL file when
 * no properties file describes it. With the YAML text for a code frame.
 */
function contractLocation(
  project: Project | undefined,
  node: ModelNode,
  column: string | undefined,
  key: 'name' | 'data_type',
): { location: SourceLocation; source?: string } {
  const file = node.patchFile;
  const yaml = file ? project?.properties.find((p) => p.yaml.file === file) : undefined;
  if (!yaml) return { location: { file: file ?? node.file } };
  const models = yaml.value.models ?? [];
  let i = models.findIndex((m) => m.name === node.name);
  if (i < 0) i = models.findIndex((m) => m.versions?.some((v) => (v.defined_in ?? `${m.name}_v${v.v}`) === node.name));
  if (i < 0) return { location: { file: yaml.yaml.file } };
  const cols = models[i]!.columns ?? [];
  const j = column === undefined ? -1 : cols.findIndex((c) => c.name.toLowerCase() === column.toLowerCase());
  const p =
    j >= 0 ? ['models', i, 'columns', j, ...(key === 'data_type' && cols[j]!.data_type ? ['data_type'] : [])] : ['models', i, cols.length ? 'columns' : 'name'];
  return { location: yaml.yaml.locate(p), source: yaml.yaml.source };
}

/**
 * Type names as the warehouse prints them, without size, precision or scale: dbt's contract check
 * compares only the type (docs: "model contracts" — `varchar(256)` passes for `varchar(1000)`);
 * the insert into the declared columns then casts.
 */
function normalType(t: string): string {
  return t
    .toUpperCase()
    .replace(/\(.*\)/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function constraintsOf(value: unknown): Constraint[] {
  if (!Array.isArray(value)) return [];
  return value.filter((k): k is Constraint => !!k && typeof k === 'object' && typeof (k as { type?: unknown }).type === 'string');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
