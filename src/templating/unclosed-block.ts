/** Jinja tags that open a block closed by `end<tag>`. (`set` opens one only without `=`.) */
const BLOCK_TAGS = new Set(['if', 'for', 'macro', 'call', 'filter', 'raw', 'block', 'materialization', 'test', 'docs', 'snapshot']);

/**
 * The innermost block tag still open at `end` (an offset in `source`), for errors nunjucks gives
 * without a position ("unexpected end of file") or at the wrong place (a stray `end…` tag).
 */
export function unclosedBlock(source: string, end = source.length): { tag: string; offset: number } | undefined {
  // Comments may hold anything; blank them out, keeping offsets.
  const text = source.slice(0, end).replace(/\{#[\s\S]*?#\}/g, (c) => c.replace(/[^\n]/g, ' '));
  const open: { tag: string; offset: number }[] = [];
  for (const m of text.matchAll(/\{%-?\s*(\w+)([\s\S]*?)-?%\}/g)) {
    const tag = m[1]!;
    if (open.at(-1)?.tag === 'raw' && tag !== 'endraw') continue;
    if (BLOCK_TAGS.has(tag) || (tag === 'set' && !m[2]!.includes('='))) {
      open.push({ tag, offset: m.index });
    } else if (tag.startsWith('end')) {
      const at = open.map((o) => o.tag).lastIndexOf(tag.slice(3));
      if (at >= 0) open.length = at;
    }
  }
  return open.at(-1);
}
