/** dbt's artifact `metadata.env`: the `DBT_ENV_CUSTOM_ENV_<key>` variables by key. No imports: the fast replay bundle uses it too. */
export function customEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const prefix = 'DBT_ENV_CUSTOM_ENV_';
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith(prefix) && v !== undefined) out[k.slice(prefix.length)] = v;
  return out;
}
