// The floor for `model run` and `model build` as issue 18 defines it: the same SQL as plain DuckDB
// statements, without the engine's bookkeeping. It reads the statements a run logged (MODEL_SQL_LOG)
// and keeps only the work a hand-written script would do: each model, seed and source created
// straight under its final name (`create or replace table x as <compiled SQL>`, the seed's inserts),
// views, and each data test's count query. Left out: the temporary names and their swap (rename,
// drop of the old relation), transactions, `describe`, the column probes (`limit 0`) and the
// information_schema look-ups. Plain JavaScript, one connection, the same memory limit.
//
//   node bench/plain-duckdb.mjs [--keep] <statements.jsonl> <database file> [memory_limit]
//
// --keep runs on the database file as it is (for `model run`, which reads seeds loaded before it).
import { readFileSync, rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const keep = args[0] === '--keep';
const [log, dbFile, memoryLimit = '2048MiB'] = keep ? args.slice(1) : args;
if (!log || !dbFile) {
  process.stderr.write('usage: node bench/plain-duckdb.mjs [--keep] <statements.jsonl> <database file> [memory_limit]\n');
  process.exit(2);
}
if (!keep) {
  rmSync(dbFile, { force: true });
  rmSync(`${dbFile}.wal`, { force: true });
}

const TMP = /"([^"]+)__model_tmp"/g;
const BOOKKEEPING = [
  /^use /,
  /^(begin transaction|commit|rollback)$/,
  /^describe /,
  / limit 0$/,
  /information_schema\./,
  /^alter table .* rename to /,
  /^drop (table|view) /,
];

/** @type {{ c: number; sql: string; binds?: (string | number | boolean | null)[] }[]} */
const logged = readFileSync(log, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
// Statements of one transaction stay together, in the order the transactions started (as in
// direct-duckdb.mjs: a node starts only after what it reads has committed, so that order is valid).
const units = [];
const open = new Map();
for (const s of logged) {
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
/** Seconds per kind of statement, printed at the end: where a build's warehouse time goes. */
const spent = { load: 0, model: 0, test: 0, other: 0 };
const kind = (sql) =>
  /read_parquet|read_csv|^insert /.test(sql) ? 'load' : /failures from/.test(sql) ? 'test' : /^create or replace (table|view)/.test(sql) ? 'model' : 'other';
for (const unit of units) {
  for (const s of unit) {
    if (BOOKKEEPING.some((re) => re.test(s.sql))) continue;
    const sql = s.sql.replace(TMP, '"$1"');
    const started = performance.now();
    // Tests and other queries are read to the end, as a script would read their answer.
    if (/^\s*(select|with)\b/i.test(sql)) await conn.runAndReadAll(sql, s.binds);
    else await conn.run(sql, s.binds);
    spent[kind(sql)] += (performance.now() - started) / 1000;
    count++;
  }
}
conn.closeSync();
instance.closeSync();
process.stdout.write(
  `ran ${count} statements; seconds: ${Object.entries(spent)
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join(', ')}\n`,
);
