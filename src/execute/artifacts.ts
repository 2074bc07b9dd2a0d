import { closeSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { sourceFreshnessJson } from './source-freshness-json.js';
import path from 'node:path';
import type { Selectors } from '../graph/selectors.js';
import type { Workspace } from '../graph/workspace.js';
import { INVOCATION_ID } from '../core/invocation.js';
import type { Exposure } from '../parse/governance.js';
import type { Node } from '../parse/nodes.js';
import { shortNameOf } from '../parse/data-tests/add-data-tests.js';
import { redactDeep } from '../core/secrets.js';
import type { RunSummary } from './results.js';
import { nodeChecksum, nodeMacroIds } from '../graph/previous-state.js';
import { projectMacroSources, type MacroSource } from '../parse/macro-dependencies.js';
import { unitTestToJson } from './unit-test-artifact.js';

import { ENGINE_VERSION } from '../core/engine-version.js';

export { ENGINE_VERSION };

const SCHEMA_VERSIONS = { manifest: 'v12', 'run-results': 'v6', catalog: 'v1', sources: 'v3' } as const;

/** The `metadata` block dbt's artifacts open with. */
export function metadata(kind: keyof typeof SCHEMA_VERSIONS) {
  return {
    dbt_schema_version: `https://schemas.getdbt.com/dbt/${kind}/${SCHEMA_VERSIONS[kind]}.json`,
    dbt_version: ENGINE_VERSION,
    generator: `model ${ENGINE_VERSION}`,
    generated_at: new Date().toISOString(),
    invocation_id: INVOCATION_ID,
  };
}

/**
 * Writes JSON via a temporary file and a rename, so readers never see half a file; `compact` for
 * large artifacts (dbt's manifest is compact too).
 */
export function writeJsonAtomic(file: string, value: unknown, opts: { compact?: boolean } = {}): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(redactDeep(value), null, opts.compact ? undefined : 2)}\n`);
  renameSync(tmp, file);
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

export function nodeToJson(ws: Workspace, node: Node, macros: ReadonlyMap<string, MacroSource> = new Map()): Record<string, unknown> {
  const base: Record<string, unknown> = {
    unique_id: node.uniqueId,
    resource_type: node.resourceType,
    name: node.name,
    package_name: node.packageName,
    original_file_path: node.file,
    path: dbtPath(ws, node),
    fqn: node.fqn,
    description: node.description,
    columns: Object.fromEntries(
      node.columns.map((c) => [c.name, { name: c.name, description: c.description ?? '', data_type: c.data_type ?? null, meta: c.meta ?? {} }]),
    ),
    config: node.config,
    tags: node.tags,
    depends_on: { nodes: node.dependsOn, macros: nodeMacroIds(ws, node, macros) },
    checksum: nodeChecksum(ws, node),
    database: node.relation?.database ?? null,
    schema: node.relation?.schema ?? null,
    alias: node.relation?.identifier ?? null,
    relation_name: relationName(ws, node),
    patch_path: node.patchFile ?? null,
  };
  if (node.resourceType === 'model' || node.resourceType === 'snapshot' || node.resourceType === 'test') {
    Object.assign(base, {
      language: 'sql',
      refs: node.refs.map((r) => ({ name: r.name, package: r.package ?? null, version: null })),
      sources: node.sources,
    });
  }
  if (node.resourceType === 'model') base.raw_code = node.rawSql;
  // dbt's governance fields: a model's access, and the group of any node.
  if (node.resourceType === 'model') base.access = (node.config as { access?: string }).access ?? 'protected';
  if (node.resourceType !== 'source') base.group = (node.config as { group?: string }).group ?? null;
  if (node.resourceType === 'snapshot') base.raw_code = node.rawSql.trim();
  if (node.resourceType === 'source') {
    Object.assign(base, { source_name: node.sourceName, identifier: node.relation.identifier, external: node.external ?? null }, sourceFreshnessJson(node));
  }
  if (node.resourceType === 'test') {
    Object.assign(base, {
      raw_code: node.rawSql,
      test_metadata: node.testMetadata ?? null,
      attached_node: node.attachedNode ?? null,
      column_name: node.columnName ?? null,
    });
  }
  return base;
}

/** An exposure as dbt's manifest v12 holds it. */
function exposureToJson(e: Exposure): Record<string, unknown> {
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
    unrendered_config: {},
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

/** `selectors`: the project's selectors.yml when the session has read it. */
export function writeManifest(ws: Workspace & { selectors?: Selectors | null }): string {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  const unitTests: Record<string, unknown> = {};
  const macros = projectMacroSources(ws.project);
  for (const node of ws.manifest.nodes.values()) {
    if (node.resourceType === 'unit_test') unitTests[node.uniqueId] = unitTestToJson(ws, node);
    else (node.resourceType === 'source' ? sources : nodes)[node.uniqueId] = nodeToJson(ws, node, macros);
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
      nodes,
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
            },
          ];
        }),
      ),
      docs: {},
      exposures,
      metrics: {},
      groups,
      selectors: selectorsJson(ws.selectors),
      disabled: {},
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

/**
 * Gives a manifest.json that opens with `head` this run's metadata (generated_at, invocation_id)
 * in place: the rest of the file is what this run would write. Only when the new block has the
 * same length (ISO times and ids do); false when it could not.
 */
export function restampManifest(file: string, head: string, fields: { project_name: string; adapter_type: string }): boolean {
  const next = `{"metadata":${JSON.stringify(redactDeep({ ...metadata('manifest'), ...fields }))}`;
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
      message: r.status === 'pass' ? null : (r.artifactMessage ?? r.message),
      failures: r.status === 'pass' ? 0 : (r.failures ?? null),
      compiled: r.compiledSql !== undefined,
      compiled_code: r.compiledSql ?? null,
      relation_name: r.relationName ?? null,
    })),
    elapsed_time: summary.elapsedSeconds,
    args,
  });
  return file;
}
