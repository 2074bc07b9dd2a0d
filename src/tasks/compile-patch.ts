/**
 * `model compile` after one model file was edited: the previous compile, patched. When the compile
 * replay (compile-replay.ts) finds exactly one of its inputs changed, and that input is a model
 * file of the root project, the model alone is rendered again, with the macros, vars, target and
 * start config the full compile used (its parse render, then its compile render). When what the
 * render learnt (config, refs, sources, relation) is what the recorded node holds, nothing else of
 * the compile can differ: no other node reads a model's text unless it is ephemeral (refused here),
 * and the manifest's other entries and maps are built from those fields. Then its compiled file and
 * its manifest.json entry are rewritten in place, the record updated, and the recorded lines
 * printed. Anything else (another input changed, a render that could answer differently, printed
 * or failed, a change in what the node reads or how it is named) returns undefined before writing
 * anything, and the compile runs in full.
 *
 * What the replay record does not hold is kept beside it in `target/partial_parse.patch`, written
 * by each recorded full compile: the nodes (models without their text), the names refs resolve
 * through, and the start config of each model.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { Graph } from '@dagrejs/graphlib';
import { dialectFor } from '../adapters/create-adapter.js';
import { compileNode } from '../compile/compile-node.js';
import { redact } from '../core/secrets.js';
import { nodeSqlPath, writeNodeSql } from '../core/target-files.js';
import { patchManifestNode, manifestHead } from '../execute/artifacts.js';
import type { Workspace } from '../graph/workspace.js';
import { prepareEngine } from '../parse/manifest.js';
import { renderModel } from '../parse/models.js';
import type { ModelNode, Node } from '../parse/nodes.js';
import { ParseCache, racyWindowMs } from '../parse/parse-cache.js';
import type { ParseContext } from '../parse/parse-context.js';
import { relationNamer } from '../parse/relation-names.js';
import { loadProject, projectTargetDir, type SqlFile } from '../project/load-project.js';
import type { CompiledTemplate } from '../templating/template-engine.js';
import { resolveTarget } from '../project/profiles.js';
import type { CommonOptions, SelectOptions, Session } from './session.js';

const PATCH_FILE = 'partial_parse.patch';
const FORMAT = 1;
/** A stamp no file has: the next compile sees the file as changed (and patches again). */
const UNKNOWN_STAMP = [-2, 0, 0, 0];

/** The replay record's fields a patch reads and updates (compile-replay.ts `Replay`). */
export interface PatchableRecord {
  messages: [string, string][];
  compiled: string;
  manifestHead: string;
  manifestFields: { project_name: string; adapter_type: string };
  projectName: string;
  paths: string;
  stamps: Float64Array;
}

interface PatchContext {
  format: number;
  /** sha1 of the record's `paths`: the record this context was written with. */
  record: string;
  /** Root-project model files that may be patched, and the index of their node in `ids`. */
  models: Map<string, number>;
  /**
   * Every node but tests and unit tests (models and snapshots without their text), newline-separated
   * ids, each one's `[node, start config]` v8-serialized into `blob` from `offsets[i]` to `offsets[i + 1]`:
   * a patch reads the few it needs, not ten thousand objects. The start config (JSON, as the parse
   * cache keeps it) only for the models.
   */
  ids: string;
  offsets: Float64Array;
  blob: Uint8Array;
  byName: Map<string, string>;
  sourcesByName: Map<string, string>;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function patchFile(targetDir: string): string {
  return path.join(targetDir, PATCH_FILE);
}

/** Writes the patch context of a recorded compile (before its record); false when it could not. */
export function recordPatchContext(session: Session, paths: string): boolean {
  const { project, manifest, cache } = session;
  const file = patchFile(project.targetDir);
  const ids: string[] = [];
  const parts: Buffer[] = [];
  const offsets = [0];
  const models = new Map<string, number>();
  for (const node of manifest.nodes.values()) {
    if (node.resourceType === 'test' || node.resourceType === 'unit_test') continue;
    let entry: [Node, string | undefined];
    if (node.resourceType === 'model' || node.resourceType === 'snapshot') {
      const start = node.resourceType === 'model' && node.packageName === project.name ? cache?.modelEntry(node.file)?.startConfig : undefined;
      if (start !== undefined) models.set(node.file, ids.length);
      entry = [{ ...node, rawSql: '' }, start];
    } else entry = [node, undefined];
    const bytes = serialize(entry);
    ids.push(node.uniqueId);
    parts.push(bytes);
    offsets.push(offsets[offsets.length - 1]! + bytes.length);
  }
  const context: PatchContext = {
    format: FORMAT,
    record: sha1(paths),
    models,
    ids: ids.join('\n'),
    offsets: Float64Array.from(offsets),
    blob: Buffer.concat(parts),
    byName: manifest.byName,
    sourcesByName: manifest.sourcesByName,
  };
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, serialize(context));
    renameSync(tmp, file);
    return true;
  } catch {
    return false;
  }
}

/** Removes the patch context (a compile that was not recorded). */
export function removePatchContext(targetDir: string): void {
  try {
    rmSync(patchFile(targetDir), { force: true });
  } catch {
    // Only a speed-up: the record it belongs to is gone too.
  }
}

function readContext(targetDir: string, record: PatchableRecord): PatchContext | undefined {
  try {
    const c = deserialize(readFileSync(patchFile(targetDir))) as PatchContext;
    if (
      c?.format !== FORMAT ||
      c.record !== sha1(record.paths) ||
      !(c.models instanceof Map) ||
      !(c.offsets instanceof Float64Array) ||
      !(c.blob instanceof Uint8Array)
    )
      return undefined;
    return c;
  } catch {
    return undefined;
  }
}

function stampOf(abs: string): number[] | undefined {
  try {
    const s = statSync(abs);
    return [s.size, s.mtimeMs, s.ctimeMs, s.ino];
  } catch {
    return undefined;
  }
}

/**
 * Patches the recorded compile for the one input that changed (`changed`, its index in the record's
 * paths) and saves the record through `save`; the files and messages to print, or undefined to compile in full.
 */
export async function patchCompile(
  opts: CommonOptions & SelectOptions,
  record: PatchableRecord,
  changed: number,
  save: (r: PatchableRecord) => void,
): Promise<{ projectName: string; files: { name: string; path: string }[]; messages: [string, string][] } | undefined> {
  const projectDir = path.resolve(opts.projectDir ?? process.cwd());
  const paths = record.paths.split('\n');
  const compiled = record.compiled ? record.compiled.split('\n') : [];
  const inputs = paths.length - compiled.length - 1;
  if (changed >= inputs) return undefined;
  const abs = paths[changed]!;
  const rel = path.relative(projectDir, abs).split(path.sep).join('/');
  const context = readContext(projectTargetDir(projectDir), record);
  const index = context?.models.get(rel);
  if (!context || index === undefined) return undefined;
  const ids = context.ids.split('\n');
  const entry = (i: number) => deserialize(context.blob.subarray(context.offsets[i]!, context.offsets[i + 1]!)) as [Node, string | undefined];
  const id = ids[index]!;
  // A stamp is trusted when the file is older than the racy window at the time it is read.
  const readAt = Date.now();
  const racyMs = racyWindowMs();
  const before = stampOf(abs);
  if (!before) return undefined;
  try {
    return await patch();
  } catch {
    // A project error, or anything unforeseen: the full compile reports it.
    return undefined;
  }

  async function patch() {
    const { byName, sourcesByName } = context!;
    const [old, startConfig] = entry(index!) as [ModelNode, string];
    if (old.resourceType !== 'model' || old.uniqueId !== id || old.file !== rel) return undefined;
    // What the renders read of other nodes: those the model depends on (its refs and sources, which must stay the same).
    const nodes = new Map<string, Node>();
    for (const d of old.dependsOn) {
      const i = ids.indexOf(d);
      if (i < 0) return undefined;
      nodes.set(d, entry(i)[0]);
    }
    const loaded = loadProject({ projectDir: opts.projectDir, vars: opts.vars, onlyModels: new Set([rel]) });
    const m = loaded.models[0];
    if (loaded.models.length !== 1 || m?.file !== rel) return undefined;
    // The text read is the text stamped: not written to while it was read.
    if (JSON.stringify(stampOf(abs)) !== JSON.stringify(before)) return undefined;
    const { target } = resolveTarget(loaded, { target: opts.target, profilesDir: opts.profilesDir, threads: opts.threads });
    const dialect = await dialectFor(target);
    // What preparing the engine says (log, warnings) is not in the record: such a compile runs in full.
    let said = false;
    const quiet = () => {
      said = true;
    };
    const cache = ParseCache.detached(projectDir, loaded.targetDir);
    const { engine, project, database } = prepareEngine(loaded, target, dialect, { log: quiet, warn: quiet, strictUndefined: opts.strictUndefined, cache });
    cache.begin(project, target, engine);
    const scope = { project, target, dialect, database, engine, byName, sourcesByName };
    const patched = said ? undefined : renderModelPatch(scope, cache, nodes, old, startConfig, m);
    if (!patched) return undefined;
    const { node, sql } = patched;
    // Its compiled file is one of the record's outputs, under the name the compile printed.
    const out = nodeSqlPath(project, 'compiled', node.file);
    const at = compiled.indexOf(`${node.name}\t${out.rel}`);
    if (at < 0 || paths[inputs + at] !== out.abs) return undefined;
    const manifest = paths[paths.length - 1]!;
    if (!patchManifestNode(patched.ws, manifest, record.manifestHead, record.manifestFields, node, sql)) return undefined;
    writeNodeSql(project, 'compiled', node.file, sql);
    // The record now vouches for the edited file as read, the new compiled file and manifest.json.
    const racy = before![1]! > readAt - racyMs || before![2]! > readAt - racyMs;
    const { stamps } = record;
    stamps.set(racy ? UNKNOWN_STAMP : before!, changed * 4);
    stamps.set(stampOf(out.abs) ?? UNKNOWN_STAMP, (inputs + at) * 4);
    stamps.set(stampOf(manifest) ?? UNKNOWN_STAMP, stamps.length - 4);
    const head = manifestHead(manifest);
    if (head) save({ ...record, manifestHead: head, stamps });
    const files = compiled.map((line) => {
      const tab = line.indexOf('\t');
      return { name: line.slice(0, tab), path: line.slice(tab + 1) };
    });
    return { projectName: record.projectName, files, messages: record.messages };
  }
}

/** What a one-model patch renders with: the full compile's engine (macros, vars, target) and its name maps. */
export interface PatchScope {
  project: Workspace['project'];
  target: Workspace['target'];
  dialect: Workspace['dialect'];
  database: string;
  engine: Workspace['engine'];
  byName: Map<string, string>;
  sourcesByName: Map<string, string>;
}

/**
 * The one model `m` (the new text of `old`'s file) rendered again as the full compile would: its
 * parse render with `startConfig` (the start config JSON the parse cache keeps), then its compile
 * render. `nodes` holds at least the nodes `old` depends on. Returns the new node, its template,
 * its compiled SQL and a workspace that names it, or undefined when the patch cannot vouch for the
 * result: the model or a model it reads is ephemeral, the render failed, said something (log,
 * warning), could answer differently (volatile, a secret), or learnt other config, refs, sources
 * or relation than `old` holds. Writes nothing.
 */
export function renderModelPatch(
  scope: PatchScope,
  cache: ParseCache,
  nodes: ReadonlyMap<string, Node>,
  old: ModelNode,
  startConfig: string,
  m: SqlFile,
): { node: ModelNode; template: CompiledTemplate; sql: string; ws: Workspace } | undefined {
  if (old.resourceType !== 'model' || old.materialized === 'ephemeral' || m.file !== old.file) return undefined;
  const deps = new Map<string, Node>();
  for (const d of old.dependsOn) {
    const n = nodes.get(d);
    // A model inlined into this one: its text is part of this one's SQL. Not patched.
    if (!n || (n.resourceType === 'model' && n.materialized === 'ephemeral')) return undefined;
    deps.set(d, n);
  }
  const { project, target, dialect, database, engine, byName, sourcesByName } = scope;
  let said = false;
  const quiet = () => {
    said = true;
  };
  return engine.redirected(quiet, () => {
    const ctx: ParseContext = {
      project,
      target,
      dialect,
      database,
      engine,
      nodes: deps,
      byName,
      sourcesByName,
      templates: new Map(),
      errors: [],
      cache,
      warnings: [],
      disabled: new Map(),
      nameFor: relationNamer(project, target, engine, database),
    };
    const r = renderModel(ctx, m, JSON.parse(startConfig));
    if (!r || ctx.errors.length || ctx.warnings.length || !r.cacheable || said) return undefined;
    const hookTexts = (['pre-hook', 'post-hook'] as const).map((k) => JSON.stringify(r.config[k] ?? null));
    if (!cache.allows([m.source, ...hookTexts], r.macroFiles)) return undefined;
    const learnt = [{ ...r.config, materialized: r.config.materialized ?? 'view' }, r.refs, r.sources, r.relation ?? null];
    if (JSON.stringify(learnt) !== JSON.stringify([old.config, old.refs, old.sources, old.relation ?? null])) return undefined;
    const node: ModelNode = { ...old, rawSql: m.source };
    deps.set(node.uniqueId, node);
    const ws: Workspace = {
      project,
      target,
      dialect,
      database,
      manifest: { projectName: project.name, nodes: deps, byName, sourcesByName, disabled: new Map(), macros: [], warnings: [] },
      engine,
      templates: new Map([[node.uniqueId, r.template]]),
      graph: new Graph(),
    };
    const { value, macroFiles, cacheable } = cache.traced(engine, () => compileNode(ws, node));
    if (!cacheable || said || value.ctes.length || redact(value.sql) !== value.sql || !cache.allows([node.rawSql], macroFiles)) return undefined;
    return { node, template: r.template, sql: value.sql, ws };
  });
}
