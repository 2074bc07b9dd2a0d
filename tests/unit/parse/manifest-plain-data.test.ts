import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { openProject } from '../../../src/index.js';
import { writeProject } from '../../helpers/project.js';

// The manifest is what a parse cache stores: plain data that survives a structured clone unchanged
// (a function anywhere in it makes structuredClone throw; a class instance comes back as a plain
// object, which toStrictEqual tells apart).
describe('the manifest', () => {
  it('is plain, serialisable data', async () => {
    const dir = writeProject({
      'project.yml': 'name: p\ntest-paths: [data-tests]\nvars:\n  n: 2\n',
      'macros/m.sql': '{% macro twice(x) %}({{ x }} * {{ var("n") }}){% endmacro %}',
      'seeds/s.csv': 'id,v\n1,a\n',
      'models/a.sql': "{{ config(materialized='table', tags=['t']) }} select {{ twice('id') }} as id from {{ ref('s') }}",
      'models/b.sql': "select * from {{ ref('a') }} join {{ source('raw', 't') }} using (id)",
      'models/schema.yml': [
        'version: 2',
        'sources:',
        '  - name: raw',
        '    tables: [{name: t}]',
        'models:',
        '  - name: a',
        '    description: "A {{ doc(\'a_doc\') }}"',
        '    columns:',
        '      - name: id',
        '        data_tests: [not_null, unique]',
      ].join('\n'),
      'models/docs.md': '{% docs a_doc %}the a model{% enddocs %}',
      'data-tests/b_positive.sql': "select * from {{ ref('b') }} where id < 0",
    });
    const { manifest } = await openProject({ projectDir: dir });
    expect(manifest.nodes.size).toBeGreaterThan(5);
    expect(structuredClone(manifest)).toStrictEqual(manifest);
    expect(deserialize(serialize(manifest))).toStrictEqual(manifest);
  });
});
