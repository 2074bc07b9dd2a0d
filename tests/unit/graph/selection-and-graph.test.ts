import { describe, expect, it } from 'vitest';
import { duckDbDialect } from '../../../src/adapters/duckdb/duckdb-dialect.js';
import { injectCtes } from '../../../src/compile/compile-node.js';
import { ProjectError, ProjectErrors } from '../../../src/core/errors.js';
import { buildWorkspace } from '../../../src/graph/workspace.js';
import { selectNodes } from '../../../src/graph/selection.js';
import { loadProject } from '../../../src/project/load-project.js';
import { resolveTarget } from '../../../src/project/profiles.js';
import { writeProject } from '../../helpers/project.js';

function workspaceOf(files: Record<string, string>) {
  const dir = writeProject({ 'project.yml': 'name: shop\n', ...files });
  const project = loadProject({ projectDir: dir });
  const { target } = resolveTarget(project);
  return buildWorkspace(project, target, duckDbDialect);
}

const SHOP = {
  'seeds/customers.csv': 'id,name\n1,a\n',
  'models/staging/stg_customers.sql': "select * from {{ ref('customers') }}",
  'models/staging/stg_orders.sql': "{{ config(tags=['nightly']) }} select 1 as id",
  'models/marts/orders.sql': "{{ config(materialized='table') }} select * from {{ ref('stg_orders') }} join {{ ref('stg_customers') }} using (id)",
  'models/marts/report.sql': "select * from {{ ref('orders') }}",
};

function names(ids: Set<string>): string[] {
  return [...ids].map((id) => id.split('.').pop()!).sort();
}

describe('selection', () => {
  const m = workspaceOf(SHOP);
  it('selects by name, ancestors and descendants', () => {
    expect(names(selectNodes(m, { select: ['orders'] }))).toEqual(['orders']);
    expect(names(selectNodes(m, { select: ['+orders'] }))).toEqual(['customers', 'orders', 'stg_customers', 'stg_orders']);
    expect(names(selectNodes(m, { select: ['stg_orders+'] }))).toEqual(['orders', 'report', 'stg_orders']);
    expect(names(selectNodes(m, { select: ['1+orders'] }))).toEqual(['orders', 'stg_customers', 'stg_orders']);
  });
  it('selects by tag, path, config and type, with unions, intersections and exclusion', () => {
    expect(names(selectNodes(m, { select: ['tag:nightly'] }))).toEqual(['stg_orders']);
    expect(names(selectNodes(m, { select: ['path:models/staging'] }))).toEqual(['stg_customers', 'stg_orders']);
    expect(names(selectNodes(m, { select: ['config.materialized:table'] }))).toEqual(['orders']);
    expect(names(selectNodes(m, { select: ['resource_type:seed', 'report'] }))).toEqual(['customers', 'report']);
    expect(names(selectNodes(m, { select: ['+report,path:models/staging'] }))).toEqual(['stg_customers', 'stg_orders']);
    expect(names(selectNodes(m, { select: ['+report'], exclude: ['tag:nightly', 'customers'] }))).toEqual(['orders', 'report', 'stg_customers']);
  });
  it('selects by the leading parts of the fqn, as dbt does for a bare or fqn: selector', () => {
    expect(names(selectNodes(m, { select: ['shop.staging'] }))).toEqual(['stg_customers', 'stg_orders']);
    expect(names(selectNodes(m, { select: ['fqn:shop.marts'] }))).toEqual(['orders', 'report']);
    expect(names(selectNodes(m, { select: ['shop.marts.rep*'] }))).toEqual(['report']);
    expect(names(selectNodes(m, { select: ['shop'] }))).toEqual(['customers', 'orders', 'report', 'stg_customers', 'stg_orders']);
    expect(names(selectNodes(m, { select: ['stg_*'] }))).toEqual(['stg_customers', 'stg_orders']);
    // A folder name alone is not an fqn prefix (the project's name comes first).
    expect(selectNodes(m, { select: ['staging'] }).size).toBe(0);
  });
  it('selects tests by test_type and by the generic test name, as dbt does', () => {
    const t = workspaceOf({
      ...SHOP,
      'models/marts/orders.yml': 'version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n',
      'tests/no_orders.sql': "select * from {{ ref('orders') }} where false",
    });
    const testNames = (select: string) => [...selectNodes(t, { select: [select] })].map((id) => t.manifest.nodes.get(id)!.name).sort();
    expect(testNames('test_name:unique')).toEqual(['unique_orders_id']);
    expect(testNames('test_name:not_*')).toEqual(['not_null_orders_id']);
    expect(testNames('test_type:singular')).toEqual(['no_orders']);
    expect(testNames('test_type:generic')).toEqual(['not_null_orders_id', 'unique_orders_id']);
  });
  it('warns when a selector matches nothing and rejects unknown methods', () => {
    const warnings: string[] = [];
    expect(selectNodes(m, { select: ['nothing_here'] }, warnings).size).toBe(0);
    expect(warnings[0]).toMatch(/nothing_here/);
    expect(() => selectNodes(m, { select: ['colour:red'] })).toThrow(/unknown selector method 'colour:'/);
  });
});

describe('graph checks', () => {
  it('names file, line and the closest name for a ref to nothing', () => {
    try {
      workspaceOf({ 'models/a.sql': 'select 1 as x', 'models/b.sql': "select *\nfrom {{ ref('aa') }}" });
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(ProjectError);
      expect((e as ProjectError).headline).toBe("models/b.sql:2:9: error [graph]: ref('aa') matches no model or seed");
      expect((e as ProjectError).hint).toBe("did you mean 'a'?");
    }
  });
  it('reports a cycle with every member and its file', () => {
    try {
      workspaceOf({
        'models/a.sql': "select * from {{ ref('c') }}",
        'models/b.sql': "select * from {{ ref('a') }}",
        'models/c.sql': "select * from {{ ref('b') }}",
      });
      throw new Error('expected an error');
    } catch (e) {
      const err = e as ProjectError;
      expect(err.message).toMatch(/dependency cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)/);
      for (const f of ['models/a.sql', 'models/b.sql', 'models/c.sql']) expect(err.hint).toContain(f);
      // It points at the ref() that closes the cycle, with its line.
      expect(err.headline).toMatch(/^models\/a\.sql:1:\d+: error \[graph\]/);
    }
  });
  it('collects every error before stopping', () => {
    try {
      workspaceOf({ 'models/a.sql': "select * from {{ ref('x') }}", 'models/b.sql': "select * from {{ ref('y') }}" });
      throw new Error('expected errors');
    } catch (e) {
      expect(e).toBeInstanceOf(ProjectErrors);
      expect((e as ProjectErrors).errors.map((x) => x.location?.file)).toEqual(['models/a.sql', 'models/b.sql']);
    }
  });
});

describe('ephemeral CTE injection', () => {
  it('prepends a WITH, or merges into the query’s own WITH after leading comments', () => {
    expect(injectCtes('select 1', ['a as (select 2)'])).toBe('with a as (select 2)\nselect 1');
    expect(injectCtes('-- note\nWITH x as (select 1) select * from x', ['a as (select 2)'])).toBe(
      '-- note\nWITH a as (select 2),\nx as (select 1) select * from x',
    );
  });
});
