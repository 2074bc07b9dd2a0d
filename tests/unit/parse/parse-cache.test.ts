import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { compile } from '../../../src/index.js';
import { CACHE_FILE } from '../../../src/parse/parse-cache.js';
import { compileOrReplay } from '../../../src/tasks/compile-replay.js';
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
  // An installed package: its macro, model and vars are inputs too.
  'dbt_packages/pk/dbt_project.yml': 'name: pk\nvars:\n  pv: 1\n',
  'dbt_packages/pk/macros/pm.sql': '{% macro pkm(x) %}({{ x }} + {{ var("pv") }}){% endmacro %}',
  'dbt_packages/pk/models/pkmodel.sql': "select {{ pkm('1') }} as v",
  'models/e.sql': "select v from {{ ref('pkmodel') }}",
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
  packageMacro: edit('dbt_packages/pk/macros/pm.sql', (t) => t.replace('+', '-')),
  packageModel: edit('dbt_packages/pk/models/pkmodel.sql', (t) => `${t} -- edited`),
  packageVar: edit('dbt_packages/pk/dbt_project.yml', (t) => t.replace(/pv: \d+/, (m) => `pv: ${Number(m.slice(4)) + 1}`)),
  packageLock: (dir) => writeFileSync(path.join(dir, 'package-lock.yml'), `packages: []\nsha1_hash: ${Math.random()}\n`),
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
    // d reads an env var: never cached; d inlines the ephemeral c, which is cached on its own; the package's model and e are.
    expect(session.cache?.hits.models).toBe(5);
    expect(session.cache?.hits.compiled).toBe(5);
    writeFileSync(path.join(dir, 'target', CACHE_FILE), 'garbage');
    const notes: string[] = [];
    const reporter = { info: (m: string) => notes.push(m), warn: () => {}, print: () => {} } as never;
    const again = await compile({ projectDir: dir, reporter });
    expect(again.session.cache?.hits.models).toBe(0);
    expect(notes.join('\n')).toMatch(/partial parse: .*partial_parse\.v8 is unreadable/);
  });
});

// `model compile` replays the previous compile when nothing it read changed: after each edit the
// replay must not be used, and once the edit is old enough to trust, the replay must give exactly
// what a cold compile gives (compiled files and manifest.json, less its metadata).
// Stamps from the racy window before a compile are not trusted (RACY_MS in src/tasks/compile-replay.ts,
// 2 s). These tests shorten it to SHORT_RACY_MS through MODEL_TEST_REPLAY_RACY_MS, so that letting the
// files age takes AGED_MS instead of 2.1 s; 'is taken for an edit that keeps config…' keeps the real one.
const SHORT_RACY_MS = 100;
const AGED_MS = SHORT_RACY_MS + 50;
function withShortRacyWindow(): void {
  beforeEach(() => {
    process.env.MODEL_TEST_REPLAY_RACY_MS = String(SHORT_RACY_MS);
  });
  afterEach(() => {
    delete process.env.MODEL_TEST_REPLAY_RACY_MS;
  });
}
describe('the compile replay', () => {
  withShortRacyWindow();
  const REPLAY_FILES: Record<string, string> = {
    'project.yml': 'name: r\nvars:\n  n: 2\nmodels:\n  r:\n    +materialized: view\n',
    'macros/m.sql': '{% macro twice(x) %}({{ x }} * {{ var("n") }}){% endmacro %}',
    'seeds/s.csv': 'id,v\n1,a\n',
    'models/a.sql': "select {{ twice('id') }} as id from {{ ref('s') }}",
    'models/sub/b.sql': "select id from {{ ref('a') }}",
    'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    description: first\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
    'dbt_packages/pk/dbt_project.yml': 'name: pk\n',
    'dbt_packages/pk/models/pkm.sql': 'select 1 as p',
  };
  const at = (dir: string, f: string) => path.join(dir, f);
  const REPLAY_EDITS: Record<string, (dir: string) => void> = {
    model: edit('models/a.sql', (t) => `${t}\n-- edited`),
    macro: edit('macros/m.sql', (t) => t.replace('* {{ var("n") }}', '+ {{ var("n") }}')),
    yaml: edit('models/schema.yml', (t) => t.replace('description: first', 'description: second')),
    var: edit('project.yml', (t) => t.replace('n: 2', 'n: 5')),
    seed: edit('seeds/s.csv', (t) => `${t}2,b\n`),
    newModelInNewFolder: (dir) => writeProject({ 'models/deep/er/c.sql': "select * from {{ ref('a') }}" }, dir),
    removedModel: (dir) => rmSync(at(dir, 'models/sub/b.sql')),
    packageModel: edit('dbt_packages/pk/models/pkm.sql', (t) => `${t} -- edited`),
    packageInstalled: (dir) => writeProject({ 'dbt_packages/pk2/dbt_project.yml': 'name: pk2\n', 'dbt_packages/pk2/models/pk2m.sql': 'select 2 as q' }, dir),
    envVar: () => {
      process.env.PC_REPLAY_ENV = `v${Math.random()}`;
    },
    compiledFileEdited: (dir) => writeFileSync(at(dir, 'target/compiled/r/models/a.sql'), 'tampered'),
    manifestEdited: (dir) => writeFileSync(at(dir, 'target/manifest.json'), '{}'),
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  function snapshot(dir: string) {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else out[path.relative(dir, path.join(d, e.name))] = readFileSync(path.join(d, e.name), 'utf8');
      }
    };
    walk(at(dir, 'target/compiled'));
    const { metadata: _, ...manifest } = JSON.parse(readFileSync(at(dir, 'target/manifest.json'), 'utf8'));
    return { out, manifest };
  }

  it('is used only when nothing changed, and then gives what a cold compile gives', async () => {
    const dir = writeProject(REPLAY_FILES);
    // Stamps from the racy window are not trusted: let the files age.
    await sleep(AGED_MS);
    const first = await compileOrReplay({ projectDir: dir });
    expect(first.replayed).toBe(false);
    const second = await compileOrReplay({ projectDir: dir });
    expect(second.replayed).toBe(true);
    expect(second.files).toEqual(first.files);
    for (const [name, apply] of Object.entries(REPLAY_EDITS)) {
      apply(dir);
      const edited = await compileOrReplay({ projectDir: dir });
      expect(edited.replayed, `replayed after the ${name} edit`).toBe(false);
      const afterEdit = snapshot(dir);
      await sleep(AGED_MS);
      await compileOrReplay({ projectDir: dir });
      const replayed = await compileOrReplay({ projectDir: dir });
      expect(replayed.replayed, `replayed once the ${name} edit is old`).toBe(true);
      expect(replayed.files).toEqual(edited.files);
      const fromReplay = snapshot(dir);
      await compile({ projectDir: dir, partialParse: false });
      const cold = snapshot(dir);
      expect(fromReplay, name).toEqual(cold);
      expect(afterEdit, name).toEqual(cold);
    }
    delete process.env.PC_REPLAY_ENV;
  }, 120_000);
});

// After one model file is edited, `model compile` patches the previous compile (tasks/compile-patch.ts):
// the model alone is rendered again and, when its config, refs, sources and relation are unchanged,
// only its compiled file and manifest.json entry are rewritten. The result must be exactly what a cold
// compile of the same files gives (compiled files and manifest.json, less its metadata), whether
// the patch was taken or the edit sent the compile down the full path.
describe('the one-model patch', () => {
  const PATCH_FILES: Record<string, string> = {
    'project.yml': 'name: q\nvars:\n  n: 2\nmodels:\n  q:\n    +materialized: view\n',
    'macros/m.sql': '{% macro twice(x) %}({{ x }} * {{ var("n") }}){% endmacro %}\n{% macro plus(x) %}({{ x }} + 1){% endmacro %}',
    'seeds/s.csv': 'id,v\n1,a\n',
    'models/a.sql': "select {{ twice('id') }} as id from {{ ref('s') }}",
    'models/sub/b.sql': "select id from {{ ref('a') }}",
    'models/c.sql': "{{ config(materialized='table') }}\nselect id from {{ ref('b') }}",
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: a\n    description: first\n    columns:\n      - name: id\n        data_tests: [not_null]\n  - name: b\n    description: second\n',
  };
  const append = (file: string, text: string) => edit(file, (t) => `${t}${text}`);
  /** Each edit, and whether the patch may answer it (the model's config, refs, sources and relation unchanged). */
  const PATCH_EDITS: Record<string, [Edit, boolean]> = {
    comment: [append('models/a.sql', '\n-- edited'), true],
    newColumn: [edit('models/sub/b.sql', (t) => t.replace('select id', 'select id, 2 as two')), true],
    newMacroCall: [edit('models/c.sql', (t) => t.replace('select id', "select {{ plus('id') }} as id")), true],
    sameConfig: [edit('models/sub/b.sql', (t) => `{{ config(materialized='view') }}\n${t}`), true],
    sameRefs: [edit('models/sub/b.sql', (t) => t.replace("{{ ref('a') }}", '{{ ref("a") }} as x')), true],
    refTwice: [edit('models/sub/b.sql', (t) => `${t} -- {{ ref('a') }}`), false],
    refChanged: [edit('models/sub/b.sql', (t) => t.replace(/ref\('a'\)/g, "ref('s')")), false],
    refAdded: [append('models/a.sql', "\nunion all select 1 from {{ ref('s') }}"), false],
    configChanged: [edit('models/c.sql', (t) => t.replace("materialized='table'", "materialized='view', tags=['t']")), false],
    aliasChanged: [edit('models/a.sql', (t) => `{{ config(alias='a_' ~ var('n')) }}\n${t}`), false],
    volatile: [append('models/a.sql', "\n-- {{ env_var('PC_PATCH_ENV', 'x') }}"), false],
    yaml: [edit('models/schema.yml', (t) => t.replace('description: first', 'description: changed')), false],
  };
  function snapshot(dir: string) {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else out[path.relative(dir, path.join(d, e.name))] = readFileSync(path.join(d, e.name), 'utf8');
      }
    };
    walk(path.join(dir, 'target/compiled'));
    const { metadata: _, ...manifest } = JSON.parse(readFileSync(path.join(dir, 'target/manifest.json'), 'utf8'));
    return { out, manifest };
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('is taken for an edit that keeps config, refs and relation, and gives what a cold compile gives', async () => {
    const cases = Object.entries(PATCH_EDITS).map(([name, [apply, patchable]]) => ({
      name,
      apply,
      patchable,
      dir: writeProject(PATCH_FILES),
      cold: writeProject(PATCH_FILES),
    }));
    // With the real racy window (2 s): stamps from the last two seconds are not trusted, so let the files age.
    await sleep(2100);
    const edited = new Map<string, { name: string; path: string }[]>();
    for (const { name, apply, patchable, dir, cold } of cases) {
      expect((await compileOrReplay({ projectDir: dir })).replayed).toBe(false);
      apply(dir);
      apply(cold);
      const r = await compileOrReplay({ projectDir: dir });
      expect(r.patched, name).toBe(patchable);
      edited.set(name, r.files);
      await compile({ projectDir: cold, partialParse: false });
      expect(snapshot(dir), name).toEqual(snapshot(cold));
      // The patched record serves the next compiles: patched again while the edit is recent, then replayed.
      if (patchable) expect((await compileOrReplay({ projectDir: dir })).patched, name).toBe(true);
    }
    await sleep(2100);
    for (const { name, patchable, dir, cold } of cases.filter((c) => c.patchable)) {
      expect((await compileOrReplay({ projectDir: dir })).patched, name).toBe(patchable);
      const again = await compileOrReplay({ projectDir: dir });
      expect(again.replayed, name).toBe(true);
      expect(again.files).toEqual(edited.get(name));
      expect(snapshot(dir), name).toEqual(snapshot(cold));
    }
  }, 180_000);

  it('gives what a cold compile gives after any sequence of model edits', async () => {
    let patched = 0;
    process.env.MODEL_TEST_REPLAY_RACY_MS = String(SHORT_RACY_MS);
    onTestFinished(() => {
      delete process.env.MODEL_TEST_REPLAY_RACY_MS;
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...Object.keys(PATCH_EDITS)), { minLength: 1, maxLength: 5 }), async (edits) => {
        const dir = writeProject(PATCH_FILES);
        const cold = writeProject(PATCH_FILES);
        await sleep(AGED_MS);
        await compileOrReplay({ projectDir: dir });
        for (const e of edits) {
          PATCH_EDITS[e]![0](dir);
          PATCH_EDITS[e]![0](cold);
          if ((await compileOrReplay({ projectDir: dir })).patched) patched++;
          await compile({ projectDir: cold, partialParse: false });
          expect(snapshot(dir), edits.join(', ')).toEqual(snapshot(cold));
        }
      }),
      { numRuns: 8 },
    );
    expect(patched).toBeGreaterThan(0);
  }, 180_000);
});
