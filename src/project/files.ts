import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Files under `dir` (relative to `root`, with forward slashes) ending in one of `exts`, sorted. */
export function listFiles(root: string, dir: string, exts: readonly string[]): string[] {
  return filterByExtension(walkFiles(root, dir), exts);
}

/**
 * A `listFiles` that walks each folder once: loading a project asks the model folder for its
 * .sql, .yml and .md files, and a large project's tree is not worth reading three times.
 */
export function fileLister(root: string): (dir: string, exts: readonly string[]) => string[] {
  const walked = new Map<string, string[]>();
  return (dir, exts) => {
    let all = walked.get(dir);
    if (!all) walked.set(dir, (all = walkFiles(root, dir)));
    return filterByExtension(all, exts);
  };
}

function filterByExtension(files: string[], exts: readonly string[]): string[] {
  return files.filter((f) => {
    const lower = f.toLowerCase();
    return exts.some((x) => lower.endsWith(x));
  });
}

/** Told of every folder walked (also one that does not exist) and every file listed: what a replay of a run must find unchanged. */
export interface WalkObserver {
  folder(abs: string): void;
  file(abs: string): void;
}

let observer: WalkObserver | undefined;

/** Runs `fn` with every folder walk reported to `o` (loading a project, for the parse cache). */
export function observeWalks<T>(o: WalkObserver | undefined, fn: () => T): T {
  const before = observer;
  observer = o;
  try {
    return fn();
  } finally {
    observer = before;
  }
}

/** Reports a folder read outside a walk (one whose entries decide what is loaded) to the current observer. */
export function noteFolder(abs: string): void {
  observer?.folder(abs);
}

/** Every file under `dir` except hidden ones and node_modules, relative to `root`, in name order. */
function walkFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const start = path.resolve(root, dir);
  const seen = observer;
  seen?.folder(start);
  try {
    if (!statSync(start).isDirectory()) return out;
  } catch {
    return out;
  }
  // Relative names are built by joining names to the folder's own relative name: the same as
  // path.relative for each file, without resolving every path again.
  const walk = (abs: string, rel: string): void => {
    const entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        seen?.folder(path.join(abs, e.name));
        walk(path.join(abs, e.name), childRel);
      } else {
        seen?.file(path.join(abs, e.name));
        out.push(childRel);
      }
    }
  };
  walk(start, toPosix(path.relative(root, start)));
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
