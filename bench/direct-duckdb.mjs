// The floor for `model build`: replays the exact statements a build ran (captured with
// MODEL_SQL_LOG) on a fresh DuckDB file from a plain script (plain JavaScript, so nothing but
// Node and DuckDB starts), one unit after another on one connection, with the same memory limit.
//
//   node bench/direct-duckdb.mjs <statements.jsonl> <database file> [memory_limit]
import { readFileSync, rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [log, dbFile, memoryLimit = '2048MiB'] = process.argv.slice(2);
if (!log || !dbFile) {
  process.stderr.write('usage: node bench/direct-duckdb.mjs <statements.jsonl> <database file> [memory_limit]\n');
  process.exit(2);
}
rmSync(dbFile, { force: true });
rmSync(`${dbFile}.wal`, { force: true });

/** @type {{ c: number; sql: string; binds?: (string | number | boolean | null)[] }[]} */
const logged = readFileSync(log, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
// The build ran on several connections, so their transactions interleave in the log. Regroup
// each transaction (or lone statement) as a unit, in the order the units started: a node only
// starts after the nodes it reads have committed, so that order is a valid one.
const units = [];
const open = new Map();
for (const s of logged) {
  if (s.sql.startsWith('use ')) continue;
  const current = open.get(s.c);
  if (current) {
    current.push(s);
    if (s.sql === 'commit' || s.sql === 'rollback') open.delete(s.c);
  } else if (s.sql === 'begin transaction') {
    const unit = [s];
    units.push(unit);
    open.set(s.c, unit);
  } else units.push([s]);
}
const database = dbFile.replace(/\\/g, '/').split('/').pop().replace(/\..*$/, '');
const instance = await DuckDBInstance.create(':memory:', { memory_limit: memoryLimit });
const conn = await instance.connect();
await conn.run(`attach '${dbFile.replace(/'/g, "''")}' as "${database}"`);
await conn.run(`use "${database}"`);
let count = 0;
for (const unit of units) {
  for (const s of unit) {
    await conn.run(s.sql, s.binds);
    count++;
  }
}
conn.closeSync();
instance.closeSync();
process.stdout.write(`ran ${count} statements\n`);
