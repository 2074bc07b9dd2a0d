import { existsSync } from 'node:fs';
import path from 'node:path';
import { isPlainObject } from '../core/util.js';
import { listFiles } from './files.js';

/** Project keys that mean nothing here (dbt's own bookkeeping): accepted silently. */
export const PROJECT_KEYS_WITHOUT_EFFECT = new Set(['name', 'profile', 'require-dbt-version', 'clean-targets', 'config-version', 'version']);

/** Project keys that are read and acted on. */
const HONOURED_PROJECT_KEYS = new Set([
  'model-paths',
  'seed-paths',
  'macro-paths',
  'test-paths',
  'docs-paths',
  'target-path',
  'vars',
  'models',
  'seeds',
  'snapshots',
  'snapshot-paths',
  'sources',
  'data_tests',
  'tests',
  'on-run-start',
  'on-run-end',
  'packages-install-path',
  'dispatch',
  'restrict-access',
  'asset-paths',
]);

/** Folders whose contents this engine does not build: worth a warning only when they hold files. */
const PATH_KEYS: Record<string, { default?: string; what: string }> = {
  'analysis-paths': { default: 'analyses', what: 'analyses are not compiled' },
};

/** `flags:` keys with an effect: this engine's strict_undefined, the microbatch flag and the behaviour flags built-in macros read. */
const HONOURED_FLAGS = new Set(['strict_undefined', 'enable_truthy_nulls_equals_macro', 'require_batched_execution_for_custom_microbatch_strategy']);

/**
 * The project file's keys that cannot be honoured, as one warning (or none): unknown keys,
 * and known ones with no effect here. Path keys count only when their folder has files.
 */
export function unsupportedProjectKeys(file: string, data: Record<string, unknown>, dir: string, isRoot = true): string | undefined {
  const out: string[] = [];
  for (const key of Object.keys(data)) {
    if (PROJECT_KEYS_WITHOUT_EFFECT.has(key) || HONOURED_PROJECT_KEYS.has(key)) continue;
    if (key === 'flags' && isPlainObject(data.flags)) {
      // strict_undefined is this engine's (printing an undefined value is an error); of dbt's own flags only
      // require_batched_execution_for_custom_microbatch_strategy (execute/run-microbatch.ts) and the behaviour
      // flags the built-in macros read (adapter.behavior.<flag>) have an effect.
      const others = Object.keys(data.flags).filter((k) => !HONOURED_FLAGS.has(k));
      if (others.length) out.push(`flags (${others.join(', ')})`);
      continue;
    }
    const p = PATH_KEYS[key];
    if (p) {
      const folders = Array.isArray(data[key]) ? (data[key] as unknown[]).map(String) : [String(data[key])];
      if (folders.some((f) => listFiles(dir, f, ['.sql', '.yml', '.yaml', '.csv', '.md', '.png', '.jpg', '.svg']).length > 0)) out.push(`${key} (${p.what})`);
      continue;
    }
    out.push(key);
  }
  // A snapshots/ or analyses/ folder is read by dbt even when the key is left out.
  for (const [key, p] of Object.entries(PATH_KEYS)) {
    if (key in data || !p.default || !isRoot) continue;
    if (existsSync(path.join(dir, p.default)) && listFiles(dir, p.default, ['.sql']).length > 0) out.push(`${p.default}/ (${p.what})`);
  }
  return out.length ? `${file}: not supported, so ignored: ${out.join(', ')}` : undefined;
}

/** Node configs acted on; any other config a model or seed carries has no effect. */
const HONOURED_CONFIGS = new Set([
  'enabled',
  // applied where the warehouse has roles; execute/ says once when it has none
  'grants',
  'copy_grants',
  'materialized',
  'schema',
  'database',
  'alias',
  'tags',
  'unique_key',
  'incremental_strategy',
  'on_schema_change',
  'incremental_predicates',
  'predicates',
  'merge_update_columns',
  'merge_exclude_columns',
  'event_time',
  'batch_size',
  'begin',
  'lookback',
  // snapshots
  'strategy',
  'updated_at',
  'check_cols',
  'hard_deletes',
  'invalidate_hard_deletes',
  'target_schema',
  'target_database',
  'snapshot_meta_column_names',
  'dbt_valid_to_current',
  'backfill_new_columns',
  'backfill_audit_column',
  'full_refresh',
  'column_types',
  'delimiter',
  'quote_columns',
  'pre-hook',
  'post-hook',
  'contract',
  'persist_docs',
  // model governance (parse/governance.ts)
  'access',
  'group',
  'meta',
  'docs',
  'transient',
  // data test configs (a folder may set them for its models' tests)
  'severity',
  'warn_if',
  'error_if',
  'where',
  'limit',
  'store_failures',
  'store_failures_as',
  'fail_calc',
]);

/** Values that ask for nothing (dbt's defaults), so ignoring them changes nothing. */
function isNoOp(key: string, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (key === 'on_schema_change') return value === 'ignore';
  if (key === 'contract') return isPlainObject(value) && Object.values(value).every((v) => !v);
  if (key === 'grants') return isPlainObject(value) && Object.keys(value).length === 0;
  return false;
}

/** One warning naming each config some model or seed sets that has no effect here, with who sets it. */
export function unsupportedConfigWarning(nodes: Iterable<{ resourceType: string; name: string; config: object }>): string | undefined {
  const byKey = new Map<string, string[]>();
  for (const node of nodes) {
    if (node.resourceType !== 'model' && node.resourceType !== 'seed' && node.resourceType !== 'snapshot') continue;
    for (const [key, value] of Object.entries(node.config)) {
      if (HONOURED_CONFIGS.has(key) || isNoOp(key, value)) continue;
      byKey.set(key, [...(byKey.get(key) ?? []), node.name]);
    }
  }
  if (byKey.size === 0) return undefined;
  const list = [...byKey].map(([k, names]) => `${k} (${names.length > 3 ? `${names.length} nodes` : names.join(', ')})`);
  return `these configs are not supported and have no effect: ${list.join(', ')}`;
}

/** Properties-file sections that are read and acted on, or that only document (as in dbt, where they build nothing). */
const USED_PROPERTY_KEYS = new Set(['version', 'models', 'seeds', 'snapshots', 'sources', 'macros', 'exposures', 'groups', 'unit_tests']);
const UNUSED_PROPERTY_KEYS: Record<string, string> = {
  analyses: 'analyses are not compiled',
  metrics: 'the semantic layer is not supported',
  semantic_models: 'the semantic layer is not supported',
  saved_queries: 'the semantic layer is not supported',
};

/** One warning naming the properties-file sections that have no effect here, with the files that hold them. */
export function unusedPropertiesWarning(files: { file: string; data: unknown }[]): string | undefined {
  const byKey = new Map<string, string[]>();
  for (const { file, data } of files) {
    if (!isPlainObject(data)) continue;
    for (const key of Object.keys(data)) {
      if (USED_PROPERTY_KEYS.has(key)) continue;
      byKey.set(key, [...(byKey.get(key) ?? []), file]);
    }
  }
  if (byKey.size === 0) return undefined;
  const list = [...byKey].map(([k, files]) => `${k} (${UNUSED_PROPERTY_KEYS[k] ? `${UNUSED_PROPERTY_KEYS[k]}; ` : ''}${files.join(', ')})`);
  return `properties not supported, so ignored: ${list.join(', ')}`;
}
