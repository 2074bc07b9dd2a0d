// CURRENT_USER(), CURRENT_ROLE() and CURRENT_WAREHOUSE() answer with the session's user, role and
// warehouse, as Snowflake's do (docs.snowflake.com/en/sql-reference/functions/current_user,
// /current_role, /current_warehouse): DuckDB's own current_user would name its process user.

const CALL = /\b(CURRENT_USER|CURRENT_ROLE|CURRENT_WAREHOUSE)\s*\(\s*\)/gi;

const text = (value: string | undefined) => (value === undefined ? 'CAST(NULL AS VARCHAR)' : `'${value.replaceAll("'", "''")}'`);

export function applySessionFunctions(sql: string, session: { user: string; role?: string; warehouse?: string }): string {
  if (!/CURRENT_(USER|ROLE|WAREHOUSE)/i.test(sql)) return sql;
  // Split on string literals and quoted names so only code is rewritten.
  return sql
    .split(/('(?:[^']|'')*'|"(?:[^"]|"")*")/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(CALL, (_, fn: string) => {
            const f = fn.toUpperCase();
            return text(f === 'CURRENT_USER' ? session.user : f === 'CURRENT_ROLE' ? (session.role ?? 'PUBLIC') : session.warehouse);
          }),
    )
    .join('');
}
