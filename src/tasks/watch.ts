/**
 * Watch mode (`--watch` on compile, run and build): runs the command once, then again after every
 * edit, on what the edit touched and what depends on it. Each run starts from the previous run's
 * parse cache in memory, so only changed files are parsed and rendered again; a project error is
 * reported and the watch goes on, from the last run that succeeded.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { compileKey } from '../compile/compile-key.js';
import { nodeSqlPath, writeNodeSql } from '../core/target-files.js';
import { manifestHead, patchManifestNode, writeManifest } from '../execute/artifacts.js';
import { silentReporter, type Reporter } from '../execute/reporter.js';
import type { RunSummary } from '../execute/results.js';
import type { ModelNode, Node } from '../parse/nodes.js';
import type { ParseCache } from '../parse/parse-cache.js';
import { packagesInstallPath } from '../project/load-project.js';
import { renderModelPatch } from './compile-patch.js';
import { compileNodes, type CompiledFile } from './compile.js';
import { COMMAND_TYPES, execute } from './execute.js';
import { openProject, select, type RunOptions, type Session } from './session.js';

export type WatchCommand = 'compile' | 'run' | 'build';

/** What each run of a watch reports (`patched`: through the one-model patch, see patchRun). */
export type WatchEvent =
  | { kind: 'watching'; paths: string[] }
  | { kind: 'changed'; files: string[] }
  /** A compile: the nodes whose inputs changed since the previous run (all of them the first time). */
  | { kind: 'compiled'; files: CompiledFile[]; total: number; ms: number; patched?: boolean }
  /** A run or build of the touched nodes and their descendants; `summary` is undefined when nothing needed to run. */
  | { kind: 'ran'; touched: Node[]; summary: RunSummary | undefined; ms: number; patched?: boolean }
  | { kind: 'error'; error: unknown; ms: number };

export interface WatchOptions extends RunOptions {
  command: WatchCommand;
  /** Ends the watch (Ctrl-C); a run in progress is cancelled through it too. */
  signal: AbortSignal;
  onEvent: (event: WatchEvent) => void;
  /** Quiet time after the last file event before a run starts (editors write a file in several steps). */
  debounceMs?: number;
}

/** Runs the command now and after every edit, until `signal` aborts. */
export async function watchProject(opts: WatchOptions): Promise<void> {
  const projectDir = path.resolve(opts.projectDir ?? process.cwd());
  const watcher = new ProjectWatcher(projectDir, () => schedule());
  let good: Good | undefined;
  let pending = new Set<string>();
  /** The files changed since the last run that succeeded (a failed run's edits too). */
  const sinceGood = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let first = true;
  // Opening the project says the same notes every time (which profile, which target): once is enough.
  const said = new Set<string>();
  const reporter = opts.reporter ?? silentReporter;
  const openReporter: Reporter = Object.create(reporter);
  openReporter.info = (m) => {
    if (said.has(m)) return;
    said.add(m);
    reporter.info(m);
  };

  const runOnce = async (): Promise<void> => {
    const changed = [...pending];
    pending = new Set();
    if (!first) opts.onEvent({ kind: 'changed', files: changed });
    const started = performance.now();
    for (const f of changed) sinceGood.add(f);
    try {
      // One model file edited: that model alone, when the last run vouches for everything else.
      if (good && sinceGood.size === 1 && (await patchRun(opts, good, [...sinceGood][0]!, started))) return void sinceGood.clear();
    } catch {
      // Anything unforeseen: the full run below answers (and reports a project error).
    }
    try {
      const session = await openProject({ ...opts, keepCacheOpen: true, previousCache: good?.cache, reporter: openReporter });
      watcher.sync(watchedPaths(session, opts.profilesDir), session.project.targetDir);
      const nodes = select(session, opts, opts.command === 'compile' ? ['model', 'test'] : COMMAND_TYPES[opts.command], reporter);
      // Compile every selected node (the cache answers the unchanged ones) to see which results moved.
      const files = await compileNodes(session, nodes);
      const prints = fingerprints(session, nodes, files);
      const touched = nodes.filter((n) => !good || good.prints.get(n.uniqueId) !== prints.get(n.uniqueId));
      if (opts.command === 'compile') {
        const byId = new Set(touched.map((n) => n.uniqueId));
        opts.onEvent({ kind: 'compiled', files: files.filter((f) => byId.has(f.node.uniqueId)), total: files.length, ms: performance.now() - started });
        writeManifest(session, new Map(files.map((f) => [f.node.uniqueId, f.sql])));
      } else {
        const ids = first ? new Set(nodes.map((n) => n.uniqueId)) : withDescendants(session, touched);
        const summary = ids.size === 0 ? undefined : (await execute(opts.command, { ...opts, signal: opts.signal }, session, ids)).summary;
        if (ids.size === 0) writeManifest(session);
        opts.onEvent({ kind: 'ran', touched, summary, ms: performance.now() - started });
      }
      session.cache?.save();
      sinceGood.clear();
      good = { cache: session.cache, prints, session, selected: new Set(nodes.map((n) => n.uniqueId)), total: files.length };
    } catch (error) {
      opts.onEvent({ kind: 'error', error, ms: performance.now() - started });
      // The project could not be read: watch its usual folders until it can.
      if (!good) watcher.sync(defaultPaths(projectDir, opts.profilesDir));
    }
    first = false;
  };

  const schedule = () => {
    if (opts.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (running) return void running.then(schedule);
      running = runOnce().finally(() => {
        running = undefined;
      });
    }, opts.debounceMs ?? 10);
  };

  watcher.onChange = (file) => {
    pending.add(file);
    schedule();
  };
  running = runOnce().finally(() => {
    running = undefined;
  });
  await running;
  opts.onEvent({ kind: 'watching', paths: watcher.paths() });
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) return resolve();
    opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearTimeout(timer);
  watcher.close();
  await running;
}

/** The last run that succeeded: its cache, the fingerprint of each selected node's result, its session. */
interface Good {
  cache: ParseCache | undefined;
  prints: Map<string, string>;
  session: Session;
  selected: Set<string>;
  /** How many files its compile wrote. */
  total: number;
}

/**
 * A run for an edit of one model file of the root project, through the compile patch
 * (compile-patch.ts `renderModelPatch`): the model is rendered again with the last run's engine,
 * and when its config, refs, sources and relation are unchanged, nothing but its own SQL can
 * differ from the last run. A compile then rewrites its compiled file and its manifest.json entry;
 * a run or build runs it and its descendants. False (nothing written) when the full run must answer:
 * no parse cache, --state (a state: selector reads the text), a file that is not a selected root
 * model, or anything the patch cannot vouch for.
 */
async function patchRun(opts: WatchOptions, good: Good, rel: string, started: number): Promise<boolean> {
  const { session, cache } = good;
  if (!cache || !rel.endsWith('.sql') || opts.state || process.env.DBT_STATE || opts.defer) return false;
  let old: ModelNode | undefined;
  for (const n of session.manifest.nodes.values()) {
    if (n.resourceType === 'model' && n.file === rel && n.packageName === session.project.name) {
      old = n;
      break;
    }
  }
  const startConfig = cache.modelEntry(rel)?.startConfig;
  if (!old || startConfig === undefined || !good.selected.has(old.uniqueId)) return false;
  let source: string;
  try {
    source = readFileSync(path.join(session.project.dir, rel), 'utf8');
  } catch {
    return false;
  }
  const patched = renderModelPatch({ ...session, ...session.manifest }, cache, session.manifest.nodes, old, startConfig, {
    file: rel,
    name: path.basename(rel, '.sql'),
    source,
  });
  if (!patched) return false;
  const { node, template, sql } = patched;
  const id = node.uniqueId;
  const out = nodeSqlPath(session.project, 'compiled', node.file);
  if (opts.command === 'compile') {
    const manifest = path.join(session.project.targetDir, 'manifest.json');
    const head = manifestHead(manifest);
    const fields = { project_name: session.project.name, adapter_type: session.target.type };
    if (!head || !patchManifestNode(patched.ws, manifest, head, fields, node, sql)) return false;
  }
  session.manifest.nodes.set(id, node);
  session.templates.set(id, template);
  const file: CompiledFile = { node, sql, path: out.rel, key: compileKey(session, node, new Map()).key };
  const print = fingerprints(session, [node], [file]).get(id)!;
  const touched = good.prints.get(id) === print ? [] : [node];
  good.prints.set(id, print);
  writeNodeSql(session.project, 'compiled', node.file, sql);
  if (opts.command === 'compile') {
    opts.onEvent({ kind: 'compiled', files: touched.length ? [file] : [], total: good.total, ms: performance.now() - started, patched: true });
    return true;
  }
  const ids = withDescendants(session, touched);
  const summary = ids.size === 0 ? undefined : (await execute(opts.command, { ...opts, signal: opts.signal }, session, ids)).summary;
  if (ids.size === 0) writeManifest(session);
  opts.onEvent({ kind: 'ran', touched, summary, ms: performance.now() - started, patched: true });
  return true;
}

/** A fingerprint of each node's result: the node as parsed, its compiled SQL, and for a seed its file's stamp. */
function fingerprints(session: Session, nodes: Node[], files: CompiledFile[]): Map<string, string> {
  const compiled = new Map(files.map((f) => [f.node.uniqueId, f]));
  const out = new Map<string, string>();
  for (const n of nodes) {
    const f = compiled.get(n.uniqueId);
    // The compile key already covers the node as parsed and what it reads.
    const hash = createHash('sha1').update(f?.key ?? JSON.stringify(n));
    hash.update('\0').update(f?.sql ?? '');
    if (n.resourceType === 'seed') hash.update(fileStamp(path.join(session.project.dir, n.file)));
    out.set(n.uniqueId, hash.digest('hex'));
  }
  return out;
}

function fileStamp(abs: string): string {
  try {
    const s = statSync(abs);
    return `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

function withDescendants(session: Session, touched: Node[]): Set<string> {
  const out = new Set<string>();
  const stack = touched.map((n) => n.uniqueId);
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    for (const child of session.graph.successors(id) ?? []) stack.push(child);
  }
  return out;
}

/** The folders a project reads: each configured path and the installed packages, watched recursively. */
function watchedPaths(session: Session, profilesDir: string | undefined): string[] {
  const c = session.project.config as Record<string, unknown>;
  const keys = ['model-paths', 'macro-paths', 'seed-paths', 'test-paths', 'docs-paths', 'snapshot-paths', 'analysis-paths'];
  const dirs = [...keys.flatMap((k) => (Array.isArray(c[k]) ? (c[k] as string[]) : [])), packagesInstallPath(session.project.config)];
  return [...new Set([...dirs, ...(profilesDir ? [profilesDir] : [])].map((d) => path.resolve(session.project.dir, d)))];
}

function defaultPaths(projectDir: string, profilesDir: string | undefined): string[] {
  return ['models', 'macros', 'seeds', 'tests', 'snapshots', 'dbt_packages', ...(profilesDir ? [profilesDir] : [])].map((d) => path.resolve(projectDir, d));
}

/** Names editors and tools write beside a file while saving it, and never a project input. */
const NOISE = /(^|\/)(\.[^/]*|[^/]*~|[^/]*\.sw[px]|[^/]*\.tmp|4913)$/;

/**
 * fs.watch on the project folder (its own files: project.yml, profiles.yml, packages) and on each
 * folder the project reads, recursively; target/ and hidden files are never reported.
 */
class ProjectWatcher {
  onChange: (file: string) => void;
  private readonly watchers = new Map<string, FSWatcher>();
  /** The project's target folder: what the runs write, never an input. */
  private ignored: string;

  constructor(
    private readonly dir: string,
    onChange: (file: string) => void,
  ) {
    this.onChange = onChange;
    this.ignored = path.join(dir, 'target');
    this.add(dir, false);
  }

  /** Watches exactly these folders (besides the project folder), adding and dropping watchers as the project's paths change. */
  sync(dirs: string[], targetDir?: string): void {
    if (targetDir) this.ignored = targetDir;
    const wanted = new Set(dirs.filter((d) => d !== this.dir && isDir(d)));
    for (const [d, w] of this.watchers) {
      if (d !== this.dir && !wanted.has(d)) {
        w.close();
        this.watchers.delete(d);
      }
    }
    for (const d of wanted) if (!this.watchers.has(d)) this.add(d, true);
  }

  paths(): string[] {
    return [...this.watchers.keys()].map((d) => path.relative(this.dir, d) || '.');
  }

  private add(dir: string, recursive: boolean): void {
    try {
      const w = watch(dir, { recursive }, (_event, name) => {
        if (!name) return;
        const abs = path.join(dir, name.toString());
        if (abs === this.ignored || abs.startsWith(this.ignored + path.sep)) return;
        const rel = path.relative(this.dir, abs).split(path.sep).join('/');
        if (NOISE.test(rel)) return;
        this.onChange(rel);
      });
      // A folder removed while watched: the next run's sync sees it gone.
      w.on('error', () => undefined);
      this.watchers.set(dir, w);
    } catch {
      // A folder that vanished between the check and the watch.
    }
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}

function isDir(d: string): boolean {
  try {
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
}
