import { ProjectError, type SourceLocation } from '../core/errors.js';
import { asList, mergeConfig } from '../project/folder-config.js';
import { unrenderedConfig } from './unrendered-config.js';
import { folderConfigFor, inProject, type SqlFile } from '../project/load-project.js';
import { parseNodeConfig, type NodeConfig, type SnapshotProperties } from '../project/schemas.js';
import type { YamlFile } from '../project/yaml-file.js';
import { callSite } from '../templating/call-sites.js';
import { inertHooks } from '../templating/render-hooks.js';
import type { CompiledTemplate } from '../templating/template-engine.js';
import type { RelationName } from '../warehouse/dialect.js';
import { Relation } from '../warehouse/relation.js';
import type { SnapshotNode, SnapshotSpec, SourceNode } from './nodes.js';
import { addDisabled, collectInto, type ParseContext } from './parse-context.js';
import { registerName } from './ref-lookup.js';
import { recordRefs } from './record-refs.js';

/** One snapshot before it is rendered: its SQL template and where it came from. */
interface SnapshotDefinition {
  name: string;
  file: string;
  /** The template: a block's body, padded so line and column match the file; or `select * from {{ relation }}`. */
  source: string;
  location: SourceLocation;
  props?: { value: SnapshotProperties; yaml: YamlFile; index: number };
}

const BLOCK = /\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}([\s\S]*?)\{%-?\s*endsnapshot\s*-?%\}/g;

/** Everything outside `[start, end)` blanked (newlines kept), so positions in the body stay the file's. */
function padded(text: string, start: number, end: number): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  return blank(text.slice(0, start)) + text.slice(start, end) + blank(text.slice(end));
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The `{% snapshot name %}` blocks of one file, each with its body as a template of its own. */
export function snapshotBlocks(f: SqlFile, errors: ProjectError[]): SnapshotDefinition[] {
  const out: SnapshotDefinition[] = [];
  let covered = 0;
  for (const m of f.source.matchAll(BLOCK)) {
    const bodyStart = m.index + m[0].indexOf('%}') + 2;
    const bodyEnd = bodyStart + m[2]!.length;
    out.push({ name: m[1]!, file: f.file, source: padded(f.source, bodyStart, bodyEnd), location: { file: f.file, line: lineAt(f.source, m.index) } });
    covered = m.index + m[0].length;
  }
  const open = /\{%-?\s*snapshot\b/.exec(f.source.slice(covered));
  if (open) {
    errors.push(
      new ProjectError('template', 'this {% snapshot %} block is never closed', {
        location: { file: f.file, line: lineAt(f.source, covered + open.index) },
        hint: 'end it with {% endsnapshot %}',
        source: f.source,
      }),
    );
  }
  return out;
}

/** Snapshots: `{% snapshot %}` blocks under the snapshot paths, and YAML `snapshots:` entries (with `relation:` they define one). */
export function parseSnapshots(ctx: ParseContext): void {
  const { project, errors } = ctx;
  const described = new Map<string, { value: SnapshotProperties; yaml: YamlFile; index: number }>();
  for (const { yaml, value } of project.properties) {
    (value.snapshots ?? []).forEach((s, index) => {
      if (described.has(s.name)) {
        errors.push(
          new ProjectError('project', `snapshot '${s.name}' is described twice: in ${described.get(s.name)!.yaml.file} and here`, {
            location: yaml.locate(['snapshots', index, 'name']),
            source: yaml.source,
          }),
        );
      }
      described.set(s.name, { value: s, yaml, index });
    });
  }
  const definitions: SnapshotDefinition[] = [];
  for (const f of project.snapshotFiles) definitions.push(...snapshotBlocks(f, errors));
  for (const [name, props] of described) {
    const inBlock = definitions.find((d) => d.name === name);
    if (inBlock) {
      inBlock.props = props;
      continue;
    }
    if (!props.value.relation) {
      errors.push(
        new ProjectError('project', `snapshot '${name}' has no relation and no {% snapshot ${name} %} block`, {
          location: props.yaml.locate(['snapshots', props.index, 'name']),
          hint: 'give it \'relation: ref("a_model")\' or \'relation: source("src", "table")\', or write the block in a .sql file under snapshots/',
          source: props.yaml.source,
        }),
      );
      continue;
    }
    const relation = props.value.relation.replace(/^\s*\{\{([\s\S]*)\}\}\s*$/, '$1').trim();
    definitions.push({
      name,
      file: props.yaml.file,
      source: `select * from {{ ${relation} }}`,
      location: props.yaml.locate(['snapshots', props.index, 'relation']),
      props,
    });
  }
  const seen = new Map<string, SnapshotDefinition>();
  for (const def of definitions) {
    const prev = seen.get(def.name);
    const clash = ctx.byName.get(`${ctx.project.name}.${def.name}`);
    if (prev || clash) {
      const other = prev ? prev.file : ctx.nodes.get(clash!)!.file;
      errors.push(
        new ProjectError('project', `two resources are named '${def.name}': ${other} and this snapshot`, {
          location: def.location,
          hint: 'a snapshot shares the namespace of models and seeds (ref() names them all); rename one',
        }),
      );
      continue;
    }
    seen.set(def.name, def);
    collectInto(errors, () => parseSnapshot(ctx, def));
  }
}

function parseSnapshot(ctx: ParseContext, def: SnapshotDefinition): void {
  const { project, target, dialect, database, engine, nodes, byName, sourcesByName, errors } = ctx;
  const dir = inProject(project, def.file).split('/').slice(1, -1);
  const fqn = [project.name, ...dir, def.name];
  let config = mergeConfig(folderConfigFor(project, 'snapshots', fqn), (def.props?.value.config ?? {}) as NodeConfig);
  const beforeRender = config;
  const recorded = recordRefs({
    database,
    schema: target.schema,
    dialect,
    sourceRelation: (s, t) => {
      const id = sourcesByName.get(`${s}.${t}`);
      return id ? (nodes.get(id) as SourceNode).relation : undefined;
    },
  });
  const template: CompiledTemplate = engine.compile(def.file, def.source);
  let configAt: SourceLocation | undefined;
  engine.render(
    template,
    inertHooks(def.file, def.source, {
      ref: recorded.ref,
      source_: recorded.source_,
      config: (values) => {
        const at = callSite(def.source, 'config');
        configAt = { file: def.file, ...at };
        const r = parseNodeConfig(values as Record<string, unknown>);
        if (!r.success) {
          const issue = r.issues[0]!;
          const key = String(issue.path[0] ?? '');
          throw new ProjectError('template', `config(${key}=${JSON.stringify((values as Record<string, unknown>)[key])}): ${issue.message}`, {
            location: configAt,
            source: def.source,
          });
        }
        config = mergeConfig(config, r.data);
      },
      configGet: (key, fallback) => (config as Record<string, unknown>)[key] ?? fallback,
      thisRelation: () => new Relation(database, config.target_schema ?? config.schema ?? target.schema, config.alias ?? def.name, dialect),
    }),
  );
  // A disabled snapshot is listed in the manifest's `disabled`; its config is not checked.
  const disabled = config.enabled === false;
  const where = configAt ?? def.location;
  const spec = snapshotSpec(
    def.name,
    config,
    (m) => ctx.engine.hasMacro(m),
    (message, hint) => {
      if (disabled) return;
      const loc = def.props && !configAt ? def.props.yaml.locate(['snapshots', def.props.index, 'config']) : where;
      errors.push(new ProjectError('project', message, { location: loc, hint, source: loc.file === def.file && !def.props ? def.source : undefined }));
    },
  );
  if (!spec) return;
  let relation: RelationName;
  if (config.target_schema || config.target_database) {
    // dbt's legacy snapshot config: target_schema is used as written, not through generate_schema_name.
    const named = ctx.nameFor({ ...config, schema: undefined, database: undefined }, def.name, def.file, 'snapshot');
    relation = { database: config.target_database ?? named.database, schema: config.target_schema ?? named.schema, identifier: named.identifier };
  } else {
    relation = ctx.nameFor(config, def.name, def.file, 'snapshot');
  }
  const uniqueId = `snapshot.${project.name}.${def.name}`;
  const node: SnapshotNode = {
    uniqueId,
    resourceType: 'snapshot',
    name: def.name,
    packageName: project.name,
    file: def.file,
    fqn,
    config: { ...config, materialized: 'snapshot' } as NodeConfig,
    unrenderedConfig: unrenderedConfig(project, 'snapshots', fqn, (def.props?.value.config ?? {}) as NodeConfig, beforeRender, config),
    tags: asList(config.tags),
    description: def.props?.value.description ?? '',
    columns: def.props?.value.columns ?? [],
    dependsOn: [],
    relation,
    patchFile: def.props?.yaml.file,
    rawSql: def.source,
    refs: recorded.refs,
    sources: recorded.sources,
    snapshot: spec,
  };
  if (disabled) {
    addDisabled(ctx, node);
    return;
  }
  nodes.set(uniqueId, node);
  ctx.templates.set(uniqueId, template);
  registerName(byName, project.name, def.name, uniqueId, project.pathPrefix === '');
}

const DEFAULT_COLUMN_NAMES: SnapshotSpec['columnNames'] = {
  dbt_valid_from: 'dbt_valid_from',
  dbt_valid_to: 'dbt_valid_to',
  dbt_scd_id: 'dbt_scd_id',
  dbt_updated_at: 'dbt_updated_at',
  dbt_is_deleted: 'dbt_is_deleted',
};

/**
 * The snapshot's config checked as dbt's snapshot materialization reads it (strategies.sql):
 * strategy and unique_key always, updated_at for `timestamp`, check_cols for `check`.
 */
export function snapshotSpec(
  name: string,
  config: NodeConfig,
  hasMacro: (name: string) => boolean,
  fail: (message: string, hint: string) => void,
): SnapshotSpec | undefined {
  const strategy = config.strategy;
  // dbt's strategy_dispatch: any other name is the macro snapshot_<name>_strategy (the project's or a package's).
  const custom = !!strategy && strategy !== 'timestamp' && strategy !== 'check' && hasMacro(`snapshot_${strategy}_strategy`);
  const keys = asList(config.unique_key).filter((k) => k.trim() !== '');
  let ok = true;
  const bad = (message: string, hint: string) => {
    ok = false;
    fail(message, hint);
  };
  if (!strategy) bad(`snapshot '${name}' has no strategy`, "set strategy='timestamp' (with updated_at) or strategy='check' (with check_cols)");
  else if (strategy !== 'timestamp' && strategy !== 'check' && !custom)
    bad(
      `snapshot '${name}': strategy '${strategy}' is not one of timestamp, check`,
      `for a custom strategy, define a macro snapshot_${strategy}_strategy(node, snapshotted_rel, current_rel, model_config, target_exists)`,
    );
  if (keys.length === 0)
    bad(`snapshot '${name}' has no unique_key`, "set unique_key to the column (or list of columns) that identifies a row, e.g. unique_key='id'");
  if (strategy === 'timestamp' && !config.updated_at)
    bad(
      `snapshot '${name}' uses the timestamp strategy but has no updated_at`,
      "set updated_at to the column that says when a row last changed, e.g. updated_at='updated_at'",
    );
  const checkCols = config.check_cols;
  if (strategy === 'check' && (checkCols === undefined || checkCols === null || (Array.isArray(checkCols) && checkCols.length === 0)))
    bad(
      `snapshot '${name}' uses the check strategy but has no check_cols`,
      "set check_cols='all' or a list of the columns to compare, e.g. check_cols=['status']",
    );
  if (!ok) return undefined;
  const hardDeletes = config.hard_deletes ?? (config.invalidate_hard_deletes ? 'invalidate' : 'ignore');
  return {
    strategy: custom ? 'custom' : (strategy as 'timestamp' | 'check'),
    ...(custom ? { customStrategy: strategy } : {}),
    uniqueKey: keys,
    keyIsList: Array.isArray(config.unique_key),
    updatedAt: config.updated_at ?? undefined,
    checkCols: checkCols === 'all' ? 'all' : asList(checkCols),
    hardDeletes,
    columnNames: { ...DEFAULT_COLUMN_NAMES, ...(config.snapshot_meta_column_names ?? {}) },
    validToCurrent: config.dbt_valid_to_current ?? undefined,
  };
}

/** Where a snapshot's SQL goes under target/: its .sql file, or `<name>.sql` beside the YAML that defines it. */
export function snapshotSqlFile(node: SnapshotNode): string {
  return /\.ya?ml$/.test(node.file) ? `${node.file.slice(0, node.file.lastIndexOf('/') + 1)}${node.name}.sql` : node.file;
}
