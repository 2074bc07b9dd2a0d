/**
 * The steps every command shares, in one place: open a project (load, validate, parse), select
 * nodes, connect to the warehouse. The CLI, the REST API, docs and profile all start here.
 */
import { createAdapter, dialectFor } from '../adapters/create-adapter.js';
import { silentReporter, type Reporter } from '../execute/reporter.js';
import { withIndirectTests } from '../graph/select-tests.js';
import { selectNodes } from '../graph/selection.js';
import { buildWorkspace, type Workspace } from '../graph/workspace.js';
import type { Node, ResourceType } from '../parse/nodes.js';
import { loadProject } from '../project/load-project.js';
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
}

export interface SelectOptions {
  select?: string[];
  exclude?: string[];
}

export interface RunOptions extends CommonOptions, SelectOptions {
  fullRefresh?: boolean;
  /** Microbatch models: build only the batches from `start` to `end` (dbt's --event-time-start/-end). */
  eventTime?: { start: Date; end: Date };
  failFast?: boolean;
  signal?: AbortSignal;
}

/** An opened project: the parsed workspace (manifest, engine, DAG) and the warnings found on the way. */
export interface Session extends Workspace {
  warnings: string[];
}

/** Loads, validates and parses a project for a target: every project error surfaces here, before any warehouse call. */
export async function openProject(opts: CommonOptions = {}): Promise<Session> {
  const reporter = opts.reporter ?? silentReporter;
  const project = loadProject({ projectDir: opts.projectDir, vars: opts.vars });
  const { target, note } = resolveTarget(project, { target: opts.target, profilesDir: opts.profilesDir, threads: opts.threads });
  if (note) reporter.info(note);
  const dialect = await dialectFor(target);
  const workspace = buildWorkspace(project, target, dialect, { log: (m) => reporter.info(m) });
  for (const w of workspace.manifest.warnings) reporter.warn(w);
  return { ...workspace, warnings: workspace.manifest.warnings };
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
