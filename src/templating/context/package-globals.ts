import { Relation } from '../../warehouse/relation.js';
import { popKwargs } from '../nunjucks-patches.js';
import type { ContextHost } from './context-host.js';

/**
 * What the most-installed dbt packages (dbt_utils, dbt_expectations, dbt_date, codegen,
 * audit_helper) reach for beyond a model's context: `add_ephemeral_prefix`, `adapter.drop_relation`,
 * Python's `re` module whole (`compile`, `findall`, `split`, flags, `\1` in `sub`) and `pytz` for
 * time-zone names. The engine adds these beside the other globals.
 */
export function packageGlobals(host: ContextHost): { globals: Record<string, unknown>; adapter: Record<string, unknown>; modules: Record<string, unknown> } {
  return {
    globals: {
      // dbt's name for an ephemeral model's CTE (core/dbt/adapters/base/relation.py, add_ephemeral_prefix).
      add_ephemeral_prefix: (name: unknown) => `__dbt__cte__${String(name)}`,
      // dbt's create_view_as macro: the statement, to be run by the caller (basic/test_adapter_methods.py).
      create_view_as: host.guard((relation: unknown, sql: unknown) => {
        if (!(relation instanceof Relation))
          return host.fail("create_view_as() takes a relation and the SELECT, e.g. create_view_as(ref('x'), 'select 1 as id')");
        return host.dialect.createViewAs(relation, String(sql));
      }),
    },
    adapter: {
      // As dbt: drops the relation if it exists; a relation of unknown type is dropped as a table.
      drop_relation: host.guard((relation: unknown) => {
        if (!(relation instanceof Relation)) return host.fail('adapter.drop_relation() takes a relation, e.g. a value of adapter.get_relation()');
        const hooks = host.hooks();
        if (!hooks.execute || !hooks.runQuery) return '';
        hooks.runQuery(host.dialect.drop(relation, relation.type ?? 'table'));
        return '';
      }),
      // As dbt: the relation's schema (database.schema), created if missing / dropped with what is in it.
      create_schema: host.guard((relation: unknown) => schemaStatement(host, relation, 'create_schema')),
      drop_schema: host.guard((relation: unknown) => schemaStatement(host, relation, 'drop_schema')),
    },
    modules: { re: pythonRe(host), pytz: pytzModule(host) },
  };
}

function schemaStatement(host: ContextHost, relation: unknown, which: 'create_schema' | 'drop_schema'): string {
  if (!(relation instanceof Relation) || !relation.database || !relation.schema)
    return host.fail(`adapter.${which}() takes a relation with a database and schema, e.g. ref('x')`);
  const hooks = host.hooks();
  if (!hooks.execute || !hooks.runQuery) return '';
  const q = (v: string) => host.dialect.quoteIdentifier(v);
  hooks.runQuery(
    which === 'create_schema'
      ? host.dialect.createSchema(relation.database, relation.schema)
      : `drop schema if exists ${q(relation.database)}.${q(relation.schema)} cascade`,
  );
  return '';
}

/** Python's `re` flags, as numbers (their values in CPython) turned into JavaScript flags. */
const FLAGS: Record<string, number> = { IGNORECASE: 2, I: 2, MULTILINE: 8, M: 8, DOTALL: 16, S: 16, VERBOSE: 64, X: 64 };

function pythonRe(host: ContextHost): Record<string, unknown> {
  const jsFlags = (flags: unknown) => {
    const n = Number(flags ?? 0);
    return `${n & 2 ? 'i' : ''}${n & 8 ? 'm' : ''}${n & 16 ? 's' : ''}`;
  };
  // Python's syntax that JavaScript spells differently: named groups `(?P<name>…)`, anchors \A and \Z.
  const source = (p: unknown) =>
    String(p)
      .replace(/\(\?P</g, '(?<')
      .replace(/\\A/g, '^')
      .replace(/\\Z/g, '$');
  const compile = (p: unknown, flags?: unknown, extra = '') => {
    try {
      return new RegExp(source(p), jsFlags(flags) + extra);
    } catch (e) {
      return host.fail(`invalid regular expression ${JSON.stringify(p)}: ${(e as Error).message}`);
    }
  };
  const asMatch = (m: RegExpExecArray | null) =>
    m
      ? {
          group: (i: number | string = 0) => (typeof i === 'string' ? (m.groups?.[i] ?? null) : (m[i] ?? null)),
          groups: () => m.slice(1).map((g) => g ?? null),
          groupdict: () => ({ ...(m.groups ?? {}) }),
          start: () => m.index,
          end: () => m.index + m[0].length,
          toString: () => m[0],
        }
      : null;
  // Python's `\1` and `\g<name>` in a replacement are JavaScript's `$1` and `$<name>`.
  const replacement = (r: unknown) =>
    String(r)
      .replace(/\$/g, '$$$$')
      .replace(/\\g<(\w+)>/g, (_m, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`))
      .replace(/\\(\d+)/g, '$$$1');
  const ops = (make: (extra?: string) => RegExp) => ({
    match: (s: unknown) => asMatch(new RegExp(`^(?:${make().source})`, make().flags).exec(String(s))),
    fullmatch: (s: unknown) => asMatch(new RegExp(`^(?:${make().source})$`, make().flags).exec(String(s))),
    search: (s: unknown) => asMatch(make().exec(String(s))),
    findall: (s: unknown) => [...String(s).matchAll(make('g'))].map((m) => (m.length > 2 ? m.slice(1) : m.length === 2 ? (m[1] ?? '') : m[0])),
    sub: (repl: unknown, s: unknown, count = 0) => {
      const r = make('g');
      const rep = replacement(repl);
      if (!count) return String(s).replace(r, rep);
      let n = 0;
      return String(s).replace(r, (...args) => {
        if (count && n++ >= count) return args[0] as string;
        return (args[0] as string).replace(new RegExp(r.source, r.flags.replace('g', '')), rep);
      });
    },
    split: (s: unknown) => String(s).split(make()),
  });
  const module: Record<string, unknown> = {
    compile: (p: unknown, flags?: unknown) => ({ pattern: String(p), ...ops((extra) => compile(p, flags, extra)) }),
    match: (p: unknown, s: unknown, flags?: unknown) => ops((x) => compile(p, flags, x)).match(s),
    fullmatch: (p: unknown, s: unknown, flags?: unknown) => ops((x) => compile(p, flags, x)).fullmatch(s),
    search: (p: unknown, s: unknown, flags?: unknown) => ops((x) => compile(p, flags, x)).search(s),
    findall: (p: unknown, s: unknown, flags?: unknown) => ops((x) => compile(p, flags, x)).findall(s),
    sub: (...args: unknown[]) => {
      const kw = popKwargs(args);
      const [p, repl, s, count] = args;
      return ops((x) => compile(p, kw.flags, x)).sub(repl, s, Number(count ?? kw.count ?? 0));
    },
    split: (p: unknown, s: unknown, _max?: unknown, flags?: unknown) => ops((x) => compile(p, flags, x)).split(s),
    escape: (s: unknown) => String(s).replace(/[.*+?^${}()|[\]\\\-/ ]/g, '\\$&'),
  };
  Object.assign(module, FLAGS);
  return module;
}

/** `pytz` as packages use it: a time-zone name checked (`timezone('Europe/Riga')`), `utc`, `all_timezones`. */
function pytzModule(host: ContextHost): Record<string, unknown> {
  const zones = () => (Intl as unknown as { supportedValuesOf?(k: string): string[] }).supportedValuesOf?.('timeZone') ?? [];
  const zone = (name: string) => ({ zone: name, toString: () => name });
  return {
    timezone: host.guard((name: unknown) => {
      const n = String(name);
      try {
        new Intl.DateTimeFormat('en', { timeZone: n });
      } catch {
        return host.fail(`pytz.timezone('${n}'): unknown time zone`, { hint: "an IANA name, e.g. 'America/New_York' or 'UTC'" });
      }
      return zone(n);
    }),
    utc: zone('UTC'),
    UTC: zone('UTC'),
    get all_timezones() {
      return zones();
    },
    get common_timezones() {
      return zones();
    },
  };
}
