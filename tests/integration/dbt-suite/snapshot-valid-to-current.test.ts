// dbt_valid_to_current set on a snapshot table built before it (docs.getdbt.com
// reference/resource-configs/dbt_valid_to_current: "dbt will not automatically adjust the current value
// in the existing dbt_valid_to column. Existing current records will still have dbt_valid_to set to
// NULL"; dbt-adapters snapshots/helpers.sql snapshot_staging_table reads "dbt_valid_to_current OR null"
// as current, "to correctly update records with nulls"), on the embedded DuckDB and the Snowflake emulator.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dbt, query, schemaOf, stopEmulator, suiteProject, type Target } from '../../helpers/dbt-suite.js';

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

const snapshot = (validToCurrent: boolean) => `{% snapshot snap %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='invalidate'${validToCurrent ? ', dbt_valid_to_current="cast(\'9999-12-31\' as timestamp)"' : ''}) }}
select * from {{ ref('src') }}
{% endsnapshot %}
`;
const source = (rows: [number, string, string][]) =>
  `${rows.map(([id, v, at]) => `select ${id} as id, '${v}' as v, cast('${at}' as timestamp) as updated_at`).join('\nunion all\n')}\n`;

for (const target of ['duckdb', 'snowflake'] as const satisfies Target[]) {
  describe(`snapshots on ${target}`, () => {
    afterEach(async () => {
      if (target === 'snowflake') await stopEmulator();
    });

    it('dbt_valid_to_current on a table snapshotted before it: old current rows keep null and still count as current', async () => {
      const dir = suiteProject({
        'models/src.sql': source([
          [1, 'a', '2024-01-01'],
          [2, 'b', '2024-01-01'],
          [3, 'c', '2024-01-01'],
        ]),
        'snapshots/snap.sql': snapshot(false),
      });
      const first = await dbt(dir, target, ['build']);
      expect(first.code, out(first)).toBe(0);
      // The config is set; row 1 changes, row 3 is deleted, row 4 is new, row 2 stays.
      writeFileSync(path.join(dir, 'snapshots', 'snap.sql'), snapshot(true));
      writeFileSync(
        path.join(dir, 'models', 'src.sql'),
        source([
          [1, 'a2', '2024-01-02'],
          [2, 'b', '2024-01-01'],
          [4, 'd', '2024-01-02'],
        ]),
      );
      const second = await dbt(dir, target, ['build']);
      expect(second.code, out(second)).toBe(0);
      const rows = await query(
        dir,
        target,
        `select id, v, cast(dbt_valid_to as varchar) as valid_to from ${schemaOf(target)}.snap order by id, dbt_valid_from`,
      );
      const validTo = (r: Record<string, unknown>) => (r.valid_to === null ? null : String(r.valid_to).slice(0, 10));
      expect(rows.map((r) => [r.id, r.v, validTo(r)])).toEqual([
        [1, 'a', '2024-01-02'], // closed by its change, though its dbt_valid_to was null
        [1, 'a2', '9999-12-31'],
        [2, 'b', null], // unchanged: not rewritten, as dbt
        [3, 'c', expect.stringMatching(/^\d{4}-\d\d-\d\d$/)], // deleted: closed at the snapshot's time
        [4, 'd', '9999-12-31'],
      ]);
      expect(validTo(rows[3]!)).not.toBe('9999-12-31');
    });
  });
}
