import { customEnv } from '../core/custom-env.js';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync, writevSync } from 'node:fs';
import { sourceFreshnessJson } from './source-freshness-json.js';
import path from 'node:path';
import type { Selectors } from '../graph/selectors.js';
import type { Workspace } from '../graph/workspace.js';
import { INVOCATION_ID } from '../core/invocation.js';
import type { Exposure } from '../parse/governance.js';
import type { Node, SourceNode } from '../parse/nodes.js';
import { dbtNodeConfig } from '../parse/dbt-node-config.js';
import { parseDocBlocks } from '../parse/doc-blocks.js';
import { renderDescription } from '../parse/descriptions.js';
import { DBT_COMPAT_VERSION } from '../project/dbt-version.js';
import { shortNameOf, testSqlFile } from '../parse/data-tests/add-data-tests.js';
import { snapshotSqlFile } from '../parse/snapshots.js';
import { nodeSqlPath } from '../core/target-files.js';
import { hasSecrets, redactDeep } from '../core/secrets.js';
import type { RunSummary } from './results.js';
import { nodeChecksum, nodeMacroIds } from '../graph/previous-state.js';
import { projectMacroSources, type MacroSource } from '../parse/macro-dependencies.js';
import { unitTestToJson } from './unit-test-artifact.js';
import { registerGraphWriters } from '../compile/graph-context.js';

import { ENGINE_VERSION } from '../core/engine-version.js';

export { ENGINE_VERSION };

const SCHEMA_VERSIONS = { manifest: 'v12', 'run-results': 'v6', catalog: 'v1', sources: 'v3' } as const;

/**
 * The `metadata` block dbt's artifacts open with: `dbt_version` is the dbt version the engine
 * answers to (tools parse it as one), and nothing beyond dbt's fields (the schemas forbid more).
 */
export function metadata(kind: keyof typeof SCHEMA_VERSIONS) {
  return {
    dbt_schema_version: `https://schemas.getdbt.com/dbt/${kind}/${SCHEMA_VERSIONS[kind]}.json`,
    dbt_version: DBT_COMPAT_VERSION,
    generated_at: new Date().toISOString(),
    invocation_id: INVOCATION_ID,
    env: customEnv(),
  };
}

/**
 * Writes JSON via a temporary file and a rename, so readers never see half a file; `compact` for
 * large artifacts (dbt's manifest is compact too).
 */
export function writeJsonAtomic(file: string, value: unknown, opts: { compact?: boolean } = {}): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${topLevelJson(value, opts.compact === true)}\n`);
  renameSync(tmp, file);
}

/** A value already written to compact JSON text (with nothing to redact), for a compact writeJsonAtomic's top-level object. */
class JsonText {
  constructor(readonly text: string) {}
}

/** JSON.stringify of `value` (its secrets redacted); a top-level entry given as JsonText goes in as that text. */
function topLevelJson(value: unknown, compact: boolean): string {
  const entries = value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
  if (!compact || !entries.some(([, v]) => v instanceof JsonText)) return JSON.stringify(redactDeep(value), null, compact ? undefined : 2);
  const parts: string[] = [];
  for (const [k, v] of entries) {
    const text = v instanceof JsonText ? v.text : JSON.stringify(redactDeep(v));
    // As JSON.stringify: a key whose value has no JSON form (undefined, a function) is left out.
    if (text !== undefined) parts.push(`${JSON.stringify(redactDeep(k))}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

function relationName(ws: Workspace, node: Node): string | null {
  return node.relation ? ws.dialect.qualify(node.relation) : null;
}

/**
 * dbt's `path`: a model's, seed's or singular test's file below the model, seed or test path
 * that holds it; a generic test's generated file name; a source's properties file as it is.
 */
function dbtPath(ws: Workspace, node: Node): string {
  if (node.resourceType === 'source') return node.file;
  if (node.resourceType === 'test' && node.testType === 'generic') return `${shortNameOf(node)}.sql`;
  const c = ws.project.config;
  const roots =
    node.resourceType === 'model'
      ? c['model-paths']
      : node.resourceType === 'seed'
        ? c['seed-paths']
        : node.resourceType === 'snapshot'
          ? (c['snapshot-paths'] ?? ['snapshots'])
          : c['test-paths'];
  for (const root of roots) {
    const prefix = `${root.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '')}/`;
    if (node.file.startsWith(prefix)) return node.file.slice(prefix.length);
  }
  return node.file;
}

/** dbt's `patch_path`: the properties file as `<package>://<path in the package>`. */
function patchPath(ws: Workspace, node: Node): string | null {
  if (!node.patchFile) return null;
  const prefix = ws.project.packages.find((p) => p.name === node.packageName)?.pathPrefix ?? '';
  const file = prefix && node.patchFile.startsWith(prefix) ? node.patchFile.slice(prefix.length) : node.patchFile;
  return `${node.packageName}://${file}`;
}

/** A node's columns as dbt's ColumnInfo entries, by name. */
function columnsJson(node: Node): Record<string, unknown> {
  return Object.fromEntries(
    node.columns.map((c) => [c.name, { name: c.name, description: c.description ?? '', data_type: c.data_type ?? null, meta: c.meta ?? {} }]),
  );
}

/** A source table as dbt's manifest (v12 SourceDefinition) lists it under `sources`. */
function sourceToJson(ws: Workspace, node: SourceNode, enabled: boolean): Record<string, unknown> {
  return {
    unique_id: node.uniqueId,
    resource_type: 'source',
    name: node.name,
    package_name: node.packageName,
    original_file_path: node.file,
    path: node.file,
    fqn: node.fqn,
    database: node.relation.database ?? null,
    schema: node.relation.schema,
    source_name: node.sourceName,
    source_description: node.sourceDescription ?? '',
    loader: node.loader ?? '',
    identifier: node.relation.identifier,
    description: node.description,
    columns: columnsJson(node),
    meta: node.meta ?? {},
    source_meta: node.sourceMeta ?? {},
    tags: node.tags,
    config: dbtNodeConfig(node, enabled),
    unrendered_config: node.unrenderedConfig ?? {},
    patch_path: patchPath(ws, node),
    relation_name: relationName(ws, node),
    external: node.external ?? null,
    ...sourceFreshnessJson(node),
  };
}

/**
 * One node as dbt's manifest (v12) lists it, with the fields of its kind (Seed, Model, Snapshot,
 * GenericTest, SingularTest, SourceDefinition in dbt-core artifacts/resources/v1/): what the parse
 * cache, the fast compile replay and `manifest.json` all write through.
 */
export function nodeToJson(
  ws: Workspace,
  node: Node,
  macros: ReadonlyMap<string, MacroSource> = new Map(),
  enabled = true,
  compiledSql?: string,
): Record<string, unknown> {
  if (node.resourceType === 'source') return sourceToJson(ws, node, enabled);
  const config = dbtNodeConfig(node, enabled);
  const base: Record<string, unknown> = {
    unique_id: node.uniqueId,
    resource_type: node.resourceType,
    name: node.name,
    package_name: node.packageName,
    original_file_path: node.file,
    path: dbtPath(ws, node),
    fqn: node.fqn,
    description: node.description,
    columns: columnsJson(node),
    meta: (node.config.meta as Record<string, unknown> | undefined) ?? {},
    config,
    unrendered_config: node.unrenderedConfig ?? {},
    // dbt's node-level `docs`: the config's, with its defaults.
    docs: config.docs ?? { show: true, node_color: null },
    tags: node.tags,
    checksum: nodeChecksum(ws, node),
    // Ephemeral models and tests have no relation: dbt still names where they would live.
    database: node.relation?.database ?? ws.database,
    schema: node.relation?.schema ?? ws.target.schema,
    alias: node.relation?.identifier ?? node.name,
    relation_name: relationName(ws, node),
    patch_path: patchPath(ws, node),
  };
  // dbt's governance fields: the group of any node, and a model's access.
  base.group = (node.config as { group?: string }).group ?? null;
  if (node.resourceType === 'model') base.access = (node.config as { access?: string }).access ?? 'protected';
  if (node.resourceType === 'seed') return { ...base, depends_on: { macros: [] } };
  if (node.resourceType === 'unit_test') return base;
  Object.assign(base, {
    language: 'sql',
    refs: node.refs.map((r) => ({ name: r.name, package: r.package ?? null, version: r.version ?? null })),
    sources: node.sources,
    depends_on: { macros: nodeMacroIds(ws, node, macros), nodes: node.dependsOn },
    raw_code: node.resourceType === 'snapshot' ? node.rawSql.trim() : node.rawSql,
  });
  // What dbt writes for a node compiled in the invocation (compile, run, build, test, docs generate:
  // dbt-core compilation.py `_compile_code`, `_write_node`). CTEs of ephemeral models are already in
  // the compiled SQL here, so `extra_ctes` is empty.
  if (compiledSql !== undefined) {
    const file = node.resourceType === 'test' ? testSqlFile(node) : node.resourceType === 'snapshot' ? snapshotSqlFile(node) : node.file;
    Object.assign(base, {
      compiled_path: nodeSqlPath(ws.project, 'compiled', file).rel,
      compiled: true,
      compiled_code: compiledSql,
      extra_ctes_injected: true,
      extra_ctes: [],
    });
  }
  // dbt writes null for an unversioned model: left out here, as 10,000 models make it 400 kB.
  if (node.resourceType === 'model' && node.version !== undefined) Object.assign(base, { version: node.version, latest_version: node.latestVersion ?? null });
  if (node.resourceType === 'test' && node.testType === 'generic') {
    Object.assign(base, {
      ...(node.testMetadata ? { test_metadata: { namespace: null, ...node.testMetadata } } : {}),
      attached_node: node.attachedNode ?? null,
      column_name: node.columnName ?? null,
    });
  }
  return base;
}

/** An exposure as dbt's manifest v12 holds it. */
export function exposureToJson(e: Exposure): Record<string, unknown> {
  return {
    name: e.name,
    resource_type: 'exposure',
    package_name: e.packageName,
    path: e.file,
    original_file_path: e.file,
    unique_id: e.uniqueId,
    fqn: e.fqn,
    type: e.type,
    owner: { email: null, name: null, ...e.owner },
    description: e.description,
    label: e.label ?? null,
    maturity: e.maturity ?? null,
    meta: e.meta,
    tags: e.tags,
    config: e.config,
    unrendered_config: e.unrenderedConfig ?? {},
    url: e.url ?? null,
    depends_on: { macros: [], nodes: e.dependsOn },
    refs: e.refs.map((r) => ({ name: r.name, package: r.package ?? null, version: null })),
    sources: e.sources,
    metrics: [],
    created_at: Date.now() / 1000,
  };
}

/** selectors.yml's entries as dbt's manifest holds them, by name. */
function selectorsJson(selectors: Selectors | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of selectors?.byName.values() ?? []) {
    out[s.name] = { name: s.name, ...(s.description !== undefined ? { description: s.description } : {}), definition: s.definition, default: s.default };
  }
  return out;
}

/** The project's and its packages' `{% docs %}` blocks, as dbt's manifest lists them (`doc.<package>.<name>`). */
function docsJson(ws: Workspace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of [ws.project, ...ws.project.packages]) {
    for (const block of parseDocBlocks(p.docFiles).blocks.values()) {
      const id = `doc.${p.name}.${block.name}`;
      out[id] = {
        name: block.name,
        resource_type: 'doc',
        package_name: p.name,
        path: block.file,
        original_file_path: block.file,
        unique_id: id,
        block_contents: block.text,
      };
    }
  }
  return out;
}

/** A macro's properties (`macros:` in a properties file), as dbt's manifest Macro holds them. */
interface MacroPatch {
  description: string;
  meta: Record<string, unknown>;
  docs: { show: boolean; node_color: string | null };
  patch_path: string;
  arguments: { name: string; type: string | null; description: string }[];
}

/**
 * The `macros:` entries of the project's and its packages' properties files, by macro unique id,
 * with `doc()` in descriptions rendered (a description that does not render is kept as written).
 */
function macroPatches(ws: Workspace): Map<string, MacroPatch> {
  const out = new Map<string, MacroPatch>();
  for (const p of [ws.project, ...ws.project.packages]) {
    const withMacros = p.properties.filter((f) => Array.isArray(f.value.macros) && f.value.macros.length > 0);
    if (withMacros.length === 0) continue;
    const blocks = parseDocBlocks(p.docFiles).blocks;
    for (const { yaml, value } of withMacros) {
      (value.macros ?? []).forEach((raw, i) => {
        if (!raw || typeof raw !== 'object' || typeof (raw as { name?: unknown }).name !== 'string') return;
        const m = raw as { name: string; description?: unknown; meta?: unknown; docs?: unknown; arguments?: unknown };
        const render = (text: unknown, at: (string | number)[]): string => {
          if (typeof text !== 'string') return '';
          try {
            return renderDescription(text, blocks, ws.engine, yaml, at);
          } catch {
            return text;
          }
        };
        const docs = (m.docs && typeof m.docs === 'object' ? m.docs : {}) as { show?: unknown; node_color?: unknown };
        out.set(`macro.${p.name}.${m.name}`, {
          description: render(m.description, ['macros', i, 'description']),
          meta: m.meta && typeof m.meta === 'object' ? (m.meta as Record<string, unknown>) : {},
          docs: { show: docs.show !== false, node_color: typeof docs.node_color === 'string' ? docs.node_color : null },
          patch_path: `${p.name}://${p.pathPrefix && yaml.file.startsWith(p.pathPrefix) ? yaml.file.slice(p.pathPrefix.length) : yaml.file}`,
          arguments: (Array.isArray(m.arguments) ? m.arguments : []).flatMap((a, j) => {
            if (!a || typeof a !== 'object' || typeof (a as { name?: unknown }).name !== 'string') return [];
            const arg = a as { name: string; type?: unknown; description?: unknown };
            return [
              {
                name: arg.name,
                type: typeof arg.type === 'string' ? arg.type : null,
                description: render(arg.description, ['macros', i, 'arguments', j, 'description']),
              },
            ];
          }),
        });
      });
    }
  }
  return out;
}

/** `selectors`: the project's selectors.yml when the session has read it; `compiled`: nodes' compiled SQL by unique id, when known. */
export function writeManifest(ws: Workspace & { selectors?: Selectors | null }, compiled?: ReadonlyMap<string, string>): string {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  const unitTests: Record<string, unknown> = {};
  const macros = projectMacroSources(ws.project);
  const patches = macroPatches(ws);
  // Without secrets to redact, each node's entry is written to JSON text as soon as it is made: ten
  // thousand entries then die young instead of living until one JSON.stringify of the whole.
  const asText = !hasSecrets();
  const nodeTexts: string[] = [];
  for (const node of ws.manifest.nodes.values()) {
    if (node.resourceType === 'unit_test') unitTests[node.uniqueId] = unitTestToJson(ws, node);
    else if (node.resourceType === 'source') sources[node.uniqueId] = nodeToJson(ws, node, macros, true);
    else {
      const entry = nodeToJson(ws, node, macros, true, compiled?.get(node.uniqueId));
      if (asText) nodeTexts.push(`${JSON.stringify(node.uniqueId)}:${JSON.stringify(entry)}`);
      else nodes[node.uniqueId] = entry;
    }
  }
  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  for (const id of ws.manifest.nodes.keys()) {
    parentMap[id] = [...(ws.graph.predecessors(id) ?? [])].sort();
    childMap[id] = [...(ws.graph.successors(id) ?? [])].sort();
  }
  const exposures: Record<string, unknown> = {};
  for (const e of ws.manifest.exposures?.values() ?? []) {
    exposures[e.uniqueId] = exposureToJson(e);
    parentMap[e.uniqueId] = [...e.dependsOn].sort();
    for (const p of e.dependsOn) childMap[p] = [...(childMap[p] ?? []), e.uniqueId].sort();
  }
  const groups: Record<string, unknown> = {};
  const groupMap: Record<string, string[]> = {};
  for (const g of ws.manifest.groups?.values() ?? []) {
    groups[g.uniqueId] = {
      name: g.name,
      resource_type: 'group',
      package_name: g.packageName,
      path: g.file,
      original_file_path: g.file,
      unique_id: g.uniqueId,
      owner: { email: null, name: null, ...g.owner },
      description: g.description ?? null,
      config: { meta: {}, ...g.config },
    };
  }
  for (const node of ws.manifest.nodes.values()) {
    const group = (node.config as { group?: string }).group;
    if (group) groupMap[group] = [...(groupMap[group] ?? []), node.uniqueId];
  }
  const file = path.join(ws.project.targetDir, 'manifest.json');
  writeJsonAtomic(
    file,
    {
      metadata: { ...metadata('manifest'), project_name: ws.project.name, adapter_type: ws.target.type },
      nodes: asText ? new JsonText(`{${nodeTexts.join(',')}}`) : nodes,
      sources,
      macros: Object.fromEntries(
        ws.manifest.macros.map((m) => {
          const pkg = m.package ?? ws.project.name;
          const id = `macro.${pkg}.${m.name}`;
          const src = macros.get(id);
          return [
            id,
            {
              unique_id: id,
              name: m.name,
              resource_type: 'macro',
              package_name: pkg,
              path: m.file,
              original_file_path: m.file,
              macro_sql: src?.sql ?? '',
              depends_on: { macros: src?.calls ?? [] },
              ...patches.get(id),
            },
          ];
        }),
      ),
      docs: docsJson(ws),
      exposures,
      metrics: {},
      groups,
      selectors: selectorsJson(ws.selectors),
      disabled: Object.fromEntries(
        [...ws.manifest.disabled].map(([id, list]) => [
          id,
          list.map((n) => (n.resourceType === 'unit_test' ? unitTestToJson(ws, n) : nodeToJson(ws, n, macros, false))),
        ]),
      ),
      parent_map: parentMap,
      child_map: childMap,
      group_map: groupMap,
      saved_queries: {},
      semantic_models: {},
      unit_tests: unitTests,
    },
    { compact: true },
  );
  return file;
}

/** The `metadata` block a manifest.json opens with (as JSON text), or undefined when the file does not open with one. */
export function manifestHead(file: string): string | undefined {
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
      // The metadata block is flat strings, and a string cannot hold an unescaped quote: the first match is its end.
      const at = text.indexOf('},"nodes":');
      return text.startsWith('{"metadata":') && at > 0 ? text.slice(0, at + 1) : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** The metadata block of a manifest.json written now. */
function manifestHeadOf(fields: { project_name: string; adapter_type: string }): string {
  return `{"metadata":${JSON.stringify(redactDeep({ ...metadata('manifest'), ...fields }))}`;
}

/** The end of the JSON object that opens at `start` in `bytes` (UTF-8: every byte of a multi-byte character is above 0x7f), or -1. */
function objectEnd(bytes: Buffer, start: number): number {
  let depth = 0;
  for (let i = start; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 34) {
      // A string: skip to its closing quote, past escapes.
      for (i++; i < bytes.length && bytes[i] !== 34; i++) if (bytes[i] === 92) i++;
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Rewrites one node's entry of a manifest.json that opens with `head`, under this run's metadata,
 * instead of writing the whole file again: the entry is what writeManifest writes for `node`
 * (nodeToJson; with `compiledSql`, as compiled). Only when the entry there now differs from it in the
 * node's text alone (raw_code, checksum, the macros it calls, its compiled SQL); false, and nothing
 * written, otherwise.
 */
export function patchManifestNode(
  ws: Workspace,
  file: string,
  head: string,
  fields: { project_name: string; adapter_type: string },
  node: Node,
  compiledSql?: string,
): boolean {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return false;
  }
  const headBytes = Buffer.from(head);
  if (!bytes.subarray(0, headBytes.length).equals(headBytes)) return false;
  // Inside a JSON string every quote is escaped, and the maps keyed by node ids hold lists: `"id":{`
  // stands only where the node's entry opens.
  const key = Buffer.from(`${JSON.stringify(node.uniqueId)}:{`);
  const at = bytes.indexOf(key, headBytes.length);
  if (at < 0) return false;
  const start = at + key.length - 1;
  const end = objectEnd(bytes, start);
  if (end < 0) return false;
  let old: Record<string, unknown>;
  try {
    old = JSON.parse(bytes.subarray(start, end).toString('utf8'));
  } catch {
    return false;
  }
  const entry = redactDeep(nodeToJson(ws, node, projectMacroSources(ws.project), true, compiledSql));
  const textual = new Set(['raw_code', 'checksum', 'depends_on', 'compiled_code']);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(Object.keys(old), Object.keys(entry))) return false;
  if (!Object.keys(entry).every((k) => textual.has(k) || same(old[k], entry[k]))) return false;
  if (!same((old.depends_on as { nodes?: unknown } | undefined)?.nodes, (entry.depends_on as { nodes: unknown }).nodes)) return false;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const parts = [Buffer.from(manifestHeadOf(fields)), bytes.subarray(headBytes.length, start), Buffer.from(JSON.stringify(entry)), bytes.subarray(end)];
    const fd = openSync(tmp, 'w');
    try {
      let written = writevSync(fd, parts);
      // A short write (rare on a file): the rest one buffer at a time.
      for (const part of parts) {
        if (written >= part.length) {
          written -= part.length;
          continue;
        }
        writeFileSync(fd, part.subarray(written));
        written = 0;
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Gives a manifest.json that opens with `head` this run's metadata (generated_at, invocation_id)
 * in place: the rest of the file is what this run would write. Only when the new block has the
 * same length (ISO times and ids do); false when it could not.
 */
export function restampManifest(file: string, head: string, fields: { project_name: string; adapter_type: string }): boolean {
  const next = manifestHeadOf(fields);
  if (Buffer.byteLength(next) !== Buffer.byteLength(head)) return false;
  try {
    const fd = openSync(file, 'r+');
    try {
      writeSync(fd, next, 0, 'utf8');
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}

export function writeRunResults(ws: Workspace, summary: RunSummary, args: Record<string, unknown>): string {
  const file = path.join(ws.project.targetDir, 'run_results.json');
  writeJsonAtomic(file, {
    metadata: metadata('run-results'),
    results: summary.results.map((r) => ({
      unique_id: r.node.uniqueId,
      status: r.status,
      timing: [{ name: 'execute', started_at: r.startedAt.toISOString(), completed_at: r.completedAt.toISOString() }],
      thread_id: r.threadId,
      execution_time: (r.completedAt.getTime() - r.startedAt.getTime()) / 1000,
      adapter_response: r.rows !== undefined ? { rows_affected: r.rows } : {},
      // As dbt: a passing test has no message and 0 failures, even when rows under its thresholds came back.
      message: r.status === 'pass' || (r.status === 'success' && r.message === '') ? null : (r.artifactMessage ?? r.message),
      failures: r.status === 'pass' ? 0 : (r.failures ?? null),
      compiled: r.compiledSql !== undefined,
      compiled_code: r.compiledSql ?? null,
      relation_name: r.relationName ?? null,
      batch_results: r.batchResults ?? null,
    })),
    elapsed_time: summary.elapsedSeconds,
    args,
  });
  return file;
}

// dbt's `graph` (compile/graph-context.ts) lists each node as manifest.json does.
registerGraphWriters({ node: (ws, node, macros) => nodeToJson(ws, node, macros), exposure: exposureToJson });
