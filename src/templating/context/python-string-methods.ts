import { escapeRe } from '../escape-re.js';

/**
 * Python string methods dbt Jinja uses (`"x".upper()`, `.split(',')`, …), by name; the patched
 * member lookup (nunjucks-patches.ts) offers them on every string.
 */
// biome-ignore lint/suspicious/noExplicitAny: methods take what the template passes, as Python's do
export const pythonStringMethods: Readonly<Record<string, (s: string, ...a: any[]) => unknown>> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  strip: (s, chars?: string) => (chars ? s.replace(new RegExp(`^[${escapeRe(chars)}]+|[${escapeRe(chars)}]+$`, 'g'), '') : s.trim()),
  lstrip: (s) => s.trimStart(),
  rstrip: (s) => s.trimEnd(),
  split: (s, sep?: string, max?: number) => {
    const parts = sep === undefined || sep === null ? s.trim().split(/\s+/) : s.split(sep);
    if (max === undefined || max < 0 || parts.length <= max + 1) return parts;
    return [...parts.slice(0, max), parts.slice(max).join(sep ?? ' ')];
  },
  replace: (s, a: string, b: string) => s.split(a).join(b),
  startswith: (s, p: string) => s.startsWith(p),
  endswith: (s, p: string) => s.endsWith(p),
  title: (s) => s.replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
  capitalize: (s) => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s),
  format: (s, ...a: unknown[]) => {
    let i = 0;
    return s.replace(/\{\}/g, () => String(a[i++]));
  },
  join: (s, items: unknown[]) => items.map(String).join(s),
  isdigit: (s) => /^\d+$/.test(s),
  count: (s, sub: string) => s.split(sub).length - 1,
  find: (s, sub: string) => s.indexOf(sub),
};
