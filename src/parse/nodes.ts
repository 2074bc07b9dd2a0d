import type { SourceFreshness } from './source-freshness.js';
import type { RelationName } from '../warehouse/dialect.js';
import type { SourceLocation } from '../core/errors.js';
import type { ColumnDefinition, NodeConfig } from '../project/schemas.js';

export type ResourceType = 'model' | 'seed' | 'snapshot' | 'source' | 'test' | 'unit_test';
export type Materialization = 'view' | 'table' | 'incremental' | 'ephemeral';

interface BaseNode {
  /** dbt's id: `model.<project>.<name>`, `seed.<project>.<name>`, `source.<project>.<source>.<table>`. */
  uniqueId: string;
  resourceType: ResourceType;
  name: string;
  packageName: string;
  /** The file that defines the node, relative to the project. */
  file: string;
  fqn: string[];
  config: NodeConfig;
  tags: string[];
  description: string;
  columns: ColumnDefinition[];
  /** Model-level `constraints:` from the properties file (applied under an enforced contract). */
  constraints?: unknown[];
  /** Unique ids of the nodes this one reads. */
  dependsOn: string[];
  /** Where its warehouse object lives (none for ephemeral models and tests). */
  relation?: RelationName;
  /** The properties YAML that describes it, if any. */
  patchFile?: string;
  /** dbt's `unrendered_config`: its configs as written (see unrendered-config.ts). */
  unrenderedConfig?: Record<string, unknown>;
}

export interface RefCall {
  name: string;
  package?: string;
  /** `ref('m', v=2)` / `version=2`: as written (dbt keeps a number a number). */
  version?: string | number;
}

export interface ModelNode extends BaseNode {
  resourceType: 'model';
  /** A model version's `v` and its model's `latest_version` (dbt's `version`, `latest_version`). */
  version?: string | number;
  latestVersion?: string | number;
  materialized: Materialization;
  rawSql: string;
  refs: RefCall[];
  sources: [string, string][];
  /** An ephemeral model's would-be relation: what `this.schema` / `this.database` name inside it. */
  ephemeralRelation?: RelationName;
}

/**
 * A snapshot: a query whose rows are kept as type-2 history (dbt's `dbt_valid_from`/`dbt_valid_to`),
 * from a `{% snapshot %}` block or a YAML `snapshots:` entry with `relation:`.
 */
export interface SnapshotNode extends BaseNode {
  resourceType: 'snapshot';
  rawSql: string;
  refs: RefCall[];
  sources: [string, string][];
  relation: RelationName;
  snapshot: SnapshotSpec;
}

/** A snapshot's settled config: what the materialization needs, checked at parse time. */
export interface SnapshotSpec {
  /** `custom`: the project's `snapshot_<customStrategy>_strategy` macro gives the expressions at run time. */
  strategy: 'timestamp' | 'check' | 'custom';
  /** The name given as `strategy` when it is a custom one. */
  customStrategy?: string;
  /** SQL expressions (dbt puts them in the SELECT as written); several for a composite key. */
  uniqueKey: string[];
  /** Whether `unique_key` was given as a list (dbt names the key columns dbt_unique_key_1… then). */
  keyIsList: boolean;
  updatedAt?: string;
  /** 'all', or the columns compared by the check strategy. */
  checkCols: 'all' | string[];
  hardDeletes: 'ignore' | 'invalidate' | 'new_record';
  columnNames: { dbt_valid_from: string; dbt_valid_to: string; dbt_scd_id: string; dbt_updated_at: string; dbt_is_deleted: string };
  /** SQL the current rows' dbt_valid_to holds instead of null. */
  validToCurrent?: string;
}

export interface SeedNode extends BaseNode {
  resourceType: 'seed';
}

export interface SourceNode extends BaseNode {
  resourceType: 'source';
  sourceName: string;
  tableName: string;
  /** The source's own description, loader and meta (dbt's `source_description`, `loader`, `source_meta`); the table's meta. */
  sourceDescription?: string;
  loader?: string;
  sourceMeta?: Record<string, unknown>;
  meta?: Record<string, unknown>;
  relation: RelationName;
  /**
   * A file the engine loads into the source's table (Parquet or CSV, path or URL), or, when the
   * location starts with `@`, files in a Snowflake stage (with dbt-external-tables' file_format and pattern).
   */
  external?: { location: string; format?: 'parquet' | 'csv'; file_format?: string; pattern?: string };
  location: SourceLocation;
  /** The column `model source freshness` reads (the table's `loaded_at_field`, else its source's). */
  loadedAtField?: string;
  /** dbt 1.10's `loaded_at_query`: a query giving the last load time, instead of a column (Jinja rendered when it runs). */
  loadedAtQuery?: string;
  /** Freshness criteria, the table's merged over its source's (source-freshness.ts). */
  freshness?: SourceFreshness;
}

export type TestSeverity = 'error' | 'warn';

export interface TestNode extends BaseNode {
  resourceType: 'test';
  testType: 'generic' | 'singular';
  /** The failing-rows query, rendered in the parse pass when it needs no warehouse state. */
  rawSql: string;
  /** For generic tests: the test macro, its arguments and the node/column it is attached to. */
  testMetadata?: { name: string; kwargs: Record<string, unknown>; namespace?: string };
  attachedNode?: string;
  columnName?: string;
  location: SourceLocation;
  refs: RefCall[];
  sources: [string, string][];
}

/** Rows of a unit test fixture, settled at parse time: mappings (dict and csv formats) or SQL text. */
export interface UnitTestFixture {
  format: 'dict' | 'csv' | 'sql';
  /** dict/csv: one mapping a row, keys as written; the line of each row for errors. */
  rows?: { values: Record<string, unknown>; location: SourceLocation }[];
  /** sql: a query giving the rows. */
  sql?: string;
  /** Where it is declared (the `input:` or `expect:` key). */
  location: SourceLocation;
}

/** One `given:` input: which node it stands in for, and its rows. */
export interface UnitTestInput extends UnitTestFixture {
  /** As written: `ref('x')`, `source('s', 't')` or `this`. */
  input: string;
  /** The unique id of the node it replaces (the tested model itself for `this`). */
  replaces: string;
  isThis: boolean;
}

/**
 * A dbt 1.8 unit test (`unit_tests:`): the tested model's SQL run on fixture rows instead of its
 * inputs, compared with the expected rows. `dependsOn` is the tested model, as in dbt's manifest.
 */
export interface UnitTestNode extends BaseNode {
  resourceType: 'unit_test';
  /** The `model:` as written. */
  model: string;
  testedNode: string;
  version?: string;
  given: UnitTestInput[];
  expect: UnitTestFixture;
  overrides: { macros: Record<string, unknown>; vars: Record<string, unknown>; envVars: Record<string, string> };
  location: SourceLocation;
  /** sha256 of its fixtures and overrides (dbt's build_unit_test_checksum), for state:modified. */
  checksum: string;
}

export type Node = ModelNode | SeedNode | SnapshotNode | SourceNode | TestNode | UnitTestNode;

/** Nodes rendered from SQL with ref() and source(). */
export type SqlNode = ModelNode | SnapshotNode | TestNode;

/** Whether running the node does warehouse work (as opposed to a plain source or an ephemeral model). */
export function isExecutable(node: Node): boolean {
  if (node.resourceType === 'source') return node.external !== undefined;
  if (node.resourceType === 'model') return node.materialized !== 'ephemeral';
  return true;
}

/**
 * A model-shaped node for SQL that is not a model file (inline `show` SQL, a hook's text), so it
 * renders and compiles like one. `base` gives at least its id, name and file, and may override the rest.
 */
export function standInModel(projectName: string, base: Partial<ModelNode> & Pick<ModelNode, 'uniqueId' | 'name' | 'file' | 'rawSql'>): ModelNode {
  return {
    resourceType: 'model',
    packageName: projectName,
    fqn: [projectName, base.name],
    config: {},
    tags: [],
    description: '',
    columns: [],
    dependsOn: [],
    materialized: 'table',
    refs: [],
    sources: [],
    ...base,
  };
}
