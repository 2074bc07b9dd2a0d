import { preprocess } from './nunjucks-patches.js';

const TAG = /\{%-?\s*(macro|endmacro)\b\s*(\w*)/g;

/**
 * Each macro's own text in a macro file (from its `{% macro %}` tag to the next one), so that what
 * a render may do can be judged by the macros it called rather than by their whole file. Only for
 * files whose macro and endmacro tags strictly alternate (no nested macros); undefined otherwise.
 */
export function macroChunks(source: string): Map<string, string> | undefined {
  const text = preprocess(source);
  const tags = [...text.matchAll(TAG)];
  const chunks = new Map<string, string>();
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!;
    if ((tag[1] === 'macro') !== (i % 2 === 0)) return undefined;
    if (tag[1] === 'endmacro') continue;
    if (!tag[2] || chunks.has(tag[2])) return undefined;
    chunks.set(tag[2], text.slice(tag.index, tags[i + 2]?.index ?? text.length));
  }
  return tags.length % 2 === 0 ? chunks : undefined;
}
