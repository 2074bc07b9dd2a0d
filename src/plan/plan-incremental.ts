import { ProjectError, type SourceLocation } from '../core/errors.js';
import { callSite } from '../templating/call-sites.js';
import type { ModelNode } from '../parse/nodes.js';
import { asList } from '../project/folder-config.js';
import type { Dialect, RelationName } from '../warehouse/dialect.js';
import type { Plan } from './plan.js';
import type { ColumnInfo as CatalogColumn } from '../warehouse/adapter.js';

/** Where the model sets `key`: its config() call when the key is written there, else just the file. */
function configSite(node: ModelNode, key: string): { location: SourceLocation; source?: string } {
  const at = node.rawSql.includes(key) ? callSite(node.rawSql, 'config') : undefined;
  return at ? { location: { file: node.file, ...at }, source: node.rawSql } : { location: { file: node.file } };
}

/** A built-in strategy, or `custom`: the project's `get_incremental_<name>_sql` macro writes the SQL. */
export type IncrementalStrategy = 'append' | 'merge' | 'delete+insert' | 'insert_overwrite' | 'microbatch' | 'custom';

/** The macro dbt calls for a strategy (dbt-adapters base/impl.py get_incremental_strategy_macro). */
export function strategyMacroName(node: ModelNode): string {
  return `get_incremental_${String(node.config.incremental_strategy ?? 'default').replaceAll('+', '_')}_sql`;
}

/** A project's or package's macro that writes a strategy's SQL, and how a template calls it. */
export interface StrategyMacro {
  /** `get_incremental_merge_sql`, or `pkg.get_incremental_merge_sql` for the model's own package's. */
  call: string;
  file: string;
  package?: string;
}

/**
 * The macro dbt calls for the model's strategy, as the model's context finds
 * `get_incremental_<name>_sql` (dbt-adapters base/impl.py get_incremental_strategy_macro reads
 * `model_context[macro_name]`; dbt-core context/macros.py MacroNamespaceBuilder puts the model's own
 * package's macros first, then the root project's, then dbt's): another package's macro of that
 * name is not seen. `find(pkg, name)` is the engine's get_from_package.
 */
export function strategyMacroFor(
  node: ModelNode,
  rootProject: string,
  find: (pkg: string, name: string) => { file: string; package?: string } | undefined,
): (name: string) => StrategyMacro | undefined {
  return (name) => {
    if (node.packageName !== rootProject) {
      const own = find(node.packageName, name);
      if (own) return { call: `${node.packageName}.${name}`, file: own.file, package: node.packageName };
    }
    const root = find(rootProject, name);
    return root ? { call: name, file: root.file } : undefined;
  };
}

/** dbt's built-in strategies (dbt-adapters, base/impl.py `builtin_incremental_strategies`). */
const BUILTIN = ['append', 'delete+insert', 'merge', 'insert_overwrite', 'microbatch'];

/** The strategies each target takes: dbt-duckdb's (append, delete+insert, merge, microbatch) and dbt-snowflake's (and insert_overwrite). */
const VALID: Record<Dialect['type'], IncrementalStrategy[]> = {
  duckdb: ['append', 'delete+insert', 'merge', 'microbatch'],
  snowflake: ['append', 'merge', 'delete+insert', 'insert_overwrite', 'microbatch'],
};

/** The unique_key as a list of column names: a string, a list, or none / '' / [] (no key: rows are appended). */
export function uniqueKeys(node: ModelNode): string[] {
  return [...new Set(asList(node.config.unique_key).filter((k) => k.trim() !== ''))];
}

/**
 * The model's strategy on this target, or an error naming the model and what the target takes. A
 * name that is not built in is a custom strategy when `hasMacro` finds its `get_incremental_<name>_sql`
 * macro, as dbt dispatches it.
 */
export function incrementalStrategy(
  node: ModelNode,
  dialect: Dialect,
  hasMacro?: (name: string) => boolean,
  projectMacro?: (name: string) => boolean,
): IncrementalStrategy {
  const keys = uniqueKeys(node);
  const asked = node.config.incremental_strategy ?? 'default';
  // dbt's adapter.dispatch finds the root project's macro first: a project `get_incremental_<strategy>_sql`
  // (or `get_incremental_default_sql`) replaces the built-in SQL (dbt-adapters incremental/strategies.sql).
  // A project `get_incremental_microbatch_sql` is called per batch, or (without dbt's behaviour flag
  // require_batched_execution_for_custom_microbatch_strategy) on the whole model: execute/run-microbatch.ts.
  const overridden = projectMacro?.(strategyMacroName(node)) === true;
  if (asked === 'default') return overridden ? 'custom' : keys.length ? 'merge' : 'append';
  const valid = VALID[dialect.type];
  if ((valid as string[]).includes(asked)) return overridden ? 'custom' : (asked as IncrementalStrategy);
  if (!BUILTIN.includes(asked) && hasMacro?.(strategyMacroName(node))) return 'custom';
  const target = dialect.type === 'duckdb' ? 'DuckDB' : 'Snowflake';
  const message = BUILTIN.includes(asked)
    ? `the incremental strategy '${asked}' is not valid for this adapter (${target})`
    : `incremental_strategy '${asked}' is not a known strategy: could not find an incremental strategy macro with the name "${strategyMacroName(node)}"`;
  const hint = `on ${target} use one of: ${valid.join(', ')}${BUILTIN.includes(asked) ? '' : `, or define a macro ${strategyMacroName(node)}(arg_dict) for a custom strategy`}`;
  throw new ProjectError('project', message, { ...configSite(node, 'incremental_strategy'), hint });
}

/** The columns the write names (dbt's dest_columns): the table's, or with a schema change the query's. */
export function destColumns(node: ModelNode, target: CatalogColumn[], staged: CatalogColumn[]): CatalogColumn[] {
  return (node.config.on_schema_change ?? 'ignore') === 'ignore' ? target : staged.map((c) => find(target, c.name) ?? c);
}

/** Whether the new rows are built into a staging table first (to compare columns or match keys). */
export function needsStaging(node: ModelNode, strategy: IncrementalStrategy): boolean {
  return strategy !== 'append' || (node.config.on_schema_change ?? 'ignore') !== 'ignore';
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const find = (cols: CatalogColumn[], name: string) => cols.find((c) => same(c.name, name));

/** Whether a column of type `from` can take `to`'s values unchanged (dbt's Column.can_expand_to: a longer string). */
function sameOrWider(target: string, source: string): boolean {
  if (same(target, source)) return true;
  const text = /^(varchar|text|string|character varying)(\((\d+)\))?$/i;
  const t = text.exec(target);
  const s = text.exec(source);
  if (!t || !s) return false;
  return t[3] === undefined || (s[3] !== undefined && Number(s[3]) <= Number(t[3]));
}

export interface SchemaChanges {
  added: CatalogColumn[];
  removed: CatalogColumn[];
  retyped: { name: string; from: string; to: string }[];
}

/** check_for_schema_changes: columns of the new rows not in the table, the reverse, and changed types. */
export function schemaChanges(target: CatalogColumn[], staged: CatalogColumn[]): SchemaChanges {
  const added = staged.filter((c) => !find(target, c.name));
  const removed = target.filter((c) => !find(staged, c.name));
  const retyped = staged.flatMap((c) => {
    const t = find(target, c.name);
    return t && !sameOrWider(t.type, c.type) ? [{ name: t.name, from: t.type, to: c.type }] : [];
  });
  return { added, removed, retyped };
}

function describeChanges(ch: SchemaChanges): string {
  const list = (cols: { name: string }[]) => (cols.length ? cols.map((c) => c.name).join(', ') : 'none');
  return `new columns: ${list(ch.added)}; columns gone: ${list(ch.removed)}; changed types: ${
    ch.retyped.length ? ch.retyped.map((r) => `${r.name} ${r.from} -> ${r.to}`).join(', ') : 'none'
  }`;
}

/**
 * The statements of an incremental run whose new rows are staged in `staging`: the schema change
 * `on_schema_change` asks for, then the strategy's write, then the staging table dropped
 * (dbt-adapters, materializations/models/incremental/: incremental.sql, on_schema_change.sql, merge.sql).
 */
export function planIncrementalWrite(
  node: ModelNode,
  dialect: Dialect,
  strategy: IncrementalStrategy,
  staging: RelationName,
  target: CatalogColumn[],
  staged: CatalogColumn[],
  window?: BatchWindow,
  /** A custom strategy: what its macro rendered (given the destination columns). */
  customSql?: string,
): Plan {
  const rel = node.relation!;
  const onChange = node.config.on_schema_change ?? 'ignore';
  const keys = uniqueKeys(node);
  for (const k of keys) {
    if (/^[A-Za-z_][A-Za-z0-9_$]*$/.test(k) && !find(staged, k)) {
      throw new ProjectError('project', `unique_key '${k}' is not a column of the model's query`, {
        ...configSite(node, 'unique_key'),
        hint: `the query returns: ${staged.map((c) => c.name).join(', ')}`,
      });
    }
  }
  const statements: string[] = [];
  let dest = target;
  if (onChange !== 'ignore') {
    const ch = schemaChanges(target, staged);
    const changed = ch.added.length > 0 || ch.removed.length > 0 || ch.retyped.length > 0;
    if (changed && onChange === 'fail') {
      throw new ProjectError('project', `the model's columns no longer match its table ${dialect.qualify(rel)}: ${describeChanges(ch)}`, {
        ...configSite(node, 'on_schema_change'),
        hint: "on_schema_change is 'fail': set it to append_new_columns or sync_all_columns, run with --full-refresh to rebuild the table, or change the table by hand. Nothing was changed.",
      });
    }
    for (const c of ch.added) statements.push(dialect.addColumn(rel, c.name, c.type));
    if (onChange === 'sync_all_columns') {
      for (const c of ch.removed) statements.push(dialect.dropColumn(rel, c.name));
      for (const r of ch.retyped) statements.push(dialect.alterColumnType(rel, r.name, r.to));
    }
    // dbt then writes the query's columns (the table has them all now).
    dest = destColumns(node, target, staged);
  }
  const cols = dest.map((c) => dialect.quoteColumn(c.name));
  const t = dialect.qualify(rel);
  const s = dialect.qualify(staging);
  const predicates = asList(node.config.incremental_predicates ?? (node.config.predicates as string | string[] | undefined));
  const insert = `insert into ${t} (${cols.join(', ')})\nselect ${cols.join(', ')} from ${s}`;
  const write: string[] = [];
  switch (strategy) {
    case 'append':
      write.push(insert);
      break;
    case 'delete+insert':
      if (keys.length) write.push(dialect.deleteMatching(rel, staging, keys, predicates));
      write.push(insert);
      break;
    case 'insert_overwrite':
      write.push(`insert overwrite into ${t} (${cols.join(', ')})\nselect ${cols.join(', ')} from ${s}`);
      break;
    case 'merge':
      write.push(mergeSql(node, dialect, rel, staging, keys, dest, predicates));
      break;
    case 'custom':
      if (customSql === undefined) {
        throw new ProjectError('project', `the custom strategy ${strategyMacroName(node)} can only be planned against the warehouse`, {
          location: { file: node.file },
        });
      }
      // The macro's text may hold several statements, as dbt's `main` statement may.
      write.push(
        ...customSql
          .split(/;\s*(?:\n|$)/)
          .map((t) => t.trim())
          .filter(Boolean),
      );
      break;
    case 'microbatch': {
      // The batch replaces the table's rows of its window (dbt's microbatch: delete+insert on event_time).
      if (!window) throw new ProjectError('project', 'a microbatch write needs its batch window', { location: { file: node.file } });
      const col = dialect.quoteIdentifier(node.config.event_time!);
      const at = (v: string) => `cast(${dialect.stringLiteral(v)} as timestamp)`;
      const extra = predicates.map((p) => ` and (${p})`).join('');
      write.push(`delete from ${t} where ${col} >= ${at(window.start)} and ${col} < ${at(window.end)}${extra}`, insert);
      break;
    }
  }
  return { statements: [...statements, ...write, dialect.drop(staging, 'table')], atomic: true, rowsFrom: statements.length + write.length - 1 };
}

/** get_merge_sql: on the key (and any incremental_predicates), update the chosen columns, insert the rest. */
function mergeSql(
  node: ModelNode,
  dialect: Dialect,
  rel: RelationName,
  staging: RelationName,
  keys: string[],
  dest: CatalogColumn[],
  predicates: string[],
): string {
  const q = (c: string) => dialect.quoteIdentifier(c);
  const include = node.config.merge_update_columns;
  const exclude = node.config.merge_exclude_columns;
  if (include?.length && exclude?.length) {
    throw new ProjectError('project', 'a model cannot set both merge_update_columns and merge_exclude_columns', {
      ...configSite(node, 'merge_'),
      hint: 'keep the one that is shorter to write: the columns a match updates, or the ones it leaves alone',
    });
  }
  const quoted = dest.map((c) => dialect.quoteColumn(c.name));
  let update: string[];
  if (include?.length) {
    update = include.map((c) => {
      const found = find(dest, c);
      if (!found) {
        throw new ProjectError('project', `merge_update_columns names '${c}', which is not a column of the table`, {
          ...configSite(node, 'merge_update_columns'),
          hint: `the table has: ${dest.map((d) => d.name).join(', ')}`,
        });
      }
      return dialect.quoteColumn(found.name);
    });
  } else if (exclude?.length) update = dest.filter((c) => !exclude.some((x) => same(x, c.name))).map((c) => dialect.quoteColumn(c.name));
  else update = quoted;
  const on = [...predicates, ...(keys.length ? keys.map((k) => `DBT_INTERNAL_SOURCE.${q(k)} = DBT_INTERNAL_DEST.${q(k)}`) : ['FALSE'])];
  const lines = [
    `merge into ${dialect.qualify(rel)} as DBT_INTERNAL_DEST`,
    `using ${dialect.qualify(staging)} as DBT_INTERNAL_SOURCE`,
    `on (${on.join(') and (')})`,
  ];
  if (keys.length && update.length) lines.push(`when matched then update set ${update.map((c) => `${c} = DBT_INTERNAL_SOURCE.${c}`).join(', ')}`);
  lines.push(`when not matched then insert (${quoted.join(', ')}) values (${quoted.map((c) => `DBT_INTERNAL_SOURCE.${c}`).join(', ')})`);
  return lines.join('\n');
}

export interface BatchWindow {
  start: string;
  end: string;
}

const STEP: Record<'hour' | 'day' | 'month' | 'year', (d: Date, n: number) => Date> = {
  hour: (d, n) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + n)),
  day: (d, n) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + n)),
  month: (d, n) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1)),
  year: (d, n) => new Date(Date.UTC(d.getUTCFullYear() + n, 0, 1)),
};

const stamp = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/**
 * dbt's microbatch batches (dbt-core, MicrobatchBuilder): windows of `batch_size` in UTC, from
 * `begin` on the first run (or a full refresh), else from `lookback` batches before the current one,
 * up to `now`; the last batch is the current, partial one.
 */
export function microbatchWindows(node: ModelNode, now: Date, incremental: boolean, range?: { start: Date; end: Date }): BatchWindow[] {
  const c = node.config;
  const missing = ['event_time', 'batch_size', 'begin'].filter((k) => c[k] === undefined || c[k] === null);
  if (missing.length) {
    throw new ProjectError('project', `a microbatch model needs ${missing.join(', ')}`, {
      ...configSite(node, 'microbatch'),
      hint: "e.g. config(incremental_strategy='microbatch', event_time='created_at', batch_size='day', begin='2024-01-01')",
    });
  }
  const step = STEP[c.batch_size!];
  const begin =
    c.begin instanceof Date
      ? c.begin
      : new Date(`${String(c.begin).replace(' ', 'T')}${/[zZ]|[+-]\d\d:?\d\d$/.test(String(c.begin)) || String(c.begin).length <= 10 ? '' : 'Z'}`);
  if (Number.isNaN(begin.getTime())) {
    throw new ProjectError('project', `begin '${String(c.begin)}' is not a date or timestamp`, {
      ...configSite(node, 'begin'),
      hint: "write it as '2024-01-01' or '2024-01-01 00:00:00'",
    });
  }
  const current = step(now, 0);
  let start = range ? step(range.start, 0) : incremental ? step(current, -(c.lookback ?? 1)) : step(begin, 0);
  const more = (s: Date) => (range ? s < range.end : s <= current);
  const out: BatchWindow[] = [];
  while (more(start)) {
    const end = step(start, 1);
    out.push({ start: stamp(start), end: stamp(end) });
    start = end;
  }
  return out;
}
