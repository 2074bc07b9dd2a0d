/**
 * The steps every command shares, in one place: open a project (load, validate, parse), select
 * nodes, connect to the warehouse. The CLI, the REST API, docs and profile all start here.
 */
import path from 'node:path';
import { createAdapter, dialectFor } from '../adapters/create-adapter.js';
import { ProjectError } from '../core/errors.js';
import { silentReporter, type Reporter } from '../execute/reporter.js';
import { existsSync } from 'node:fs';
import type { BatchResults } from '../execute/results.js';
import { selectNodes, specFromFlags, type IndirectSelection, type SelectionSpec } from '../graph/selection.js';
import { checkSelectors, readSelectors, renderSelectorsYaml, resolveSelectorRefs, selectorSpec, type Selectors } from '../graph/selectors.js';
import { readYaml } from '../project/yaml-file.js';
import { buildWorkspace, type Workspace } from '../graph/workspace.js';
import type { Node, ResourceType } from '../parse/nodes.js';
import type { Exposure } from '../parse/governance.js';
import { ParseCache, partialParseEnabled } from '../parse/parse-cache.js';
import { loadProject, projectTargetDir } from '../project/load-project.js';
import { resolveTarget } from '../project/profiles.js';
import type { Adapter } from '../warehouse/adapter.js';
import type { PreviousState } from '../graph/previous-state.js';
import { loadPreviousState } from './previous-state.js';

export interface CommonOptions {
  projectDir?: string;
  /** `--vars` as YAML or JSON text. */
  vars?: string;
  target?: string;
  profilesDir?: string;
  threads?: number;
  /** Printing an undefined value is an error, not a warning (`--strict-undefined`). */
  strictUndefined?: boolean;
  /** `--store-failures`: tests keep their failing rows, unless their config says otherwise (dbt's flag). */
  storeFailures?: boolean;
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
  /** A named selection of the project's selectors.yml (dbt's `--selector`): used instead of select/exclude. */
  selector?: string;
  /** How tests follow the selected nodes (dbt's `--indirect-selection`): eager unless given. */
  indirectSelection?: IndirectSelection;
  /** A folder with an earlier run's manifest.json (and run_results.json), for `state:` and `result:` selectors and `--defer`; `DBT_STATE` when not given. */
  state?: string;
  /** Refs to unselected nodes that this target has not built read the relations of the `state` manifest instead (dbt's `--defer`). */
  defer?: boolean;
  /** With `defer`: read the state's relation even where this target has one (dbt's `--favor-state`). */
  favorState?: boolean;
}

export interface RunOptions extends CommonOptions, SelectOptions {
  fullRefresh?: boolean;
  /** `--empty`: every ref() and source() a model reads gives no rows (schemas only). */
  empty?: boolean;
  /** Microbatch models: build only the batches from `start` to `end` (dbt's --event-time-start/-end). */
  eventTime?: { start: Date; end: Date };
  /** `model retry`: microbatch models that partly succeeded run only their failed batches (by unique id). */
  retryBatches?: ReadonlyMap<string, BatchResults>;
  failFast?: boolean;
  signal?: AbortSignal;
  /** dbt's --resource-type: only these kinds of the selected nodes run (build, test). */
  resourceTypes?: string[];
  /** dbt's --exclude-resource-type: these kinds of the selected nodes do not run. */
  excludeResourceTypes?: string[];
}

/** An opened project: the parsed workspace (manifest, engine, DAG) and the warnings found on the way. */
export interface Session extends Workspace {
  warnings: string[];
  /** The parse cache this session was opened with, when partial parsing is on. */
  cache?: ParseCache;
  /** The `--state` artifacts, once read. */
  previousState?: PreviousState;
  /** The project's selectors.yml, once read (null: the project has none). */
  selectors?: Selectors | null;
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
  // The flag is the default a test's own store_failures config overrides, as in dbt.
  if (opts.storeFailures) project.folderConfig.dataTests = { store_failures: true, ...project.folderConfig.dataTests };
  const { target, note } = resolveTarget(project, { target: opts.target, profilesDir: opts.profilesDir, threads: opts.threads });
  if (note) reporter.info(note);
  const dialect = await dialectFor(target);
  const workspace = buildWorkspace(project, target, dialect, {
    log: (m) => reporter.info(m),
    warn: (m) => reporter.warn(m),
    strictUndefined: opts.strictUndefined,
    cache,
  });
  for (const w of workspace.manifest.warnings) reporter.warn(w);
  if (!opts.keepCacheOpen) cache?.save();
  return { ...workspace, warnings: workspace.manifest.warnings, cache };
}

/** The selected nodes of the given types (`--select` / `--exclude` or `--selector`; tests follow the models they test). */
export function select(session: Session, opts: SelectOptions, types: ResourceType[], reporter: Reporter = silentReporter): Node[] {
  const warnings: string[] = [];
  const ids = selectNodes(session, { spec: selectionSpec(session, opts, reporter), state: previousState(session, opts) }, warnings);
  for (const w of warnings) reporter.warn(w);
  return [...ids].map((id) => session.manifest.nodes.get(id)!).filter((n) => types.includes(n.resourceType));
}

/** `ls`: the selected nodes and exposures (exposures are leaves of dbt's graph, selectable but never run). */
export function selectWithExposures(session: Session, opts: SelectOptions, reporter: Reporter = silentReporter): { nodes: Node[]; exposures: Exposure[] } {
  const warnings: string[] = [];
  const ids = selectNodes(session, { spec: selectionSpec(session, opts, reporter), state: previousState(session, opts), withExposures: true }, warnings);
  for (const w of warnings) reporter.warn(w);
  const nodes: Node[] = [];
  const exposures: Exposure[] = [];
  for (const id of ids) {
    const node = session.manifest.nodes.get(id);
    if (node) nodes.push(node);
    else {
      const e = session.manifest.exposures?.get(id);
      if (e) exposures.push(e);
    }
  }
  return { nodes, exposures };
}

/**
 * What to select, as dbt's GraphRunnableTask.get_selection_spec decides: `--selector` wins (dbt 1.12
 * warns that --select and --exclude are then ignored), else --select/--exclude, else the selector
 * with `default: true`, else every node.
 */
export function selectionSpec(session: Session, opts: SelectOptions, reporter: Reporter = silentReporter): SelectionSpec {
  const indirect = opts.indirectSelection ?? 'eager';
  const selectors = projectSelectors(session);
  if (opts.selector) {
    if (opts.select?.length || opts.exclude?.length) reporter.warn(`--select and --exclude are ignored: --selector ${opts.selector} says what to select`);
    if (!selectors)
      throw new ProjectError('selection', `--selector ${opts.selector}: the project has no selectors.yml`, {
        hint: 'define named selections in selectors.yml next to the project file',
      });
    return selectorSpec(selectors, opts.selector, indirect);
  }
  if (!opts.select?.length && !opts.exclude?.length && selectors?.defaultName) {
    reporter.info(`Using the default selector ${selectors.defaultName}`);
    return selectorSpec(selectors, selectors.defaultName, indirect);
  }
  return resolveSelectorRefs(specFromFlags(opts.select, opts.exclude, indirect), selectors, indirect);
}

/** The project's selectors.yml, read and checked once per session; undefined when there is none. */
export function projectSelectors(session: Session): Selectors | undefined {
  if (session.selectors === undefined) {
    const file = 'selectors.yml';
    if (!existsSync(path.join(session.project.dir, file))) session.selectors = null;
    else {
      const yaml = renderSelectorsYaml(readYaml(session.project.dir, file), (text) => session.engine.renderString(text, file));
      const selectors = readSelectors(yaml);
      checkSelectors(selectors);
      session.selectors = selectors;
    }
  }
  return session.selectors ?? undefined;
}

/** The earlier run's artifacts named by `--state` (or `DBT_STATE`), read once per session; none when neither is given. */
export function previousState(session: Session, opts: SelectOptions): PreviousState | undefined {
  const dir = opts.state ?? process.env.DBT_STATE;
  if (!dir) {
    if (opts.defer) throw new ProjectError('usage', "--defer needs --state <folder with the earlier run's manifest.json>", { hint: 'or set DBT_STATE' });
    return undefined;
  }
  session.previousState ??= loadPreviousState(dir, session.project.dir);
  return session.previousState;
}

/** An open adapter for the session's target; the caller closes it. */
export async function connect(session: Session): Promise<Adapter> {
  const adapter = await createAdapter(session.target, session.database, session.project.dir);
  await adapter.open();
  return adapter;
}
