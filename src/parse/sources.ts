import { ProjectError } from '../core/errors.js';
import { asList, configFromTree, mergeConfig } from '../project/folder-config.js';
import type { SourceNode } from './nodes.js';
import { sourceFreshness, sourceLoadedAt } from './source-freshness.js';
import { addDisabled, collectInto, type ParseContext } from './parse-context.js';

/** Source tables from the properties files' `sources:` (including tables loaded from files). */
export function parseSources(ctx: ParseContext): void {
  const { project, engine, errors, nodes, sourcesByName, database } = ctx;
  // An installed package's sources render `var()` with its own vars.
  const scope = project.pathPrefix === '' ? {} : { packageName: project.name };
  for (const { yaml, value } of project.properties) {
    (value.sources ?? []).forEach((src, si) => {
      src.tables.forEach((table, ti) => {
        const uniqueId = `source.${project.name}.${src.name}.${table.name}`;
        const key = `${src.name}.${table.name}`;
        const location = yaml.locate(['sources', si, 'tables', ti, 'name']);
        if (sourcesByName.has(key)) {
          errors.push(new ProjectError('project', `source '${key}' is defined twice`, { location, source: yaml.source }));
          return;
        }
        const config = mergeConfig(
          configFromTree(project.folderConfig.sources, [project.name, src.name, table.name]),
          mergeConfig(src.config ?? {}, table.config ?? {}),
        );
        // dbt's unrendered_config of a source (core/dbt/parser/sources.py `_generate_source_config(rendered=False)`):
        // the project file's `sources:` configs as written, then the source's `config:`, then the table's.
        const unrendered = mergeConfig(
          configFromTree((project.unrenderedFolderConfig ?? project.folderConfig).sources, [project.name, src.name, table.name]),
          mergeConfig(src.config ?? {}, table.config ?? {}),
        );
        const rendered = (value: string | null | undefined, at: (string | number)[]): string | undefined => {
          if (value === null || value === undefined) return undefined;
          let out = value;
          collectInto(errors, () => {
            out = engine.renderString(value, yaml.file, scope).trim();
          });
          if (out === '') {
            errors.push(
              new ProjectError('project', `source '${key}': ${String(at[at.length - 1])} '${value}' renders to an empty string`, {
                location: yaml.locate(at),
                source: yaml.source,
                hint: 'give a name, or leave the key out to use the default',
              }),
            );
            return undefined;
          }
          return out;
        };
        let external: SourceNode['external'];
        if (table.external) {
          const { format, pattern } = table.external;
          let loc = table.external.location;
          let fileFormat = table.external.file_format;
          collectInto(errors, () => {
            loc = engine.renderString(loc, yaml.file, scope);
            if (fileFormat !== undefined) fileFormat = engine.renderString(fileFormat, yaml.file, scope).trim();
          });
          external = {
            location: loc,
            format,
            ...(fileFormat !== undefined ? { file_format: fileFormat } : {}),
            ...(pattern !== undefined ? { pattern } : {}),
          };
        }
        const node: SourceNode = {
          uniqueId,
          resourceType: 'source',
          name: table.name,
          packageName: project.name,
          file: yaml.file,
          fqn: [project.name, src.name, table.name],
          config,
          unrenderedConfig: unrendered,
          tags: [...asList(src.tags), ...asList(table.tags), ...asList(config.tags)],
          description: table.description ?? src.description ?? '',
          columns: table.columns ?? [],
          dependsOn: [],
          sourceName: src.name,
          tableName: table.name,
          ...(src.description !== undefined ? { sourceDescription: src.description } : {}),
          ...(src.loader !== undefined ? { loader: src.loader } : {}),
          ...(src.meta ? { sourceMeta: src.meta } : {}),
          ...(table.meta || config.meta ? { meta: { ...table.meta, ...(config.meta as Record<string, unknown> | undefined) } } : {}),
          // dbt renders Jinja in these (`schema: "{{ target.schema }}"`, `identifier: "{{ var('t', 'x') }}"`).
          relation: {
            database: rendered(src.database, ['sources', si, 'database']) ?? database,
            schema: rendered(src.schema, ['sources', si, 'schema']) ?? src.name,
            identifier: rendered(table.identifier, ['sources', si, 'tables', ti, 'identifier']) ?? table.name,
          },
          external,
          location,
          ...sourceLoadedAt(yaml, src, table, { source: ['sources', si], table: ['sources', si, 'tables', ti] }, errors),
          freshness: sourceFreshness(yaml, src, table, { source: ['sources', si], table: ['sources', si, 'tables', ti] }, errors),
        };
        if (config.enabled === false) {
          addDisabled(ctx, node);
          return;
        }
        nodes.set(uniqueId, node);
        sourcesByName.set(key, uniqueId);
      });
    });
  }
}
