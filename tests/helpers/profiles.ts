/**
 * profiles.yml texts for test projects: the embedded DuckDB, and the loopback Snowflake emulator
 * signed in as its `model` user. One place for the keys every test profile repeats.
 */

/** The keys of one output, written in the order given. */
export type OutputKeys = Record<string, string | number>;

/** `"{{ env_var('NAME') }}"`: a value read from the environment when the profile is loaded. */
export const envVar = (name: string): string => `"{{ env_var('${name}') }}"`;

/** A DuckDB output: the database file (relative to the project) and schema main, unless `keys` say otherwise. */
export function duckdbOutput(file: string, keys: OutputKeys = {}): OutputKeys {
  return { type: 'duckdb', path: file, schema: 'main', ...keys };
}

/** A Snowflake output on the emulator: account `emulator`, user `model`, and `keys` (database, schema, password, access_url…). */
export function emulatorOutput(keys: OutputKeys): OutputKeys {
  return { type: 'snowflake', account: 'emulator', user: 'model', ...keys };
}

/** A profiles.yml with one profile, its default target and its outputs. */
export function profilesYml(profile: string, target: string, outputs: Record<string, OutputKeys>): string {
  const lines = [`${profile}:`, `  target: ${target}`, '  outputs:'];
  for (const [name, keys] of Object.entries(outputs)) {
    lines.push(`    ${name}:`);
    for (const [key, value] of Object.entries(keys)) lines.push(`      ${key}: ${value}`);
  }
  return `${lines.join('\n')}\n`;
}
