import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { redact } from './secrets.js';

const madeDirs = new Set<string>();

/**
 * Writes a file under target/ (compiled or run SQL), redacted. Skips the write when the file
 * already holds exactly this text: on large projects rewriting thousands of unchanged files
 * costs more than compiling them, and reading is an order of magnitude cheaper than writing.
 */
export function writeTargetFile(abs: string, text: string): void {
  const content = `${redact(text)}\n`;
  const dir = path.dirname(abs);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }
  try {
    if (readFileSync(abs, 'utf8') === content) return;
  } catch {
    // Not there yet: write it.
  }
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
 * The one place the layout of target/compiled and target/run is decided.
 */
export function writeNodeSql(project: TargetDirs, kind: 'compiled' | 'run', file: string, sql: string): string {
  const abs = path.join(project.targetDir, kind, project.name, file);
  writeTargetFile(abs, sql);
  return path.relative(project.dir, abs).split(path.sep).join('/');
}
