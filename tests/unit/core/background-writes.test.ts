import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compile } from '../../../src/index.js';
import { writeProject } from '../../helpers/project.js';

// A compile of many nodes writes target/compiled/ on a worker thread (src/core/background-writes.ts);
// MODEL_TEST_BACKGROUND_WRITES_MIN=0 takes that path for any project. It must write what the
// synchronous path writes, vouch for the files only once they are there, and fail as it would.
function files(models: number): Record<string, string> {
  const out: Record<string, string> = {
    'project.yml': 'name: p\nvars:\n  n: 2\nmodels:\n  p:\n    +materialized: view\n',
    'macros/m.sql': '{% macro twice(x) %}({{ x }} * {{ var("n") }}){% endmacro %}',
    'seeds/s.csv': 'id\n1\n',
  };
  for (let i = 0; i < models; i++) {
    const from = i === 0 ? "{{ ref('s') }}" : `{{ ref('m${i - 1}') }}`;
    out[`models/f${i % 3}/m${i}.sql`] = `select {{ twice('id') }} as id from ${from}{% if var('n') > 1 %} where id > ${i}{% endif %}`;
  }
  return out;
}

function compiledTree(dir: string): Record<string, string> {
  const root = path.join(dir, 'target', 'compiled');
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name);
      if (e.isDirectory()) walk(abs);
      else out[path.relative(root, abs)] = readFileSync(abs, 'utf8');
    }
  };
  walk(root);
  return out;
}

describe('background writes of compiled files', () => {
  beforeEach(() => {
    process.env.MODEL_TEST_BACKGROUND_WRITES_MIN = '0';
  });
  afterEach(() => {
    delete process.env.MODEL_TEST_BACKGROUND_WRITES_MIN;
  });

  it('write what the synchronous path writes, and the cache vouches for them on the next run', async () => {
    const background = writeProject(files(40));
    const sync = writeProject(files(40));
    for (const partialParse of [true, false]) {
      process.env.MODEL_TEST_BACKGROUND_WRITES_MIN = '0';
      const a = await compile({ projectDir: background, partialParse });
      process.env.MODEL_TEST_BACKGROUND_WRITES_MIN = '1000000';
      const b = await compile({ projectDir: sync, partialParse });
      expect(a.files.map((f) => [f.path, f.sql])).toEqual(b.files.map((f) => [f.path, f.sql]));
      expect(compiledTree(background)).toEqual(compiledTree(sync));
      expect(Object.keys(compiledTree(background))).toHaveLength(40);
    }
    // Through the cache: every node a hit, and each file's stamp (taken by the writer) still matches, so none is rewritten.
    process.env.MODEL_TEST_BACKGROUND_WRITES_MIN = '0';
    await compile({ projectDir: background });
    const file = path.join(background, 'target', 'compiled', 'p', 'models', 'f0', 'm3.sql');
    const before = statSync(file, { bigint: true });
    const again = await compile({ projectDir: background });
    expect(again.session.cache?.hits.compiled).toBe(40);
    expect(statSync(file, { bigint: true }).ctimeNs).toBe(before.ctimeNs);
  });

  it('fail with the write error, after the renders, without leaving the process waiting', async () => {
    const dir = writeProject(files(5));
    // A folder where a compiled file goes: the write fails on the writer's thread.
    mkdirSync(path.join(dir, 'target', 'compiled', 'p', 'models', 'f1', 'm4.sql'), { recursive: true });
    await expect(compile({ projectDir: dir, partialParse: false })).rejects.toThrow(/EISDIR|m4\.sql/);
  });

  it('stop the writer when a render fails', async () => {
    // Fails in the compile render only (the parse render runs with execute false), after other files were handed to the writer.
    const dir = writeProject({ ...files(5), 'models/f2/zz.sql': "{% if execute %}{{ exceptions.raise_compiler_error('boom') }}{% endif %}select 1 as id" });
    await expect(compile({ projectDir: dir, partialParse: false })).rejects.toThrow(/boom/);
  });
});
