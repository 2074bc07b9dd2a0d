/**
 * The library: everything the CLI and the REST API do goes through these functions.
 * load → render → graph → plan → execute → artifacts.
 */
import path from 'node:path';
import type { Adapter } from './adapters/adapter.js';
import { createAdapter, dialectFor } from './adapters/create-adapter.js';
import { compileNode } from './compile/compile-node.js';
import { buildManifest, targetDatabase, type Manifest } from './graph/manifest.js';
import type { Node, ResourceType } from './graph/nodes.js';
import { selectNodes } from './graph/selection.js';
import { loadProject, type Project } from './project/load-project.js';
import { resolveTarget, type TargetConfig } from './project/profiles.js';
import { writeManifest, writeRunResults } from './runner/artifacts.js';
import { writeTargetFile } from './runner/target-files.js';
import { executeNodes, registerExecutor } from './runner/execute.js';
import { silentReporter, type Reporter } from './runner/reporter.js';
import type { RunSummary } from './runner/results.js';
import { testSqlFile } from './data-tests/add-data-tests.js';
import { withIndirectTests } from './data-tests/select-tests.js';
import { preflightDataTests, runDataTest } from './data-tests/run-data-test.js';

registerExecutor('test', runDataTest);

export { ProjectError, ProjectErrors, InternalError, isUserError } from './errors.js';
export type { NodeResult, RunSummary, NodeStatus } from './runner/results.js';
export { exitCodeOf, countByStatus } from './runner/results.js';
export type { Reporter } from './runner/reporter.js';
export type { Manifest } from './graph/manifest.js';
export type { Adapter } from './adapters/adapter.js';
export { junitXml, writeJUnit } from './data-tests/junit.js';

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
  failFast?: boolean;
  signal?: AbortSignal;
}

export interface Session {
  project: Project;
  target: TargetConfig;
  manifest: Manifest;
  /** The relations' database name (DuckDB catalog or Snowflake database). */
  database: string;
  warnings: string[];
}

/** Loads, validates and parses a project for a target: every project error surfaces here, before any warehouse call. */
export async function openProject(opts: CommonOptions = {}): Promise<Session> {
  const reporter = opts.reporter ?? silentReporter;
  const project = loadProject({ projectDir: opts.projectDir, vars: opts.vars });
  const { target, note } = resolveTarget(project, { target: opts.target, profilesDir: opts.profilesDir, threads: opts.threads });
  if (note) reporter.info(note);
  const dialect = await dialectFor(target);
  const manifest = buildManifest(project, target, dialect, { log: (m) => reporter.info(m) });
  for (const w of manifest.warnings) reporter.warn(w);
  return { project, target, manifest, database: targetDatabase(target), warnings: manifest.warnings };
}

export function select(session: Session, opts: SelectOptions, types: ResourceType[], reporter: Reporter = silentReporter): Node[] {
  const warnings: string[] = [];
  const ids = types.includes('test') ? withIndirectTests(session.manifest, opts, warnings) : selectNodes(session.manifest, opts, warnings);
  for (const w of warnings) reporter.warn(w);
  return [...ids].map((id) => session.manifest.nodes.get(id)!).filter((n) => types.includes(n.resourceType));
}

export async function connect(session: Session): Promise<Adapter> {
  const adapter = await createAdapter(session.target, session.database, session.project.dir);
  await adapter.open();
  return adapter;
}

export interface CompiledFile {
  node: Node;
  sql: string;
  path: string;
}

/** Renders the selected models to target/compiled/ without touching a warehouse. */
export async function compile(opts: CommonOptions & SelectOptions = {}): Promise<{ session: Session; files: CompiledFile[] }> {
  const session = await openProject(opts);
  const nodes = select(session, opts, ['model', 'test'], opts.reporter);
  const files: CompiledFile[] = [];
  const { project } = session;
  const compiledDir = path.join(path.relative(project.dir, project.targetDir), 'compiled', project.name);
  for (const node of nodes) {
    if (node.resourceType !== 'model' && node.resourceType !== 'test') continue;
    const { sql } = compileNode(session.manifest, node);
    const file = node.resourceType === 'test' ? testSqlFile(node) : node.file;
    const rel = path.join(compiledDir, file);
    writeTargetFile(path.join(project.dir, rel), sql);
    files.push({ node, sql, path: rel.split(path.sep).join('/') });
  }
  writeManifest(session.manifest);
  return { session, files };
}

export type ExecuteCommand = 'seed' | 'run' | 'build' | 'test';

const COMMAND_TYPES: Record<ExecuteCommand, ResourceType[]> = {
  seed: ['seed'],
  run: ['model', 'source'],
  build: ['seed', 'source', 'model', 'test'],
  test: ['test'],
};

/** `model seed`, `model run`, `model build`, `model test`: executes the selected nodes and writes the artifacts. */
export async function execute(command: ExecuteCommand, opts: RunOptions = {}, existing?: Session): Promise<{ session: Session; summary: RunSummary }> {
  const reporter = opts.reporter ?? silentReporter;
  const session = existing ?? (await openProject(opts));
  const nodes = select(session, opts, COMMAND_TYPES[command], reporter);
  writeManifest(session.manifest);
  const adapter = await connect(session);
  let summary: RunSummary;
  try {
    // Never two writers on one target: seed, run and build take the write lock (tests only read).
    if (command !== 'test') await adapter.lockForWrites?.((m) => reporter.info(m));
    // Tests of models built earlier: a misspelt column stops the run before any test query.
    if (command === 'test') await preflightDataTests(session.manifest, adapter, nodes);
    summary = await executeNodes(
      session.manifest,
      adapter,
      nodes.map((n) => n.uniqueId),
      {
        threads: session.target.threads,
        failFast: opts.failFast ?? false,
        fullRefresh: opts.fullRefresh ?? false,
        reporter,
        signal: opts.signal,
      },
    );
  } finally {
    await adapter.close();
  }
  writeRunResults(session.manifest, summary, {
    which: command,
    select: opts.select ?? [],
    exclude: opts.exclude ?? [],
    target: session.target.name,
    full_refresh: opts.fullRefresh ?? false,
    vars: session.project.cliVars,
  });
  return { session, summary };
}

export const seed = (opts?: RunOptions) => execute('seed', opts);
export const run = (opts?: RunOptions) => execute('run', opts);
export const build = (opts?: RunOptions) => execute('build', opts);
export const test = (opts?: RunOptions) => execute('test', opts);

export interface QueryOutput {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

/** Runs a query (a model's SQL or inline SQL with refs) and returns at most `limit` rows. */
export async function show(
  opts: CommonOptions & { model?: string; inline?: string; limit?: number },
): Promise<{ session: Session; output: QueryOutput; sql: string }> {
  const { showQuery } = await import('./runner/show.js');
  return showQuery(opts);
}

export type { ProfileOptions, NamedProfile } from './profile/run-profile.js';
export type { ColumnProfile, RelationProfile } from './profile/profile-relation.js';

/** `model profile`: row count and, per column, nulls, distinct values, min/max, top values and a histogram. */
export async function profile(opts: import('./profile/run-profile.js').ProfileOptions): Promise<{ session: Session; profile: import('./profile/run-profile.js').NamedProfile }> {
  const { runProfile } = await import('./profile/run-profile.js');
  return runProfile(opts);
}

export type { DocsOptions, DocsResult } from './docs/generate-docs.js';
export type { ServeOptions, DocsServer } from './docs/serve-docs.js';
export type { SiteData } from './docs/site-data.js';

/** `model docs generate`: one self-contained target/docs/index.html (lineage, descriptions, SQL, profiles, charts). */
export async function generateDocs(opts: import('./docs/generate-docs.js').DocsOptions = {}): Promise<import('./docs/generate-docs.js').DocsResult> {
  const { generateDocs: generate } = await import('./docs/generate-docs.js');
  return generate(opts);
}

/** `model docs serve`: serves target/docs on 127.0.0.1. */
export async function serveDocs(opts: import('./docs/serve-docs.js').ServeOptions = {}): Promise<import('./docs/serve-docs.js').DocsServer> {
  const { serveDocs: serve } = await import('./docs/serve-docs.js');
  return serve(opts);
}
