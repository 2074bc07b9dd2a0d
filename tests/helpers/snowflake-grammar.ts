// An independent Snowflake grammar for the statements the engine sends: sqlparser-rs's Snowflake
// dialect (the WASM build on npm, @guanmingchiu/sqlparser-ts, pinned in package.json). It shares
// no code with the engine or the emulator, so a statement it refuses is one a real account could
// refuse too, unless it is a known gap of the grammar listed below.

import { init, parse } from '@guanmingchiu/sqlparser-ts';

let ready: Promise<void> | undefined;

/**
 * Statements Snowflake takes that sqlparser-rs 0.62's Snowflake dialect does not parse, each
 * with the Snowflake page that documents the form. Reviewed: keep every entry narrow.
 */
export const GRAMMAR_GAPS: ReadonlyArray<{ pattern: RegExp; reason: string }> = [
  {
    // PUT file://<path> @<stage>[/<path>] [AUTO_COMPRESS|SOURCE_COMPRESSION|PARALLEL|OVERWRITE = …]
    // https://docs.snowflake.com/en/sql-reference/sql/put. Checked here by its documented shape instead.
    pattern: /^put\s+('file:\/\/[^']+'|file:\/\/\S+)\s+'?@[^\s']+'?(\s+(auto_compress|source_compression|parallel|overwrite)\s*=\s*\w+)*$/i,
    reason: 'sqlparser-rs 0.62 has no PUT statement',
  },
];

export interface GrammarFailure {
  sql: string;
  error: string;
}

/** The statements the grammar refuses (known gaps excepted). */
export async function snowflakeGrammarFailures(statements: readonly string[]): Promise<GrammarFailure[]> {
  ready ??= init();
  await ready;
  const failures: GrammarFailure[] = [];
  for (const sql of statements) {
    const text = sql.trim();
    if (text === '' || GRAMMAR_GAPS.some((gap) => gap.pattern.test(text))) continue;
    try {
      parse(text, 'snowflake');
    } catch (error) {
      failures.push({ sql: text, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return failures;
}
