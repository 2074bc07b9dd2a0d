import type { QueryResult } from '../../warehouse/adapter.js';

/** Sets a name on an array without shadowing what arrays already have (`length`, `map`, …). */
function nameItems<T>(items: T[], names: string[]): T[] {
  names.forEach((n, i) => {
    if (!(n in items)) Object.defineProperty(items, n, { value: items[i], enumerable: false });
  });
  return items;
}

/**
 * A query result shaped like the agate table dbt's `run_query()` returns: `rows` (by index or
 * column name), `columns[i].values()`, `column_names`, `columns['name']`, `columns.items()`.
 */
export function agateTable(result: QueryResult | undefined) {
  const names = result?.columns.map((c) => c.name) ?? [];
  const rows = (result?.rows ?? []).map((r) => nameItems([...r], names));
  const columns = nameItems(
    names.map((name, i) => ({
      name,
      data_type: result!.columns[i]!.type,
      values: () => rows.map((r) => r[i]),
      values_distinct: () => [...new Set(rows.map((r) => r[i]))],
    })),
    names,
  );
  // agate's columns are a MappedSequence: also a mapping of name to column (dbt_utils'
  // get_query_results_as_dict walks `columns.items()`).
  Object.defineProperty(columns, 'items', { value: () => columns.map((c) => [c.name, c]), enumerable: false });
  Object.defineProperty(columns, 'keys', { value: () => [...names], enumerable: false });
  return {
    rows,
    columns,
    column_names: names,
    column_types: result?.columns.map((c) => c.type) ?? [],
    print_table: () => '',
    length: rows.length,
    /** `{% for row in run_query(...) %}` walks the rows, as an agate table does. */
    [Symbol.iterator]: () => rows[Symbol.iterator](),
  };
}

/** What dbt's `load_result(name)` gives for a `{% call statement(name, fetch_result=True) %}` block. */
export function statementResult(result: QueryResult | undefined) {
  const table = agateTable(result);
  return { response: { rows_affected: result?.rowsAffected ?? table.rows.length, code: 'OK' }, data: table.rows, table };
}

/** A column as dbt's `adapter.get_columns_in_relation()` gives it (`name`, `data_type`, `is_string()`, …). */
/**
 * `dtype`: dbt's Column.dtype, the type as the adapter built the column. `Column.from_description`
 * (dbt-adapters base/column.py, what dbt-snowflake's `describe table` columns go through) keeps
 * only the name before the parentheses there (`NUMBER(38,0)` is dtype `NUMBER`, precision 38,
 * scale 0), so codegen's `data_type: number`; `data_type` keeps the size.
 */
export function baseTypeName(rawType: string): string {
  return /^([^(]+)/.exec(rawType)?.[1]?.trim() ?? rawType;
}

export function relationColumn(name: string, dataType: string, quote: (id: string) => string, dtype = dataType) {
  const t = dataType.toLowerCase();
  const isInteger = /^(tiny|small|big|huge|u?)int|^integer|^long|^short/.test(t);
  const isFloat = /^(double|float|real)/.test(t);
  const isNumeric = /^(decimal|numeric|number)/.test(t);
  const isString = /^(varchar|char|text|string|character)/.test(t);
  return {
    name,
    column: name,
    quoted: quote(name),
    data_type: dataType,
    dtype,
    is_string: () => isString,
    is_integer: () => isInteger,
    is_float: () => isFloat,
    is_numeric: () => isNumeric,
    is_number: () => isInteger || isFloat || isNumeric,
    string_size: () => Number(/\((\d+)\)/.exec(dataType)?.[1] ?? 256),
    toString: () => `<Column ${name} (${dataType})>`,
  };
}
