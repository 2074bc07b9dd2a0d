import { writeManifest } from '../execute/artifacts.js';
import { openProject, type CommonOptions, type Session } from './session.js';

/** `model parse`: loads, validates and parses the project (every error it has), and writes target/manifest.json. */
export async function parse(opts: CommonOptions = {}): Promise<{ session: Session; file: string }> {
  const session = await openProject(opts);
  return { session, file: writeManifest(session) };
}
