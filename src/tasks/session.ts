/**
 * The steps every command shares, in one place: open a project (load, validate, parse), select
 * nodes, connect to the warehouse. The CLI, the REST API, docs and profile all start here.
 */
import path from 'node:path';
import { createAdapter, dialectFor } from '../adapters/create-adapter.js';
import { silentReporter, type Reporter } from '../execute/reporter.js';
import { withIndirectTests } from '../graph/select-tests.js';
import { selectNodes } from '../graph/selection.js';
import { buildWorkspace, type Workspace } from '../graph/workspace.js';
import type { Node, ResourceType } from '../parse/nodes.js';
import { ParseCache, partialParseEnabled } from '../parse/parse-cache.js';
import { loadProject, projectTargetDir } from '../project/load-project.js';
import { resolveTarget } from '../project/profiles.js';
import type { Adapter } from '../warehouse/adapter.js';

export interface CommonOptions {
  projectDir?: string;
  /** `--vars` as YAML or JSON text. */
  vars?: string;
  target?: string;
  profilesDir?: string;
  threads?: number;
  reporter?: Reporter;
  /** false: no parse cache (`--no-partial-parse`); DBT_PARTIAL_PARSE=false does the same. */
  partialParse?: boolean;
  /** Keep the cache open in the session, for a caller that saves it later (the compile task, watch mode). */
  keepCacheOpen?: boolean;
  /** The cache of an earlier session of this process to start from instead of target/ (watch mode). */
  previousCache?: ParseCache;
}

export interface SelectOptions {
  select?: string[];
  exclude?: string[];
}

export interface RunOptions extends CommonOptions, SelectOptions {
  fullRefresh?: boolean;
  failFast?: boolean;
  signal?: AbortSignal;
}

/** An opened project: the parsed workspace (manifest, engine, DAG) and the warnings found on the way. */
export interface Session extends Workspace {
  warnings: string[];
  /** The parse cache this session was opened with, when partial parsing is on. */
  cache?: ParseCache;
}

/** Loads, validates and parses a project for a target: every project error surfaces here, before any warehouse call. */
export async function openProject(opts: CommonOptions = {}): Promise<Session> {
  const reporter = opts.reporter ?? silentReporter;
  const projectDir = path.resolve(opts.projectDir ?? process.cwd());
  const cache = !partialParseEnabled(opts.partialParse)
    ? undefined
    : opts.previousCache
      ? ParseCache.after(opts.previousCache, projectTargetDir(projectDir))
      : ParseCache.open(projectDir, projectTargetDir(projectDir), (m) => reporter.info(m));
  const project = loadProject({ projectDir: opts.projectDir, vars: opts.vars, cache: cache?.loadCache() });
  const { target, note } = resolveTarget(project, { target: opts.target, profilesDir: opts.profilesDir, threads: opts.threads });
  if (note) reporter.info(note);
  const dialect = await dialectFor(target);
  const workspace = buildWorkspace(project, target, dialect, { log: (m) => reporter.info(m), cache });
  for (const w of workspace.manifest.warnings) reporter.warn(w);
  if (!opts.keepCacheOpen) cache?.save();
  return { ...workspace, warnings: workspace.manifest.warnings, cache };
}

/** The selected nodes of the given types (`--select` / `--exclude`; tests follow the models they test). */
export function select(session: Session, opts: SelectOptions, types: ResourceType[], reporter: Reporter = silentReporter): Node[] {
  const warnings: string[] = [];
  const ids = types.includes('test') ? withIndirectTests(session, opts, warnings) : selectNodes(session, opts, warnings);
  for (const w of warnings) reporter.warn(w);
  return [...ids].map((id) => session.manifest.nodes.get(id)!).filter((n) => types.includes(n.resourceType));
}

/** An open adapter for the session's target; the caller closes it. */
export async function connect(session: Session): Promise<Adapter> {
  const adapter = await createAdapter(session.target, session.database, session.project.dir);
  await adapter.open();
  return adapter;
}
