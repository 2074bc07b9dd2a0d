import type nunjucks from 'nunjucks';
import { isPlainObject } from '../../core/util.js';
import type { Dialect } from '../../warehouse/dialect.js';
import { sqlLiteral } from '../../warehouse/dialect.js';
import { getTest, popKwargs } from '../nunjucks-patches.js';
import { percentFormat } from './percent-format.js';
import { pyStr } from './python-repr.js';

/** dbt's filters (`as_bool`, `literal`, …) and the Jinja filters dbt projects use that nunjucks lacks or reads differently. */
// biome-ignore lint/suspicious/noExplicitAny: nunjucks calls filters with whatever the template passes; each filter checks its own
export function jinjaFilters(env: nunjucks.Environment, dialect: Dialect): Record<string, (...a: any[]) => unknown> {
  // `attribute='a.0.b'`: a dotted path, numbers indexing lists.
  const step = (v: unknown, k: string): unknown =>
    v === null || v === undefined ? undefined : (v as Record<string, unknown>)[/^\d+$/.test(k) && Array.isArray(v) ? Number(k) : k];
  const attr = (item: unknown, path: string): unknown => String(path).split('.').reduce<unknown>(step, item);
  const test = (name: unknown, args: unknown[]) => {
    if (name === undefined) return (v: unknown) => !!v;
    const t = getTest(env, String(name));
    if (!t) throw new Error(`no test named '${String(name)}'`);
    return (v: unknown) => t.call({}, v, ...args);
  };
  // What Jinja iterates: a list, nothing for none, a dict's keys, any other iterable's items.
  const items = (v: unknown): unknown[] =>
    Array.isArray(v) ? v : v === null || v === undefined ? [] : isPlainObject(v) ? Object.keys(v) : [...(v as Iterable<unknown>)];
  const nunjucksJoin = env.getFilter('join') as (...a: unknown[]) => unknown;
  return {
    as_bool: (v: unknown) => v === true || v === 'true' || v === 'True',
    as_number: (v: unknown) => Number(v),
    as_text: (v: unknown) => String(v),
    tojson: (v: unknown) => JSON.stringify(v),
    // Jinja's join iterates what it is given: a string joins its characters (nunjucks' failed), and
    // `attribute=` as a keyword joins that attribute of each item.
    join: (v: unknown, ...rest: unknown[]) => {
      const k = popKwargs(rest);
      const [sep = k.d ?? '', attribute = k.attribute] = rest;
      return nunjucksJoin(typeof v === 'string' ? [...v] : v, sep, attribute);
    },
    // Jinja's trim is `str(value).strip(chars)`: a boolean or number is printed first (`True`), as
    // dbt-project-evaluator's `node.config.enabled | trim` needs (nunjucks' failed on a non-string).
    trim: (v: unknown, chars?: unknown) => {
      const text = pyStr(v);
      if (chars === undefined || chars === null) return text.trim();
      const set = new Set(String(chars));
      let a = 0;
      let b = text.length;
      while (a < b && set.has(text[a]!)) a++;
      while (b > a && set.has(text[b - 1]!)) b--;
      return text.slice(a, b);
    },
    literal: (v: unknown) => sqlLiteral(dialect, v),
    // Python's list(): a dict gives its keys, a string its characters (nunjucks gave {key, value} pairs).
    list: (v: unknown) => (typeof v === 'string' ? [...v] : items(v)),
    unique: (v: unknown) => [...new Set(items(v))],
    map: (v: unknown, ...args: unknown[]) => {
      const k = popKwargs(args);
      if (k.attribute !== undefined) return items(v).map((x) => attr(x, String(k.attribute)) ?? k.default);
      const [name, ...rest] = args;
      const f = env.getFilter(String(name)) as (...a: unknown[]) => unknown;
      return items(v).map((x) => f(x, ...rest));
    },
    selectattr: (v: unknown, path: string, name?: unknown, ...args: unknown[]) => items(v).filter((x) => test(name, args)(attr(x, path))),
    rejectattr: (v: unknown, path: string, name?: unknown, ...args: unknown[]) => items(v).filter((x) => !test(name, args)(attr(x, path))),
    // biome-ignore lint/complexity/useMathMinMax: Jinja's min and max also compare strings, which Math.min cannot
    min: (v: unknown) => items(v).reduce((a, b) => ((b as number) < (a as number) ? b : a)),
    // biome-ignore lint/complexity/useMathMinMax: as min
    max: (v: unknown) => items(v).reduce((a, b) => ((b as number) > (a as number) ? b : a)),
    // Python's `'%s and %s' | format(a, b)`.
    format: (fmt: unknown, ...args: unknown[]) => percentFormat(fmt, args),
    count: (v: unknown) => (typeof v === 'string' ? v.length : items(v).length),
    d: env.getFilter('default') as (...a: unknown[]) => unknown,
    items: (v: unknown) => (isPlainObject(v) ? Object.entries(v) : []),
  };
}
