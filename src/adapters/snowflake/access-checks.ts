// `model debug` on Snowflake: can this session run the build? It checks the warehouse, the role,
// the database and, per schema the build writes, the privileges the build will ask for, reading
// SHOW GRANTS through the role hierarchy instead of trying statements (debug writes nothing).
// Privileges per operation: docs.snowflake.com/en/user-guide/security-access-control-privileges
// (USAGE on warehouse/database/schema; CREATE TABLE/VIEW on a schema; CREATE SCHEMA on a database;
// CREATE DATABASE on the account; OWNERSHIP to replace a table). SHOW GRANTS TO ROLE lists a
// granted role as USAGE on ROLE: docs.snowflake.com/en/sql-reference/sql/show-grants.

import type { AccessCheck, Connection, PlannedWrite } from '../../warehouse/adapter.js';
import { snowflakeDialect as d, storedName } from './snowflake-dialect.js';

interface Held {
  roles: Set<string>;
  /** `PRIVILEGE|KIND|NAME`, names as SHOW GRANTS spells them */
  grants: Set<string>;
}

const key = (privilege: string, kind: string, name: string) => `${privilege}|${kind}|${name}`.toUpperCase();

/** The roles the session's role inherits (itself and PUBLIC included) and every grant they hold. */
async function heldBy(conn: Connection, role: string): Promise<Held> {
  const held: Held = { roles: new Set(), grants: new Set() };
  const queue = [role, 'PUBLIC'];
  while (queue.length) {
    const r = queue.shift()!;
    if (held.roles.has(r)) continue;
    held.roles.add(r);
    const result = await conn.execute(`show grants to role ${d.quoteIdentifier(r)}`).catch(() => undefined);
    if (!result) continue;
    const col = (name: string) => result.columns.findIndex((c) => c.name.toLowerCase() === name);
    const [privilege, on, name] = [col('privilege'), col('granted_on'), col('name')];
    for (const row of result.rows) {
      const p = String(row[privilege]);
      const kind = String(row[on]);
      const n = String(row[name]).replace(/"/g, '');
      if (kind.toUpperCase() === 'ROLE' && p.toUpperCase() === 'USAGE') queue.push(n.toUpperCase());
      held.grants.add(key(p, kind, n));
    }
  }
  return held;
}

function holds(held: Held, privilege: string, kind: string, name: string): boolean {
  return held.grants.has(key(privilege, kind, name)) || held.grants.has(key('OWNERSHIP', kind, name)) || held.grants.has(key('ALL', kind, name));
}

async function visibleSchemas(conn: Connection, database: string): Promise<Set<string> | undefined> {
  const r = await conn.execute(`select schema_name from ${d.quoteIdentifier(database)}.information_schema.schemata`).catch(() => undefined);
  if (!r || r.rows.length === 0) return undefined;
  return new Set(r.rows.map((row) => String(row[0])));
}

async function existingTables(conn: Connection, database: string, schema: string): Promise<Set<string>> {
  const r = await conn
    .execute(`select table_name from ${d.quoteIdentifier(database)}.information_schema.tables where table_schema = ? and table_type <> 'VIEW'`, [
      storedName(schema),
    ])
    .catch(() => undefined);
  return new Set((r?.rows ?? []).map((row) => String(row[0])));
}

export interface SessionTarget {
  /** the role the target asks for, if any */
  role?: string;
  warehouse?: string;
  user: string;
  database: string;
  schema: string;
}

/** Every check, in the order a build meets them. */
export async function checkBuildAccess(conn: Connection, target: SessionTarget, writes: PlannedWrite[]): Promise<AccessCheck[]> {
  const checks: AccessCheck[] = [];
  const [current] = (await conn.execute('select current_role(), current_warehouse()')).rows;
  const role = String(current?.[0] ?? 'PUBLIC');
  const warehouse = current?.[1] === null || current?.[1] === undefined ? undefined : String(current[1]);
  const r = role.toLowerCase();
  checks.push({ what: 'role', ok: true, detail: `${role}${target.role ? '' : " (the user's default role; set role: in the target to pin it)"}` });
  if (warehouse) checks.push({ what: 'warehouse', ok: true, detail: warehouse });
  else if (target.warehouse) {
    checks.push({
      what: 'warehouse',
      ok: false,
      detail: `the session has no warehouse: ${target.warehouse} is missing or role ${role} may not use it`,
      fix: `grant usage on warehouse ${target.warehouse} to role ${r};`,
    });
  } else {
    checks.push({
      what: 'warehouse',
      ok: false,
      detail: 'the session has no warehouse (the target names none and the user has no DEFAULT_WAREHOUSE)',
      fix: `set warehouse: in the target, or: alter user ${target.user} set default_warehouse = <warehouse>;`,
    });
  }

  // The catalog (information_schema) needs a running warehouse: without one the rest cannot be told.
  if (!warehouse) return checks;
  const held = await heldBy(conn, role);
  // The system roles that create databases hold CREATE DATABASE on the account.
  const mayCreateDatabase = held.roles.has('ACCOUNTADMIN') || held.roles.has('SYSADMIN') || holds(held, 'CREATE DATABASE', 'ACCOUNT', '');
  const byDatabase = new Map<string, Map<string, PlannedWrite[]>>();
  for (const w of writes) {
    const db = byDatabase.get(w.relation.database) ?? new Map<string, PlannedWrite[]>();
    byDatabase.set(w.relation.database, db);
    db.set(w.relation.schema, [...(db.get(w.relation.schema) ?? []), w]);
  }
  // The build lock is a table in the target's own schema: CREATE TABLE there (the lock table is shared, so not owned).
  const own = byDatabase.get(target.database) ?? new Map<string, PlannedWrite[]>();
  byDatabase.set(target.database, own);
  if (!own.has(target.schema)) own.set(target.schema, []);
  for (const [database, schemas] of byDatabase) {
    const dbName = storedName(database);
    const visible = await visibleSchemas(conn, database);
    if (visible) checks.push({ what: `database ${database}`, ok: true, detail: 'exists, and the role can use it' });
    else {
      checks.push({
        what: `database ${database}`,
        ok: mayCreateDatabase,
        detail: mayCreateDatabase ? 'missing: the build creates it' : `missing, or role ${role} has no USAGE on it (and may not create it)`,
        ...(mayCreateDatabase ? {} : { fix: `create database ${database}; grant usage on database ${database} to role ${r};` }),
      });
    }
    for (const [schema, planned] of schemas) {
      const name = `${dbName}.${storedName(schema)}`;
      const where = `schema ${database}.${schema}`;
      if (!visible?.has(storedName(schema))) {
        const ok = mayCreateDatabase || holds(held, 'CREATE SCHEMA', 'DATABASE', dbName);
        checks.push({
          what: where,
          ok,
          detail: ok ? 'missing: the build creates it' : `missing, or role ${role} has no USAGE on it, and it lacks CREATE SCHEMA on database ${database}`,
          ...(ok ? {} : { fix: `grant create schema on database ${database} to role ${r};  (or create the schema and grant usage on it)` }),
        });
        continue;
      }
      const needed = [...new Set(planned.map((p) => (p.kind === 'view' ? 'CREATE VIEW' : 'CREATE TABLE')))];
      if (database === target.database && schema === target.schema && !needed.includes('CREATE TABLE')) needed.push('CREATE TABLE');
      const missing = needed.filter((p) => !holds(held, p, 'SCHEMA', name));
      checks.push({
        what: where,
        ok: missing.length === 0,
        detail: missing.length ? `role ${role} lacks ${missing.join(' and ')}` : `${needed.join(', ') || 'USAGE'}: held`,
        ...(missing.length ? { fix: missing.map((p) => `grant ${p.toLowerCase()} on schema ${database}.${schema} to role ${r};`).join(' ') } : {}),
      });
      // Replacing a table needs its ownership (a table another role owns cannot be swapped).
      const tables = await existingTables(conn, database, schema);
      const notOwned = planned.filter(
        (p) => tables.has(storedName(p.relation.identifier)) && !holds(held, 'OWNERSHIP', 'TABLE', `${name}.${storedName(p.relation.identifier)}`),
      );
      if (notOwned.length) {
        const list = notOwned.map((p) => `${database}.${schema}.${p.relation.identifier}`);
        checks.push({
          what: `tables in ${database}.${schema}`,
          ok: false,
          detail: `role ${role} does not own ${list.join(', ')}, which the build replaces`,
          fix: list.map((t) => `grant ownership on table ${t} to role ${r} copy current grants;`).join(' '),
        });
      }
    }
  }
  return checks;
}
