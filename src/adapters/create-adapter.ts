import type { TargetConfig } from '../project/profiles.js';
import type { Adapter } from '../warehouse/adapter.js';
import type { Dialect } from '../warehouse/dialect.js';
import { duckDbDialect } from './duckdb/duckdb-dialect.js';

/** The pure SQL dialect of a target: available without connecting (compile, docs). */
export async function dialectFor(target: TargetConfig): Promise<Dialect> {
  if (target.type === 'duckdb') return duckDbDialect;
  const { snowflakeDialect } = await import('./snowflake/snowflake-dialect.js');
  return snowflakeDialect;
}

/** Creates the adapter for a target. Warehouse clients are imported only when used. */
export async function createAdapter(target: TargetConfig, database: string, projectDir: string): Promise<Adapter> {
  if (target.type === 'duckdb') {
    const { DuckDbAdapter } = await import('./duckdb/duckdb-adapter.js');
    return new DuckDbAdapter(target as Extract<TargetConfig, { type: 'duckdb' }>, database, projectDir);
  }
  // snowflake-sdk is loaded only here, for a snowflake target (and then with its cloud probing off).
  const { SnowflakeAdapter } = await import('./snowflake/snowflake-adapter.js');
  return new SnowflakeAdapter(target as Extract<TargetConfig, { type: 'snowflake' }>, database, projectDir);
}
