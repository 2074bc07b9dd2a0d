import { z } from '../core/zod.js';
import { ProjectError } from '../core/errors.js';
import type { Node } from '../parse/nodes.js';
import type { Project } from '../project/load-project.js';
import { issuesToErrors } from '../project/schemas.js';

/**
 * A chart of a model's rows on the docs site, declared in the model's properties as
 * `config: {meta: {chart: {...}}}`: so the engine charts any project's models, not just ours.
 * - `bar`: one bar per row, `x` the label, `y` the length; `group` splits bars into panels.
 * - `funnel`: rows left after each step (`y`), with what each step removed (`removed`);
 *   the page checks that every step's rows equal the previous step's minus what it removed,
 *   and, given `rows_in` / `rows_out` (relations named as `model profile` takes them), that the
 *   first step's rows equal the row count of `rows_in` and the last step's that of `rows_out`.
 */
export const chartSpecSchema = z.strictObject({
  type: z.enum(['bar', 'funnel']),
  title: z.string().optional(),
  x: z.string().min(1),
  y: z.string().min(1),
  group: z.string().min(1).optional(),
  removed: z.string().min(1).optional(),
  rows_in: z.string().min(1).optional(),
  rows_out: z.string().min(1).optional(),
  /** Columns to order the rows by (ascending). */
  order_by: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
  /** More columns to print beside each bar. */
  labels: z.array(z.string().min(1)).optional(),
});
export type ChartSpec = z.infer<typeof chartSpecSchema>;

/** The chart a node declares, validated; a mistake points at the YAML (or the model file). */
export function chartSpecOf(node: Node, project: Project, knowsRelation?: (name: string) => string | undefined): { spec?: ChartSpec; error?: ProjectError } {
  const meta = node.config.meta;
  if (!meta || meta.chart === undefined) return {};
  const r = chartSpecSchema.safeParse(meta.chart);
  if (r.success) {
    if (r.data.type === 'funnel' && !r.data.removed) {
      return { error: locatedError(node, project, 'meta.chart: a funnel needs `removed`, the column with the rows each step removed', ['removed']) };
    }
    for (const key of ['rows_in', 'rows_out'] as const) {
      const name = r.data[key];
      if (name === undefined) continue;
      if (r.data.type !== 'funnel') return { error: locatedError(node, project, `meta.chart: \`${key}\` is for funnels`, [key]) };
      const problem = knowsRelation?.(name);
      if (problem) return { error: locatedError(node, project, `meta.chart.${key}: ${problem}`, [key]) };
    }
    return { spec: r.data };
  }
  const props = node.patchFile ? project.properties.find((p) => p.yaml.file === node.patchFile) : undefined;
  const base = props ? propertiesPath(props.value, node) : undefined;
  if (props && base) return { error: issuesToErrors(r.error.issues, props.yaml, [...base, 'config', 'meta', 'chart'])[0]! };
  return {
    error: new ProjectError('project', `meta.chart of ${node.name}: ${r.error.issues[0]?.message ?? 'invalid'}`, {
      location: { file: node.patchFile ?? node.file },
    }),
  };
}

function locatedError(node: Node, project: Project, message: string, sub: string[]): ProjectError {
  const props = node.patchFile ? project.properties.find((p) => p.yaml.file === node.patchFile) : undefined;
  const base = props ? propertiesPath(props.value, node) : undefined;
  const location = props && base ? props.yaml.locate([...base, 'config', 'meta', 'chart', ...sub]) : { file: node.patchFile ?? node.file };
  return new ProjectError('project', message, { location, source: props?.yaml.source });
}

function propertiesPath(value: Project['properties'][number]['value'], node: Node): (string | number)[] | undefined {
  const key = node.resourceType === 'seed' ? 'seeds' : 'models';
  const i = (value[key] ?? []).findIndex((m) => m.name === node.name);
  return i >= 0 ? [key, i] : undefined;
}

/** The columns a chart reads, to check them against the relation. */
export function chartColumns(spec: ChartSpec): string[] {
  const order = spec.order_by === undefined ? [] : Array.isArray(spec.order_by) ? spec.order_by : [spec.order_by];
  return [...new Set([spec.x, spec.y, ...(spec.group ? [spec.group] : []), ...(spec.removed ? [spec.removed] : []), ...order, ...(spec.labels ?? [])])];
}

export function orderColumns(spec: ChartSpec): string[] {
  return spec.order_by === undefined ? [] : Array.isArray(spec.order_by) ? spec.order_by : [spec.order_by];
}
