/**
 * Python's `set()` as dbt's context offers it (dbt_utils' `equality` test compares two column sets
 * with `!=`): an array of distinct items, so `in`, loops, `| length` and `| list` work as on a list,
 * compared as a set by the `==`/`!=` patch (pyEquals).
 */
export class PySet extends Array<unknown> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** The distinct items of `items` (a list, a string's characters, a dict's keys), in first-seen order. */
  static fromItems(items: unknown): PySet {
    const set = new PySet();
    const list = typeof items === 'string' ? [...items] : Array.isArray(items) ? items : items && typeof items === 'object' ? Object.keys(items) : [];
    for (const item of list) if (!set.some((x) => pyEquals(x, item))) set.push(item);
    return set;
  }
}

/**
 * Python's `==`: lists item by item, dicts key by key, sets regardless of order; anything else as
 * nunjucks compared it before (JavaScript's `==`, so `none == undefined` and numbers as text stay as they were).
 */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a instanceof PySet || b instanceof PySet) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x) => b.some((y) => pyEquals(x, y)));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (isDict(a) && isDict(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  // biome-ignore lint/suspicious/noDoubleEquals: nunjucks' own `==`, kept for everything Python compares by value anyway
  return a == b;
}

function isDict(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
