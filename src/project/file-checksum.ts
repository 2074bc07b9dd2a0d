import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Project } from './load-project.js';

export interface Checksum {
  name: 'sha256';
  checksum: string;
}

/** dbt's `checksum` of some contents: `{name: 'sha256', checksum}`. */
export function checksumOf(contents: string | Buffer): Checksum {
  return { name: 'sha256', checksum: createHash('sha256').update(contents).digest('hex') };
}

/**
 * The checksum of a project file (a seed's CSV), read when asked for: only artifacts and state
 * comparison need it. A file that cannot be read has the checksum of nothing.
 */
export function projectFileChecksum(project: Project, file: string): Checksum {
  try {
    return checksumOf(readFileSync(path.resolve(project.dir, file)));
  } catch {
    return checksumOf('');
  }
}
