import { describe, expect, it } from 'vitest';
import { duckDbDialect } from '../../../src/adapters/duckdb/duckdb-dialect.js';
import { ProjectError, ProjectErrors } from '../../../src/core/errors.js';
import { buildWorkspace } from '../../../src/graph/workspace.js';
import type { SourceNode } from '../../../src/parse/nodes.js';
import { loadProject } from '../../../src/project/load-project.js';
import { resolveTarget } from '../../../src/project/profiles.js';
import { writeProject } from '../../helpers/project.js';

function sources(yml: string): Record<string, SourceNode> {
  const dir = writeProject({ 'project.yml': 'name: test\n', 'models/sources.yml': yml });
  const project = loadProject({ projectDir: dir });
  const { target } = resolveTarget(project);
  const ws = buildWorkspace(project, target, duckDbDialect);
  return Object.fromEntries([...ws.manifest.nodes.values()].filter((n): n is SourceNode => n.resourceType === 'source').map((n) => [n.name, n]));
}

function errorsOf(yml: string): string[] {
  try {
    sources(yml);
  } catch (e) {
    if (e instanceof ProjectErrors) return e.errors.map((x) => x.headline);
    if (e instanceof ProjectError) return [e.headline];
    throw e;
  }
  return [];
}

const h = (count: number) => ({ count, period: 'hour' });

// dbt-core tests/functional/sources/fixtures.py override_freshness_models_schema_yml and the
// criteria test_source_freshness.py TestOverrideSourceFreshness expects (dbt 1.9/1.10 `config: freshness:`).
describe('freshness under config: (dbt 1.9+)', () => {
  const s = sources(`version: 2
sources:
  - name: test_source
    loader: custom
    freshness:
      warn_after: {count: 18, period: hour}
      error_after: {count: 24, period: hour}
    config:
      freshness:
        warn_after: {count: 12, period: hour}
    loaded_at_field: loaded_at
    tables:
      - name: source_a
        identifier: source
        config:
          freshness:
            warn_after: {count: 6, period: hour}
        freshness:
          warn_after: {count: 9, period: hour}
      - name: source_b
        identifier: source
        freshness:
          warn_after: {count: 6, period: hour}
          error_after: {}
      - name: source_c
        identifier: source
        freshness:
          warn_after: {count: 6, period: hour}
          error_after: null
      - name: source_d
        identifier: source
        freshness:
          warn_after: {count: 6, period: hour}
          error_after: {count: 144, period: hour}
        config:
          freshness:
            error_after: {count: 72, period: hour}
      - name: source_e
        identifier: source
        freshness: null
      - name: source_f
        identifier: source
`);
  it('merges source, source config, table and table config in that order, as dbt', () => {
    expect(s.source_a!.freshness).toEqual({ warnAfter: h(6), errorAfter: h(24) });
    expect(s.source_b!.freshness).toEqual({ warnAfter: h(6), errorAfter: h(24) });
    expect(s.source_c!.freshness).toEqual({ warnAfter: h(6) });
    expect(s.source_d!.freshness).toEqual({ warnAfter: h(6), errorAfter: h(72) });
    expect(s.source_e!.freshness).toBeUndefined();
    expect(s.source_f!.freshness).toEqual({ warnAfter: h(12), errorAfter: h(24) });
  });
  it('a config freshness: null turns it off for the table', () => {
    const t = sources(
      'version: 2\nsources:\n  - name: s\n    freshness: {warn_after: {count: 1, period: day}}\n    tables:\n      - name: t\n        config: {freshness: null}\n      - name: u\n',
    );
    expect(t.t!.freshness).toBeUndefined();
    expect(t.u!.freshness).toEqual({ warnAfter: { count: 1, period: 'day' } });
  });
});

// dbt-core tests/functional/sources/test_source_configs.py (TestSourceLoadedAtQueryConfigLevel,
// TestTableLoadedAtQueryNoneWhenFieldSetConfigLevel, ...).
describe('loaded_at_field and loaded_at_query (dbt 1.10)', () => {
  it('reads them top-level or under config:, the table over its source', () => {
    const s = sources(`version: 2
sources:
  - name: by_query
    config: {loaded_at_query: select 1}
    tables:
      - name: inherits
      - name: own_field
        config: {loaded_at_field: id}
      - name: own_query
        loaded_at_query: "select max(at) from {{ this }}"
  - name: by_field
    loaded_at_field: updated_at
    tables:
      - name: inherits_field
      - name: own_query_2
        config: {loaded_at_query: select 2}
`);
    const by = (src: string, t: string) => Object.values(s).find((n) => n.sourceName === src && n.name === t)!;
    expect(by('by_query', 'inherits')).toMatchObject({ loadedAtQuery: 'select 1' });
    expect(by('by_query', 'inherits').loadedAtField).toBeUndefined();
    expect(by('by_query', 'own_field')).toMatchObject({ loadedAtField: 'id' });
    expect(by('by_query', 'own_field').loadedAtQuery).toBeUndefined();
    expect(by('by_query', 'own_query')).toMatchObject({ loadedAtQuery: 'select max(at) from {{ this }}' });
    expect(by('by_field', 'inherits_field')).toMatchObject({ loadedAtField: 'updated_at' });
    expect(by('by_field', 'own_query_2')).toMatchObject({ loadedAtQuery: 'select 2' });
    expect(by('by_field', 'own_query_2').loadedAtField).toBeUndefined();
  });
  it('both on one table, or a threshold missing its period, is an error at its line', () => {
    expect(
      errorsOf(`version: 2
sources:
  - name: s
    tables:
      - name: t
        loaded_at_field: a
        config:
          loaded_at_query: select 1
          freshness:
            warn_after: {count: 3}
`),
    ).toEqual([
      'models/sources.yml:5:9: error [project]: give loaded_at_field or loaded_at_query, not both',
      'models/sources.yml:10:13: error [project]: warn_after needs both count and period',
    ]);
  });
});
