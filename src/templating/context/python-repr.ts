/**
 * Values printed as Python prints them, since dbt renders with Python: `{{ [1, 'a'] }}` is
 * `[1, 'a']`, `{{ {'a': true} }}` is `{'a': True}`, `{{ true }}` is `True`. An object with its own
 * `toString` (a relation, a datetime, a macro's output) prints as that.
 */

/** `str(v)`: what `{{ v }}` prints. None prints as nothing, as the engine always has (see docs/dbt-compatibility.md). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return pyRepr(v, true);
}

/**
 * One side of Jinja's `~` (jinja2 `Concat`: `str()` of each operand): booleans, None, lists and dicts
 * as Python prints them (`False`, `None`, `['y', 'z']`); strings, numbers, undefined and objects that
 * print themselves (relations, macro output) as before.
 */
export function pyConcatPart(v: unknown): unknown {
  if (typeof v === 'boolean' || v === null) return pyRepr(v, true);
  if (typeof v === 'object' && v !== undefined && (Array.isArray(v) || !hasOwnToString(v))) return pyRepr(v, true);
  return v;
}

/** `a ~ b` as Jinja computes it. */
export function pyConcat(a: unknown, b: unknown): string {
  return `${String(pyConcatPart(a))}${String(pyConcatPart(b))}`;
}

/** `repr(v)`; `top` prints a string as itself (str of a container reprs its items, not itself). */
export function pyRepr(v: unknown, top = false): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return top ? v : quoteString(v);
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => pyRepr(x)).join(', ')}]`;
  if (typeof v === 'object') {
    if (hasOwnToString(v)) {
      const s = String(v);
      return top ? s : quoteString(s);
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([k]) => k !== '__keywords');
    return `{${entries.map(([k, x]) => `${quoteString(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
  return String(v);
}

/** Python's float repr keeps `.0` on whole floats; a JavaScript number cannot say it was a float, so integers print bare. */
function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Number.POSITIVE_INFINITY) return 'inf';
  if (n === Number.NEGATIVE_INFINITY) return '-inf';
  return String(n);
}

/** Python's repr of a string: single quotes unless the text holds one and no double quote. */
function quoteString(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}

function hasOwnToString(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  if (Object.hasOwn(v, 'toString')) return true;
  return (
    proto !== null &&
    proto !== Object.prototype &&
    typeof (v as { toString?: unknown }).toString === 'function' &&
    (v as object).toString !== Object.prototype.toString
  );
}
