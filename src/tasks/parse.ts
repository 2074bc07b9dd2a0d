import { writeManifest } from '../execute/artifacts.js';
import { openProject, projectSelectors, type CommonOptions, type Session } from './session.js';

/** `model parse`: loads, validates and parses the project (every error it has), and writes target/manifest.json. */
export async function parse(opts: CommonOptions = {}): Promise<{ session: Session; file: string }> {
  const session = await openProject(opts);
  // Checks selectors.yml as well, and puts its selections in the manifest.
  projectSelectors(session);
  return { session, file: writeManifest(session) };
}
