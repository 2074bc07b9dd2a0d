import { isPlainObject } from '../../core/util.js';

/** Jinja's tests that nunjucks lacks (`x is mapping`, `x is none`, …). */
export const jinjaTests: Readonly<Record<string, (v: unknown) => boolean>> = {
  none: (v) => v === null || v === undefined,
  string: (v) => typeof v === 'string',
  mapping: (v) => isPlainObject(v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string',
  iterable: (v) => Array.isArray(v) || typeof v === 'string' || isPlainObject(v),
};
