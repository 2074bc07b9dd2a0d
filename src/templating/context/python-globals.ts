import jsYaml from 'js-yaml';
import { stripKwargs } from '../nunjucks-patches.js';
import { PySet } from '../py-set.js';
import type { ContextHost } from './context-host.js';
import { datetimeModule } from './py-datetime.js';

/**
 * Python's builtins and modules as dbt's context offers them: `modules.datetime`, `modules.re`,
 * `dict()`, `namespace()`, `set()`, `zip()`, `range()`, and JSON and YAML both ways.
 */
export function pythonGlobals(host: ContextHost): Record<string, unknown> {
  const pyRegex = (pattern: unknown, flags = '') => {
    try {
      return new RegExp(String(pattern), flags);
    } catch (e) {
      return host.fail(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
    }
  };
  const asMatch = (m: RegExpExecArray | null) => (m ? { group: (i = 0) => m[i] ?? null, groups: () => m.slice(1), toString: () => m[0] } : null);
  return {
    modules: {
      datetime: datetimeModule(),
      // Python's `re` as dbt exposes it, for validating vars and names in macros.
      re: {
        match: (p: unknown, s: unknown) => asMatch(pyRegex(`^(?:${String(p)})`).exec(String(s))),
        fullmatch: (p: unknown, s: unknown) => asMatch(pyRegex(`^(?:${String(p)})$`).exec(String(s))),
        search: (p: unknown, s: unknown) => asMatch(pyRegex(String(p)).exec(String(s))),
        sub: (p: unknown, repl: unknown, s: unknown) => String(s).replace(pyRegex(String(p), 'g'), String(repl)),
      },
    },
    dict: (kwargs?: unknown) => stripKwargs(kwargs ?? {}),
    // Jinja's namespace(): `{% set ns.x = … %}` is rewritten to an update of it (the namespace-set patch).
    namespace: (kwargs?: unknown) => ({ ...stripKwargs(kwargs ?? {}) }),
    // Python's set(): dbt's context has it (dbt_utils' equality test compares column sets).
    set: (items?: unknown) => PySet.fromItems(items ?? []),
    zip: (...lists: unknown[][]) => lists[0]?.map((_, i) => lists.map((l) => l[i])) ?? [],
    range: (a: number, b?: number, step = 1) => {
      const [start, end] = b === undefined ? [0, a] : [a, b];
      const out: number[] = [];
      for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
      return out;
    },
    tojson: (v: unknown) => JSON.stringify(v),
    fromjson: (s: string) => JSON.parse(s) as unknown,
    fromyaml: host.guard((s: unknown) => {
      try {
        return jsYaml.load(String(s)) ?? null;
      } catch (e) {
        return host.fail(`fromyaml(): ${(e as Error).message.split('\n')[0]}`);
      }
    }),
    toyaml: (v: unknown) => jsYaml.dump(v),
  };
}
