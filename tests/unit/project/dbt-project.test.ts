import { describe, expect, it } from 'vitest';
import type { Node } from '../../../src/parse/nodes.js';
import { configFromTree, mergeConfig } from '../../../src/project/folder-config.js';
import { loadProject } from '../../../src/project/load-project.js';
import { unsupportedConfigWarning, unsupportedProjectKeys } from '../../../src/project/unsupported.js';
import { hookTexts } from '../../../src/execute/hooks.js';
import { writeProject } from '../../helpers/project.js';

describe('dbt project settings', () => {
  it('adds hooks up from project to folder to model, in both spellings', () => {
    const tree = { shop: { '+post-hook': 'grant a', marts: { post_hook: ['grant b', { sql: 'grant c', transaction: false }] } } };
    const folder = configFromTree(tree, ['shop', 'marts', 'm']);
    const merged = mergeConfig(folder, { 'post-hook': 'grant d', 'pre-hook': 'set x' });
    expect(hookTexts(merged['post-hook'])).toEqual(['grant a', 'grant b', 'grant c', 'grant d']);
    expect(hookTexts(merged['pre-hook'])).toEqual(['set x']);
    expect(merged).not.toHaveProperty('post_hook');
  });

  it("reads vars scoped under the project's name over the global ones, and --vars over both", () => {
    const dir = writeProject({ 'dbt_project.yml': 'name: shop\nvars:\n  top: 1\n  scoped: 0\n  shop:\n    scoped: 2\n  other_package:\n    scoped: 9\n' });
    expect(loadProject({ projectDir: dir }).vars).toMatchObject({ top: 1, scoped: 2 });
    expect(loadProject({ projectDir: dir, vars: '{scoped: 5}' }).vars).toMatchObject({ top: 1, scoped: 5 });
  });

  it('lists project keys it cannot honour, skipping bookkeeping keys and empty folders', () => {
    const dir = writeProject({ 'snapshots/s.sql': 'select 1\n' });
    const data = {
      name: 'p',
      profile: 'p',
      'config-version': 2,
      'clean-targets': ['target'],
      'analysis-paths': ['analyses'],
      quoting: {},
      'on-run-start': 'x',
      'restrict-access': true,
    };
    expect(unsupportedProjectKeys('dbt_project.yml', data, dir)).toBe(
      // A snapshots/ folder is built now, so it is not listed; restrict-access is honoured (parse/governance.ts).
      'dbt_project.yml: not supported, so ignored: quoting',
    );
    expect(unsupportedProjectKeys('dbt_project.yml', { name: 'p', models: {} }, writeProject({}))).toBeUndefined();
  });

  it('names configs with no effect once, with the nodes that set them; defaults are no-ops', () => {
    const node = (name: string, config: Record<string, unknown>) => ({ resourceType: 'model', name, config }) as unknown as Node;
    const w = unsupportedConfigWarning([
      node('a', { materialized: 'table', query_tag: 'x', persist_docs: { relation: true }, grants: {} }),
      node('b', { query_tag: 'y', on_schema_change: 'ignore', contract: { enforced: false } }),
      node('c', { on_schema_change: 'fail', 'post-hook': ['x'], bind: false }),
    ]);
    expect(w).toBe('these configs are not supported and have no effect: query_tag (a, b), bind (c)');
    expect(unsupportedConfigWarning([node('a', { materialized: 'view', tags: ['x'] })])).toBeUndefined();
  });
});
