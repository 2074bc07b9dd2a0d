import { createHash } from 'node:crypto';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ProjectError } from '../core/errors.js';
import type { SourceNode } from '../parse/nodes.js';
import type { ExternalFile } from '../warehouse/adapter.js';

export interface ResolveContext {
  projectDir: string;
  cacheDir: string;
  progress?: (message: string) => void;
}

/** Turns a source's `external.location` (path or http(s) URL) into a checked local file. */
export async function resolveExternalFile(node: SourceNode, ctx: ResolveContext): Promise<ExternalFile> {
  const ext = node.external!;
  const where = { location: node.location };
  let file: string;
  if (/^https?:\/\//i.test(ext.location)) {
    file = await download(ext.location, ctx, node);
  } else {
    file = path.resolve(ctx.projectDir, ext.location.replace(/^file:\/\//, ''));
  }
  const label = `source '${node.sourceName}.${node.tableName}'`;
  if (!existsSync(file)) {
    throw new ProjectError('source', `${label}: the data file ${ext.location} does not exist (looked at ${file})`, {
      ...where,
      hint: "check the path; relative paths are read from the project folder. With the shipped project: --vars '{vouchers_path: path/to/file.parquet}'",
    });
  }
  const st = statSync(file);
  if (st.isDirectory()) throw new ProjectError('source', `${label}: ${ext.location} is a folder, not a data file`, where);
  if (st.size === 0) throw new ProjectError('source', `${label}: the data file ${ext.location} is empty (0 bytes)`, where);
  const format = ext.format ?? sniffFormat(file);
  if (format === 'csv' && !ext.format && /\.parquet(\.\w+)?$/i.test(file)) {
    throw new ProjectError('source', `${label}: ${ext.location} is not a Parquet file (it does not start with the bytes PAR1)`, {
      ...where,
      hint: 'check that the file was written as Parquet, or give a .csv file',
    });
  }
  if (format === 'parquet') checkParquet(file, st.size, label, ext.location, node);
  return { path: file, format };
}

function readBytes(file: string, position: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, position);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Parquet files start and end with `PAR1`, whatever their name says (`.parquet.gzip` is common). */
function sniffFormat(file: string): 'parquet' | 'csv' {
  return readBytes(file, 0, 4).toString('latin1') === 'PAR1' ? 'parquet' : 'csv';
}

function checkParquet(file: string, size: number, label: string, location: string, node: SourceNode): void {
  const tail = size >= 8 ? readBytes(file, size - 4, 4).toString('latin1') : '';
  if (tail !== 'PAR1') {
    throw new ProjectError('source', `${label}: ${location} is not a complete Parquet file (its footer is missing: truncated or still being written?)`, {
      location: node.location,
      hint: 'download or copy the file again',
    });
  }
}

async function download(url: string, ctx: ResolveContext, node: SourceNode): Promise<string> {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'data');
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
  const file = path.join(ctx.cacheDir, `${key}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  if (existsSync(file)) return file;
  mkdirSync(ctx.cacheDir, { recursive: true });
  const partial = `${file}.partial`;
  const say = ctx.progress ?? (() => undefined);
  say(`Downloading ${redactUrl(url)}`);
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    throw new ProjectError(
      'source',
      `cannot download ${redactUrl(url)}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`,
      {
        location: node.location,
      },
    );
  }
  if (!response.ok || !response.body) {
    throw new ProjectError('source', `cannot download ${redactUrl(url)}: HTTP ${response.status} ${response.statusText}`, { location: node.location });
  }
  const total = Number(response.headers.get('content-length') ?? 0);
  let received = 0;
  let lastShown = -1;
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  body.on('data', (chunk: Buffer) => {
    received += chunk.length;
    const pct = total ? Math.floor((received / total) * 10) * 10 : -1;
    if (pct !== lastShown && pct >= 0) {
      lastShown = pct;
      say(`  ${pct}% (${(received / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB)`);
    }
  });
  try {
    await pipeline(body, createWriteStream(partial));
  } catch (e) {
    rmSync(partial, { force: true });
    throw new ProjectError('source', `download of ${redactUrl(url)} failed: ${(e as Error).message}`, { location: node.location });
  }
  if (total && received !== total) {
    rmSync(partial, { force: true });
    throw new ProjectError('source', `download of ${redactUrl(url)} stopped at ${received} of ${total} bytes`, { location: node.location });
  }
  renameSync(partial, file);
  say(`  saved to ${path.relative(process.cwd(), file)} (${(received / 1e6).toFixed(1)} MB), reused next time`);
  return file;
}

/** URLs may carry credentials or signed tokens: show scheme, host and path only. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '<url>';
  }
}
