import type { NamedProfile } from '../tasks/profile.js';
import { formatRows } from './format.js';

const int = new Intl.NumberFormat('en-US');

function pct(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.001 ? 3 : 1)}%`;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(8)));
  if (typeof v === 'string') return v === '' ? "''" : v.length > 32 ? `${v.slice(0, 31)}…` : v;
  return String(v);
}

/** `model profile` as text: a table of columns, then top values and histograms as bars. */
export function formatProfileTable(p: NamedProfile): string {
  const out: string[] = [];
  const what = p.name === p.relation ? p.relation : `${p.name} (${p.relation})`;
  out.push(`Profile of ${what}: ${int.format(p.rows)} row${p.rows === 1 ? '' : 's'}, ${p.columns.length} column${p.columns.length === 1 ? '' : 's'}`);
  out.push('');
  out.push(
    formatRows(
      {
        columns: ['column', 'type', 'nulls', 'null %', 'distinct', 'blank', 'min', 'max', 'mean'].map((name) => ({
          name,
          type: ['nulls', 'distinct', 'blank', 'mean'].includes(name) ? 'BIGINT' : 'VARCHAR',
        })),
        rows: p.columns.map((c) => [c.name, c.type, c.nulls, pct(c.nullShare), c.distinct ?? '', c.blanks ?? '', scalar(c.min), scalar(c.max), scalar(c.mean)]),
      },
      'table',
    ).replace(/\n\(\d+ rows?\)$/, ''),
  );
  const withTop = p.columns.filter((c) => c.top.length);
  if (withTop.length) {
    out.push('', 'Most frequent values (count, share of rows):');
    for (const c of withTop) {
      if (c.distinct === c.nonNull && c.top.every((t) => t.count === 1)) {
        out.push(`  ${c.name}: every value is distinct`);
        continue;
      }
      out.push(`  ${c.name}: ${c.top.map((t) => `${scalar(t.value)} ${int.format(t.count)} (${pct(p.rows ? t.count / p.rows : 0)})`).join(', ')}`);
    }
  }
  for (const c of p.columns) {
    if (!c.histogram?.length) continue;
    out.push('', `Histogram of ${c.name}:`);
    const most = Math.max(1, ...c.histogram.map((b) => b.count));
    const labels = c.histogram.map((b) => `${scalar(b.start)} – ${scalar(b.end)}`);
    const width = Math.max(...labels.map((l) => l.length));
    c.histogram.forEach((b, i) => {
      const bar = '█'.repeat(Math.round((b.count / most) * 40)) || (b.count ? '▏' : '');
      out.push(`  ${labels[i]!.padEnd(width)} │${bar} ${int.format(b.count)}`);
    });
  }
  return out.join('\n');
}
