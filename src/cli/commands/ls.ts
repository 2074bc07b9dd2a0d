import { Option, type Command } from 'commander';
import { ProjectError } from '../../core/errors.js';
import { exposureToJson, nodeToJson } from '../../execute/artifacts.js';
import { unitTestToJson } from '../../execute/unit-test-artifact.js';
import type { Exposure } from '../../parse/governance.js';
import { projectMacroSources } from '../../parse/macro-dependencies.js';
import type { Node } from '../../parse/nodes.js';
import { openProject, selectWithExposures, type Session } from '../../tasks/session.js';
import { common, selection, toOptions, type CliContext, type CommonFlags } from '../options.js';

/**
 * dbt's `ls` (dbt-core core/dbt/task/list.py, ListTask): DEFAULT_RESOURCE_VALUES, with `analysis` added
 * by `all`; the kinds this engine does not parse (the semantic layer, analyses, functions) list nothing
 * and say so.
 */
const LISTED = ['model', 'seed', 'snapshot', 'test', 'unit_test', 'source', 'exposure'] as const;
const NOT_PARSED: Record<string, string> = {
  metric: 'metrics (the semantic layer is not supported)',
  semantic_model: 'semantic models (the semantic layer is not supported)',
  saved_query: 'saved queries (the semantic layer is not supported)',
  function: 'functions (dbt 1.11 UDFs are not supported)',
  analysis: 'analyses (analyses are not compiled)',
};
const DEFAULT_TYPES = [...LISTED, 'metric', 'semantic_model', 'saved_query', 'function'];
const ALL_TYPES = [...DEFAULT_TYPES, 'analysis'];
const CHOICES = [...ALL_TYPES, 'default', 'all'];

/** dbt's ListTask.ALLOWED_KEYS: what `--output json` prints without `--output-keys`. */
const ALLOWED_KEYS = ['alias', 'name', 'package_name', 'depends_on', 'tags', 'config', 'resource_type', 'source_name', 'original_file_path', 'unique_id'];

interface LsFlags extends CommonFlags {
  resourceType?: string[];
  excludeResourceType?: string[];
  output: string;
  outputKeys?: string[];
}

/** dbt's resource_types_from_args: `default` and `all` expand, then the excluded kinds go. */
function resourceTypes(flags: LsFlags): Set<string> {
  if (flags.models?.length && !flags.select?.length && !flags.resourceType?.length) return new Set(['model']);
  const expand = (types: string[]) => types.flatMap((t) => (t === 'default' ? DEFAULT_TYPES : t === 'all' ? ALL_TYPES : [t]));
  const out = new Set(flags.resourceType?.length ? expand(flags.resourceType) : DEFAULT_TYPES);
  for (const t of expand(flags.excludeResourceType ?? [])) out.delete(t);
  return out;
}

type Listed = { kind: 'node'; node: Node } | { kind: 'exposure'; exposure: Exposure };

function uniqueIdOf(x: Listed): string {
  return x.kind === 'node' ? x.node.uniqueId : x.exposure.uniqueId;
}

/** The node as dbt's manifest holds it (node.to_dict in list.py): what --output json and --output-keys read. */
function dictOf(session: Session, x: Listed, macros: ReturnType<typeof projectMacroSources>): Record<string, unknown> {
  if (x.kind === 'exposure') return exposureToJson(x.exposure);
  const n = x.node;
  return n.resourceType === 'unit_test' ? unitTestToJson(session, n) : nodeToJson(session, n, macros);
}

/** `config.materialized`: a dotted key reads into nested mappings (dbt 1.10's _get_nested_value). */
function nestedValue(dict: Record<string, unknown>, key: string): unknown {
  let cur: unknown = dict;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in (cur as object))) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function jsonLine(session: Session, x: Listed, keys: string[] | undefined, macros: ReturnType<typeof projectMacroSources>): string {
  const dict = dictOf(session, x, macros);
  const out: Record<string, unknown> = {};
  if (keys?.length) {
    for (const k of keys) {
      const v = k.includes('.') ? nestedValue(dict, k) : dict[k];
      if (v !== undefined && (v !== null || !k.includes('.'))) out[k] = v;
    }
    return JSON.stringify(out);
  }
  for (const k of ALLOWED_KEYS) if (k in dict) out[k] = dict[k];
  // Not dbt's: where the node's relation lives, as database.schema.identifier.
  if (x.kind === 'node') out.relation = x.node.relation ? `${x.node.relation.database}.${x.node.relation.schema}.${x.node.relation.identifier}` : null;
  return JSON.stringify(out);
}

/** dbt's generate_selectors: a source as `source:pkg.source.table`, an exposure `exposure:pkg.name`, a unit test `unit_test:pkg.name`, the rest by fqn. */
function selectorOf(x: Listed): string {
  if (x.kind === 'exposure') return `exposure:${x.exposure.packageName}.${x.exposure.name}`;
  const n = x.node;
  if (n.resourceType === 'source') return `source:${n.packageName}.${n.sourceName}.${n.name}`;
  if (n.resourceType === 'unit_test') return `unit_test:${n.packageName}.${n.name}`;
  return n.fqn.join('.');
}

/** dbt's search_name: `source_name.table` for a source, `name.v2` for a model version, else the name. */
function nameOf(x: Listed): string {
  if (x.kind === 'exposure') return x.exposure.name;
  const n = x.node;
  if (n.resourceType === 'source') return `${n.sourceName}.${n.name}`;
  if (n.resourceType === 'model' && n.version !== undefined) return `${n.name}.v${n.version}`;
  return n.name;
}

export function registerLs(program: Command, { reporter }: CliContext): void {
  selection(common(program.command('ls').alias('list').description('list the nodes of the project (dbt ls)')))
    .addOption(new Option('--resource-type <type...>', 'only these types (default: every type; all: with analyses)').choices(CHOICES))
    .addOption(new Option('--exclude-resource-type <type...>', 'leave out these types').choices(CHOICES))
    .addOption(new Option('-o, --output <format>', 'what to print for each node').choices(['name', 'path', 'json', 'selector']).default('selector'))
    .option('--output-keys <key...>', "with --output json: these keys of the node's manifest entry (a dotted key reads inside one: config.materialized)")
    .action(async (flags: LsFlags) => {
      if (flags.outputKeys?.length && flags.output !== 'json') {
        throw new ProjectError('selection', `--output-keys needs --output json (got --output ${flags.output})`);
      }
      // dbt documents `--output-keys "name resource_type description"`: one quoted word list.
      if (flags.outputKeys) flags.outputKeys = flags.outputKeys.flatMap((k) => k.split(/[\s,]+/)).filter(Boolean);
      const types = resourceTypes(flags);
      for (const t of Object.keys(NOT_PARSED)) {
        // Asked for by name (not through default/all): say why none are listed.
        if (types.has(t) && flags.resourceType?.includes(t))
          reporter.warn(`ls --resource-type ${t}: this engine does not parse ${NOT_PARSED[t]}, so none are listed`);
      }
      const session = await openProject(toOptions(flags, reporter));
      const picked = selectWithExposures(session, toOptions(flags, reporter), reporter);
      const listed: Listed[] = [
        ...picked.nodes.filter((n) => types.has(n.resourceType)).map((node) => ({ kind: 'node' as const, node })),
        ...(types.has('exposure') ? picked.exposures.map((exposure) => ({ kind: 'exposure' as const, exposure })) : []),
      ].sort((a, b) => uniqueIdOf(a).localeCompare(uniqueIdOf(b)));
      if (!listed.length) reporter.warn('No nodes selected!');
      const macros = flags.output === 'json' ? projectMacroSources(session.project) : new Map();
      for (const x of listed) {
        if (flags.output === 'name') reporter.print(nameOf(x));
        else if (flags.output === 'path') reporter.print(x.kind === 'node' ? x.node.file : x.exposure.file);
        else if (flags.output === 'json') reporter.print(jsonLine(session, x, flags.outputKeys, macros));
        else reporter.print(selectorOf(x));
      }
    });
}
