import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ProjectError } from '../core/errors.js';
import type { Project } from './load-project.js';

/** A project file's text (a seed a unit test reads its rows from), or an error naming it. */
export function readProjectFile(project: Project, file: string): string {
  try {
    return readFileSync(path.join(project.dir, file), 'utf8');
  } catch (e) {
    throw new ProjectError('project', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { location: { file } });
  }
}
