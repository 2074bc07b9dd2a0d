import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../src/index.js';
import { CACHE_FILE } from '../../../src/parse/parse-cache.js';
import { writeProject } from '../../helpers/project.js';

// The parse cache may never hand back stale SQL: after each random edit (model, macro, properties
// YAML, var, env var, project config) a compile through the cache must equal a cold compile
// (--no-partial-parse) of the same files, SQL and manifest nodes alike.
const FILES: Record<string, string> = {
  'project.yml': 'name: p\nvars:\n  n: 2\nmodels:\n  p:\n    +materialized: view\n',
  'macros/m.sql': '{% macro twice(x) %}({{ x }} * {{ var("n") }}){% endmacro %}\n{% macro other(x) %}{{ x }}{% endmacro %}',
  'macros/n.sql': '{% macro inner(x) %}{{ twice(x) }}{% endmacro %}',
  'seeds/s.csv': 'id,v\n1,a\n',
  'models/a.sql': "select {{ twice('id') }} as id from {{ ref('s') }}",
  'models/b.sql': "select {{ inner('id') }} as id from {{ ref('a') }}",
  'models/c.sql': "{{ config(materialized='ephemeral') }} select {{ other('id') }} as id from {{ ref('b') }}",
  'models/d.sql': "select id, '{{ env_var('PC_TEST_ENV', 'none') }}' as e from {{ ref('c') }}",
  'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    description: first\n',
};

type Edit = (dir: string) => void;
const edit =
  (file: string, fn: (text: string) => string): Edit =>
  (dir) =>
    writeFileSync(path.join(dir, file), fn(readFileSync(path.join(dir, file), 'utf8')));
const EDITS: Record<string, Edit> = {
  model: edit('models/a.sql', (t) => `${t}\n-- edited`),
  modelRef: edit('models/b.sql', (t) => t.replace("ref('a')", "ref('s')")),
  macro: edit('macros/m.sql', (t) => t.replace('* {{ var("n") }}', '* 3 * {{ var("n") }}')),
  innerMacro: edit('macros/n.sql', (t) => t.replace('twice(x)', 'other(x)')),
  yaml: edit('models/schema.yml', (t) => t.replace('description: first', 'description: second\n    config:\n      alias: a_alias')),
  var: edit('project.yml', (t) => t.replace(/n: \d+/, (m) => `n: ${Number(m.slice(3)) + 1}`)),
  projectConfig: edit('project.yml', (t) => t.replace('+materialized: view', '+materialized: table')),
  envVar: () => {
    process.env.PC_TEST_ENV = `v${Math.random()}`;
  },
  corrupt: (dir) => writeFileSync(path.join(dir, 'target', CACHE_FILE), 'not a cache'),
};

async function compiled(dir: string, partialParse: boolean) {
  const { files, session } = await compile({ projectDir: dir, partialParse });
  return { sql: files.map((f) => [f.path, f.sql]), nodes: [...session.manifest.nodes.values()] };
}

describe('the parse cache', () => {
  it('gives what a cold compile gives after any sequence of edits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...Object.keys(EDITS)), { minLength: 1, maxLength: 6 }), async (edits) => {
        const dir = writeProject(FILES);
        delete process.env.PC_TEST_ENV;
        await compiled(dir, true);
        for (const e of edits) {
          EDITS[e]!(dir);
          const warm = await compiled(dir, true);
          const cold = await compiled(dir, false);
          expect(warm).toEqual(cold);
        }
      }),
      { numRuns: 15 },
    );
    delete process.env.PC_TEST_ENV;
  }, 120_000);

  it('answers an unchanged project from the cache, and ignores a corrupt one with a note', async () => {
    const dir = writeProject(FILES);
    await compile({ projectDir: dir });
    const { session } = await compile({ projectDir: dir });
    // d reads an env var: never cached; d inlines the ephemeral c, which is cached on its own.
    expect(session.cache?.hits.models).toBe(3);
    expect(session.cache?.hits.compiled).toBe(3);
    writeFileSync(path.join(dir, 'target', CACHE_FILE), 'garbage');
    const notes: string[] = [];
    const reporter = { info: (m: string) => notes.push(m), warn: () => {}, print: () => {} } as never;
    const again = await compile({ projectDir: dir, reporter });
    expect(again.session.cache?.hits.models).toBe(0);
    expect(notes.join('\n')).toMatch(/partial parse: .*partial_parse\.v8 is unreadable/);
  });
});
