import type { QueryOutput } from '../tasks/show.js';

export type OutputFormat = 'table' | 'json' | 'csv';

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function csvField(v: unknown): string {
  const s = text(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Renders query rows for `model show`: an aligned table, a JSON array of objects, or CSV. */
export function formatRows(output: QueryOutput, format: OutputFormat): string {
  const names = output.columns.map((c) => c.name);
  if (format === 'json') {
    return JSON.stringify(
      output.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i] ?? null]))),
      null,
      2,
    );
  }
  if (format === 'csv') {
    return [names.map(csvField).join(','), ...output.rows.map((row) => row.map(csvField).join(','))].join('\n');
  }
  const cells = output.rows.map((row) => row.map((v) => (v === null || v === undefined ? 'null' : text(v))));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((r) => r[i]!.length)));
  const numeric = output.columns.map((c) => /INT|DECIMAL|DOUBLE|FLOAT|NUMBER|REAL|FIXED/i.test(c.type));
  const line = (vals: string[]) => `| ${vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ')} |`;
  const sep = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`;
  return [line(names), sep, ...cells.map(line), `(${output.rows.length} row${output.rows.length === 1 ? '' : 's'})`].join('\n');
}
