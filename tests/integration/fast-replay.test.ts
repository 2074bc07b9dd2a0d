import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { fastReplay } from '../../src/cli/fast-replay.js';
import { runCli } from '../../src/cli/main.js';
import { ENGINE_VERSION } from '../../src/core/engine-version.js';
import { engineId } from '../../src/parse/parse-cache.js';
import { compileOrReplay } from '../../src/tasks/compile-replay.js';
import { MODEL_BIN, REPO_ROOT, writeProject } from '../helpers/project.js';

// `model compile` of an unchanged project is answered by the launcher's small bundle
// (src/cli/fast-replay.ts) without loading the engine. It must do exactly what the engine's own
// replay (src/tasks/compile-replay.ts) does, and nothing at all whenever that replay would not run.
const FILES: Record<string, string> = {
  'project.yml': 'name: r\nvars:\n  n: 2\nmodels:\n  r:\n    +materialized: view\n',
  'macros/m.sql': '{% macro twice(x) %}({{ x }} * {{ var("n") }}){% endmacro %}',
  'seeds/s.csv': 'id,v\n1,a\n',
  // A comment that names volatile functions does not make the render volatile.
  'models/a.sql': "{# now, log and flags are only words here #}\nselect {{ twice('id') }} as id from {{ ref('s') }} -- print today",
  'models/sub/b.sql': "select id, {{ safe_cast('id', 'varchar') }} as t from {{ ref('a') }}",
  // `metrics:` is ignored with a warning, and no profiles.yml is a note: the replay must repeat both.
  'models/schema.yml': 'version: 2\nmetrics: []\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Stamps from the last two seconds are not trusted (compile-replay.ts RACY_MS): let the files age. */
const AGE_MS = 2100;

/** The file engineId() names when the engine runs from the sources, as here. */
function sourceEngineFile(): string {
  const id = engineId();
  return id.slice(ENGINE_VERSION.length + 1, id.lastIndexOf(':', id.lastIndexOf(':') - 1));
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, text: () => ({ out: out.join(''), err: err.join('') }) };
}

const timeless = (s: string) => s.replace(/ in \d+\.\d\ds\.\n/g, ' in X s.\n');
const unstamped = (s: string) => s.replace(/"generated_at":"[^"]*","invocation_id":"[^"]*"/, '"generated_at":"T","invocation_id":"I"');

/** What a compile leaves: target/compiled, manifest.json and the replay record, less what differs per run. */
function artifacts(dir: string) {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else files[path.relative(dir, path.join(d, e.name))] = readFileSync(path.join(d, e.name), 'utf8');
    }
  };
  walk(path.join(dir, 'target', 'compiled'));
  const record = deserialize(readFileSync(path.join(dir, 'target', 'partial_parse.replay')));
  const stamps = Array.from(record.stamps as Float64Array);
  return {
    files,
    manifest: unstamped(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')),
    // The manifest's own stamp (its last three numbers: mtime, ctime, inode) moves with each restamp.
    record: { ...record, manifestHead: unstamped(record.manifestHead), stamps: stamps.slice(0, -3) },
  };
}

async function engineReplay(dir: string) {
  const io = capture();
  const code = await runCli(['node', 'model', 'compile', '--project-dir', dir], io as unknown as { out: NodeJS.WritableStream; err: NodeJS.WritableStream });
  return { code, ...io.text() };
}

function fast(dir: string, args = ['compile', '--project-dir', dir], engineFile = sourceEngineFile()) {
  const io = capture();
  const done = fastReplay(args, { engineFile, ...io });
  return { done, ...io.text() };
}

describe('the fast compile replay', () => {
  it('gives exactly what the engine replay gives: output, compiled files, manifest and record', async () => {
    const dir = writeProject(FILES);
    await sleep(AGE_MS);
    expect((await compileOrReplay({ projectDir: dir })).replayed).toBe(false);
    const engine = await engineReplay(dir);
    expect(engine.code).toBe(0);
    expect(engine.err).toMatch(/^No profiles\.yml found: .*\nwarning: properties not supported, so ignored: metrics/);
    expect(engine.out).toMatch(/^compiled a -> target\/compiled\/r\/models\/a\.sql\n(compiled .*\n)+Compiled \d+ nodes of 'r' in/);
    const afterEngine = artifacts(dir);
    const manifestBefore = readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8');
    const f = fast(dir);
    expect(f.done).toBe(true);
    expect(timeless(f.out)).toBe(timeless(engine.out));
    expect(f.err).toBe(engine.err);
    expect(artifacts(dir)).toEqual(afterEngine);
    // The metadata is this run's: a new invocation id, the rest of the file unchanged.
    const manifestAfter = readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8');
    expect(manifestAfter).not.toBe(manifestBefore);
    expect(manifestAfter.length).toBe(manifestBefore.length);
    // The record the fast path leaves is one the engine replays from, and the other way round.
    expect((await compileOrReplay({ projectDir: dir })).replayed).toBe(true);
    expect(fast(dir).done).toBe(true);
    expect(fast(dir, ['compile'], sourceEngineFile()).done).toBe(false);
  }, 60_000);

  const EDITS: Record<string, (dir: string) => void> = {
    model: (dir) => appendFileSync(path.join(dir, 'models/a.sql'), '\n-- edited'),
    macro: (dir) => appendFileSync(path.join(dir, 'macros/m.sql'), '\n'),
    yaml: (dir) => appendFileSync(path.join(dir, 'models/schema.yml'), '\n'),
    projectVar: (dir) => writeFileSync(path.join(dir, 'project.yml'), FILES['project.yml']!.replace('n: 2', 'n: 3')),
    seed: (dir) => appendFileSync(path.join(dir, 'seeds/s.csv'), '2,b\n'),
    newModel: (dir) => writeProject({ 'models/deep/c.sql': 'select 1 as c' }, dir),
    removedModel: (dir) => rmSync(path.join(dir, 'models/sub/b.sql')),
    profiles: (dir) => writeFileSync(path.join(dir, 'profiles.yml'), 'r:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: x.duckdb\n'),
    dbtProjectFile: (dir) => writeFileSync(path.join(dir, 'dbt_project.yml'), 'name: other\n'),
    compiledFile: (dir) => writeFileSync(path.join(dir, 'target/compiled/r/models/a.sql'), 'tampered'),
    manifest: (dir) => appendFileSync(path.join(dir, 'target/manifest.json'), ' '),
    recordCorrupt: (dir) => writeFileSync(path.join(dir, 'target/partial_parse.replay'), 'not a record'),
    recordUnknownField: (dir) => {
      const file = path.join(dir, 'target/partial_parse.replay');
      writeFileSync(file, serialize({ ...deserialize(readFileSync(file)), patches: [] }));
    },
    recordOtherFormat: (dir) => {
      const file = path.join(dir, 'target/partial_parse.replay');
      writeFileSync(file, serialize({ ...deserialize(readFileSync(file)), format: 2 }));
    },
  };

  it('does nothing, and leaves everything to the engine, after any change', async () => {
    const dirs = Object.fromEntries(Object.keys(EDITS).map((name) => [name, writeProject(FILES)]));
    const steady = writeProject(FILES);
    await sleep(AGE_MS);
    for (const dir of [...Object.values(dirs), steady]) await compileOrReplay({ projectDir: dir });
    for (const [name, apply] of Object.entries(EDITS)) {
      const dir = dirs[name]!;
      apply(dir);
      const manifest = readFileSync(path.join(dir, 'target/manifest.json'), 'utf8');
      const f = fast(dir);
      expect(f.done, name).toBe(false);
      expect(f.out + f.err, name).toBe('');
      expect(readFileSync(path.join(dir, 'target/manifest.json'), 'utf8'), name).toBe(manifest);
    }
    // Not a file change, but the engine's to answer: another command line, an option, a logging
    // setting, an environment variable (the record's key holds the environment), another engine build.
    const argvs = [
      ['compile', '--project-dir', steady, '--vars', '{n: 3}'],
      ['compile', '--project-dir', steady, '-s', 'a'],
      ['compile', '--project-dir', steady, '--no-partial-parse'],
      ['run', '--project-dir', steady],
      ['compile', '-q', '--project-dir', steady],
    ];
    for (const argv of argvs) expect(fast(steady, argv).done, argv.join(' ')).toBe(false);
    for (const name of ['DBT_LOG_LEVEL', 'DBT_LOG_FORMAT', 'DBT_QUIET', 'DBT_PARTIAL_PARSE', 'DBT_STATE', 'FAST_REPLAY_TEST_VAR']) {
      process.env[name] = 'x';
      try {
        expect(fast(steady).done, name).toBe(false);
      } finally {
        delete process.env[name];
      }
    }
    expect(fast(steady, undefined, path.join(REPO_ROOT, 'package.json')).done).toBe(false);
    expect(fast(steady).done).toBe(true);
  }, 60_000);

  it('is what the launcher runs, without loading the engine, and equals the engine run directly', async () => {
    const dir = writeProject(FILES);
    await sleep(AGE_MS);
    // Whether the process read the engine's bundle, written to fd 3 at exit.
    const probe = path.join(dir, 'probe.cjs');
    writeFileSync(
      probe,
      [
        "const fs = require('node:fs');",
        'const read = fs.readFileSync;',
        'let engine = false;',
        "fs.readFileSync = (f, ...rest) => { if (String(f).endsWith('model.cjs')) engine = true; return read(f, ...rest); };",
        "const load = require('node:module').prototype.require;",
        "require('node:module').prototype.require = function (id) { if (String(id).endsWith('model.cjs')) engine = true; return load.call(this, id); };",
        "process.on('exit', () => fs.writeSync(3, String(engine)));",
      ].join('\n'),
    );
    const bundle = path.join(REPO_ROOT, 'dist', 'bundle', 'model.cjs');
    const engineOnly = `require(${JSON.stringify(bundle)}).runCli(['node', 'model', ...process.argv.slice(1)]).then((c) => { process.exitCode = c; });`;
    const run = (args: string[]) => {
      const r = spawnSync(process.execPath, ['-r', probe, ...args], {
        cwd: dir,
        env: process.env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      });
      return { code: r.status, out: timeless(r.stdout), err: r.stderr, engine: r.output[3] };
    };
    const first = run([MODEL_BIN, 'compile']);
    expect(first.code, first.err).toBe(0);
    expect(first.engine).toBe('true');
    const engine = run(['-e', engineOnly, 'compile']);
    expect(engine.engine).toBe('true');
    const afterEngine = artifacts(dir);
    const launcher = run([MODEL_BIN, 'compile']);
    expect(launcher.engine).toBe('false');
    expect(launcher).toEqual({ ...engine, engine: 'false' });
    expect(artifacts(dir)).toEqual(afterEngine);
    // An edit: the launcher runs the engine, which compiles it.
    appendFileSync(path.join(dir, 'models/a.sql'), '\n-- edited');
    const edited = run([MODEL_BIN, 'compile']);
    expect(edited.engine).toBe('true');
    expect(readFileSync(path.join(dir, 'target/compiled/r/models/a.sql'), 'utf8')).toContain('-- edited');
    // The engine patched that compile (tasks/compile-patch.ts): once the edit is old enough to trust,
    // the record it leaves is one the launcher replays from, without the engine.
    const afterEdit = artifacts(dir);
    await sleep(AGE_MS);
    expect(run([MODEL_BIN, 'compile']).engine).toBe('true');
    const replayed = run([MODEL_BIN, 'compile']);
    expect(replayed.engine).toBe('false');
    expect(replayed.out).toBe(edited.out);
    expect(artifacts(dir).files).toEqual(afterEdit.files);
    expect(artifacts(dir).manifest).toBe(afterEdit.manifest);
  }, 60_000);
});
