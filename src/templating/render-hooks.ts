import { ProjectError } from '../core/errors.js';
import type { QueryResult } from '../warehouse/adapter.js';

/** What the node being rendered answers to `ref()`, `config()`, `this`, … */
export interface RenderHooks {
  file: string;
  source: string;
  /** The package of the node being rendered (its vars and its own macros come first); none for the root project. */
  packageName?: string;
  /** `ref()`'s names; for `ref('m', v=2)` the name is the version's (`m_v2`) and `version` the version as written. */
  ref(args: string[], version?: string | number): unknown;
  source_(sourceName: string, tableName: string): unknown;
  config(values: Record<string, unknown>): void;
  configGet(key: string, fallback: unknown): unknown;
  thisRelation(): unknown;
  isIncremental(): boolean;
  /** False while parsing (dbt's `execute`): queries are not run, only recorded. */
  execute: boolean;
  /** Extra names for this render only (e.g. a generic test's `model`, `column_name`). */
  extra?: Record<string, unknown>;
  /** Answers `run_query()`: the result, or undefined while the query has not run yet (see compile/run-queries.ts). */
  runQuery?(sql: string): QueryResult | undefined;
  /** Where `log()` goes for this render (renders that are redone keep quiet until the last). */
  log?(msg: string): void;
  /** A unit test's `overrides:` (vars, env_vars, macros): what `var()`, `env_var()` and those macros answer in this render. */
  overrides?: { vars?: Record<string, unknown>; envVars?: Record<string, string>; macros?: Record<string, unknown> };
  /** dbt's `graph` context variable (the manifest's flat graph: nodes, sources, exposures, …); empty while parsing. */
  graph?(): Record<string, unknown>;
}

/** Hooks for a render outside any node (macro files, profiles, property values): no ref(), source(), this. */
export function minimalHooks(file: string, source: string): RenderHooks {
  const nope = (what: string) => () => {
    throw new ProjectError('template', `${what} cannot be used here`, { location: { file } });
  };
  return inertHooks(file, source, { ref: nope('ref()'), source_: nope('source()') });
}

/**
 * Render callbacks that record and resolve nothing: `ref()` and `source()` give nothing back,
 * `config()` is ignored, `this` is undefined, nothing is incremental and no query runs. Callers
 * override what their render needs (the parse pass records refs, the compile pass resolves them).
 */
export function inertHooks(file: string, source = '', overrides: Partial<RenderHooks> = {}): RenderHooks {
  return {
    file,
    source,
    execute: false,
    ref: () => undefined,
    source_: () => undefined,
    config: () => undefined,
    configGet: (_key, fallback) => fallback,
    thisRelation: () => undefined,
    isIncremental: () => false,
    ...overrides,
  };
}
