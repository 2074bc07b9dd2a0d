import { describe, expect, it } from 'vitest';
import { compile } from '../../../src/index.js';
import { isVolatile } from '../../../src/parse/parse-cache.js';
import { macroChunks } from '../../../src/templating/macro-chunks.js';
import { writeProject } from '../../helpers/project.js';

// A render is cached (and a compile replayed) only when it cannot answer differently for the same
// inputs: the names that could make it so count only in the template's code, not in its comments
// or the SQL it prints; the engine's own macros are judged one by one, by those a render called.
describe('volatile renders', () => {
  it('looks for volatile names in the Jinja code only', () => {
    expect(isVolatile('{# now and log are words in a comment #} select 1 -- print today, flags')).toBe(false);
    expect(isVolatile("select '{{ run_started_at }}'")).toBe(true);
    expect(isVolatile('{% do log("x") %}select 1')).toBe(true);
    expect(isVolatile("{{ env_var('X', 'now') }}")).toBe(true);
    expect(isVolatile("{{ adapter.get_relation('a', 'b', 'c') }}")).toBe(true);
    expect(isVolatile("{{ adapter.quote('a') }}")).toBe(false);
    // A string in the code counts: a name may be looked up by it.
    expect(isVolatile("{{ context['now'] }}")).toBe(true);
    // Raising an error depends on the inputs only; warning prints.
    expect(isVolatile("{{ exceptions.raise_compiler_error('bad') }}")).toBe(false);
    expect(isVolatile("{{ exceptions.warn('w') }}")).toBe(true);
    expect(isVolatile('{% set e = exceptions %}{{ e.raise_compiler_error("x") }}')).toBe(true);
    // A comment opener inside a string is no comment, and raw blocks are not split by the lexer.
    expect(isVolatile("{{ '{#' }}{{ now() }}{{ '#}' }}")).toBe(true);
    expect(isVolatile('{% raw %}{# {% endraw %}{{ log("x") }}{% raw %} #}{% endraw %}')).toBe(true);
  });

  it('splits a macro file into its macros, or not at all when they nest', () => {
    const chunks = macroChunks('{% macro a() %}1{% endmacro %}\n{%- macro b(x) -%}{{ log(x) }}{%- endmacro %}\n{% test t(model) %}x{% endtest %}');
    expect([...(chunks?.keys() ?? [])]).toEqual(['a', 'b', 'test_t']);
    expect(chunks?.get('a')).not.toContain('log');
    expect(chunks?.get('b')).toContain('log');
    expect(macroChunks('{% macro a() %}{% macro b() %}{% endmacro %}{{ log(1) }}{% endmacro %}')).toBeUndefined();
  });

  it('caches a render that calls harmless engine macros, not one that calls a volatile one', async () => {
    const dir = writeProject({
      'project.yml': 'name: v\n',
      'models/a.sql': "select {{ safe_cast('1', 'integer') }} as a",
    });
    expect((await compile({ projectDir: dir })).session.cache?.volatile).toBe(false);
    writeProject({ 'models/b.sql': 'select {{ should_store_failures() }} as b' }, dir);
    expect((await compile({ projectDir: dir })).session.cache?.volatile).toBe(true);
  });
});
