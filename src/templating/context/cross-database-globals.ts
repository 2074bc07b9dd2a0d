import { sqlLiteral } from '../../warehouse/dialect.js';
import { isKwargs, stripKwargs } from '../nunjucks-patches.js';
import type { ContextHost } from './context-host.js';

/** The cross-database macros reachable as `dbt.<name>` (builtin-macros.ts defines them). */
const DBT_NAMESPACE_MACROS = [
  'datediff',
  'dateadd',
  'safe_cast',
  'current_timestamp',
  'date_trunc',
  'type_string',
  'type_timestamp',
  'type_int',
  'type_bigint',
  'type_float',
  'type_numeric',
  'type_boolean',
  'concat',
  'cast',
  'hash',
  'split_part',
  'position',
  'right',
  'length',
  'replace',
  'escape_single_quotes',
  'cast_bool_to_text',
  'any_value',
  'bool_or',
  'listagg',
  'except',
  'intersect',
  'array_construct',
  'array_append',
  'array_concat',
  'date',
  'date_spine',
  'get_intervals_between',
  'get_powers_of_two',
  'generate_series',
  'last_day',
  'equals',
  'set_sql_header',
  'string_literal',
  'current_timestamp_backcompat',
  'current_timestamp_in_utc_backcompat',
];

/**
 * What varies with the warehouse: `adapter.dispatch()` (a macro by target type), `adapter.quote()`,
 * `adapter.type()`, the `dbt.*` cross-database macros, and SQL literals (`literal()`, `string_literal()`).
 * The introspection half of `adapter` is in introspection-globals.ts.
 */
export function crossDatabaseGlobals(host: ContextHost): Record<string, unknown> & { adapter: Record<string, unknown> } {
  // dbt's dispatch (core/dbt/context/providers.py): for each package of the search order, the
  // adapter's prefix then `default__`; the error lists every name tried.
  const dispatch = (name: unknown, namespace?: unknown): ((...a: unknown[]) => unknown) => {
    const kw = isKwargs(namespace) ? stripKwargs(namespace) : undefined;
    const ns = kw ? kw.macro_namespace : namespace;
    if (typeof name !== 'string') return host.fail('adapter.dispatch() takes a macro name as a string');
    // dbt 1.x refuses the pre-1.0 `packages=` argument (MacroDispatchArgError in core/dbt/context/providers.py).
    if (kw?.packages !== undefined)
      return host.fail(`adapter.dispatch('${name}'): the "packages" argument has been removed; use "macro_namespace" instead`, {
        hint: `write adapter.dispatch('${name}', 'package_name'), and list other packages to search in the root project's dispatch: setting`,
      });
    const attempts: string[] = [];
    for (const pkg of host.dispatchOrder(typeof ns === 'string' ? ns : undefined)) {
      for (const prefix of [host.target.type, 'default']) {
        const candidate = `${prefix}__${name}`;
        attempts.push(pkg === null ? candidate : `${pkg}.${candidate}`);
        const fn = host.findMacro(pkg, candidate);
        if (fn) return fn;
      }
    }
    return host.fail(
      `adapter.dispatch('${name}'${typeof ns === 'string' ? `, '${ns}'` : ''}) found no macro: searched ${attempts.map((a) => `'${a}'`).join(', ')}`,
      typeof ns === 'string' && ns !== 'dbt' && ns !== host.project?.name && !host.dispatchOrder(ns).includes(ns)
        ? { hint: `'${ns}' is not an installed package: add it to packages.yml and run model deps` }
        : {},
    );
  };
  const dbt: Record<string, unknown> = {};
  // Getters: a project macro of the same name, loaded later, replaces the built-in one.
  for (const name of DBT_NAMESPACE_MACROS) Object.defineProperty(dbt, name, { get: () => host.env.getGlobal(name), enumerable: true });
  return {
    adapter: {
      dispatch: host.guard(dispatch),
      // dbt-adapters' BaseAdapter.quote: double quotes around the name as written, on every adapter
      // (dbt-snowflake does not override it), so `adapter.quote('table_name')` on Snowflake is the
      // lower-case "table_name" dbt_utils reads back as row.table_name. The dialect's own quoting
      // (which leaves plain names bare on Snowflake) stays for the engine's SQL.
      quote: (id: unknown) => `"${String(id).replace(/"/g, '""')}"`,
      type: () => host.target.type,
      // dbt's behaviour flags (`adapter.behavior.<flag>.no_warn`): true where the project file's `flags:` sets it, else false, as dbt's defaults are.
      behavior: new Proxy(
        {},
        {
          get: (_t, key) => {
            if (typeof key !== 'string') return undefined;
            const on = host.behaviorFlags[key] === true;
            return { setting: on, no_warn: on, toString: () => (on ? 'True' : 'False') };
          },
        },
      ),
    },
    dbt,
    /** A string as a quoted, escaped SQL literal (the built-in accepted_values test; dbt's string_literal does not escape). */
    escaped_string_literal: (v: unknown) => host.dialect.stringLiteral(String(v)),
    /** Any value (string, number, bool, list) as SQL literal text, quoted and escaped. */
    literal: (v: unknown) => {
      try {
        return sqlLiteral(host.dialect, v);
      } catch (e) {
        return host.fail(`literal(): ${(e as Error).message}`);
      }
    },
  };
}
