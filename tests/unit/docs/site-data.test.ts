import { describe, expect, it } from 'vitest';
import { ProjectError, ProjectErrors, openProject } from '../../../src/index.js';
import { chartSpecOf } from '../../../src/docs/chart-spec.js';
import { parseDocBlocks } from '../../../src/parse/doc-blocks.js';
import { buildSiteData, funnelCheck } from '../../../src/docs/site-data.js';
import { jsonForScript, renderSiteHtml } from '../../../src/docs/site-html.js';
import { writeProject } from '../../helpers/project.js';

const PROFILES = 'p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ":memory:"\n';

function project(files: Record<string, string>): string {
  return writeProject({ 'project.yml': 'name: p\nprofile: p\n', 'profiles.yml': PROFILES, ...files });
}

async function openError(dir: string): Promise<ProjectError[]> {
  try {
    await openProject({ projectDir: dir });
  } catch (e) {
    if (e instanceof ProjectErrors) return e.errors;
    if (e instanceof ProjectError) return [e];
    throw e;
  }
  throw new Error('expected a project error');
}

describe('docs blocks and doc()', () => {
  it('reads blocks from .md files and reports duplicates and unclosed blocks with their line', () => {
    const { blocks, errors } = parseDocBlocks([
      { file: 'models/a.md', source: '# notes\n{% docs one %}\nFirst.\n{% enddocs %}\n\n{%- docs two -%} Second {%- enddocs -%}\n' },
      { file: 'models/b.md', source: 'x\n{% docs one %}again{% enddocs %}\n{% docs open %}never closed\n' },
    ]);
    expect(blocks.get('one')).toMatchObject({ text: 'First.', file: 'models/a.md', line: 2 });
    expect(blocks.get('two')!.text).toBe('Second');
    expect(errors.map((e) => e.headline)).toEqual([
      "models/b.md:2:1: error [project]: docs block 'one' is defined twice: at models/a.md:2 and here",
      'models/b.md:3:1: error [project]: a {% docs %} block is not closed with {% enddocs %}',
    ]);
  });

  it("renders doc('name') in model, column and source descriptions, also inside other blocks", async () => {
    const dir = project({
      'models/m.sql': 'select 1 as a',
      'models/docs.md': "{% docs rules %}The rules.{% enddocs %}\n{% docs m_doc %}About m. {{ doc('rules') }}{% enddocs %}\n",
      'models/props.yml': [
        'version: 2',
        'models:',
        '  - name: m',
        '    description: "{{ doc(\'m_doc\') }}"',
        '    columns:',
        '      - name: a',
        '        description: "Column a: {{ doc(\'rules\') }}"',
        'sources:',
        '  - name: raw',
        '    description: "{{ doc(\'rules\') }}"',
        '    tables:',
        '      - name: t',
      ].join('\n'),
    });
    const { manifest } = await openProject({ projectDir: dir });
    const m = manifest.nodes.get('model.p.m')!;
    expect(m.description).toBe('About m. The rules.');
    expect(m.columns[0]!.description).toBe('Column a: The rules.');
    expect(manifest.nodes.get('source.p.raw.t')!.description).toBe('The rules.');
  });

  it("names the YAML file and line of an unknown doc('…')", async () => {
    const dir = project({
      'models/m.sql': 'select 1 as a',
      'models/docs.md': '{% docs rules %}The rules.{% enddocs %}\n',
      'models/props.yml': 'version: 2\nmodels:\n  - name: m\n    description: "{{ doc(\'rulez\') }}"\n',
    });
    const errors = await openError(dir);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.headline).toBe("models/props.yml:4:5: error [project]: doc('rulez') matches no {% docs rulez %} block in the project's .md files");
    expect(errors[0]!.hint).toContain('rules');
  });
});

describe('manifest to site data', () => {
  const files = {
    'models/raw.yml': 'version: 2\nsources:\n  - name: raw\n    schema: r\n    tables:\n      - name: events\n        description: Events as loaded\n',
    'models/a.sql': "select * from {{ source('raw', 'events') }}",
    'models/b.sql': "select count(*) as n from {{ ref('a') }}",
    'models/c.sql': "{{ config(materialized='ephemeral') }} select n from {{ ref('b') }}",
    'models/d.sql': "select n from {{ ref('c') }} cross join {{ ref('s') }}",
    'seeds/s.csv': 'k\n1\n',
    'models/props.yml': [
      'version: 2',
      'models:',
      '  - name: b',
      '    description: Counts',
      '    config:',
      '      meta:',
      '        chart: {type: funnel, x: step, y: n, removed: gone}',
      '    columns:',
      '      - name: n',
      '        description: How many',
    ].join('\n'),
  };

  it('carries every node with its lineage, SQL, statuses and a layout with no overlap', async () => {
    const session = await openProject({ projectDir: project(files) });
    const data = buildSiteData({
      workspace: session,
      generatedAt: '2020-01-01T00:00:00.000Z',
      compiled: new Map([['model.p.b', { sql: 'select count(*) as n from "memory"."main"."a"' }]]),
      runResults: { results: [{ unique_id: 'model.p.b', status: 'success', message: 'CREATE TABLE (1 rows)', execution_time: 0.5 }] },
      catalog: new Map([
        [
          'model.p.b',
          [
            { name: 'n', type: 'BIGINT' },
            { name: 'extra', type: 'VARCHAR' },
          ],
        ],
      ]),
    });
    expect(data.nodes.map((n) => n.name).sort()).toEqual(['a', 'b', 'c', 'd', 'raw.events', 's']);
    const b = data.nodes.find((n) => n.name === 'b')!;
    expect(b).toMatchObject({
      description: 'Counts',
      status: 'success',
      executionTime: 0.5,
      compiledSql: 'select count(*) as n from "memory"."main"."a"',
      parents: ['model.p.a'],
      children: ['model.p.c'],
      built: true,
      relation: '"memory"."main"."b"',
    });
    expect(b.columns).toEqual([
      { name: 'n', type: 'BIGINT', description: 'How many', tests: [] },
      { name: 'extra', type: 'VARCHAR', description: '', tests: [] },
    ]);
    expect(data.nodes.find((n) => n.name === 'c')).toMatchObject({ materialized: 'ephemeral', relation: null, built: false });
    expect(data.nodes.find((n) => n.name === 'raw.events')).toMatchObject({ type: 'source', description: 'Events as loaded', children: ['model.p.a'] });
    // Layout: every node placed, edges follow the graph, boxes do not overlap.
    expect(data.layout.nodes.map((n) => n.id).sort()).toEqual(data.nodes.map((n) => n.id).sort());
    expect(data.layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(data.nodes.flatMap((n) => n.parents.map((p) => `${p}>${n.id}`)).sort());
    const boxes = data.layout.nodes;
    for (const x of boxes) {
      for (const y of boxes) {
        if (x === y) continue;
        const apart = x.x + x.width <= y.x || y.x + y.width <= x.x || x.y + x.height <= y.y || y.y + y.height <= x.y;
        expect(apart, `${x.id} / ${y.id}`).toBe(true);
      }
    }
    // Parents stand left of their children.
    const at = new Map(boxes.map((n) => [n.id, n]));
    for (const e of data.layout.edges) expect(at.get(e.from)!.x).toBeLessThan(at.get(e.to)!.x);
  });

  it('validates chart specs and checks that a funnel adds up', async () => {
    const session = await openProject({ projectDir: project(files) });
    const b = session.manifest.nodes.get('model.p.b')!;
    const { spec } = chartSpecOf(b, session.project);
    expect(spec).toMatchObject({ type: 'funnel', x: 'step', y: 'n', removed: 'gone' });
    const rows = [
      { step: 'in', n: 10, gone: null },
      { step: 'a', n: 7, gone: 3 },
      { step: 'b', n: 7, gone: 0 },
    ];
    expect(funnelCheck(rows, spec!)).toEqual({ ok: true, message: '10 rows in − 3 removed = 7 rows left' });
    expect(funnelCheck([...rows, { step: 'c', n: 5, gone: 1 }], spec!)).toMatchObject({ ok: false, message: "step 'c': 7 − 1 ≠ 5" });

    const bad = project({ ...files, 'models/props.yml': files['models/props.yml'].replace('type: funnel', 'type: pie') });
    const s2 = await openProject({ projectDir: bad });
    const { error } = chartSpecOf(s2.manifest.nodes.get('model.p.b')!, s2.project);
    expect(error!.headline).toMatch(/^models\/props\.yml:7:\d+: error \[project\]: 'models\[0\]\.config\.meta\.chart\.type': must be one of "bar", "funnel"/);
  });

  it('labels tests in the lineage by what they check, keeping names the project chose', async () => {
    const dir = project({
      ...files,
      'models/tests.yml': [
        'version: 2',
        'models:',
        '  - name: a',
        '    data_tests:',
        '      - unique_combination_of_columns_is_a_long_test_name_indeed',
        '    columns:',
        '      - name: id',
        '        data_tests:',
        '          - not_null',
        '          - accepted_values: {values: [1, 2], name: a_ids_are_known}',
      ].join('\n'),
      'macros/t.sql': '{% test unique_combination_of_columns_is_a_long_test_name_indeed(model) %}select 1 where false{% endtest %}',
    });
    const session = await openProject({ projectDir: dir });
    const data = buildSiteData({ workspace: session, generatedAt: 'now', compiled: new Map() });
    const labels = Object.fromEntries(data.nodes.filter((n) => n.type === 'test').map((n) => [n.name, n.label]));
    expect(labels).toEqual({
      not_null_a_id: 'not_null(id)',
      a_ids_are_known: 'a_ids_are_known',
      unique_combination_of_columns_is_a_long_test_name_indeed_a_: 'unique_combination_of_columns_is_…',
    });
    // The layout is sized by the short labels.
    const placed = new Map(data.layout.nodes.map((n) => [n.id, n]));
    for (const n of data.nodes.filter((x) => x.type === 'test')) expect(placed.get(n.id)!.width).toBeLessThan(260);
  });

  it("checks a funnel's first and last steps against the row counts of rows_in and rows_out", async () => {
    const spec = { type: 'funnel' as const, x: 'step', y: 'n', removed: 'gone' };
    const rows = [
      { step: 'in', n: 10, gone: null },
      { step: 'a', n: 7, gone: 3 },
    ];
    expect(funnelCheck(rows, spec, { rowsIn: { name: 'raw.t', rows: 10 }, rowsOut: { name: 'clean', rows: 7 } })).toEqual({
      ok: true,
      message: '10 rows in (= raw.t) − 3 removed = 7 rows left (= clean)',
    });
    expect(funnelCheck(rows, spec, { rowsIn: { name: 'raw.t', rows: 11 } })).toEqual({ ok: false, message: '10 rows in, but raw.t has 11 rows' });
    expect(funnelCheck(rows, spec, { rowsOut: { name: 'clean', rows: 6 } })).toEqual({ ok: false, message: '7 rows left, but clean has 6 rows' });
    expect(funnelCheck(rows, spec, { rowsOut: { name: 'clean', rows: null } })).toMatchObject({
      ok: false,
      message: 'clean is not built, so the rows left cannot be checked against it',
    });

    const named = project({
      ...files,
      'models/props.yml': files['models/props.yml'].replace('removed: gone}', 'removed: gone, rows_in: raw.events, rows_out: nope}'),
    });
    const session = await openProject({ projectDir: named });
    const known = (name: string) => (['raw.events', 'a'].includes(name) ? undefined : `no model, seed or source named '${name}'`);
    const { error } = chartSpecOf(session.manifest.nodes.get('model.p.b')!, session.project, known);
    expect(error!.headline).toMatch(/^models\/props\.yml:7:\d+: error \[project\]: meta\.chart\.rows_out: no model, seed or source named 'nope'/);
  });

  it('embeds the payload so no text can close the script element', async () => {
    expect(jsonForScript({ s: '</script><!-- & \u2028' })).not.toMatch(/<|>|&|\u2028/);
    const session = await openProject({ projectDir: project(files) });
    const data = buildSiteData({ workspace: session, generatedAt: 'now', compiled: new Map() });
    data.nodes[0]!.description = '</script><script>alert(1)</script>';
    const html = renderSiteHtml(data);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/src=["']https?:|href=["']https?:/);
  });
});
