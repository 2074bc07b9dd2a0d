import { ProjectError } from '../core/errors.js';
import type { Node } from './nodes.js';
import type { Project } from '../project/load-project.js';
import type { YamlFile, YamlPath } from '../project/yaml-file.js';
import type { TemplateEngine } from '../templating/template-engine.js';
import { didYouMean } from '../core/util.js';
import { parseDocBlocks, type DocBlock } from './doc-blocks.js';

/**
 * Renders the Jinja in property-file descriptions, with dbt's `doc('name')` reading the
 * project's `{% docs %}` blocks, and writes the results onto the manifest's nodes.
 * Returns every error found (an unknown doc name points at the YAML line that asks for it).
 */
export function renderDescriptions(project: Project, engine: TemplateEngine, nodes: Map<string, Node>): ProjectError[] {
  const { blocks, errors } = parseDocBlocks(project.docFiles);
  const render = (text: string | undefined, yaml: YamlFile, at: YamlPath): string | undefined => {
    if (text === undefined || (!text.includes('{{') && !text.includes('{%'))) return text;
    try {
      return renderDescription(text, blocks, engine, yaml, at);
    } catch (e) {
      if (e instanceof ProjectError) {
        errors.push(e);
        return text;
      }
      throw e;
    }
  };

  for (const { yaml, value } of project.properties) {
    for (const key of ['models', 'seeds'] as const) {
      (value[key] ?? []).forEach((props, i) => {
        const node = nodes.get(`${key === 'models' ? 'model' : 'seed'}.${project.name}.${props.name}`);
        const description = render(props.description, yaml, [key, i, 'description']);
        const columns = (props.columns ?? []).map((c, j) => ({ ...c, description: render(c.description, yaml, [key, i, 'columns', j, 'description']) }));
        // A node described in another file (an error reported elsewhere) keeps that file's text.
        if (!node || node.patchFile !== yaml.file) return;
        node.description = description ?? '';
        node.columns = columns;
      });
    }
    (value.sources ?? []).forEach((src, si) => {
      const srcDescription = render(src.description, yaml, ['sources', si, 'description']);
      src.tables.forEach((table, ti) => {
        const node = nodes.get(`source.${project.name}.${src.name}.${table.name}`);
        const description = render(table.description, yaml, ['sources', si, 'tables', ti, 'description']);
        const columns = (table.columns ?? []).map((c, j) => ({
          ...c,
          description: render(c.description, yaml, ['sources', si, 'tables', ti, 'columns', j, 'description']),
        }));
        if (!node || node.file !== yaml.file) return;
        node.description = description ?? srcDescription ?? '';
        if (node.resourceType === 'source' && srcDescription !== undefined) node.sourceDescription = srcDescription;
        node.columns = columns;
      });
    });
  }
  return errors;
}

/** Renders one description; `doc('name')` (or dbt's `doc('project', 'name')`) returns a block's text. */
export function renderDescription(text: string, blocks: Map<string, DocBlock>, engine: TemplateEngine, yaml: YamlFile, at: YamlPath): string {
  let unknown: string | undefined;
  const stack: string[] = [];
  const doc = (...args: unknown[]): string => {
    const name = String(args[args.length - 1] ?? '');
    const block = blocks.get(name);
    if (!block) {
      unknown ??= name;
      return '';
    }
    if (!block.text.includes('{{') && !block.text.includes('{%')) return block.text;
    // A block may itself call doc(); a block that reaches itself is a mistake.
    if (stack.includes(name)) {
      throw new ProjectError('project', `docs block '${name}' includes itself: ${[...stack, name].join(' -> ')}`, {
        location: { file: block.file, line: block.line },
      });
    }
    stack.push(name);
    try {
      return engine.renderString(block.text, block.file, { extra: { doc } }).trim();
    } finally {
      stack.pop();
    }
  };
  const location = yaml.locate(at);
  let out: string;
  try {
    out = engine.renderString(text, yaml.file, { extra: { doc } });
  } catch (e) {
    if (!(e instanceof ProjectError)) throw e;
    throw new ProjectError(e.kind, `description: ${e.message}`, { location, hint: e.hint, source: yaml.source });
  }
  if (unknown !== undefined) {
    throw new ProjectError('project', `doc('${unknown}') matches no {% docs ${unknown} %} block in the project's .md files`, {
      location,
      source: yaml.source,
      hint:
        didYouMean(unknown, blocks.keys()) ??
        (blocks.size ? `known docs blocks: ${[...blocks.keys()].sort().join(', ')}` : 'write one in a .md file under models/'),
    });
  }
  return out.trim();
}
