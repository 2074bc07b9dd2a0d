import { describe, expect, it } from 'vitest';
import { duckDbDialect } from '../../../src/adapters/duckdb/duckdb-dialect.js';
import { ProjectError, ProjectErrors } from '../../../src/core/errors.js';
import { selectNodes } from '../../../src/graph/selection.js';
import { buildWorkspace } from '../../../src/graph/workspace.js';
import { loadProject } from '../../../src/project/load-project.js';
import { resolveTarget } from '../../../src/project/profiles.js';
import { writeProject } from '../../helpers/project.js';

function workspaceOf(files: Record<string, string>) {
  const dir = writeProject({ 'project.yml': 'name: shop\n', ...files });
  const project = loadProject({ projectDir: dir });
  const { target } = resolveTarget(project);
  return buildWorkspace(project, target, duckDbDialect);
}

function errorsOf(files: Record<string, string>): string[] {
  try {
    workspaceOf(files);
  } catch (e) {
    if (e instanceof ProjectErrors) return e.errors.map((x) => x.headline);
    if (e instanceof ProjectError) return [e.headline];
    throw e;
  }
  return [];
}

// dbt's docs "Model access" and "groups" example (resource-configs/group.md), and dbt-core's
// parser/manifest.py _process_refs, check_valid_group_config, check_valid_access_property and
// contracts/graph/manifest.py is_invalid_private_ref / is_invalid_protected_ref.
const GROUPS = `version: 2
groups:
  - name: finance
    owner: {name: Finance team, email: finance@example.com}
  - name: marketing
    owner: {email: marketing@example.com}
models:
  - name: finance_model
    config:
      group: finance
      access: private
  - name: finance_helper
    config: {group: finance}
  - name: marketing_model
    config: {group: marketing}
  - name: legacy_private
    access: private
    group: finance
`;

describe('groups and access', () => {
  it("refuses a ref to a private model from another group, with dbt's message at the ref's line", () => {
    const errors = errorsOf({
      'models/schema.yml': GROUPS,
      'models/finance_model.sql': 'select 1 as id',
      'models/finance_helper.sql': "select * from {{ ref('finance_model') }}",
      'models/legacy_private.sql': 'select 1 as id',
      'models/marketing_model.sql': "select 1 as id\n-- reads\nunion all select * from {{ ref('finance_model') }}",
      'models/ungrouped.sql': "select * from {{ ref('legacy_private') }}",
    });
    expect(errors).toEqual([
      "models/marketing_model.sql:3:28: error [graph]: ref('finance_model'): node model.shop.marketing_model attempted to reference node model.shop.finance_model, which is not allowed because the referenced node is private to the 'finance' group",
      "models/ungrouped.sql:1:18: error [graph]: ref('legacy_private'): node model.shop.ungrouped attempted to reference node model.shop.legacy_private, which is not allowed because the referenced node is private to the 'finance' group",
    ]);
  });

  it('lets the same group, and anyone for protected and public models, reference them', () => {
    const ws = workspaceOf({
      'models/schema.yml': GROUPS,
      'models/finance_model.sql': 'select 1 as id',
      'models/finance_helper.sql': "select * from {{ ref('finance_model') }}",
      'models/legacy_private.sql': 'select 1 as id',
      'models/marketing_model.sql': "select * from {{ ref('finance_helper') }}",
      'models/open.sql': "{{ config(access='public') }} select * from {{ ref('marketing_model') }}",
    });
    expect(ws.manifest.nodes.get('model.shop.legacy_private')!.config).toMatchObject({ access: 'private', group: 'finance' });
    expect(ws.manifest.groups!.get('group.shop.finance')!.owner).toEqual({ name: 'Finance team', email: 'finance@example.com' });
  });

  it('a generic test is in the group of the model it tests', () => {
    const ws = workspaceOf({
      'models/schema.yml': `${GROUPS}  - name: x\n`.replace(
        '    config:\n      group: finance\n      access: private\n',
        '    config:\n      group: finance\n      access: private\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
      ),
      'models/finance_model.sql': 'select 1 as id',
      'models/finance_helper.sql': 'select 1 as id',
      'models/legacy_private.sql': 'select 1 as id',
      'models/marketing_model.sql': 'select 1 as id',
      'models/x.sql': 'select 1 as id',
    });
    expect([...ws.manifest.nodes.keys()].some((k) => k.startsWith('test.shop.not_null_finance_model_id'))).toBe(true);
  });

  it('an unknown group, a wrong access value and a public ephemeral model are errors', () => {
    const errors = errorsOf({
      'models/schema.yml':
        'version: 2\ngroups:\n  - name: finance\n    owner: {name: F}\nmodels:\n  - name: a\n    config: {group: financ}\n  - name: b\n    access: secret\n',
      'models/a.sql': 'select 1 as id',
      'models/b.sql': 'select 1 as id',
      'models/c.sql': "{{ config(materialized='ephemeral', access='public') }} select 1 as id",
    });
    expect(errors).toEqual([
      "models/schema.yml:7:14: error [project]: model.shop.a: invalid group 'financ', expected one of ['finance']",
      'models/schema.yml:9:5: error [project]: model.shop.b: access must be one of private, protected, public, got "secret"',
      'models/c.sql:1:4: error [project]: model.shop.c: an ephemeral model cannot be public',
    ]);
  });

  it('a group needs an owner with a name or an email', () => {
    expect(errorsOf({ 'models/schema.yml': 'version: 2\ngroups:\n  - name: finance\n    owner: {slack: x}\n', 'models/a.sql': 'select 1' })).toEqual([
      "models/schema.yml:4:5: error [project]: group 'finance' needs an 'owner' with a name or an email",
    ]);
  });
});

describe('restrict-access across packages (dbt-core is_invalid_protected_ref)', () => {
  const pkg = {
    'dbt_packages/pk/dbt_project.yml': 'name: pk\nrestrict-access: true\nmodels:\n  pk:\n    open:\n      +access: public\n',
    'dbt_packages/pk/models/inner.sql': 'select 1 as id',
    'dbt_packages/pk/models/open/api.sql': "select * from {{ ref('inner') }}",
  };
  it('refuses a ref to a protected model of a package that restricts access, and allows its public ones', () => {
    expect(errorsOf({ ...pkg, 'models/mine.sql': "select * from {{ ref('pk', 'inner') }}" })).toEqual([
      "models/mine.sql:1:18: error [graph]: ref('inner'): node model.shop.mine attempted to reference node model.pk.inner, which is not allowed because the referenced node is protected to the 'pk' package",
    ]);
    expect(errorsOf({ ...pkg, 'models/mine.sql': "select * from {{ ref('pk', 'api') }}" })).toEqual([]);
  });
  it('without restrict-access a protected model of a package may be referenced', () => {
    const open = { ...pkg, 'dbt_packages/pk/dbt_project.yml': 'name: pk\n' };
    expect(errorsOf({ ...open, 'models/mine.sql': "select * from {{ ref('inner') }}" })).toEqual([]);
  });
});

describe('exposures', () => {
  const files = {
    'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables: [{name: events}]\n',
    'models/stg.sql': "select * from {{ source('raw', 'events') }}",
    'models/orders.sql': "select * from {{ ref('stg') }}",
    'models/other.sql': 'select 1 as id',
    'models/exposures.yml': `version: 2
exposures:
  - name: weekly_kpis
    label: Weekly KPIs
    type: dashboard
    maturity: high
    url: https://bi.example.com/weekly
    description: the Monday numbers
    depends_on:
      - ref('orders')
      - source('raw', 'events')
    owner:
      name: Analytics
      email: analytics@example.com
`,
  };
  it('reads them, resolving depends_on, and +exposure:x selects what they read', () => {
    const ws = workspaceOf(files);
    const e = ws.manifest.exposures!.get('exposure.shop.weekly_kpis')!;
    expect(e).toMatchObject({ type: 'dashboard', label: 'Weekly KPIs', maturity: 'high', dependsOn: ['model.shop.orders', 'source.shop.raw.events'] });
    const names = (ids: Set<string>) => [...ids].map((id) => id.split('.').pop()).sort();
    expect(names(selectNodes(ws, { select: ['+exposure:weekly_kpis'] }))).toEqual(['events', 'orders', 'stg']);
    expect(names(selectNodes(ws, { select: ['exposure:weekly_kpis'] }))).toEqual([]);
  });
  it('a depends_on that matches nothing, a wrong type or a name with spaces is an error at its line', () => {
    const errors = errorsOf({
      ...files,
      'models/exposures.yml': `version: 2
exposures:
  - name: weekly kpis
    type: dashboard
    owner: {name: A}
  - name: monthly
    type: report
    owner: {name: A}
    depends_on:
      - ref('ordrs')
`,
    });
    expect(errors).toEqual([
      "models/exposures.yml:3:5: error [project]: an exposure name 'weekly kpis' must be letters, digits and underscores",
      "models/exposures.yml:7:5: error [project]: exposure 'monthly': 'type' must be one of dashboard, notebook, analysis, ml, application",
      "models/exposures.yml:10:9: error [graph]: exposure 'monthly' depends on ref('ordrs'), which matches no model or seed",
    ]);
  });
});
