import { ProjectError, positionOf } from '../core/errors.js';

/** A dbt-style `{% docs name %}…{% enddocs %}` block from a Markdown file. */
export interface DocBlock {
  name: string;
  text: string;
  file: string;
  line: number;
}

const BLOCK = /\{%-?\s*docs\s+([^\s%]+)\s*-?%\}([\s\S]*?)\{%-?\s*enddocs\s*-?%\}/g;
const OPENING = /\{%-?\s*docs\b/g;

/** Reads every docs block of the project's `.md` files; a duplicate name or an unclosed block is an error. */
export function parseDocBlocks(files: { file: string; source: string }[]): { blocks: Map<string, DocBlock>; errors: ProjectError[] } {
  const blocks = new Map<string, DocBlock>();
  const errors: ProjectError[] = [];
  for (const { file, source } of files) {
    let found = 0;
    for (const m of source.matchAll(BLOCK)) {
      found++;
      const name = m[1]!;
      const { line, column } = positionOf(source, m.index);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        errors.push(
          new ProjectError('project', `docs block name '${name}' must be letters, digits and underscores`, { location: { file, line, column }, source }),
        );
        continue;
      }
      const prev = blocks.get(name);
      if (prev) {
        errors.push(
          new ProjectError('project', `docs block '${name}' is defined twice: at ${prev.file}:${prev.line} and here`, {
            location: { file, line, column },
            source,
            hint: 'docs block names are global to the project; rename one of them',
          }),
        );
        continue;
      }
      blocks.set(name, { name, text: m[2]!.trim(), file, line });
    }
    const openings = [...source.matchAll(OPENING)];
    if (openings.length > found) {
      // Point at the first opening tag that no complete block starts with.
      const complete = new Set([...source.matchAll(BLOCK)].map((m) => m.index));
      const bad = openings.find((o) => !complete.has(o.index)) ?? openings[0]!;
      errors.push(
        new ProjectError('project', 'a {% docs %} block is not closed with {% enddocs %}', {
          location: { file, ...positionOf(source, bad.index) },
          source,
        }),
      );
    }
  }
  return { blocks, errors };
}
