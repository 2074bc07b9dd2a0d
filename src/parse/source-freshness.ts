/**
 * A source table's freshness criteria, as dbt-core's parser/sources.py reads them: the table's
 * `freshness:` merged over its source's one level deep (an explicit `null` turns it off), and
 * `loaded_at_field` from the table, else the source.
 */
import { ProjectError } from '../core/errors.js';
import { isPlainObject } from '../core/util.js';
import type { YamlFile } from '../project/yaml-file.js';

export const FRESHNESS_PERIODS = ['minute', 'hour', 'day'] as const;
export type FreshnessPeriod = (typeof FRESHNESS_PERIODS)[number];

export interface FreshnessTime {
  count: number;
  period: FreshnessPeriod;
}

export interface SourceFreshness {
  warnAfter?: FreshnessTime;
  errorAfter?: FreshnessTime;
  filter?: string;
}

type Path = (string | number)[];

type Layer = { value: unknown; at: Path };

/**
 * The merged criteria, or undefined when the table has none. Four layers, each over the one
 * before (dbt 1.10's parser/sources.py, as tests/functional/sources/test_source_freshness.py
 * TestOverrideSourceFreshness pins it): the source's `freshness:`, its `config: {freshness:}`,
 * the table's `freshness:`, its `config: {freshness:}`. A layer set to `null` turns freshness off
 * (from there on), a threshold set to `null` turns that threshold off, and `{}` keeps the one below.
 */
export function sourceFreshness(
  yaml: YamlFile,
  src: { freshness?: unknown; config?: unknown },
  table: { freshness?: unknown; config?: unknown },
  at: { source: Path; table: Path },
  errors: ProjectError[],
): SourceFreshness | undefined {
  const layers: Layer[] = [
    { value: src.freshness, at: [...at.source, 'freshness'] },
    { value: configOf(src).freshness, at: [...at.source, 'config', 'freshness'] },
    { value: table.freshness, at: [...at.table, 'freshness'] },
    { value: configOf(table).freshness, at: [...at.table, 'config', 'freshness'] },
  ];
  let merged: Merged | null | undefined;
  for (const layer of layers) {
    if (layer.value === undefined) continue;
    if (layer.value === null) {
      merged = null;
      continue;
    }
    const own = readLayer(yaml, layer, errors);
    if (!own) continue;
    merged = merged ? mergeLayer(merged, own) : own;
  }
  if (!merged) return undefined;
  const out: SourceFreshness = {};
  const warnAfter = settle(yaml, merged.warn_after, errors);
  const errorAfter = settle(yaml, merged.error_after, errors);
  if (warnAfter) out.warnAfter = warnAfter;
  if (errorAfter) out.errorAfter = errorAfter;
  if (merged.filter) out.filter = merged.filter;
  return out;
}

/**
 * The column or query `model source freshness` reads: `loaded_at_field` or `loaded_at_query`
 * (dbt 1.10), top-level or under `config:`, the table's over its source's; a table's field
 * leaves out its source's query (dbt-core tests/functional/sources/test_source_configs.py).
 * Both on one table or source is an error, as in dbt.
 */
export function sourceLoadedAt(
  yaml: YamlFile,
  src: Record<string, unknown>,
  table: Record<string, unknown>,
  at: { source: Path; table: Path },
  errors: ProjectError[],
): { loadedAtField?: string; loadedAtQuery?: string } {
  const level = (o: Record<string, unknown>, p: Path) => {
    const c = configOf(o);
    const pick = (key: string) => {
      const [v, where] = c[key] !== undefined && c[key] !== null ? [c[key], [...p, 'config', key]] : [o[key], [...p, key]];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string' || !v.trim()) {
        errors.push(bad(yaml, where, `${key} must be text: a column (loaded_at_field) or a query giving one timestamp (loaded_at_query)`));
        return undefined;
      }
      return v;
    };
    const field = pick('loaded_at_field');
    const query = pick('loaded_at_query');
    if (field && query) errors.push(bad(yaml, p, 'give loaded_at_field or loaded_at_query, not both', 'dbt reads one of them: a column, or a query'));
    return { field, query };
  };
  const t = level(table, at.table);
  const s = level(src, at.source);
  if (t.field) return { loadedAtField: t.field };
  if (t.query) return { loadedAtQuery: t.query };
  if (s.field) return { loadedAtField: s.field };
  if (s.query) return { loadedAtQuery: s.query };
  return {};
}

function configOf(o: { config?: unknown }): Record<string, unknown> {
  return isPlainObject(o.config) ? o.config : {};
}

/** A threshold as written so far: its parts, and where the last layer that set it stands. */
interface PartialTime {
  count?: number;
  period?: FreshnessPeriod;
  at: Path;
}

interface Merged {
  warn_after?: PartialTime | null;
  error_after?: PartialTime | null;
  filter?: string | null;
}

function readLayer(yaml: YamlFile, layer: Layer, errors: ProjectError[]): Merged | undefined {
  const { value, at } = layer;
  if (!isPlainObject(value)) {
    errors.push(bad(yaml, at, 'freshness must be a mapping with warn_after, error_after and filter'));
    return undefined;
  }
  const out: Merged = {};
  for (const key of Object.keys(value)) {
    if (!['warn_after', 'error_after', 'filter'].includes(key)) errors.push(bad(yaml, [...at, key], `freshness has no field '${key}'`));
  }
  for (const key of ['warn_after', 'error_after'] as const) {
    if (!(key in value)) continue;
    out[key] = value[key] === null ? null : time(yaml, value[key], [...at, key], errors);
  }
  if ('filter' in value) {
    if (value.filter !== null && typeof value.filter !== 'string')
      errors.push(bad(yaml, [...at, 'filter'], 'freshness filter must be a SQL condition (a string)'));
    else out.filter = value.filter as string | null;
  }
  return out;
}

function mergeLayer(base: Merged, update: Merged): Merged {
  const out: Merged = { ...base };
  for (const key of ['warn_after', 'error_after'] as const) {
    if (!(key in update)) continue;
    const u = update[key];
    const b = base[key];
    // dbt's Time.merged: the update's parts over the base's; `null` turns it off.
    out[key] = u === null || u === undefined || !b ? (u ?? null) : { ...b, ...defined(u) };
  }
  if ('filter' in update) out.filter = update.filter;
  return out;
}

function defined(t: PartialTime): Partial<PartialTime> {
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));
}

function settle(yaml: YamlFile, t: PartialTime | null | undefined, errors: ProjectError[]): FreshnessTime | undefined {
  if (!t) return undefined;
  // dbt: a threshold with neither count nor period is no threshold.
  if (t.count === undefined && t.period === undefined) return undefined;
  if (t.count === undefined || t.period === undefined) {
    errors.push(bad(yaml, t.at, `${String(t.at[t.at.length - 1])} needs both count and period`));
    return undefined;
  }
  return { count: t.count, period: t.period };
}

function time(yaml: YamlFile, value: unknown, at: Path, errors: ProjectError[]): PartialTime | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    errors.push(bad(yaml, at, `${String(at[at.length - 1])} must be a mapping: {count: 12, period: hour}`));
    return undefined;
  }
  const out: PartialTime = { at };
  const { count, period } = value;
  if (count !== undefined && count !== null) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
      errors.push(bad(yaml, [...at, 'count'], `count must be a whole number, got ${JSON.stringify(count)}`));
    else out.count = count;
  }
  if (period !== undefined && period !== null) {
    if (!FRESHNESS_PERIODS.includes(period as FreshnessPeriod)) {
      errors.push(bad(yaml, [...at, 'period'], `period must be one of ${FRESHNESS_PERIODS.join(', ')}, got ${JSON.stringify(period)}`));
    } else out.period = period as FreshnessPeriod;
  }
  return out;
}

function bad(yaml: YamlFile, at: Path, message: string, hint?: string): ProjectError {
  return new ProjectError('project', message, {
    location: yaml.locate(at),
    source: yaml.source,
    hint: hint ?? 'see dbt\'s "source freshness" docs: {warn_after: {count: 12, period: hour}}',
  });
}

/** The threshold in seconds (dbt's Time.exceeded). */
export function freshnessSeconds(t: FreshnessTime): number {
  return t.count * { minute: 60, hour: 3600, day: 86400 }[t.period];
}
