/**
 * The SQL of a profile, as pure functions: one aggregate pass for counts, nulls, min/max/mean
 * (the ranges that histogram bins need), then one GROUPING SETS pass that counts every column's
 * values and histogram bins, and from those groups gives the distinct counts and the most
 * frequent values. Portable SQL (count, min, max, avg, grouping sets, order by/limit in derived
 * tables); what differs between warehouses (date differences, the float type) comes in through
 * `ProfileSql`.
 */
import type { ColumnInfo, QueryResult } from '../warehouse/adapter.js';
import { columnKind, hasHistogram, isScalar, type ColumnKind } from './column-kind.js';

export interface ProfileSql {
  quote(id: string): string;
  stringLiteral(s: string): string;
  /** The double-precision type name. */
  floatType: string;
  /** Whole `unit`s from `from` to `to` (the project's cross-database `datediff`). */
  diff(unit: 'second' | 'day', from: string, to: string): string;
}

export interface ProfileSettings {
  /** How many of the most frequent values to keep per column. */
  topValues: number;
  /** Histogram bins for numeric and time columns (at most). */
  bins: number;
  /**
   * Distinct counts come exact from the values pass, which groups every value anyway; with
   * `topValues: 0` there is no such pass and the aggregate pass counts them, approximately
   * (approx_count_distinct) when this is `approx`.
   */
  distinct: 'exact' | 'approx';
}

export const DEFAULT_SETTINGS: ProfileSettings = { topValues: 5, bins: 20, distinct: 'exact' };

export type Scalar = string | number | boolean | null;

/** What the aggregate pass tells about one column. */
export interface ColumnSummary {
  name: string;
  type: string;
  kind: ColumnKind;
  nonNull: number;
  distinct: number | null;
  min: Scalar;
  max: Scalar;
  mean: number | null;
  /** Text values that are empty or only spaces (not NULL, but as good as missing). */
  blanks: number | null;
  /** For time columns: whole seconds (timestamps) or days (dates) from min to max. */
  span: number | null;
}

interface SummaryField {
  column: number;
  key: 'nonNull' | 'distinct' | 'min' | 'max' | 'mean' | 'blanks' | 'span';
  sql: string;
}

function summaryFields(columns: ColumnInfo[], sql: ProfileSql, settings: ProfileSettings): SummaryField[] {
  const fields: SummaryField[] = [];
  columns.forEach((c, i) => {
    const col = sql.quote(c.name);
    const kind = columnKind(c.type);
    fields.push({ column: i, key: 'nonNull', sql: `count(${col})` });
    if (!isScalar(kind)) return;
    if (settings.topValues === 0) {
      fields.push({ column: i, key: 'distinct', sql: settings.distinct === 'approx' ? `approx_count_distinct(${col})` : `count(distinct ${col})` });
    }
    // Not every warehouse takes min/max of a boolean: compare them as 0 and 1.
    const ordered = kind === 'boolean' ? `case when ${col} then 1 when not ${col} then 0 end` : col;
    fields.push({ column: i, key: 'min', sql: `min(${ordered})` });
    fields.push({ column: i, key: 'max', sql: `max(${ordered})` });
    if (kind === 'integer' || kind === 'number') fields.push({ column: i, key: 'mean', sql: `avg(cast(${col} as ${sql.floatType}))` });
    if (kind === 'text') fields.push({ column: i, key: 'blanks', sql: `sum(case when trim(${col}) = '' then 1 else 0 end)` });
    if (kind === 'timestamp' || kind === 'date')
      fields.push({ column: i, key: 'span', sql: sql.diff(kind === 'date' ? 'day' : 'second', `min(${col})`, `max(${col})`) });
  });
  return fields;
}

/** One scan: the row count and every column's aggregates. Results are read by position. */
export function summaryQuery(relationSql: string, columns: ColumnInfo[], sql: ProfileSql, settings: ProfileSettings = DEFAULT_SETTINGS): string {
  const fields = summaryFields(columns, sql, settings);
  const select = ['count(*) as row_count', ...fields.map((f, i) => `${f.sql} as f${i}`)];
  return `select\n  ${select.join(',\n  ')}\nfrom ${relationSql}`;
}

export function parseSummary(
  result: QueryResult,
  columns: ColumnInfo[],
  sql: ProfileSql,
  settings: ProfileSettings = DEFAULT_SETTINGS,
): { rows: number; columns: ColumnSummary[] } {
  const row = result.rows[0] ?? [];
  const out: ColumnSummary[] = columns.map((c) => ({
    name: c.name,
    type: c.type,
    kind: columnKind(c.type),
    nonNull: 0,
    distinct: null,
    min: null,
    max: null,
    mean: null,
    blanks: null,
    span: null,
  }));
  summaryFields(columns, sql, settings).forEach((f, i) => {
    const v = row[i + 1] as Scalar | undefined;
    const target = out[f.column]!;
    if (f.key === 'min' || f.key === 'max') target[f.key] = v === null || v === undefined ? null : target.kind === 'boolean' ? Number(v) === 1 : v;
    else if (f.key === 'nonNull') target.nonNull = Number(v ?? 0);
    else target[f.key] = v === null || v === undefined ? null : Number(v);
  });
  return { rows: Number(row[0] ?? 0), columns: out };
}

/**
 * How a column's values fall into histogram bins: bin = floor((measure - start) / width), the
 * column's maximum in the last bin. Every bin is [start, end) but the last, [start, max].
 */
export interface BinPlan {
  /** SQL of the measured value: the number itself, or time units since the column's minimum. */
  measure: string;
  start: number;
  width: number;
  count: number;
  unit: 'value' | 'second' | 'day';
}

export function binPlan(summary: ColumnSummary, sql: ProfileSql, bins: number): BinPlan | undefined {
  if (!hasHistogram(summary.kind) || summary.nonNull === 0 || summary.min === null || summary.max === null) return undefined;
  const col = sql.quote(summary.name);
  if (summary.kind === 'timestamp' || summary.kind === 'date') {
    if (summary.span === null) return undefined;
    const unit = summary.kind === 'date' ? 'day' : 'second';
    const from = `cast(${sql.stringLiteral(String(summary.min))} as ${summary.type})`;
    const measure = `cast(${sql.diff(unit, from, col)} as ${sql.floatType})`;
    // Days are few and whole, one bin per day when they fit; seconds are many, so the span is
    // cut in equal whole-second parts whose edges do not drift from round times.
    if (unit === 'day') return { ...wholeBins(0, summary.span, bins), measure, unit };
    const width = Math.max(1, Math.ceil(summary.span / bins));
    return { measure, start: 0, width, count: Math.max(1, Math.ceil(summary.span / width)), unit };
  }
  const lo = Number(summary.min);
  const hi = Number(summary.max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return undefined;
  const measure = `cast(${col} as ${sql.floatType})`;
  if (summary.kind === 'integer') return { ...wholeBins(lo, hi, bins), measure, unit: 'value' };
  if (hi === lo) return { measure, start: lo, width: 1, count: 1, unit: 'value' };
  return { measure, start: lo, width: (hi - lo) / bins, count: bins, unit: 'value' };
}

/** Bins of a whole-number width, so that integer values never straddle two bins. */
function wholeBins(lo: number, hi: number, bins: number): { start: number; width: number; count: number } {
  const values = hi - lo + 1;
  const width = Math.max(1, Math.ceil(values / bins));
  return { start: lo, width, count: Math.ceil(values / width) };
}

/** One grouping set of the values pass: a column's top values, or its histogram bins. */
export interface ValueSet {
  column: number;
  kind: 'top' | 'bins';
  plan?: BinPlan;
}

function numberLiteral(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return String(n);
}

/** The expression grouped for one set. */
function setExpression(set: ValueSet, columns: ColumnInfo[], sql: ProfileSql): string {
  if (set.kind === 'top') return sql.quote(columns[set.column]!.name);
  const p = set.plan!;
  const bin = `floor((${p.measure} - ${numberLiteral(p.start)}) / ${numberLiteral(p.width)})`;
  // The maximum lands in the last bin; a NULL stays NULL (least() would drop it on DuckDB).
  return `cast(case when ${bin} > ${p.count - 1} then ${p.count - 1} else ${bin} end as bigint)`;
}

/** Groups of sets, each one query; kept small so that no warehouse's grouping-set limits apply. */
export function planValueSets(summaries: ColumnSummary[], sql: ProfileSql, settings: ProfileSettings = DEFAULT_SETTINGS, perQuery = 24): ValueSet[][] {
  const sets: ValueSet[] = [];
  summaries.forEach((s, i) => {
    if (!isScalar(s.kind) || s.nonNull === 0) return;
    if (settings.topValues > 0) sets.push({ column: i, kind: 'top' });
    const plan = binPlan(s, sql, settings.bins);
    if (plan) sets.push({ column: i, kind: 'bins', plan });
  });
  const groups: ValueSet[][] = [];
  for (let i = 0; i < sets.length; i += perQuery) groups.push(sets.slice(i, i + perQuery));
  return groups;
}

/**
 * One scan for a group of sets: GROUPING SETS count each column's values (or bins) on their
 * own; NULL groups are dropped (nulls are counted by the summary). Each column's groups give
 * its distinct count and, ranked by count with ties broken by the value (so the answer is
 * stable), its most frequent values; bins are all kept. The ranking is a top-n per column
 * (order by/limit), not a window over every group: on near-unique columns that sort would cost
 * more than the scan.
 * Output columns: set_id, one column per set, n, distinct_values (top sets only).
 */
export function valuesQuery(
  relationSql: string,
  columns: ColumnInfo[],
  sets: ValueSet[],
  sql: ProfileSql,
  settings: ProfileSettings = DEFAULT_SETTINGS,
): string {
  const names = sets.map((_, i) => `v${i}`);
  const base = sets.map((s, i) => `${setExpression(s, columns, sql)} as ${names[i]}`).join(',\n    ');
  const setId = `case ${names.map((n, i) => `when grouping(${n}) = 0 then ${i}`).join(' ')} end`;
  const nullGroup = names.map((n) => `(grouping(${n}) = 0 and ${n} is null)`).join(' or ');
  const picked = `set_id, ${names.join(', ')}, n`;
  const top = Math.max(1, Math.floor(settings.topValues));
  const parts = sets.map((s, i) =>
    s.kind === 'top'
      ? `select * from (
  select ${picked}, (select count(*) from grouped where set_id = ${i}) as distinct_values
  from grouped
  where set_id = ${i}
  order by n desc, ${names[i]}
  limit ${top}
) as top_${i}`
      : `select ${picked}, cast(null as bigint) as distinct_values from grouped where set_id = ${i}`,
  );
  return `with base as (
  select
    ${base}
  from ${relationSql}
),
grouped as (
  select ${setId} as set_id, ${names.join(', ')}, count(*) as n
  from base
  group by grouping sets (${names.map((n) => `(${n})`).join(', ')})
  having not (${nullGroup})
),
picked as (
${parts.join('\nunion all\n')}
)
select ${picked}, distinct_values
from picked
order by set_id, n desc, ${names.join(', ')}`;
}

export interface TopValue {
  value: Scalar;
  count: number;
}

export interface HistogramBin {
  /** Lower and upper edge: numbers, or `YYYY-MM-DD[ HH:MM:SS]` text for time columns. */
  start: number | string;
  end: number | string;
  count: number;
}

/** Reads a values query's rows into each set's top values and distinct count, or complete list of bins (empty bins included). */
export function parseValues(
  result: QueryResult,
  sets: ValueSet[],
  summaries: ColumnSummary[],
): { top: Map<number, TopValue[]>; distinct: Map<number, number>; bins: Map<number, HistogramBin[]> } {
  const top = new Map<number, TopValue[]>();
  const distinct = new Map<number, number>();
  const counts = new Map<number, Map<number, number>>();
  for (const row of result.rows) {
    const id = Number(row[0]);
    const set = sets[id];
    if (!set) continue;
    const value = row[id + 1] as Scalar;
    const n = Number(row[sets.length + 1]);
    if (set.kind === 'top') {
      distinct.set(set.column, Number(row[sets.length + 2]));
      const list = top.get(set.column) ?? [];
      list.push({ value, count: n });
      top.set(set.column, list);
    } else {
      const m = counts.get(set.column) ?? new Map<number, number>();
      m.set(Number(value), n);
      counts.set(set.column, m);
    }
  }
  const bins = new Map<number, HistogramBin[]>();
  for (const set of sets) {
    if (set.kind === 'top') {
      if (!top.has(set.column)) top.set(set.column, []);
      if (!distinct.has(set.column)) distinct.set(set.column, 0);
      continue;
    }
    const p = set.plan!;
    const m = counts.get(set.column) ?? new Map<number, number>();
    const summary = summaries[set.column]!;
    const edge = edgeFormatter(summary, p);
    bins.set(
      set.column,
      Array.from({ length: p.count }, (_, k) => ({
        start: edge(p.start + k * p.width),
        end: k === p.count - 1 ? lastEdge(summary) : edge(p.start + (k + 1) * p.width),
        count: m.get(k) ?? 0,
      })),
    );
  }
  return { top, distinct, bins };
}

/** The last bin ends at the column's maximum, as the warehouse wrote it. */
function lastEdge(summary: ColumnSummary): number | string {
  return summary.kind === 'integer' || summary.kind === 'number' ? Number(summary.max) : String(summary.max);
}

/** Bin edges as the column's own values: numbers, or dates/timestamps counted from the minimum. */
function edgeFormatter(summary: ColumnSummary, plan: BinPlan): (offset: number) => number | string {
  if (plan.unit === 'value') return (x) => Number(x.toPrecision(12));
  const origin = parseTime(String(summary.min));
  if (origin === undefined) return (x) => x;
  const ms = plan.unit === 'day' ? 86_400_000 : 1000;
  return (x) => formatTime(new Date(origin + x * ms), plan.unit === 'day');
}

/** Milliseconds since the epoch of a warehouse's timestamp text, read as UTC when it has no offset. */
export function parseTime(text: string): number | undefined {
  let t = text.trim().replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) t += 'T00:00:00';
  t = t.replace(/([+-]\d{2})$/, '$1:00');
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(t)) t += 'Z';
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

function formatTime(d: Date, dateOnly: boolean): string {
  const iso = d.toISOString();
  return dateOnly ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
