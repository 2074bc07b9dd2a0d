// CURRENT_USER() and CURRENT_ROLE() answer with the session's user and role, as Snowflake's do
// (docs.snowflake.com/en/sql-reference/functions/current_user, /current_role): DuckDB's own
// current_user would name its process user.

const CALL = /\b(CURRENT_USER|CURRENT_ROLE)\s*\(\s*\)/gi;

export function applySessionFunctions(sql: string, session: { user: string; role?: string }): string {
  if (!/CURRENT_(USER|ROLE)/i.test(sql)) return sql;
  // Split on string literals and quoted names so only code is rewritten.
  return sql
    .split(/('(?:[^']|'')*'|"(?:[^"]|"")*")/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(CALL, (_, fn: string) => `'${(fn.toUpperCase() === 'CURRENT_USER' ? session.user : (session.role ?? 'PUBLIC')).replaceAll("'", "''")}'`),
    )
    .join('');
}
