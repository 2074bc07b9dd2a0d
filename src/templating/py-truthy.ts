/**
 * Python's truth value, as Jinja's `if`, `not`, `and`, `or` and inline `if` test values: an empty
 * list, dict or string is false (JavaScript holds `[]` and `{}` true, so `{% if not values %}` and
 * `{% if include and exclude %}` on empty lists went the wrong way). Any other object is true.
 */
export function pyTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  if (v !== null && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return Object.keys(v).length > 0;
  }
  // A SafeString (nunjucks' marked-safe text) is false when empty, as its text is.
  if (v !== null && typeof v === 'object' && typeof (v as { val?: unknown }).val === 'string' && 'length' in v) return (v as { length: number }).length > 0;
  return Boolean(v);
}
