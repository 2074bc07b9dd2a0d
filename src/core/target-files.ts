import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackgroundWrites } from './background-writes.js';
import { redact } from './secrets.js';

const madeDirs = new Set<string>();
/** Folders this process created: a file in one that this process did not write (`writtenInNew`) is not there. */
const newDirs = new Set<string>();
const writtenInNew = new Set<string>();

/**
 * Writes a file under target/ (compiled or run SQL), redacted. Skips the write when the file
 * already holds exactly this text: on large projects rewriting thousands of unchanged files
 * costs more than compiling them, and reading is an order of magnitude cheaper than writing.
 */
export function writeTargetFile(abs: string, text: string, writer?: BackgroundWrites): void {
  const content = `${redact(text)}\n`;
  const dir = path.dirname(abs);
  if (!madeDirs.has(dir)) {
    // The first folder it had to create, if any: then `dir` is new (a cold compile writes only into new folders).
    if (mkdirSync(dir, { recursive: true }) !== undefined) newDirs.add(dir);
    madeDirs.add(dir);
  }
  const fresh = newDirs.has(dir);
  if (writer) {
    // The same decisions, the system calls on the writer's thread (it reads first when the file may be there).
    const mayExist = !fresh || writtenInNew.has(abs);
    if (fresh) writtenInNew.add(abs);
    writer.write(abs, content, mayExist);
    return;
  }
  if (!fresh || writtenInNew.has(abs)) {
    try {
      if (readFileSync(abs, 'utf8') === content) return;
    } catch {
      // Not there yet: write it.
    }
  }
  if (fresh) writtenInNew.add(abs);
  try {
    writeFileSync(abs, content);
  } catch (e) {
    // The folder went away since this process made it (`model clean` while a server runs).
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dir, { recursive: true });
    writeFileSync(abs, content);
  }
}

/** What a target/ path is made of: the project folder, its target-path and its name. */
export interface TargetDirs {
  dir: string;
  targetDir: string;
  name: string;
}

/**
 * Writes a node's SQL to `target/<kind>/<project>/<file>` (write-if-changed, redacted) and
 * returns that path relative to the project, with forward slashes, as messages and artifacts show it.
 * With a `writer`, the file is written on its thread: it is there once `writer.finish()` returned.
 * The one place the layout of target/compiled and target/run is decided.
 */
export function writeNodeSql(project: TargetDirs, kind: 'compiled' | 'run', file: string, sql: string, writer?: BackgroundWrites): string {
  const { abs, rel } = nodeSqlPath(project, kind, file);
  writeTargetFile(abs, sql, writer);
  return rel;
}

/** Where writeNodeSql puts a node's SQL: the absolute path, and the path relative to the project as messages show it. */
export function nodeSqlPath(project: TargetDirs, kind: 'compiled' | 'run', file: string): { abs: string; rel: string } {
  // One path.relative per folder, not per file: on a large project this runs thousands of times.
  const key = `${project.dir}\0${project.targetDir}\0${kind}\0${project.name}`;
  let folder = nodeSqlFolders.get(key);
  if (folder === undefined) {
    folder = path.join(path.relative(project.dir, project.targetDir), kind, project.name);
    nodeSqlFolders.set(key, folder);
  }
  const rel = path.join(folder, file);
  return { abs: path.join(project.dir, rel), rel: path.sep === '/' ? rel : rel.split(path.sep).join('/') };
}

const nodeSqlFolders = new Map<string, string>();
