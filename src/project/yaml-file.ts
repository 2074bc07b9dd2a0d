import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import jsYaml from 'js-yaml';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';

/**
 * The `yaml` package keeps source positions, which only errors and "declared at" lines need:
 * it is loaded on first use, so most commands never pay for it.
 */
const requireYaml = createRequire(import.meta.url);
let yamlLib: typeof import('yaml') | undefined;
const yamlPkg = (): typeof import('yaml') => (yamlLib ??= requireYaml('yaml') as typeof import('yaml'));
import { ProjectError, type SourceLocation } from '../core/errors.js';

export type YamlPath = ReadonlyArray<string | number>;

/** A parsed YAML file that can say where any of its values stands. */
export interface YamlFile {
  /** Path relative to the project directory. */
  file: string;
  source: string;
  data: unknown;
  locate(p: YamlPath): SourceLocation;
}

/**
 * Parses YAML for its data with js-yaml (fast), and builds the position-keeping document of the
 * `yaml` package only when a location is asked for: most files never need one, and on large
 * projects that document costs most of the load time.
 */
export function parseYaml(file: string, source: string): YamlFile {
  let data: unknown;
  try {
    data = jsYaml.load(source, { schema: jsYaml.CORE_SCHEMA, filename: file }) ?? null;
  } catch {
    // Let the `yaml` package say what is wrong (or read what js-yaml would not).
    return parseWithPositions(file, source);
  }
  return yamlFileOf(file, source, data);
}

/** A YamlFile for text already read (by parseYaml, or by a previous run kept in the parse cache): positions on demand. */
export function yamlFileOf(file: string, source: string, data: unknown): YamlFile {
  let doc: { doc: Document; lineCounter: LineCounter } | undefined;
  const document = () => {
    if (!doc) {
      const lineCounter = new (yamlPkg().LineCounter)();
      doc = { doc: yamlPkg().parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false }), lineCounter };
    }
    return doc;
  };
  return { file, source, data, locate: (p) => lazyLocation(file, () => locateIn(document().doc, document().lineCounter, file, p)) };
}

function parseWithPositions(file: string, source: string): YamlFile {
  const lineCounter = new (yamlPkg().LineCounter)();
  const doc: Document = yamlPkg().parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw new ProjectError('yaml', `invalid YAML: ${first.message.split('\n')[0]}`, {
      location: { file, line: pos.line, column: pos.col },
      source,
    });
  }
  return { file, source, data: doc.toJS() ?? null, locate: (p) => locateIn(doc, lineCounter, file, p) };
}

/** A location whose line and column are worked out on first read. */
function lazyLocation(file: string, resolve: () => SourceLocation): SourceLocation {
  let resolved: SourceLocation | undefined;
  const get = () => (resolved ??= resolve());
  return {
    file,
    get line() {
      return get().line;
    },
    get column() {
      return get().column;
    },
  };
}

function locateIn(doc: Document, lineCounter: LineCounter, file: string, p: YamlPath): SourceLocation {
  // Walk as deep as the path exists, so a missing key points at its parent.
  for (let depth = p.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : (doc.getIn(p.slice(0, depth), true) as YamlNode | undefined);
    const range = node && typeof node === 'object' && 'range' in node ? node.range : undefined;
    if (range) {
      // For a key's value prefer the key itself: the line people look at.
      const keyPos = depth > 0 ? keyOffset(doc, p.slice(0, depth)) : undefined;
      const pos = lineCounter.linePos(keyPos ?? range[0]);
      return { file, line: pos.line, column: pos.col };
    }
  }
  return { file };
}

function keyOffset(doc: Document, p: YamlPath): number | undefined {
  const parent = p.length === 1 ? doc.contents : doc.getIn(p.slice(0, -1), true);
  const last = p[p.length - 1];
  if (yamlPkg().isMap(parent)) {
    for (const pair of parent.items) {
      const k = pair.key as YamlNode | null;
      if (k && typeof k === 'object' && 'value' in k && (k as { value: unknown }).value === last && k.range) {
        return k.range[0];
      }
    }
  }
  if (yamlPkg().isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last] as YamlNode | undefined;
    if (item && typeof item === 'object' && 'range' in item && item.range) return item.range[0];
  }
  return undefined;
}

export function readYaml(projectDir: string, file: string): YamlFile {
  const abs = path.resolve(projectDir, file);
  let source: string;
  try {
    source = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ProjectError('project', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      location: { file },
    });
  }
  return parseYaml(file, source);
}
