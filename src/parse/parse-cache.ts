/**
 * The parse cache (dbt's partial parsing): what a previous run read, parsed and rendered, kept in
 * `target/partial_parse.v8`, and handed back only when everything it depended on is unchanged.
 *
 * - A global key covers what every render may read: the engine's build, the target (hashed: it
 *   may hold secrets), the vars, project.yml's text, the set of macro names and their files, and each
 *   installed package's dbt_project.yml and vars with package-lock.yml.
 *   Any change to it drops every rendered entry (files and validated properties stay: they are
 *   compared by content).
 * - A model's parse entry is keyed by its file's text and the config it starts from (folder
 *   config and properties), and holds the macro files its render called (any depth, through
 *   `engine.macroTrace`) with their hashes, and the source relations it read.
 * - A compiled entry is keyed by a hash of the node as parsed and of the relations it reads
 *   (ephemeral models by their own key, recursively), and holds the macro files of its render.
 * - A render that can give a different answer for the same inputs (time, invocation id, env vars,
 *   warehouse queries, the graph, log output) is not cached: `isVolatile` scans the template's
 *   code (not its comments or output text) for those names.
 *   Nor is a render that failed, or whose SQL holds a registered secret.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { ENGINE_VERSION } from '../core/engine-version.js';
import { FileSnapshot, type FileRecord } from '../project/file-snapshot.js';
import type { CachedProperties, LoadCache, Project } from '../project/load-project.js';
import { PACKAGE_LOCK_FILE } from '../project/packages-file.js';
import type { TargetConfig } from '../project/profiles.js';
import type { NodeConfig } from '../project/schemas.js';
import { jinjaCode } from '../templating/jinja-code.js';
import type { MacroInfo, TemplateEngine } from '../templating/template-engine.js';
import type { RelationName } from '../warehouse/dialect.js';
import type { RefCall } from './nodes.js';

/**
 * A file stamped less than this after it changed may change again within the same clock tick, so
 * its stamp cannot vouch for it (the parse cache, the compile replay and the one-model patch).
 * MODEL_TEST_REPLAY_RACY_MS shortens it for the tests only; a real filesystem tick is far shorter.
 */
export function racyWindowMs(): number {
  const v = Number(process.env.MODEL_TEST_REPLAY_RACY_MS || Number.NaN);
  return v >= 0 ? v : 2000;
}

export const CACHE_FILE = 'partial_parse.v8';
const FORMAT = 2;

export interface ModelParseEntry {
  /** JSON of the config the render started from (folder config and properties merged). */
  startConfig: string;
  macroFiles: [file: string, hash: string][];
  /** JSON of the relation of each source() the render read, in order. */
  sourceRelations: string;
  config: NodeConfig;
  refs: RefCall[];
  sources: [string, string][];
  relation: RelationName | undefined;
}

export interface CompiledEntry {
  key: string;
  sql: string;
  macroFiles: [file: string, hash: string][];
  /** The stamp of target/compiled/… right after this SQL was written there, so an unchanged file is not read back. */
  written?: { file: string; size: bigint; mtimeNs: bigint; ctimeNs: bigint };
}

interface Store {
  format: number;
  engine: string;
  global: string;
  files: Map<string, FileRecord>;
  properties: Map<string, CachedProperties>;
  models: Map<string, ModelParseEntry>;
  compiled: Map<string, CompiledEntry>;
}

/**
 * Names whose value can change between two renders of the same text (or that print), so such
 * renders are never cached. Raising a compiler error is not among them: it depends on the inputs
 * only, and a render that raised is not cached.
 */
const VOLATILE =
  /\b(?:env_var|run_started_at|invocation_id|run_query|statement|load_result|graph|flags|log|print|exceptions(?!\s*\.\s*raise_(?:compiler_error|not_implemented)\b)|now|utcnow|today|random|selected_resources|adapter\s*\.\s*(?!dispatch\b|quote\b)\w+)\b/;

/** Texts whose code had to be looked at (a name matched somewhere in them): macro files are asked about at every render. */
const volatileCode = new Map<string, boolean>();

export function isVolatile(text: string): boolean {
  if (!VOLATILE.test(text)) return false;
  let volatile = volatileCode.get(text);
  if (volatile === undefined) {
    volatile = VOLATILE.test(jinjaCode(text));
    if (volatileCode.size > 10_000) volatileCode.clear();
    volatileCode.set(text, volatile);
  }
  return volatile;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The running engine's identity: its version and its code file, so a rebuilt engine never reads another build's renders. */
export function engineId(): string {
  let file: string | undefined;
  try {
    file = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
    const s = statSync(file);
    return `${ENGINE_VERSION}:${file}:${s.size}:${s.mtimeMs}`;
  } catch {
    return `${ENGINE_VERSION}:${file ?? '?'}`;
  }
}

/** Whether partial parsing is on: `--no-partial-parse` or DBT_PARTIAL_PARSE / MODEL_PARTIAL_PARSE = false|0|no turn it off. */
export function partialParseEnabled(flag: boolean | undefined): boolean {
  if (flag === false) return false;
  for (const name of ['MODEL_PARTIAL_PARSE', 'DBT_PARTIAL_PARSE']) {
    const v = process.env[name]?.trim().toLowerCase();
    if (v && ['0', 'false', 'no', 'off'].includes(v)) return false;
  }
  return true;
}

export class ParseCache {
  /** This run's view of the files, reusing the previous run's reads (see FileSnapshot). */
  readonly files: FileSnapshot;
  private readonly previous: Store | undefined;
  private global = '';
  private globalMatches = false;
  /** Off for rendered entries: a var holds Jinja (read lazily, it may call env_var). */
  private rendersCacheable = true;
  private readonly macroHashes = new Map<string, string>();
  private readonly next: Store;
  private dirty = false;
  hits = { models: 0, compiled: 0 };
  /** Set when a render of this run could not be cached (volatile, printed an undefined value, held a secret): the run cannot be replayed either. */
  volatile = false;

  /** Notes a render that could not be cached. */
  refuse(): void {
    this.volatile = true;
  }

  private constructor(
    readonly file: string,
    dir: string,
    previous: Store | undefined,
  ) {
    this.previous = previous;
    this.files = new FileSnapshot(dir, previous?.files);
    this.next = {
      format: FORMAT,
      engine: engineId(),
      global: '',
      files: this.files.records,
      properties: new Map(),
      models: new Map(),
      compiled: new Map(),
    };
  }

  /** Opens the cache of a project (its target folder); an unreadable or foreign cache is ignored with a note. */
  static open(projectDir: string, targetDir: string, note: (msg: string) => void): ParseCache {
    const file = path.join(targetDir, CACHE_FILE);
    let previous: Store | undefined;
    let buf: Buffer | undefined;
    try {
      buf = readFileSync(file);
    } catch {
      // No cache yet.
    }
    if (buf) {
      const rel = path.relative(projectDir, file);
      try {
        const store = deserialize(buf) as Store;
        if (store?.format !== FORMAT || !(store.files instanceof Map) || !(store.models instanceof Map)) {
          note(`partial parse: ${rel} is not a cache this engine can read; parsing everything`);
        } else if (store.engine !== engineId()) {
          note(`partial parse: ${rel} was written by another build of the engine; parsing everything`);
        } else previous = store;
      } catch {
        note(`partial parse: ${rel} is unreadable (corrupt?); parsing everything`);
      }
    }
    return new ParseCache(file, projectDir, previous);
  }

  /** The cache of the next run in the same process (watch mode): starts from what `before` kept, without reading the file again. */
  static after(before: ParseCache, targetDir: string): ParseCache {
    return new ParseCache(path.join(targetDir, CACHE_FILE), before.files.dir, before.next);
  }

  /**
   * A cache that starts from nothing and is never saved: it judges renders as the real one does
   * (`traced`, `allows`) for a one-model patch of a compile (tasks/compile-patch.ts).
   */
  static detached(projectDir: string, targetDir: string): ParseCache {
    return new ParseCache(path.join(targetDir, CACHE_FILE), projectDir, undefined);
  }

  /** This run's parse entry of a model file, when its parse was kept. */
  modelEntry(file: string): ModelParseEntry | undefined {
    return this.next.models.get(file);
  }

  /** What loadProject reads through. */
  loadCache(): LoadCache {
    return { files: this.files, properties: this.previous?.properties ?? new Map(), nextProperties: this.next.properties };
  }

  /** Sets the global key once the project and target are known; rendered entries of another key are dropped. */
  begin(project: Project, target: TargetConfig, engine: TemplateEngine): void {
    this.macroSourceOf = (file) => engine.macroFileSource(file);
    for (const p of [project, ...project.packages]) for (const m of p.macroFiles) this.macroHashes.set(m.file, sha1(m.source));
    const macros = [...engine.macros.values()].map((m) => `${m.name}=${m.file}`).sort();
    let lock = '';
    try {
      lock = readFileSync(path.join(project.dir, PACKAGE_LOCK_FILE), 'utf8');
    } catch {
      // No lock: no packages, or packages.yml alone (whose installed files are read as the project's).
    }
    this.global = sha1(
      JSON.stringify([
        project.file,
        project.yaml.source,
        project.vars,
        project.cliVars,
        sha1(JSON.stringify(target)),
        macros,
        [...this.macroHashes.keys()].sort(),
        // Installed packages: their project files and vars reach every render of theirs; the lock names what is installed.
        project.packages.map((p) => [p.name, p.file, p.yaml.source, p.vars]),
        lock,
      ]),
    );
    this.next.global = this.global;
    this.globalMatches = this.previous?.global === this.global;
    this.rendersCacheable = !JSON.stringify(project.vars).match(/\{\{|\{%/);
    const before = this.previous?.files;
    this.dirty =
      !this.globalMatches ||
      this.files.changed.size > 0 ||
      this.files.removed().length > 0 ||
      [...this.files.records].some(([f, r]) => before?.get(f)?.trusted !== r.trusted);
  }

  /**
   * Runs a render with macro tracing; returns what it returned, the macro files it called, and whether
   * it may be cached (not when it printed an undefined value: its warning must come again next run).
   */
  traced<T>(engine: TemplateEngine, fn: () => T): { value: T; macroFiles: [string, string][]; cacheable: boolean } {
    const previous = engine.macroTrace;
    const previousCalls = engine.macroCalls;
    const trace = new Set<string>();
    const calls = new Set<MacroInfo>();
    engine.macroTrace = trace;
    engine.macroCalls = calls;
    const printsBefore = engine.undefinedPrints;
    try {
      const value = fn();
      const macroFiles = this.withHashes(trace);
      let cacheable = engine.undefinedPrints === printsBefore;
      // The engine's own macro files hold many macros, a few of them volatile: those are judged by the macros called (see cacheable).
      for (const info of calls) {
        if (!cacheable) break;
        if (this.macroHashes.has(info.file)) continue;
        const own = engine.macroOwnSource(info) ?? engine.macroFileSource(info.file);
        if (own === undefined || isVolatile(own)) cacheable = false;
      }
      return { value, macroFiles, cacheable };
    } finally {
      engine.macroTrace = previous;
      engine.macroCalls = previousCalls;
      if (previous) for (const f of trace) previous.add(f);
      if (previousCalls) for (const c of calls) previousCalls.add(c);
    }
  }

  /** One list per distinct set of macro files: v8.serialize writes a shared list once, so thousands of entries cost one. */
  private readonly macroLists = new Map<string, [string, string][]>();

  private withHashes(files: Set<string>): [string, string][] {
    // The engine's own macro files belong to the engine build (the global key), not to a hash here.
    const sorted = [...files].sort();
    const hashes = sorted.map((f) => this.macroHashes.get(f) ?? 'engine');
    // File names and hex hashes hold no newline: the joined text names the list.
    const key = `${sorted.join('\n')}\n\n${hashes.join('\n')}`;
    const known = this.macroLists.get(key);
    if (known) return known;
    const list = sorted.map((f, i): [string, string] => [f, hashes[i]!]);
    this.macroLists.set(key, list);
    return list;
  }

  private macrosUnchanged(macroFiles: [string, string][]): boolean {
    return macroFiles.every(([f, h]) => (this.macroHashes.get(f) ?? 'engine') === h);
  }

  /** Whether a render reading this text (a model's, or a macro file it called) may be cached. */
  allows(texts: string[], macroFiles: [string, string][]): boolean {
    const ok =
      this.rendersCacheable &&
      !texts.some(isVolatile) &&
      macroFiles.every(([f]) => {
        // The engine's own files: their called macros were judged one by one in traced().
        if (!this.macroHashes.has(f)) return true;
        const source = this.macroSource(f);
        return source !== undefined && !isVolatile(source);
      });
    if (!ok) this.volatile = true;
    return ok;
  }

  private macroSourceOf: ((file: string) => string | undefined) | undefined;
  private macroSource(file: string): string | undefined {
    return this.macroSourceOf?.(file);
  }

  /**
   * The previous run's parse of this model, when its text, start config, macros and source relations are unchanged.
   * An entry was made from the text the same store's file record holds, so an unchanged file means unchanged text.
   */
  model(file: string, startConfig: string, sourceRelation: (s: string, t: string) => RelationName | undefined): ModelParseEntry | undefined {
    if (!this.globalMatches || !this.rendersCacheable) return undefined;
    const e = this.previous?.models.get(file);
    if (!e || !this.files.records.has(file) || this.files.changed.has(file) || e.startConfig !== startConfig || !this.macrosUnchanged(e.macroFiles))
      return undefined;
    if (JSON.stringify(e.sources.map(([s, t]) => sourceRelation(s, t) ?? null)) !== e.sourceRelations) return undefined;
    this.next.models.set(file, e);
    this.hits.models++;
    return e;
  }

  /** Keeps a model's parse; `texts` are other Jinja its render read (its hooks). */
  storeModel(file: string, texts: string[], entry: ModelParseEntry): void {
    if (!this.allows(texts, entry.macroFiles)) return;
    this.next.models.set(file, entry);
    this.dirty = true;
  }

  /** The previous run's compiled SQL of a node with this key, when the macros its render called are unchanged. */
  compiled(id: string, key: string): CompiledEntry | undefined {
    if (!this.globalMatches || !this.rendersCacheable) return undefined;
    const e = this.previous?.compiled.get(id);
    if (!e || e.key !== key || !this.macrosUnchanged(e.macroFiles)) return undefined;
    this.next.compiled.set(id, e);
    this.hits.compiled++;
    return e;
  }

  /** Keeps a compiled SQL; `texts` are the raw SQL of the node and of the ephemeral models inlined in it. */
  storeCompiled(id: string, entry: CompiledEntry, texts: string[]): void {
    if (!this.allows(texts, entry.macroFiles)) return;
    this.next.compiled.set(id, entry);
    this.dirty = true;
  }

  /** Notes the stamp of the compiled file just written for a kept entry. */
  noteWritten(id: string, abs: string): void {
    const e = this.next.compiled.get(id);
    if (!e) return;
    try {
      const s = statSync(abs, { bigint: true });
      e.written = { file: abs, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
      this.dirty = true;
    } catch {
      e.written = undefined;
    }
  }

  /** Notes the stamp a background writer took right after writing the compiled file of a kept entry (none: the write is not vouched for). */
  noteWrittenStamp(id: string, abs: string, stamp: { size: bigint; mtimeNs: bigint; ctimeNs: bigint } | undefined): void {
    const e = this.next.compiled.get(id);
    if (!e) return;
    e.written = stamp && { file: abs, size: stamp.size, mtimeNs: stamp.mtimeNs, ctimeNs: stamp.ctimeNs };
    this.dirty = true;
  }

  /** Whether target/compiled/… still holds what this entry wrote (same stamp), so it need not be read back. */
  static stillWritten(e: CompiledEntry, abs: string): boolean {
    if (!e.written || e.written.file !== abs) return false;
    try {
      const s = statSync(abs, { bigint: true });
      // A file written in the last seconds may have been rewritten within the same clock tick.
      if (s.mtimeNs > BigInt(Date.now() - racyWindowMs()) * 1_000_000n) return false;
      return s.size === e.written.size && s.mtimeNs === e.written.mtimeNs && s.ctimeNs === e.written.ctimeNs;
    } catch {
      return false;
    }
  }

  /** Writes the cache when anything in it changed (atomically: a reader never sees half a file). */
  save(): void {
    if (!this.dirty) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileSync(tmp, serialize(this.next));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // Only a speed-up: a read-only target folder costs the next run its time, nothing else.
      try {
        unlinkSync(tmp);
      } catch {
        // not written
      }
    }
  }
}
