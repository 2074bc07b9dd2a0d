import { describe, expect, it } from 'vitest';
import { duckDbDialect } from '../../../src/adapters/duckdb/duckdb-dialect.js';
import { ProjectError } from '../../../src/core/errors.js';
import { selectNodes } from '../../../src/graph/selection.js';
import { buildWorkspace } from '../../../src/graph/workspace.js';
import { loadProject } from '../../../src/project/load-project.js';
import { resolveTarget } from '../../../src/project/profiles.js';
import { select, type Session, type SelectOptions } from '../../../src/tasks/session.js';
import type { Reporter } from '../../../src/execute/reporter.js';
import { writeProject } from '../../helpers/project.js';

function sessionOf(files: Record<string, string>): Session {
  const dir = writeProject({ 'project.yml': 'name: test\n', ...files });
  const project = loadProject({ projectDir: dir });
  const { target } = resolveTarget(project);
  return { ...buildWorkspace(project, target, duckDbDialect), warnings: [] };
}

function recorder(): Reporter & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m) } as unknown as Reporter & {
    warnings: string[];
    infos: string[];
  };
}

function names(s: Session, opts: SelectOptions, reporter?: Reporter): string[] {
  return select(s, opts, ['model', 'seed', 'test', 'unit_test', 'source', 'snapshot'], reporter)
    .map((n) => n.name)
    .sort();
}

// The models of dbt-core's tests/functional/selectors/test_selector_selector_method.py.
const MODELS = {
  'models/model_a.sql': 'select 1 as id',
  'models/model_b.sql': 'select 1 as id',
  'models/model_a_plus_1.sql': "select * from {{ ref('model_a') }}",
  'models/model_a_plus_2.sql': "select * from {{ ref('model_a_plus_1') }}",
  'models/model_c.sql': "{{ config(tags=['tag_c']) }} select * from {{ ref('model_a') }} union all select * from {{ ref('model_b') }}",
};

const SELECTORS = `selectors:
  - name: model_a_selector
    description: Selects model_a
    definition:
      method: fqn
      value: model_a
  - name: model_b_selector
    definition: {method: fqn, value: model_b}
  - name: model_c_selector
    definition: model_c
  - name: model_a_b_selector
    definition:
      union:
        - method: fqn
          value: model_a
        - {fqn: model_b}
  - name: model_a_plus_1_selector
    definition: {method: fqn, value: model_a_plus_1}
  - name: model_a_plus_2_selector
    definition:
      method: fqn
      value: model_a_plus_2
      parents: true
      parents_depth: 2
  - name: recursive_selector
    definition:
      union:
        - model_b
        - selector:model_a_plus_2_selector
  - name: circular_a
    definition: {union: [selector:circular_b]}
  - name: circular_b
    definition: {union: [selector:circular_a]}
  - name: a_children_but_not_c
    definition:
      union:
        - method: fqn
          value: model_a
          children: true
        - exclude:
            - model_c
            - tag:nothing
  - name: tagged_and_a_parents
    definition:
      intersection:
        - '+model_c'
        - method: fqn
          value: model_a
          children: true
  - name: everything_but_b
    definition:
      method: fqn
      value: '*'
      exclude: [model_b]
`;

describe('selectors.yml (dbt-core config/selectors.py, graph/cli.py parse_from_definition)', () => {
  const s = sessionOf({ ...MODELS, 'selectors.yml': SELECTORS });
  it('selects by method/value, a {method: value} mapping and a selector string', () => {
    expect(names(s, { selector: 'model_a_selector' })).toEqual(['model_a']);
    expect(names(s, { selector: 'model_b_selector' })).toEqual(['model_b']);
    expect(names(s, { selector: 'model_c_selector' })).toEqual(['model_c']);
    expect(names(s, { selector: 'model_a_b_selector' })).toEqual(['model_a', 'model_b']);
  });
  it('takes parents with a depth, children, unions, intersections and exclude', () => {
    expect(names(s, { selector: 'model_a_plus_2_selector' })).toEqual(['model_a', 'model_a_plus_1', 'model_a_plus_2']);
    expect(names(s, { selector: 'a_children_but_not_c' })).toEqual(['model_a', 'model_a_plus_1', 'model_a_plus_2']);
    expect(names(s, { selector: 'tagged_and_a_parents' })).toEqual(['model_a', 'model_c']);
    expect(names(s, { selector: 'everything_but_b' })).toEqual(['model_a', 'model_a_plus_1', 'model_a_plus_2', 'model_c']);
  });
  it('refers to other selectors with selector: (dbt 1.12), refusing a cycle', () => {
    expect(names(s, { selector: 'recursive_selector' })).toEqual(['model_a', 'model_a_plus_1', 'model_a_plus_2', 'model_b']);
    expect(names(s, { select: ['selector:model_a_selector', 'tag:tag_c'] })).toEqual(['model_a', 'model_c']);
    expect(names(s, { select: ['selector:model_?_selector'] })).toEqual(['model_a', 'model_b', 'model_c']);
    expect(names(s, { select: ['1+selector:model_c_selector'] })).toEqual(['model_a', 'model_b', 'model_c']);
    expect(names(s, { select: ['1+selector:model_a_plus_1_selector'], exclude: ['selector:model_a_selector'] })).toEqual(['model_a_plus_1']);
    expect(() => names(s, { selector: 'circular_a' })).toThrow(/cycle: circular_a -> circular_b -> circular_a/);
    expect(() => names(s, { select: ['selector:nonexistent_selector'] })).toThrow(/no selector in selectors.yml matches/);
  });
  it('uses --selector and warns when --select or --exclude are given too (dbt SelectExcludeIgnoredWithSelectorWarning)', () => {
    const r = recorder();
    expect(names(s, { selector: 'model_a_selector', select: ['model_b'] }, r)).toEqual(['model_a']);
    expect(r.warnings).toEqual(['--select and --exclude are ignored: --selector model_a_selector says what to select']);
    const quiet = recorder();
    names(s, { selector: 'model_a_selector' }, quiet);
    expect(quiet.warnings).toEqual([]);
  });
  it('names an unknown selector with a suggestion', () => {
    expect(() => names(s, { selector: 'model_a_selectr' })).toThrow(ProjectError);
    try {
      names(s, { selector: 'model_a_selectr' });
    } catch (e) {
      expect((e as ProjectError).hint).toMatch(/model_a_selector/);
    }
  });
});

describe('default: true', () => {
  const yml = `selectors:
  - name: nightly
    default: true
    definition: {method: tag, value: tag_c}
  - name: just_b
    definition: model_b
`;
  const s = sessionOf({ ...MODELS, 'selectors.yml': yml });
  it('is used when nothing else selects, and not when --select or --selector do', () => {
    const r = recorder();
    expect(names(s, {}, r)).toEqual(['model_c']);
    expect(r.infos).toEqual(['Using the default selector nightly']);
    expect(names(s, { select: ['model_a'] })).toEqual(['model_a']);
    expect(names(s, { exclude: ['model_a'] })).toEqual(['model_a_plus_1', 'model_a_plus_2', 'model_b', 'model_c']);
    expect(names(s, { selector: 'just_b' })).toEqual(['model_b']);
  });
  it('may be set on one selector only', () => {
    const two = sessionOf({ ...MODELS, 'selectors.yml': `${yml}    default: true\n` });
    expect(() => names(two, {})).toThrow(/'default: true' is set on both 'nightly' and 'just_b'/);
  });
});

describe('mistakes in selectors.yml are reported at their line', () => {
  const cases: [string, RegExp][] = [
    ['selectors:\n  - name: x\n    definition: {method: tagg, value: y}\n', /selectors\.yml:3:.*unknown selector method 'tagg'/],
    ['selectors:\n  - name: x\n    definition:\n      method: tag\n', /selectors\.yml:3:.*expected one key, or 'method' and 'value'/],
    ['selectors:\n  - name: x\n    definition:\n      method: tag\n      value: y\n      parent: true\n', /selectors\.yml:6:.*unknown key 'parent'/],
    ['selectors:\n  - name: x\n    definition: {union: [a], intersection: [b]}\n', /selectors\.yml:3:.*may have no other key/],
    [
      'selectors:\n  - name: x\n    definition:\n      union:\n        - a\n        - exclude: [b]\n        - exclude: [c]\n',
      /selectors\.yml:7:.*only one 'exclude'/,
    ],
    [
      'selectors:\n  - name: x\n    definition: {method: tag, value: y, indirect_selection: lazy}\n',
      /selectors\.yml:3:.*indirect_selection must be one of eager, cautious, buildable, empty/,
    ],
    ['selectors:\n  - name: x\n', /selectors\.yml:2:.*has no 'definition'/],
  ];
  it.each(cases)('%s', (yml, message) => {
    const s = sessionOf({ ...MODELS, 'selectors.yml': yml });
    try {
      names(s, { select: ['model_a'] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProjectError);
      expect((e as ProjectError).headline).toMatch(message);
    }
  });
});

// dbt-core graph/selector.py expand_selection / incorporate_indirect_nodes, and the cases of
// tests/functional/graph_selection/test_graph_selection.py (indirect selection).
describe('--indirect-selection', () => {
  const s = sessionOf({
    'models/a.sql': 'select 1 as id',
    'models/b.sql': 'select 1 as id',
    'models/c.sql': "select * from {{ ref('a') }} join {{ ref('b') }} using (id)",
    'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
    'tests/a_and_b.sql': "select * from {{ ref('a') }} join {{ ref('b') }} using (id) where false",
    'tests/c_and_a.sql': "select * from {{ ref('c') }} join {{ ref('a') }} using (id) where false",
  });
  const pick = (select: string[], indirectSelection?: SelectOptions['indirectSelection'], exclude?: string[]) =>
    names(s, { select, exclude, indirectSelection }).filter((n) => !['a', 'b', 'c'].includes(n) || select.some((x) => x.includes(n)));
  it('eager (the default): a test comes along when any parent is selected', () => {
    expect(pick(['a'])).toEqual(['a', 'a_and_b', 'c_and_a', 'not_null_a_id']);
    expect(pick(['a'], 'eager')).toEqual(['a', 'a_and_b', 'c_and_a', 'not_null_a_id']);
  });
  it('cautious: only when all its parents are selected, across a union as well', () => {
    expect(pick(['a'], 'cautious')).toEqual(['a', 'not_null_a_id']);
    expect(pick(['a', 'b'], 'cautious')).toEqual(['a', 'a_and_b', 'b', 'not_null_a_id']);
    expect(pick(['a b'], 'cautious')).toEqual(['a', 'a_and_b', 'b', 'not_null_a_id']);
  });
  it('buildable: when its parents are selected or ancestors of the selection', () => {
    expect(pick(['c'], 'buildable')).toEqual(['c', 'c_and_a']);
    expect(pick(['c'], 'cautious')).toEqual(['c']);
    expect(pick(['b'], 'buildable')).toEqual(['b']);
  });
  it('empty: no test comes along, though one named or reached by + still does', () => {
    expect(pick(['a'], 'empty')).toEqual(['a']);
    expect(pick(['a', 'not_null_a_id'], 'empty')).toEqual(['a', 'not_null_a_id']);
  });
  it('excluding a model leaves out its tests', () => {
    expect(pick(['a', 'b'], 'eager', ['b'])).toEqual(['a', 'c_and_a', 'not_null_a_id']);
  });
  it('a selector definition sets its own mode over the flag', () => {
    const t = sessionOf({
      'models/a.sql': 'select 1 as id',
      'models/b.sql': 'select 1 as id',
      'tests/a_and_b.sql': "select * from {{ ref('a') }} join {{ ref('b') }} using (id) where false",
      'selectors.yml':
        'selectors:\n  - name: a_cautious\n    definition: {method: fqn, value: a, indirect_selection: cautious}\n  - name: a_plain\n    definition: a\n',
    });
    expect(names(t, { selector: 'a_cautious' })).toEqual(['a']);
    expect(names(t, { selector: 'a_cautious', indirectSelection: 'eager' })).toEqual(['a']);
    expect(names(t, { selector: 'a_plain' })).toEqual(['a', 'a_and_b']);
    expect(names(t, { selector: 'a_plain', indirectSelection: 'cautious' })).toEqual(['a']);
  });
  it('selectNodes with nothing selected takes every node', () => {
    expect(selectNodes(s, {}).size).toBe(s.manifest.nodes.size);
  });
});

// dbt-core graph/selector_methods.py, VersionSelectorMethod: latest / prerelease / old / none, models only.
describe('version: selector method', () => {
  const s = sessionOf({
    'models/dim_customers_v1.sql': 'select 1 as id',
    'models/dim_customers_v2.sql': 'select 2 as id',
    'models/dim_customers_v3.sql': 'select 3 as id',
    'models/plain.sql': 'select 1 as id',
    'models/schema.yml': 'version: 2\nmodels:\n  - name: dim_customers\n    latest_version: 2\n    versions:\n      - v: 1\n      - v: 2\n      - v: 3\n',
  });
  const ids = (sel: string) =>
    select(s, { select: [sel] }, ['model'])
      .map((n) => n.uniqueId)
      .sort();
  it('latest, prerelease and old compare each version with latest_version', () => {
    expect(ids('version:latest')).toEqual(['model.test.dim_customers.v2']);
    expect(ids('version:prerelease')).toEqual(['model.test.dim_customers.v3']);
    expect(ids('version:old')).toEqual(['model.test.dim_customers.v1']);
  });
  it('none is an unversioned model', () => {
    expect(ids('version:none')).toEqual(['model.test.plain']);
  });
  it('an unknown version type is a selection error naming the choices', () => {
    expect(() => ids('version:newest')).toThrow(/unknown version selector 'version:newest'[\s\S]*/);
  });
});
