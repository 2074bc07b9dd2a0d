// What INFORMATION_SCHEMA.TABLES says about a table or view that DuckDB keeps no record of: the
// role that owns it (TABLE_OWNER: "Name of the role that owns the table") and when it last
// changed (LAST_ALTERED). Ownership is the access model's (access-control.ts); the time is that
// of the last statement that created, replaced, swapped or renamed the relation (DML is not
// tracked: DuckDB gives no hook for it). Each session reads both through a table macro it
// re-creates when they change, as it does the table kinds (table-kinds.ts).

import { quoteString } from './tokenizer.js';

/** The session table macro: (fact_database, fact_schema, fact_table, fact_owner, fact_altered), names decoded. */
export const RELATION_FACTS_MACRO = 'SF_RELATION_FACTS';

const EMPTY = `CREATE OR REPLACE TEMP MACRO ${RELATION_FACTS_MACRO}() AS TABLE SELECT NULL::VARCHAR AS fact_database, NULL::VARCHAR AS fact_schema, NULL::VARCHAR AS fact_table, NULL::VARCHAR AS fact_owner, NULL::TIMESTAMPTZ AS fact_altered WHERE false`;

/** Session setup: the macro with no facts, before anything that reads it is defined. */
export const NO_RELATION_FACTS_SQL = EMPTY;

/** Ownership of `TABLE:<db>.<schema>.<table>` keys, with a version that changes on every change. */
export class OwnerMap extends Map<string, string> {
  version = 0;
  /** When each relation (by `<db>.<schema>.<table>`) last changed, epoch milliseconds. */
  readonly altered = new Map<string, number>();

  override set(key: string, role: string): this {
    this.version++;
    if (key.startsWith('TABLE:')) this.altered.set(key.slice(6), Date.now());
    return super.set(key, role);
  }

  override delete(key: string): boolean {
    this.version++;
    if (key.startsWith('TABLE:')) this.altered.delete(key.slice(6));
    return super.delete(key);
  }

  /** The DuckDB statement (re)creating the session's macro of relation facts. */
  macroSql(): string {
    const rows: string[] = [];
    for (const [key, role] of this) {
      if (!key.startsWith('TABLE:')) continue;
      const name = key.slice(6);
      const parts = name.split('.');
      // A name with a dot inside one of its parts cannot be split back: left to the defaults.
      if (parts.length !== 3) continue;
      const at = this.altered.get(name);
      const time = at === undefined ? 'NULL::TIMESTAMPTZ' : `to_timestamp(${at / 1000})`;
      rows.push(`(${parts.map(quoteString).join(', ')}, ${quoteString(role)}, ${time})`);
    }
    if (!rows.length) return EMPTY;
    return `CREATE OR REPLACE TEMP MACRO ${RELATION_FACTS_MACRO}() AS TABLE SELECT * FROM (VALUES ${rows.join(', ')}) AS t(fact_database, fact_schema, fact_table, fact_owner, fact_altered)`;
  }
}
