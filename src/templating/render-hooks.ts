import type { RenderHooks } from './template-engine.js';

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
