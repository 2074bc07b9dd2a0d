import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Files under `dir` (relative to `root`, with forward slashes) ending in one of `exts`, sorted. */
export function listFiles(root: string, dir: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  const start = path.resolve(root, dir);
  try {
    if (!statSync(start).isDirectory()) return out;
  } catch {
    return out;
  }
  const walk = (abs: string): void => {
    const entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const child = path.join(abs, e.name);
      if (e.isDirectory()) walk(child);
      else if (exts.some((x) => e.name.toLowerCase().endsWith(x))) out.push(toPosix(path.relative(root, child)));
    }
  };
  walk(start);
  return out;
}

export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** File name without its extension: `models/stage/clean.sql` -> `clean`. */
export function stem(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot === -1 ? base : base.slice(0, dot);
}
