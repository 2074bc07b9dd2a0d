import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { fastYaml } from '../../src/project/fast-yaml.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** What js-yaml reads, or ERROR when it refuses the text. */
function reference(text: string): unknown {
  try {
    return jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA }) ?? null;
  } catch {
    return 'ERROR';
  }
}

/** fastYaml must either give the file back (undefined) or give exactly js-yaml's value. */
function agrees(text: string): boolean {
  const fast = fastYaml(text);
  if (fast === undefined) return false;
  const expected = reference(text);
  expect(expected, `js-yaml refuses what fastYaml read:\n${text}`).not.toBe('ERROR');
  expect(fast, text).toEqual(expected);
  return true;
}

const keys = fc.constantFrom('name', 'description', 'columns', 'tests', 'data_tests', 'a b', 'x-y', 'k1', 'true', '1', 'null', 'Key', 'values', 'config', 'meta', '~', 'a:b', 'é', '$x', 'to');
const strings = fc.constantFrom(
  'plain', 'two words', "it's", 'a: b', 'a:b', 'a #b', 'a#b', '#x', '- x', '-x', 'null', 'Null', '~', 'True', 'false', '0x1F', '0o17', '012', '1_000', '1e3', '.5', '-.inf', '.NaN', '+1', '',
  ' lead', 'trail ', 'x"y', "x'y", 'back\\slash', 'a,b', '[x]', '{x}', 'é ü', '? q', ': c', '&anchor', '*alias', '!tag', '|', '>', '%', '@', '`', 'http://x.io/a?b=c', 'ends:', 'a\tb', 'line\nbreak',
);
const scalars = fc.oneof(strings, fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: false }), fc.boolean(), fc.constant(null));
const values = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalars, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(keys, tie('value'), { maxKeys: 5 }),
})).value;
const ordinaryValues = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.constantFrom('plain', 'two words', "it's", 'a:b', 'x"y', 'é ü', 'http://x.io'), fc.integer(), fc.boolean(), tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(fc.constantFrom('name', 'description', 'columns', 'tests', 'values', 'config'), tie('value'), { maxKeys: 5 }),
})).value;
const dumpOptions = fc.record({
  indent: fc.constantFrom(2, 4),
  flowLevel: fc.constantFrom(-1, 1, 2, 3),
  quotingType: fc.constantFrom<"'" | '"'>("'", '"'),
  forceQuotes: fc.boolean(),
  noCompatMode: fc.boolean(),
  lineWidth: fc.constantFrom(-1, 40),
  noArrayIndent: fc.boolean(),
});

/** Edits that make text js-yaml may refuse or read differently. */
const edits = fc.array(fc.tuple(fc.nat(), fc.constantFrom(' ', '  ', '#', ' # c', ':', ': ', '-', '- ', "'", '"', '\n', '\n  ', '[', ']', ',', 'x', '\t', '&a ', '*a', '|', '---\n', 'true', '\\'), fc.boolean()), { maxLength: 3 });

function edit(text: string, changes: [number, string, boolean][]): string {
  let out = text;
  for (const [at, piece, remove] of changes) {
    const i = out.length ? at % out.length : 0;
    out = remove ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + piece + out.slice(i);
  }
  return out;
}

describe('fastYaml', () => {
  it('reads what js-yaml reads, or leaves the file to it (dumped documents)', () => {
    fc.assert(
      fc.property(fc.dictionary(keys, values, { minKeys: 1, maxKeys: 5 }), dumpOptions, (doc, opts) => {
        let text: string;
        try {
          text = jsYaml.dump(doc, { ...opts, schema: jsYaml.CORE_SCHEMA });
        } catch {
          return;
        }
        agrees(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads most ordinary documents itself', () => {
    let read = 0;
    let total = 0;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('models', 'sources', 'version', 'name'), ordinaryValues, { minKeys: 1, maxKeys: 4 }), dumpOptions, (doc, opts) => {
        let text: string;
        try {
          text = jsYaml.dump(doc, { ...opts, schema: jsYaml.CORE_SCHEMA });
        } catch {
          return;
        }
        total++;
        if (agrees(text)) read++;
      }),
      { numRuns: 1000 },
    );
    // The reader must take a real share of ordinary documents, not leave them all to js-yaml.
    expect(read / total).toBeGreaterThan(0.5);
  });

  it('never reads a broken or unusual file differently from js-yaml', () => {
    fc.assert(
      fc.property(fc.dictionary(keys, values, { minKeys: 1, maxKeys: 4 }), dumpOptions, edits, (doc, opts, changes) => {
        let text: string;
        try {
          text = jsYaml.dump(doc, { ...opts, schema: jsYaml.CORE_SCHEMA });
        } catch {
          return;
        }
        agrees(edit(text, changes));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads hand-written properties files in the shapes dbt projects use', () => {
    const samples = [
      'version: 2\nmodels:\n  - name: orders  # the orders\n    description: "One row per order, with its status"\n    columns:\n      - name: order_id\n        tests:\n          - unique\n          - not_null\n      - name: status\n        tests:\n          - accepted_values:\n              values: [\'placed\', "shipped", completed, 3]\n',
      'models:\n- name: a\n  config:\n    tags: [x, y]\n    materialized: table\n- name: b\nseeds:\n- name: s\n',
      'sources:\n  - name: raw\n    tables:\n      -\n        name: t\n      - name: u\n        loaded_at_field: _etl\n\n# trailing comment\n',
      "key: 'it''s'\nother: ~\nnum: -12\nf: 1.5e3\nempty:\nlist: []\nurl: http://x.io/a#frag\n",
    ];
    for (const s of samples) expect(agrees(s), s).toBe(true);
  });

  it('reads the shipped project\'s properties files exactly as js-yaml does', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(e.name)) files.push(p);
      }
    };
    walk(path.join(ROOT, 'models'));
    for (const f of [...files, path.join(ROOT, 'project.yml'), path.join(ROOT, 'profiles.yml')]) {
      const text = readFileSync(f, 'utf8');
      const fast = fastYaml(text);
      if (fast !== undefined) expect(fast, f).toEqual(reference(text));
    }
  });
});
