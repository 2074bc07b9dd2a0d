// Least privilege on Snowflake: create a database or schema only when it is missing (Snowflake
// checks CREATE DATABASE / CREATE SCHEMA even for IF NOT EXISTS), and turn an access-control
// error into the privilege, object and role it concerns, with the GRANT that fixes it.
// Privileges per operation: docs.snowflake.com/en/user-guide/security-access-control-privileges.

import type { Connection } from '../../warehouse/adapter.js';
import { snowflakeDialect as d, storedName } from './snowflake-dialect.js';

export interface MissingPrivilege {
  privilege: string;
  /** e.g. SCHEMA, DATABASE, ACCOUNT, TABLE */
  objectKind: string;
  object: string;
  role: string;
  grant: string;
}

const qualified = (parts: string[]): string => parts.map(d.quoteIdentifier).join('.');

/**
 * The privilege a failed statement needed, read from the statement and Snowflake's 003001 answer
 * ("Insufficient privileges to operate on <kind> '<name>'"). Undefined for other errors.
 */
export function missingPrivilege(message: string, sql: string, role: string, database: string, schema: string): MissingPrivilege | undefined {
  if (!/\b003001\b|Insufficient privileges to operate on/i.test(message)) return undefined;
  const on = /Insufficient privileges to operate on (\w+) '([^']*)'/i.exec(message);
  const head = sql.trim().replace(/\s+/g, ' ').toLowerCase();
  const target =
    /^(?:create (?:or replace )?(?:transient |temporary |temp |secure )*(?:table|view|schema|database|stage)(?: if not exists)?|insert into|update|delete from|merge into|truncate table|drop (?:table|view|schema)(?: if exists)?|alter table) ([^\s(]+)/.exec(
      head,
    );
  const parts = (target?.[1] ?? '').split('.').filter(Boolean);
  const make = (privilege: string, objectKind: string, object: string): MissingPrivilege => ({
    privilege,
    objectKind,
    object,
    role,
    grant: `grant ${privilege.toLowerCase()} on ${objectKind.toLowerCase()} ${object} to role ${role};`,
  });
  const schemaOf = (): string => qualified(parts.length >= 3 ? parts.slice(0, 2) : parts.length === 2 ? [database, parts[0]!] : [database, schema]);
  if (/^create database/.test(head)) return make('CREATE DATABASE', 'ACCOUNT', '');
  if (/^create (or replace )?schema/.test(head)) return make('CREATE SCHEMA', 'DATABASE', parts.length >= 2 ? parts[0]! : database);
  const kind = /^create (?:or replace )?(?:transient |temporary |temp |secure )*(table|view|stage)/.exec(head)?.[1];
  if (kind && on?.[1]?.toLowerCase() === 'schema') return make(`CREATE ${kind.toUpperCase()}`, 'SCHEMA', schemaOf());
  const dml = /^(insert|update|delete|merge|truncate)/.exec(head)?.[1];
  const table = qualified(parts.length >= 3 ? parts : [database, schema, ...parts].slice(-3));
  if (dml) return make(dml === 'merge' ? 'INSERT, UPDATE' : dml.toUpperCase(), 'TABLE', table);
  // Replacing, swapping or dropping a table needs its ownership.
  if (on && /^(create|drop|alter)/.test(head)) {
    return {
      ...make('OWNERSHIP', on[1]!.toUpperCase(), table),
      grant: `grant ownership on ${on[1]!.toLowerCase()} ${table} to role ${role} copy current grants;`,
    };
  }
  return on ? make('USAGE', on[1]!.toUpperCase(), on[2]!) : undefined;
}

/** A sentence for the user: which privilege, on what, for whom, and the fix. */
export function describeMissing(m: MissingPrivilege): { message: string; hint: string } {
  const on = m.objectKind === 'ACCOUNT' ? 'the account' : `${m.objectKind.toLowerCase()} ${m.object}`;
  const grant = m.objectKind === 'ACCOUNT' ? `grant ${m.privilege.toLowerCase()} on account to role ${m.role};` : m.grant;
  return {
    message: `role ${m.role} lacks the ${m.privilege} privilege on ${on}`,
    hint: `an administrator can grant it: ${grant}`,
  };
}

/**
 * The schemas of a database this role can see, or undefined when the database is missing or
 * hidden from it (a database always lists at least INFORMATION_SCHEMA).
 */
async function visibleSchemas(conn: Connection, database: string): Promise<Set<string> | undefined> {
  const r = await conn.execute(`select schema_name from ${d.quoteIdentifier(database)}.information_schema.schemata`).catch(() => undefined);
  if (!r || r.rows.length === 0) return undefined;
  return new Set(r.rows.map((row) => String(row[0])));
}

/** Creates the database and the schema only when they do not exist yet. */
export async function ensureDatabaseAndSchema(conn: Connection, database: string, schema: string): Promise<void> {
  const schemas = await visibleSchemas(conn, database);
  if (!schemas) await conn.execute(`create database if not exists ${d.quoteIdentifier(database)}`);
  if (!schemas?.has(storedName(schema))) await conn.execute(d.createSchema(database, schema));
}
