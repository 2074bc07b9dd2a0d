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

/** The merged criteria, or undefined when the table has none (or `freshness: null` turned them off). */
export function sourceFreshness(
  yaml: YamlFile,
  src: { freshness?: unknown },
  table: { freshness?: unknown },
  at: { source: Path; table: Path },
  errors: ProjectError[],
): SourceFreshness | undefined {
  const base = read(yaml, src.freshness, [...at.source, 'freshness'], errors);
  if (table.freshness === null) return undefined;
  if (table.freshness === undefined) return base ?? undefined;
  const own = read(yaml, table.freshness, [...at.table, 'freshness'], errors);
  if (!own) return undefined;
  if (!base) return own;
  const has = (k: string) => isPlainObject(table.freshness) && k in table.freshness;
  return {
    warnAfter: has('warn_after') ? own.warnAfter : base.warnAfter,
    errorAfter: has('error_after') ? own.errorAfter : base.errorAfter,
    filter: has('filter') ? own.filter : base.filter,
  };
}

function read(yaml: YamlFile, value: unknown, at: Path, errors: ProjectError[]): SourceFreshness | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    errors.push(bad(yaml, at, 'freshness must be a mapping with warn_after, error_after and filter'));
    return undefined;
  }
  const out: SourceFreshness = {};
  for (const key of Object.keys(value)) {
    if (!['warn_after', 'error_after', 'filter'].includes(key)) errors.push(bad(yaml, [...at, key], `freshness has no field '${key}'`));
  }
  out.warnAfter = time(yaml, value.warn_after, [...at, 'warn_after'], errors);
  out.errorAfter = time(yaml, value.error_after, [...at, 'error_after'], errors);
  if (value.filter !== undefined && value.filter !== null) {
    if (typeof value.filter !== 'string') errors.push(bad(yaml, [...at, 'filter'], 'freshness filter must be a SQL condition (a string)'));
    else out.filter = value.filter;
  }
  return out;
}

function time(yaml: YamlFile, value: unknown, at: Path, errors: ProjectError[]): FreshnessTime | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    errors.push(bad(yaml, at, `${String(at[at.length - 1])} must be a mapping: {count: 12, period: hour}`));
    return undefined;
  }
  // dbt: a threshold with neither count nor period is no threshold.
  if ((value.count === undefined || value.count === null) && (value.period === undefined || value.period === null)) return undefined;
  const { count, period } = value;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    errors.push(bad(yaml, [...at, 'count'], `count must be a whole number, got ${JSON.stringify(count)}`));
    return undefined;
  }
  if (!FRESHNESS_PERIODS.includes(period as FreshnessPeriod)) {
    errors.push(bad(yaml, [...at, 'period'], `period must be one of ${FRESHNESS_PERIODS.join(', ')}, got ${JSON.stringify(period)}`));
    return undefined;
  }
  return { count, period: period as FreshnessPeriod };
}

function bad(yaml: YamlFile, at: Path, message: string): ProjectError {
  return new ProjectError('project', message, {
    location: yaml.locate(at),
    source: yaml.source,
    hint: 'see dbt\'s "source freshness" docs: {warn_after: {count: 12, period: hour}}',
  });
}

/** The threshold in seconds (dbt's Time.exceeded). */
export function freshnessSeconds(t: FreshnessTime): number {
  return t.count * { minute: 60, hour: 3600, day: 86400 }[t.period];
}
