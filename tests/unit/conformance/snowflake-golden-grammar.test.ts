// Every statement of the Snowflake golden files (the SQL the engine emits for Snowflake, see
// tests/unit/plan/golden-sql.test.ts) parses with an independent Snowflake grammar.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { snowflakeGrammarFailures } from '../../helpers/snowflake-grammar.js';

const GOLDEN = path.join(import.meta.dirname, '..', '..', 'golden', 'snowflake');

/** Statements of a golden file: they end with ';' at the end of a line. */
const statements = (text: string): string[] =>
  text
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter(Boolean);

describe('Snowflake golden SQL against sqlparser-rs (Snowflake dialect)', () => {
  for (const file of readdirSync(GOLDEN).filter((f) => f.endsWith('.sql'))) {
    it(`parses every statement of ${file}`, async () => {
      const failures = await snowflakeGrammarFailures(statements(readFileSync(path.join(GOLDEN, file), 'utf8')));
      expect(failures).toEqual([]);
    });
  }
});

describe('the grammar check itself', () => {
  it('refuses SQL Snowflake refuses, so a pass means something', async () => {
    const failures = await snowflakeGrammarFailures(['from t select a', 'select 1 +', 'select a from t']);
    expect(failures.map((f) => f.sql)).toEqual(['from t select a', 'select 1 +']);
  });

  it('lets through the reviewed grammar gaps in their documented shape only', async () => {
    const put = "put 'file:///tmp/part 1.parquet' @db.s.stage/load auto_compress = false overwrite = true parallel = 4";
    const failures = await snowflakeGrammarFailures([put, 'put file:///tmp/x.csv', 'put file:///tmp/x.csv @s junk']);
    expect(failures.map((f) => f.sql)).toEqual(['put file:///tmp/x.csv', 'put file:///tmp/x.csv @s junk']);
  });
});
