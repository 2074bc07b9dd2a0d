import { safeParseRemembered, z } from '../core/zod.js';
import { ProjectError } from '../core/errors.js';
import { didYouMean } from '../core/util.js';
import { isSecretName } from '../core/secrets.js';
import type { YamlFile, YamlPath } from './yaml-file.js';

const stringList = z.union([z.string(), z.array(z.string())]);
const pathList = z.array(z.string().min(1)).min(1);
/** A dbt hook: SQL text, or `{sql, transaction}` (hooks run outside the model's transaction here). */
const hook = z.union([z.string(), z.looseObject({ sql: z.string(), transaction: z.boolean().optional() })]);
const hooks = z.union([hook, z.array(hook)]);
export type HookConfig = z.infer<typeof hooks>;

/** `project.yml`: dbt's `dbt_project.yml` keys, strictly (a typo is an error, not a silent default). */
export const projectFileSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be letters, digits and underscores, not starting with a digit'),
  version: z.union([z.string(), z.number()]).optional(),
  'config-version': z.number().optional(),
  profile: z.string().optional(),
  'require-dbt-version': z.unknown().optional(),
  'model-paths': pathList.default(['models']),
  'seed-paths': pathList.default(['seeds']),
  'macro-paths': pathList.default(['macros']),
  'test-paths': pathList.default(['tests']),
  'analysis-paths': z.array(z.string()).optional(),
  'snapshot-paths': z.array(z.string()).optional(),
  'docs-paths': z.array(z.string()).optional(),
  'asset-paths': z.array(z.string()).optional(),
  'target-path': z.string().min(1).default('target'),
  'clean-targets': z.array(z.string()).optional(),
  'packages-install-path': z.string().optional(),
  /** dbt's `restrict-access`: protected models of this project cannot be referenced from another package. */
  'restrict-access': z.boolean().optional(),
  vars: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v) => v ?? {}),
  models: z.record(z.string(), z.unknown()).nullish(),
  seeds: z.record(z.string(), z.unknown()).nullish(),
  snapshots: z.record(z.string(), z.unknown()).nullish(),
  sources: z.record(z.string(), z.unknown()).nullish(),
  data_tests: z.record(z.string(), z.unknown()).nullish(),
  tests: z.record(z.string(), z.unknown()).nullish(),
  'on-run-start': hooks.optional(),
  'on-run-end': hooks.optional(),
  'query-comment': z.unknown().optional(),
  quoting: z.record(z.string(), z.unknown()).optional(),
  flags: z.record(z.string(), z.unknown()).optional(),
  /** dbt's `dispatch:`: the packages `adapter.dispatch(name, namespace)` searches, in order. */
  dispatch: z.array(z.strictObject({ macro_namespace: z.string().min(1), search_order: z.array(z.string().min(1)).min(1) })).optional(),
});
export type ProjectFile = z.infer<typeof projectFileSchema>;

export const MATERIALIZATIONS = ['view', 'table', 'incremental', 'ephemeral'] as const;

/** Every config a node may carry, from project.yml folders, property files or `config()`. */
export const nodeConfigSchema = z.looseObject({
  enabled: z.boolean().optional(),
  materialized: z.enum([...MATERIALIZATIONS, 'seed', 'test', 'snapshot']).optional(),
  schema: z.string().min(1).nullish(),
  database: z.string().min(1).nullish(),
  alias: z.string().min(1).nullish(),
  tags: stringList.optional(),
  unique_key: stringList.nullish(),
  // Checked per target when the model runs (plan/incremental-strategy.ts): adapters differ.
  incremental_strategy: z.string().min(1).nullish(),
  on_schema_change: z.enum(['ignore', 'fail', 'append_new_columns', 'sync_all_columns']).nullish(),
  incremental_predicates: stringList.nullish(),
  /** dbt's older name for incremental_predicates. */
  predicates: stringList.nullish(),
  merge_update_columns: z.array(z.string()).nullish(),
  merge_exclude_columns: z.array(z.string()).nullish(),
  // microbatch
  event_time: z.string().min(1).nullish(),
  batch_size: z.enum(['hour', 'day', 'month', 'year']).nullish(),
  begin: z.union([z.string().min(1), z.date()]).nullish(),
  lookback: z.number().int().min(0).nullish(),
  concurrent_batches: z.boolean().nullish(),
  // snapshots
  strategy: z.string().min(1).nullish(),
  updated_at: z.string().min(1).nullish(),
  check_cols: stringList.nullish(),
  hard_deletes: z.enum(['ignore', 'invalidate', 'new_record']).nullish(),
  invalidate_hard_deletes: z.boolean().nullish(),
  target_schema: z.string().min(1).nullish(),
  target_database: z.string().min(1).nullish(),
  snapshot_meta_column_names: z
    .strictObject({
      dbt_valid_from: z.string().min(1).optional(),
      dbt_valid_to: z.string().min(1).optional(),
      dbt_scd_id: z.string().min(1).optional(),
      dbt_updated_at: z.string().min(1).optional(),
      dbt_is_deleted: z.string().min(1).optional(),
    })
    .nullish(),
  dbt_valid_to_current: z.string().min(1).nullish(),
  backfill_new_columns: z.union([z.boolean(), z.enum(['source', 'null'])]).nullish(),
  backfill_audit_column: z.string().min(1).nullish(),
  full_refresh: z.boolean().nullish(),
  column_types: z.record(z.string(), z.string()).optional(),
  // One character; checked when the seed loads, as dbt fails that seed alone (agate's error).
  delimiter: z.string().optional(),
  quote_columns: z.boolean().optional(),
  'pre-hook': hooks.optional(),
  'post-hook': hooks.optional(),
  pre_hook: hooks.optional(),
  post_hook: hooks.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  docs: z.record(z.string(), z.unknown()).optional(),
  persist_docs: z.record(z.string(), z.unknown()).optional(),
  grants: z.record(z.string(), z.unknown()).optional(),
  contract: z.record(z.string(), z.unknown()).optional(),
  query_tag: z.string().optional(),
  // model governance, checked in parse/governance.ts
  access: z.string().nullish(),
  group: z.string().nullish(),
  transient: z.boolean().optional(),
  cluster_by: stringList.optional(),
  // data tests
  severity: z.string().optional(),
  warn_if: z.string().optional(),
  error_if: z.string().optional(),
  where: z.string().nullish(),
  limit: z.number().int().nullish(),
  store_failures: z.boolean().nullish(),
  store_failures_as: z.string().nullish(),
  fail_calc: z.string().optional(),
});
export type NodeConfig = z.infer<typeof nodeConfigSchema>;

/**
 * `nodeConfigSchema.safeParse` for a `config()` call, key by key: the same verdict and value (the
 * schema is a loose object of optional fields, without defaults or object-wide checks), without
 * running all fifty known fields for the one or two a model sets. Issues carry the key in their path.
 */
export function parseNodeConfig(values: Record<string, unknown>): { success: true; data: NodeConfig } | { success: false; issues: z.core.$ZodIssue[] } {
  const shape = nodeConfigSchema.shape as Record<string, z.ZodType>;
  const data: Record<string, unknown> = { ...values };
  for (const key of Object.keys(values)) {
    if (!Object.hasOwn(shape, key)) continue;
    const r = safeParseRemembered(shape[key]!, values[key]);
    if (!r.success) return { success: false, issues: r.error.issues.map((i) => ({ ...i, path: [key, ...i.path] })) };
    data[key] = r.data;
  }
  return { success: true, data: data as NodeConfig };
}

/** Config keys known to the engine; anything else in a folder config with `+` is a typo. */
export const KNOWN_CONFIG_KEYS = new Set(Object.keys(nodeConfigSchema.shape));

const column = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  data_type: z.string().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  tests: z.array(z.unknown()).optional(),
  data_tests: z.array(z.unknown()).optional(),
  quote: z.boolean().optional(),
});

/**
 * A file the engine loads (path or http(s) URL), or files already in a Snowflake stage in
 * dbt-external-tables' shape (sample_sources/snowflake.yml there): `location: '@stage/path'`,
 * `file_format` (a format's name or `( type = … )`) and `pattern`. Its other keys (auto_refresh,
 * partitions, snowpipe, …) are accepted and not used: the engine loads the files with COPY.
 */
const externalSchema = z.looseObject({
  location: z.string().min(1),
  format: z.enum(['parquet', 'csv']).optional(),
  file_format: z.string().min(1).optional(),
  pattern: z.string().min(1).optional(),
});

const sourceTable = z.looseObject({
  name: z.string().min(1),
  identifier: z.string().optional(),
  description: z.string().optional(),
  columns: z.array(column).optional(),
  config: nodeConfigSchema.optional(),
  external: externalSchema.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  tags: stringList.optional(),
  tests: z.array(z.unknown()).optional(),
  data_tests: z.array(z.unknown()).optional(),
  loaded_at_field: z.string().optional(),
  freshness: z.unknown().optional(),
});

const source = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  database: z.string().optional(),
  schema: z.string().optional(),
  tables: z.array(sourceTable).default([]),
  config: nodeConfigSchema.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  tags: stringList.optional(),
  loader: z.string().optional(),
  loaded_at_field: z.string().optional(),
  freshness: z.unknown().optional(),
});

const modelProperties = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  config: nodeConfigSchema.optional(),
  columns: z.array(column).optional(),
  tests: z.array(z.unknown()).optional(),
  data_tests: z.array(z.unknown()).optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  docs: z.record(z.string(), z.unknown()).optional(),
  tags: stringList.optional(),
  /** dbt's model versions: each version is the model `<name>_v<v>` (or `defined_in`). */
  versions: z.array(z.looseObject({ v: z.union([z.number(), z.string()]), defined_in: z.string().min(1).optional() })).optional(),
  latest_version: z.union([z.number(), z.string()]).optional(),
});

/** dbt 1.9's YAML snapshot (`relation:` names what it copies), or properties of a `{% snapshot %}` block. */
const snapshotProperties = modelProperties.extend({ relation: z.string().min(1).optional() });
export type SnapshotProperties = z.infer<typeof snapshotProperties>;

/** Rows of a unit test fixture: a list of mappings (`format: dict`), or CSV or SQL text. */
const fixtureRows = z.union([z.array(z.unknown()), z.string()]).nullish();
const fixtureFormat = z.enum(['dict', 'csv', 'sql']).default('dict');

/** One `given:` input of a unit test (dbt-core's UnparsedUnitTestInputFixture). */
const unitTestGiven = z.strictObject({
  input: z.string().min(1),
  rows: fixtureRows,
  format: fixtureFormat,
  fixture: z.string().min(1).optional(),
});

const versionList = z.array(z.union([z.number(), z.string()]));

/** A dbt 1.8 `unit_tests:` entry (dbt-core contracts/graph/unparsed.py, UnparsedUnitTest). */
export const unitTestSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_]+$/, 'must be letters, digits and underscores'),
  model: z.string().min(1),
  description: z.string().optional(),
  given: z.array(unitTestGiven).nullish(),
  expect: z.strictObject({ rows: fixtureRows, format: fixtureFormat, fixture: z.string().min(1).optional() }),
  overrides: z
    .strictObject({
      macros: z.record(z.string(), z.unknown()).nullish(),
      vars: z.record(z.string(), z.unknown()).nullish(),
      env_vars: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
  config: z.strictObject({ tags: stringList.optional(), meta: z.record(z.string(), z.unknown()).optional(), enabled: z.boolean().optional() }).nullish(),
  versions: z.strictObject({ include: versionList.optional(), exclude: versionList.optional() }).nullish(),
});
export type UnitTestDefinition = z.infer<typeof unitTestSchema>;

/** A dbt-style properties file (`schema.yml`): models, seeds, sources. */
export const propertiesFileSchema = z.looseObject({
  version: z.union([z.number(), z.string()]).optional(),
  models: z.array(modelProperties).nullish(),
  seeds: z.array(modelProperties).nullish(),
  sources: z.array(source).nullish(),
  macros: z.array(z.unknown()).nullish(),
  snapshots: z.array(snapshotProperties).nullish(),
  analyses: z.array(z.unknown()).nullish(),
  exposures: z.array(z.unknown()).nullish(),
  metrics: z.array(z.unknown()).nullish(),
  semantic_models: z.array(z.unknown()).nullish(),
  unit_tests: z.array(z.unknown()).nullish(),
});
export type PropertiesFile = z.infer<typeof propertiesFileSchema>;
export type ModelProperties = z.infer<typeof modelProperties>;
export type SourceDefinition = z.infer<typeof source>;
export type SourceTableDefinition = z.infer<typeof sourceTable>;
export type ColumnDefinition = z.infer<typeof column>;

/** Validates YAML data, turning each zod issue into an error at the offending line. */
export function validateYaml<S extends z.ZodType>(
  schema: S,
  yaml: YamlFile,
  data: unknown = yaml.data,
  basePath: YamlPath = [],
): { value?: z.infer<S>; errors: ProjectError[] } {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return { value: result.data, errors: [] };
  return { errors: issuesToErrors(result.error.issues, yaml, basePath) };
}

export function issuesToErrors(issues: z.core.$ZodIssue[], yaml: YamlFile, basePath: YamlPath = []): ProjectError[] {
  const errors: ProjectError[] = [];
  for (const issue of issues) {
    const p = [...basePath, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const parentSchemaKeys = knownKeysAt(issue);
        errors.push(
          new ProjectError('project', `unknown key '${key}'${p.length ? ` in ${dotted(p)}` : ''}`, {
            location: yaml.locate([...p, key]),
            hint: parentSchemaKeys ? didYouMean(key, parentSchemaKeys) : undefined,
            source: yaml.source,
          }),
        );
      }
      continue;
    }
    const field = p.length ? `'${dotted(p)}'` : 'the file';
    // A password or key of the wrong type is not shown, neither in the message nor in a code frame.
    const secret = isSecretName(String(p[p.length - 1] ?? ''));
    errors.push(
      new ProjectError('project', `${field}: ${describeIssue(issue, secret)}`, { location: yaml.locate(p), source: secret ? undefined : yaml.source }),
    );
  }
  return errors;
}

function knownKeysAt(issue: z.core.$ZodIssue): string[] | undefined {
  // zod does not hand back the schema; the project file's keys are the common case.
  return issue.path.length === 0 ? Object.keys(projectFileSchema.shape) : undefined;
}

/** `secret`: the field holds a password or key, so its value is never shown. */
function describeIssue(issue: z.core.$ZodIssue, secret: boolean): string {
  if (issue.code === 'invalid_type') {
    const got = secret ? '' : `, got ${typeName(issue.input)}`;
    return `expected ${issue.expected}${issue.input === undefined ? ', but it is missing' : got}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function dotted(p: YamlPath): string {
  return p
    .map((s) => (typeof s === 'number' ? `[${s}]` : s))
    .join('.')
    .replace(/\.\[/g, '[');
}
