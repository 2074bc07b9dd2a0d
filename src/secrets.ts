/**
 * Values known to be secret (passwords, private keys, tokens, env vars named like
 * dbt's `*_SECRET_*`). Every line the engine prints or writes goes through `redact`.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary words; they are not worth protecting this way.
  if (typeof value === 'string' && value.length >= 4) secrets.add(value);
}

export function isSecretName(name: string): boolean {
  return /(^|_)SECRET(_|$)/i.test(name) || /PASSWORD|PASSPHRASE|PRIVATE_KEY|TOKEN/i.test(name);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('*****');
  }
  return out;
}

/** Deep copy of a JSON-like value with every secret redacted from its strings. */
export function redactDeep<T>(value: T): T {
  if (secrets.size === 0) return value;
  return JSON.parse(redact(JSON.stringify(value))) as T;
}
