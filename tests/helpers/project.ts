import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODEL_BIN = path.join(REPO_ROOT, 'bin', 'model.js');
/** The real 285,570-row extract, when this machine has it (CI does; a laptop may not). */
export const REAL_DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'vouchers_2018.parquet.gzip');
export const hasRealData = existsSync(REAL_DATA);

/** Writes a project given as `{ relative path: contents }` into a fresh temp folder. */
export function writeProject(files: Record<string, string>, dir?: string): string {
  const root = dir ?? mkdtempSync(path.join(os.tmpdir(), 'model-test-'));
  for (const [rel, text] of Object.entries(files)) {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  return root;
}

/** A copy of the shipped segmentation project (without target/) in a temp folder. */
export function copyShippedProject(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'model-shipped-'));
  for (const entry of ['project.yml', 'profiles.yml', 'models', 'seeds', 'macros', 'data-tests', 'data']) {
    const src = path.join(REPO_ROOT, entry);
    if (existsSync(src)) cpSync(src, path.join(root, entry), { recursive: true });
  }
  return root;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`bin/model.js`, built to dist/) as a child process. */
export function runModel(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MODEL_BIN, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Reads rows from a DuckDB file as objects (opened read-only, then closed). */
export async function queryDuckDb(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  try {
    const conn = await instance.connect();
    const reader = await conn.runAndReadAll(sql);
    const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
    conn.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}
