import type { QueryResult } from '../../warehouse/adapter.js';
import { Relation } from '../../warehouse/relation.js';
import { isKwargs, popKwargs } from '../nunjucks-patches.js';
import type { RenderHooks } from '../render-hooks.js';
import type { ContextHost } from './context-host.js';
import { agateTable, baseTypeName, relationColumn, statementResult } from './query-table.js';

/**
 * What templates ask the warehouse: `execute`, `run_query()`, `{% call statement() %}` with
 * `load_result()`, `adapter.get_columns_in_relation()`, `adapter.get_relation()` and `load_relation()`.
 * All are answered by the render hooks (in run and build, queries run between renders); while
 * parsing (`execute` false) they return none, as in dbt.
 */
export function introspectionGlobals(host: ContextHost): Record<string, unknown> & { adapter: Record<string, unknown> } {
  const runQuery = (sql: unknown, what = 'run_query()'): QueryResult | undefined | null => {
    const hooks = host.hooks();
    if (!hooks.execute) return null; // the parse pass, where dbt's `execute` is false
    if (!hooks.runQuery) {
      return host.fail(`${what} needs a warehouse connection, which this command does not open`, {
        needle: /\b(run_query|statement)\s*\(/,
        hint: 'it works in model run and model build; for compile and show, guard it with {% if execute %} or compute the value in SQL',
      });
    }
    return hooks.runQuery(String(sql).trim());
  };
  const getRelation = host.guard((...args: unknown[]) => {
    const kw = popKwargs(args);
    const [database, schema, identifier] = [args[0] ?? kw.database, args[1] ?? kw.schema, args[2] ?? kw.identifier].map((v) => String(v ?? ''));
    const lit = (v: string) => host.dialect.stringLiteral(v.toLowerCase());
    const r = runQuery(
      'select table_catalog, table_schema, table_name from information_schema.tables ' +
        `where lower(table_catalog) = ${lit(database!)} and lower(table_schema) = ${lit(schema!)} and lower(table_name) = ${lit(identifier!)}`,
      'adapter.get_relation()',
    );
    const row = r?.rows[0];
    return row ? new Relation(String(row[0]), String(row[1]), String(row[2]), host.dialect) : null;
  });
  const getColumnsInRelation = host.guard((relation: unknown) => {
    if (!(relation instanceof Relation)) {
      return host.fail("adapter.get_columns_in_relation() takes a relation, e.g. ref('x') or source('s', 't') (not an ephemeral model)");
    }
    // A relation that is not there has no columns, as dbt's information-schema query answers (dbt_utils'
    // tests of a model not built yet then compile, as in `dbt compile`), rather than a database error.
    if (!getRelation(relation.database, relation.schema, relation.identifier)) return [];
    const r = runQuery(`select * from ${relation.render()} where 1 = 0`, 'adapter.get_columns_in_relation()');
    // `quoted` is the stored name in double quotes, as dbt's Column.quoted (dbt-snowflake's too).
    // On Snowflake the columns are dbt-snowflake's `SnowflakeColumn.from_description` of `describe table`: dtype without the size.
    const snowflake = host.dialect.type === 'snowflake';
    return (r?.columns ?? []).map((c) => relationColumn(c.name, c.type, (id) => `"${id.replace(/"/g, '""')}"`, snowflake ? baseTypeName(c.type) : c.type));
  });
  // Per render: a statement's result is for the template that ran it.
  const statements = new WeakMap<RenderHooks, Map<string, ReturnType<typeof statementResult>>>();
  const globals = {
    adapter: { get_columns_in_relation: getColumnsInRelation, get_relation: getRelation },
    run_query: host.guard((sql: unknown) => {
      const r = runQuery(sql);
      return r === null ? null : agateTable(r);
    }),
    load_relation: host.guard((relation: unknown) => {
      if (!(relation instanceof Relation)) return null;
      return getRelation(relation.database, relation.schema, relation.identifier);
    }),
    // `{% call statement('name', fetch_result=True) %}sql{% endcall %}`, then `load_result('name')`.
    statement: host.guard((...args: unknown[]) => {
      const kwargs = isKwargs(args[args.length - 1]) ? (args.pop() as Record<string, unknown>) : {};
      const name = args[0] ?? kwargs.name ?? 'main';
      const caller = kwargs.caller;
      if (typeof caller !== 'function') return host.fail("statement() is called as a block: {% call statement('name', fetch_result=True) %} … {% endcall %}");
      let body: unknown;
      try {
        body = caller();
      } catch (e) {
        // `return()` in the block body: dbt's statement macro catches it and returns its value,
        // running nothing (dbt_utils' get_column_values returns its default that way).
        if ((e as { macroReturn?: unknown } | null)?.macroReturn === true) return (e as { value: unknown }).value;
        throw e;
      }
      const sql = String(body);
      const r = runQuery(sql, 'statement()');
      if (r !== null) {
        const hooks = host.hooks();
        if (!statements.has(hooks)) statements.set(hooks, new Map());
        statements.get(hooks)!.set(String(name), statementResult(r));
      }
      return '';
    }),
    load_result: (name: unknown) => {
      const current = host.current();
      return current ? (statements.get(current)?.get(String(name)) ?? null) : null;
    },
  };
  Object.defineProperty(globals, 'execute', { get: () => host.current()?.execute ?? false, enumerable: true });
  return globals;
}
