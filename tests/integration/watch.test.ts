import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectError } from '../../src/core/errors.js';
import { compile } from '../../src/tasks/compile.js';
import { watchProject, type WatchEvent } from '../../src/tasks/watch.js';
import { MODEL_BIN, queryDuckDb, writeProject } from '../helpers/project.js';

/** target/compiled/ (each file's text by path) and manifest.json without its metadata. */
function compileOutput(dir: string): { files: Record<string, string>; manifest: unknown } {
  const files: Record<string, string> = {};
  const root = path.join(dir, 'target', 'compiled');
  for (const f of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) {
      const abs = path.join(f.parentPath, f.name);
      files[path.relative(root, abs)] = readFileSync(abs, 'utf8');
    }
  }
  const { metadata: _, ...manifest } = JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8'));
  return { files, manifest };
}

// Waits, with no timing assertion, until `test` holds; gives up after a generous time.
async function until(test: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!test()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('watch mode', () => {
  it('compiles what an edit touched, reports an error with its file and line, and goes on', async () => {
    const dir = writeProject({
      'project.yml': 'name: w\n',
      'macros/m.sql': '{% macro twice(x) %}({{ x }} * 2){% endmacro %}',
      'models/a.sql': "select {{ twice('1') }} as x",
      'models/b.sql': "select x from {{ ref('a') }}",
      'models/c.sql': 'select 1 as y',
    });
    const events: WatchEvent[] = [];
    const controller = new AbortController();
    const done = watchProject({ projectDir: dir, command: 'compile', signal: controller.signal, onEvent: (e) => events.push(e) });
    const compiledAfter = (i: number) => events.slice(i).find((e) => e.kind === 'compiled' || e.kind === 'error');
    await until(() => events.some((e) => e.kind === 'watching'), 'the first compile');
    const first = events.find((e) => e.kind === 'compiled');
    expect(first?.kind === 'compiled' && first.files.map((f) => f.node.name).sort()).toEqual(['a', 'b', 'c']);

    // A model edit: that model is compiled again, with its new SQL.
    let mark = events.length;
    writeFileSync(path.join(dir, 'models', 'c.sql'), 'select 2 as y');
    await until(() => compiledAfter(mark) !== undefined, 'the compile after editing c');
    let e = compiledAfter(mark)!;
    expect(e.kind === 'compiled' && e.files.map((f) => [f.node.name, f.sql])).toEqual([['c', 'select 2 as y']]);

    // A macro edit: its caller is compiled again, the others are not.
    mark = events.length;
    writeFileSync(path.join(dir, 'macros', 'm.sql'), '{% macro twice(x) %}({{ x }} + {{ x }}){% endmacro %}');
    await until(() => compiledAfter(mark) !== undefined, 'the compile after editing the macro');
    e = compiledAfter(mark)!;
    expect(e.kind === 'compiled' && e.files.map((f) => [f.node.name, f.sql])).toEqual([['a', 'select (1 + 1) as x']]);

    // A broken ref: an error naming the file and line, and the watch goes on.
    mark = events.length;
    writeFileSync(path.join(dir, 'models', 'b.sql'), "select x\nfrom {{ ref('nope') }}");
    await until(() => compiledAfter(mark) !== undefined, 'the error after breaking b');
    e = compiledAfter(mark)!;
    expect(e.kind).toBe('error');
    const error = e.kind === 'error' ? e.error : undefined;
    expect(error).toBeInstanceOf(ProjectError);
    expect((error as ProjectError).headline).toMatch(/^models\/b\.sql:2:\d+: error \[graph\]: ref\('nope'\)/);

    mark = events.length;
    writeFileSync(path.join(dir, 'models', 'b.sql'), "select x + 1 as x from {{ ref('a') }}");
    await until(() => compiledAfter(mark) !== undefined, 'the compile after fixing b');
    e = compiledAfter(mark)!;
    expect(e.kind === 'compiled' && e.files.map((f) => f.node.name)).toEqual(['b']);

    controller.abort();
    await done;
  }, 60_000);

  it('patches a one-model edit as a full compile would, and compiles in full an edit that changes refs or config', async () => {
    const dir = writeProject({
      'project.yml': 'name: p\nvars:\n  k: 3\n',
      'macros/m.sql': '{% macro plus(x) %}({{ x }} + {{ var("k") }}){% endmacro %}',
      'models/a.sql': "select {{ plus('1') }} as x",
      'models/b.sql': "select x from {{ ref('a') }}",
      'models/c.sql': "{{ config(materialized='table') }}\nselect 1 as y",
      'models/schema.yml': 'version: 2\nmodels:\n  - name: b\n    description: bee\n    columns:\n      - name: x\n        data_tests: [not_null]\n',
    });
    const events: WatchEvent[] = [];
    const controller = new AbortController();
    const done = watchProject({ projectDir: dir, command: 'compile', signal: controller.signal, onEvent: (e) => events.push(e) });
    await until(() => events.some((e) => e.kind === 'watching'), 'the first compile');
    const edits: [string, string, boolean][] = [
      // The text alone: patched.
      ['models/b.sql', "select x + {{ plus('2') }} as x from {{ ref('a') }}", true],
      ['models/b.sql', "select x + {{ plus('4') }} as x, 1 as w from {{ ref('a') }}", true],
      ['models/c.sql', "{{ config(materialized='table') }}\nselect 2 as y -- two", true],
      // A new ref, a new config, a new relation: compiled in full.
      ['models/c.sql', "{{ config(materialized='table') }}\nselect y from {{ ref('b') }}, (select 1 as y) t", false],
      ['models/a.sql', "{{ config(materialized='table') }}\nselect {{ plus('1') }} as x", false],
      ['models/b.sql', "{{ config(alias='bee') }}\nselect x from {{ ref('a') }}", false],
      // And the text again, after those.
      ['models/a.sql', "{{ config(materialized='table') }}\nselect {{ plus('5') }} as x, 'a' as s", true],
    ];
    try {
      for (const [file, text, patched] of edits) {
        const mark = events.length;
        writeFileSync(path.join(dir, file), text);
        await until(() => events.slice(mark).some((e) => e.kind === 'compiled' || e.kind === 'error'), `the compile after editing ${file}`);
        const e = events.slice(mark).find((x) => x.kind === 'compiled' || x.kind === 'error')!;
        expect(e.kind === 'compiled' && e.files.map((f) => f.node.file)).toContain(file);
        expect(e.kind === 'compiled' && !!e.patched).toBe(patched);
        const watched = compileOutput(dir);
        // A cold compile of the same files (no parse cache) writes the same.
        await compile({ projectDir: dir, partialParse: false });
        expect(compileOutput(dir)).toEqual(watched);
      }
    } finally {
      controller.abort();
      await done;
    }
  }, 90_000);

  it('run --watch runs a patched model and what reads it, with its new SQL', async () => {
    const dir = writeProject({
      'project.yml': 'name: r\n',
      'models/a.sql': 'select 1 as x',
      'models/b.sql': "select x * 10 as y from {{ ref('a') }}",
      'models/c.sql': 'select 7 as z',
    });
    const events: WatchEvent[] = [];
    const controller = new AbortController();
    const done = watchProject({ projectDir: dir, command: 'run', signal: controller.signal, onEvent: (e) => events.push(e) });
    try {
      await until(() => events.some((e) => e.kind === 'watching'), 'the first run');
      const mark = events.length;
      writeFileSync(path.join(dir, 'models', 'a.sql'), 'select 2 as x');
      await until(() => events.slice(mark).some((e) => e.kind === 'ran' || e.kind === 'error'), 'the run after editing a');
      const e = events.slice(mark).find((x) => x.kind === 'ran' || x.kind === 'error')!;
      expect(e.kind === 'ran' && e.touched.map((n) => n.name)).toEqual(['a']);
      expect(e.kind === 'ran' && e.patched).toBe(true);
      expect(e.kind === 'ran' && e.summary?.results.map((r) => r.node.name).sort()).toEqual(['a', 'b']);
      expect(await queryDuckDb(path.join(dir, 'target', 'r.duckdb'), 'select y from r.main.b')).toEqual([{ y: 20 }]);
    } finally {
      controller.abort();
      await done;
    }
  }, 90_000);

  it('build --watch rebuilds an edited seed and what reads it, and Ctrl-C ends it cleanly', async () => {
    const dir = writeProject({
      'project.yml': 'name: shop\n',
      'seeds/prices.csv': 'id,price\n1,10\n',
      'models/priced.sql': "select id, price * 2 as doubled from {{ ref('prices') }}",
      'models/other.sql': 'select 1 as one',
    });
    const child = spawn(process.execPath, [MODEL_BIN, 'build', '--watch'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await until(() => err.includes('Watching') && out.includes('Done.'), 'the first build');
      expect(out).toMatch(/OK .*other/);
      const mark = out.length;
      writeFileSync(path.join(dir, 'seeds', 'prices.csv'), 'id,price\n1,10\n2,21\n');
      await until(() => out.slice(mark).includes('Ran what'), 'the build after editing the seed');
      const second = out.slice(mark);
      expect(second).toMatch(/seed file main\.prices/);
      expect(second).toMatch(/view model main\.priced/);
      expect(second).not.toMatch(/model main\.other/);
      expect(await queryDuckDb(path.join(dir, 'target', 'shop.duckdb'), 'select id, doubled from shop.main.priced order by id')).toEqual([
        { id: 1, doubled: 20 },
        { id: 2, doubled: 42 },
      ]);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(err).toContain('Stopped watching.');
  }, 90_000);
});
