import { createHash } from 'node:crypto';

/** dbt keeps generated test names (and so compiled file names) under 64 characters. */
const MAX_NAME = 64;

export function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

/** Python's `str()` of a YAML value, as dbt sees it when it builds names and hashes. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return pyRepr(v);
  return String(v);
}

/** Python's `repr()` of strings, lists and dicts (the shapes dbt hashes). */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') {
    const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
    let out = '';
    for (const ch of v) {
      if (ch === '\\') out += '\\\\';
      else if (ch === quote) out += `\\${ch}`;
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else out += ch;
    }
    return `${quote}${out}${quote}`;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return pyStr(v);
}

/**
 * dbt's generated test name: `<test>_<target>_<args flattened>`, e.g. `not_null_orders_amount`,
 * `accepted_values_orders_status__placed__shipped`. Returns the short name (for files and
 * aliases: truncated with an md5 when 64 characters or longer) and the full name (for ids).
 */
export function syntheticTestNames(testType: string, targetName: string, args: Record<string, unknown>): { shortName: string; fullName: string } {
  const flat: string[] = [];
  for (const key of Object.keys(args).sort()) {
    if (key === 'model') continue;
    const v = args[key];
    const parts = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : [v];
    flat.push(...parts.map(pyStr));
  }
  const unique = flat.map((a) => a.replace(/[^0-9a-zA-Z_]+/g, '_')).join('__');
  const identifier = `${testType}_${targetName}`;
  const fullName = `${identifier}_${unique}`;
  const shortName = fullName.length >= MAX_NAME ? `${identifier.slice(0, 30)}_${md5(fullName)}` : fullName;
  return { shortName, fullName };
}

/** dbt's hashable form of test metadata: dict keys sorted, every leaf as `str()`. */
function hashable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(hashable);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, hashable(o[k])]),
    );
  }
  return pyStr(v);
}

/** `test.<project>.<name>.<last 10 hex of md5(name + repr(metadata))>`, as dbt computes it. */
export function genericTestUniqueId(
  project: string,
  fullName: string,
  metadata: { name: string; namespace?: string; kwargs: Record<string, unknown> },
): string {
  const md = { namespace: metadata.namespace ?? null, name: metadata.name, kwargs: metadata.kwargs };
  const hash = md5(`${fullName}${pyRepr(hashable(md))}`).slice(-10);
  return `test.${project}.${fullName}.${hash}`;
}
