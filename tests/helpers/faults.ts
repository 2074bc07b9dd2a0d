import { spawn, type ChildProcess } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';
import { MODEL_BIN, queryDuckDb, REPO_ROOT, type CliResult } from './project.js';

/** A small seeded PRNG (mulberry32): a failing fault test replays with the printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed for this run: FAULT_SEED when set (to replay a failure), else a fresh one. */
export function faultSeed(): number {
  const seed = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`fault tests: seed ${seed} (replay with FAULT_SEED=${seed})`);
  return seed;
}

export interface Running {
  child: ChildProcess;
  /** Resolves when stdout has matched `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves when stderr has matched `pattern` (at once if the process has ended). */
  waitForErr(pattern: RegExp): Promise<void>;
  done: Promise<CliResult>;
}

/** Starts the real CLI and lets the test kill or interrupt it while it runs. */
export function startModel(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Running {
  const child = spawn(process.execPath, [MODEL_BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; err: boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      if (w.pattern.test(w.err ? stderr : stdout)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    check();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    check();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of watchers) w.resolve();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    waitFor: (pattern) =>
      pattern.test(stdout) || child.exitCode !== null ? Promise.resolve() : new Promise<void>((resolve) => watchers.push({ pattern, err: false, resolve })),
    waitForErr: (pattern) =>
      pattern.test(stderr) || child.exitCode !== null ? Promise.resolve() : new Promise<void>((resolve) => watchers.push({ pattern, err: true, resolve })),
  };
}

/** Per table: row count and an order-independent hash of all rows, to tell versions apart. */
export type Fingerprints = Record<string, string>;

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/** Fingerprints of every base table in the given schemas (DuckDB SQL; the emulator runs on DuckDB too). */
export async function fingerprints(query: Query, database: string, schemas: string[]): Promise<Fingerprints> {
  const list = schemas.map((s) => `'${s}'`).join(', ');
  const tables = await query(
    `select schema_name as s, table_name as t from duckdb_tables() where database_name = '${database}' and schema_name in (${list}) order by 1, 2`,
  );
  const out: Fingerprints = {};
  for (const { s, t } of tables) {
    const name = `${String(s)}.${String(t)}`;
    if (/__model_/i.test(name)) continue;
    const [row] = await query(`select count(*) as n, coalesce(sum(hash(x)), 0) as h from "${database}"."${String(s)}"."${String(t)}" as x`);
    out[name.toLowerCase()] = `${String(row!.n)}:${String(row!.h)}`;
  }
  return out;
}

/** Temporary relations (`…__model_tmp`, `…__model_incr`) anywhere in the database. */
export async function tempLeftovers(query: Query, database: string): Promise<string[]> {
  const rows = await query(
    `select schema_name || '.' || table_name as n from duckdb_tables() where database_name = '${database}' and table_name ilike '%\\_\\_model\\_%' escape '\\'`,
  );
  return rows.map((r) => String(r.n));
}

export const duckQuery =
  (file: string): Query =>
  (sql) =>
    queryDuckDb(file, sql);

/** Runs `fn` with queries on one read-only open of a DuckDB file (opening is the slow part). */
export async function withDuckDb<T>(file: string, fn: (query: Query) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  try {
    const conn = await instance.connect();
    try {
      return await fn(async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** No stack trace and no "internal error" in what a CLI run printed. */
export function expectNoCrash(r: CliResult): string | undefined {
  const all = r.stdout + r.stderr;
  if (/internal error/.test(all) || /\n\s+at .+:\d+:\d+\)?\n/.test(all)) return all;
  return undefined;
}

/** Another process holding a DuckDB file open, as a second build or a server would; resolves once it holds it. */
export async function holdDuckDbFile(file: string): Promise<{ pid: number; release(): Promise<void> }> {
  const script = `
    const { DuckDBInstance } = await import(${JSON.stringify(path.join(REPO_ROOT, 'node_modules', '@duckdb', 'node-api', 'lib', 'index.js'))});
    const db = await DuckDBInstance.create(${JSON.stringify(file)});
    await db.connect();
    console.log('holding');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const release = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const closed = new Promise((r) => child.on('close', r));
    child.kill('SIGKILL');
    await closed;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('holding') && resolve());
      child.on('exit', (code) => reject(new Error(`the process meant to hold ${file} exited (${code}) first`)));
    });
  } catch (e) {
    await release();
    throw e;
  }
  return { pid: child.pid!, release };
}
