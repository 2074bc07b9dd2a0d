import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runModel, writeProject } from '../helpers/project.js';

// dbt-core config/project.py and context/configured.py: a package's dbt_project.yml configs and
// its properties files render `var()` with that package's vars (its own `vars:`, under the root
// project's `vars: {<package>: …}`), at parse time too, as the Fivetran-style packages need
// (`+schema: "{{ var('stripe_schema', 'stripe') }}"`, a source `schema:` from a var).
describe('package vars at parse time', () => {
  it('a package folder config, source and config() read the package vars, the root overriding them', async () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: shop\nprofile: shop\nvars:\n  pk:\n    pk_alias: root_alias\n',
      'profiles.yml': 'shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/shop.duckdb\n      schema: main\n',
      'packages.yml': 'packages:\n  - local: pk\n',
      'pk/dbt_project.yml': `name: pk
vars:
  pk_schema: from_pkg
  pk_src_schema: raw_pk
  pk_alias: pkg_alias
  pk_on: true
models:
  pk:
    +schema: "{{ var('pk_schema') }}"
    +enabled: "{{ var('pk_on') }}"
`,
      'pk/models/src.yml': 'version: 2\nsources:\n  - name: s\n    schema: "{{ var(\'pk_src_schema\') }}"\n    tables:\n      - name: t\n',
      'pk/models/pm.sql': "{{ config(alias=var('pk_alias'), materialized='table') }}\nselect 1 as x\n",
    });
    const deps = await runModel(['deps', '--project-dir', dir]);
    expect(deps.code, deps.stdout + deps.stderr).toBe(0);
    const parse = await runModel(['parse', '--project-dir', dir]);
    expect(parse.code, parse.stdout + parse.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) as {
      nodes: Record<string, { schema: string; alias: string }>;
      sources: Record<string, { schema: string }>;
    };
    expect(manifest.nodes['model.pk.pm']).toMatchObject({ schema: 'main_from_pkg', alias: 'root_alias' });
    expect(manifest.sources['source.pk.s.t']!.schema).toBe('raw_pk');
  });
});
