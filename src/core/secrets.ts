/**
 * Values known to be secret (passwords, private keys, tokens, env vars named like
 * dbt's `*_SECRET_*`). Every line the engine prints or writes goes through `redact`.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary words; they are not worth protecting this way.
  if (typeof value !== 'string' || value.length < 4) return;
  // The forms a value takes once escaped: inside a SQL string literal (quotes doubled, and
  // backslashes too on Snowflake), and each of those inside a JSON string (artifacts, logs, the
  // docs site's data, where `"`, `\` and newlines are escaped).
  const quoted = value.replace(/'/g, "''");
  for (const form of [value, quoted, quoted.replace(/\\/g, '\\\\')]) {
    secrets.add(form);
    secrets.add(JSON.stringify(form).slice(1, -1));
  }
  // A multi-line key is often printed one line at a time (PEM armour lines are not secret).
  for (const line of value.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith('-----')) secrets.add(line);
}

export function isSecretName(name: string): boolean {
  return /(^|_)SECRET(_|$)/i.test(name) || /PASSWORD|PASSPHRASE|PASSCODE|PRIVATE_KEY|TOKEN/i.test(name);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('*****');
  }
  return out;
}

/** Whether any secret is registered (redact and redactDeep change nothing when none is). */
export function hasSecrets(): boolean {
  return secrets.size > 0;
}

/** Deep copy of a JSON-like value with every secret redacted from its strings (and keys). */
export function redactDeep<T>(value: T): T {
  if (secrets.size === 0) return value;
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return walk((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[redact(k)] = walk(v);
    return out;
  }
  return value;
}
