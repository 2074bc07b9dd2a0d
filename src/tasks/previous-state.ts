import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ProjectError } from '../core/errors.js';
import type { PreviousState, StateManifest } from '../graph/previous-state.js';
import { isPlainObject } from '../core/util.js';

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ProjectError('usage', `--state: no ${what} at ${file}`, {
      hint: `copy the ${path.basename(file)} of the run to compare with (its target/ folder) into that folder`,
    });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ProjectError('usage', `--state: ${file} is not valid JSON: ${(e as Error).message}`, {
      location: { file },
      hint: 'use the file as the earlier run wrote it',
    });
  }
}

/**
 * The artifacts of an earlier run (`--state DIR`, or `DBT_STATE`): its `manifest.json`, and its
 * `run_results.json` when there is one (for `result:` selectors and `retry`). Written by dbt or
 * by this engine: only the fields dbt's manifest has are read. A relative folder is relative to
 * the project folder, as dbt-core's `contracts/state.py` (PreviousState) resolves it.
 */
export function loadPreviousState(dir: string, projectDir: string): PreviousState {
  const abs = path.resolve(projectDir, dir);
  if (!existsSync(abs))
    throw new ProjectError('usage', `--state: the folder ${abs} does not exist`, { hint: "pass the folder holding the earlier run's manifest.json" });
  const file = path.join(abs, 'manifest.json');
  const raw = readJson(file, 'manifest.json');
  if (!isPlainObject(raw) || !isPlainObject(raw.nodes)) {
    throw new ProjectError('usage', `--state: ${file} is not a dbt manifest (it has no 'nodes')`, { location: { file } });
  }
  const manifest: StateManifest = {
    nodes: raw.nodes as StateManifest['nodes'],
    sources: (isPlainObject(raw.sources) ? raw.sources : {}) as StateManifest['sources'],
    unit_tests: (isPlainObject(raw.unit_tests) ? raw.unit_tests : {}) as StateManifest['unit_tests'],
    macros: (isPlainObject(raw.macros) ? raw.macros : {}) as StateManifest['macros'],
    exposures: (isPlainObject(raw.exposures) ? raw.exposures : {}) as StateManifest['exposures'],
  };
  const resultsFile = path.join(abs, 'run_results.json');
  let results: Map<string, string> | undefined;
  if (existsSync(resultsFile)) {
    const rr = readJson(resultsFile, 'run_results.json');
    const list = isPlainObject(rr) && Array.isArray(rr.results) ? rr.results : [];
    results = new Map(
      list
        .filter((r): r is { unique_id: string; status: string } => isPlainObject(r) && typeof r.unique_id === 'string')
        .map((r) => [r.unique_id, String(r.status)]),
    );
  }
  return { dir: abs, manifest, results };
}
