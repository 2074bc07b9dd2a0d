import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { redact } from '../secrets.js';

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

