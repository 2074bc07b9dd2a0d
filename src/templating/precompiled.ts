/**
 * Nunjucks templates compiled to JavaScript ahead of time. Empty when the engine runs from
 * source; `scripts/bundle.mjs` fills it in with the engine's own macro files, so a command does
 * not spend tens of milliseconds parsing the same built-in macros on every start. A template is
 * used only when its file name and preprocessed source match exactly, so a stale entry can
 * never be picked up.
 */
export interface PrecompiledTemplate {
  file: string;
  source: string;
  /** Returns nunjucks' compiled template object: `{ root, b_<block>… }`. */
  code: () => Record<string, unknown>;
}

export const PRECOMPILED: readonly PrecompiledTemplate[] = [];
