/**
 * dbt's model governance: `groups:`, `exposures:` and model `access`, as dbt-core parses and
 * checks them (contracts/graph/unparsed.py UnparsedGroup/UnparsedExposure; parser/manifest.py
 * check_valid_group_config, check_valid_access_property and _process_refs with
 * contracts/graph/manifest.py is_invalid_private_ref / is_invalid_protected_ref).
 *
 * - a model is `protected` unless it says otherwise (`access:` or `config: {access:}`, `+access`);
 * - a `private` model may be referenced only by nodes of its own group (a generic test is in the
 *   group of the node it tests), and not from another package that restricts access;
 * - a `protected` model may not be referenced from another package when its package sets
 *   `restrict-access: true`;
 * - a node's `group` must name a group declared under `groups:`; an ephemeral model cannot be public.
 */
import { ProjectError, type SourceLocation } from '../core/errors.js';
import { didYouMean, isPlainObject } from '../core/util.js';
import type { Project } from '../project/load-project.js';
import type { YamlFile, YamlPath } from '../project/yaml-file.js';
import { callSite } from '../templating/call-sites.js';
import type { Node, RefCall } from './nodes.js';
import { bareNames, lookupRef } from './ref-lookup.js';

export const ACCESS = ['private', 'protected', 'public'] as const;
export type Access = (typeof ACCESS)[number];
const EXPOSURE_TYPES = ['dashboard', 'notebook', 'analysis', 'ml', 'application'];
const MATURITIES = ['high', 'medium', 'low'];

export interface Owner {
  name?: string;
  email?: string;
  [key: string]: unknown;
}

export interface Group {
  uniqueId: string;
  name: string;
  packageName: string;
  file: string;
  owner: Owner;
  description?: string;
  config: Record<string, unknown>;
}

export interface Exposure {
  uniqueId: string;
  name: string;
  packageName: string;
  file: string;
  fqn: string[];
  type: string;
  owner: Owner;
  description: string;
  label?: string;
  maturity?: string;
  url?: string;
  tags: string[];
  meta: Record<string, unknown>;
  config: Record<string, unknown>;
  /** Its `config:` as written (dbt's unrendered_config, which `state:modified` compares). */
  unrenderedConfig?: Record<string, unknown>;
  /** `depends_on:` as written, and what it resolved to. */
  dependsOnRaw: string[];
  dependsOn: string[];
  refs: RefCall[];
  sources: [string, string][];
}

export interface Governance {
  groups: Map<string, Group>;
  exposures: Map<string, Exposure>;
}

interface Ctx {
  nodes: Map<string, Node>;
  byName: Map<string, string>;
  sourcesByName: Map<string, string>;
  errors: ProjectError[];
}

/** Reads the groups and exposures of the project and its packages, settles each node's access and group, and checks every ref. */
export function parseGovernance(projects: Project[], ctx: Ctx): Governance {
  const groups = new Map<string, Group>();
  const exposures = new Map<string, Exposure>();
  const topLevel = new Map<string, { access?: unknown; group?: unknown; config?: Record<string, unknown>; yaml: YamlFile; at: YamlPath }>();
  for (const project of projects) {
    for (const { yaml, value } of project.properties) {
      const data = value as Record<string, unknown>;
      readList(yaml, data.groups, 'groups', ctx.errors).forEach(({ item, at }) => {
        const g = readGroup(project, yaml, item, at, ctx.errors);
        if (!g) return;
        const clash = [...groups.values()].find((x) => x.name === g.name);
        if (clash) ctx.errors.push(fail(yaml, [...at, 'name'], `group '${g.name}' is declared twice: in ${clash.file} and here`));
        else groups.set(g.uniqueId, g);
      });
      readList(yaml, data.exposures, 'exposures', ctx.errors).forEach(({ item, at }) => {
        const e = readExposure(project, yaml, item, at, ctx);
        if (e) exposures.set(e.uniqueId, e);
      });
      (value.models ?? []).forEach((m, i) => {
        const props = m as Record<string, unknown>;
        topLevel.set(`${project.name}.${m.name}`, { access: props.access, group: props.group, config: m.config, yaml, at: ['models', i] });
      });
    }
  }
  const groupNames = new Set([...groups.values()].map((g) => g.name));
  // Each node's settled group and access: config first, then the properties' top-level keys (dbt before 1.10).
  for (const node of ctx.nodes.values()) {
    const top = node.resourceType === 'model' ? topLevel.get(`${node.packageName}.${node.name}`) : undefined;
    const config = node.config as Record<string, unknown>;
    if (config.group === undefined && top?.group !== undefined) config.group = top.group;
    if (node.resourceType === 'model' && config.access === undefined && top?.access !== undefined) config.access = top.access;
    const where = (key: 'group' | 'access'): SourceLocation => {
      if (top?.[key] !== undefined) return top.yaml.locate([...top.at, key]);
      if (top?.config?.[key] !== undefined && !('rawSql' in node && node.rawSql.includes(key))) return top.yaml.locate([...top.at, 'config', key]);
      return configLocation(node, key);
    };
    if (config.group !== undefined && config.group !== null) {
      if (typeof config.group !== 'string' || !groupNames.has(config.group)) {
        const names = [...groupNames].sort();
        ctx.errors.push(
          new ProjectError('project', `${node.uniqueId}: invalid group '${String(config.group)}', expected one of [${names.map((n) => `'${n}'`).join(', ')}]`, {
            location: where('group'),
            hint: didYouMean(String(config.group), names) ?? "declare it under 'groups:' in a properties file, with an owner",
          }),
        );
      }
    }
    if (node.resourceType !== 'model') continue;
    // Unset means protected (dbt's default); left unset so configs compare as written (state:modified.configs).
    if (config.access === undefined || config.access === null) continue;
    if (!(ACCESS as readonly unknown[]).includes(config.access)) {
      ctx.errors.push(
        new ProjectError('project', `${node.uniqueId}: access must be one of ${ACCESS.join(', ')}, got ${JSON.stringify(config.access)}`, {
          location: where('access'),
        }),
      );
    } else if (config.access === 'public' && node.materialized === 'ephemeral') {
      // dbt's InvalidAccessTypeError.
      ctx.errors.push(
        new ProjectError('project', `${node.uniqueId}: an ephemeral model cannot be public`, {
          location: where('access'),
          hint: 'make it private or protected, or materialize it',
        }),
      );
    }
  }
  checkRefs(projects, ctx);
  return { groups, exposures };
}

function groupOf(node: Node, nodes: Map<string, Node>): string | undefined {
  const own = (node.config as { group?: unknown }).group;
  if (typeof own === 'string') return own;
  // A generic test belongs to the group of the node it tests.
  if (node.resourceType === 'test' && node.attachedNode) return groupOf(nodes.get(node.attachedNode) ?? node, new Map());
  return undefined;
}

function checkRefs(projects: Project[], ctx: Ctx): void {
  const restricts = new Map(projects.map((p) => [p.name, p.config['restrict-access'] === true]));
  for (const node of ctx.nodes.values()) {
    if (node.resourceType !== 'model' && node.resourceType !== 'snapshot' && node.resourceType !== 'test') continue;
    for (const ref of node.refs) {
      const id = lookupRef(ctx.byName, ref.name, ref.package, node.packageName);
      const target = id ? ctx.nodes.get(id) : undefined;
      if (target?.resourceType !== 'model' || target.uniqueId === node.uniqueId) continue;
      const access = (target.config as { access?: unknown }).access ?? 'protected';
      const otherPackage = node.packageName !== target.packageName && restricts.get(target.packageName) === true;
      const targetGroup = groupOf(target, ctx.nodes);
      const nodeGroup = groupOf(node, ctx.nodes);
      let scope: string | undefined;
      if (access === 'private' && (!nodeGroup || nodeGroup !== targetGroup || otherPackage)) scope = `private to the '${targetGroup ?? ''}' group`;
      else if (access === 'protected' && otherPackage) scope = `protected to the '${target.packageName}' package`;
      if (!scope) continue;
      const at = callSite(node.rawSql, 'ref', ref.package ?? ref.name);
      const location = node.resourceType === 'test' && !at ? node.location : { file: node.file, ...(at ?? {}) };
      ctx.errors.push(
        new ProjectError(
          'graph',
          `ref('${ref.name}'): node ${node.uniqueId} attempted to reference node ${target.uniqueId}, which is not allowed because the referenced node is ${scope}`,
          {
            location,
            source: location.file === node.file ? node.rawSql : undefined,
            hint:
              access === 'private'
                ? `put '${node.name}' in group '${targetGroup ?? '?'}', or make '${target.name}' protected or public`
                : `make '${target.name}' public, or set restrict-access: false in package '${target.packageName}'`,
          },
        ),
      );
    }
  }
}

/** Where a node sets a config: its `config()` call, else its properties file, else its file. */
function configLocation(node: Node, key: string): SourceLocation {
  if ('rawSql' in node && node.rawSql.includes(key)) {
    const at = callSite(node.rawSql, 'config');
    if (at) return { file: node.file, ...at };
  }
  return { file: node.patchFile ?? node.file };
}

function readList(yaml: YamlFile, list: unknown, key: string, errors: ProjectError[]): { item: Record<string, unknown>; at: YamlPath }[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    errors.push(fail(yaml, [key], `'${key}' must be a list`));
    return [];
  }
  const out: { item: Record<string, unknown>; at: YamlPath }[] = [];
  list.forEach((item: unknown, i: number) => {
    if (isPlainObject(item)) out.push({ item, at: [key, i] });
    else errors.push(fail(yaml, [key, i], `each entry of '${key}' must be a mapping with a name`));
  });
  return out;
}

function fail(yaml: YamlFile, at: YamlPath, message: string, hint?: string): ProjectError {
  return new ProjectError('project', message, { location: yaml.locate(at), source: yaml.source, hint });
}

function checkKeys(yaml: YamlFile, item: Record<string, unknown>, at: YamlPath, known: string[], what: string, errors: ProjectError[]): void {
  for (const key of Object.keys(item))
    if (!known.includes(key)) errors.push(fail(yaml, [...at, key], `unknown key '${key}' in ${what}`, didYouMean(key, known)));
}

function readName(yaml: YamlFile, item: Record<string, unknown>, at: YamlPath, what: string, errors: ProjectError[]): string | undefined {
  if (typeof item.name !== 'string' || !item.name) {
    errors.push(fail(yaml, at, `${what} needs a 'name'`));
    return undefined;
  }
  if (!/^[A-Za-z0-9_]+$/.test(item.name)) {
    errors.push(
      fail(
        yaml,
        [...at, 'name'],
        `${what} name '${item.name}' must be letters, digits and underscores`,
        what === 'an exposure' ? "put the display name in 'label:'" : undefined,
      ),
    );
    return undefined;
  }
  return item.name;
}

/** dbt: an owner needs a name or an email. */
function readOwner(yaml: YamlFile, owner: unknown, at: YamlPath, what: string, errors: ProjectError[]): Owner | undefined {
  if (!isPlainObject(owner) || !(typeof owner.name === 'string' || typeof owner.email === 'string')) {
    errors.push(
      fail(
        yaml,
        owner === undefined ? at : [...at, 'owner'],
        `${what} needs an 'owner' with a name or an email`,
        'owner: {name: Finance team, email: finance@example.com}',
      ),
    );
    return undefined;
  }
  return owner as Owner;
}

function optionalText(yaml: YamlFile, item: Record<string, unknown>, at: YamlPath, key: string, errors: ProjectError[]): string | undefined {
  const v = item[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    errors.push(fail(yaml, [...at, key], `'${key}' must be text`));
    return undefined;
  }
  return v;
}

function readGroup(project: Project, yaml: YamlFile, item: Record<string, unknown>, at: YamlPath, errors: ProjectError[]): Group | undefined {
  checkKeys(yaml, item, at, ['name', 'owner', 'description', 'config', 'meta'], 'a group', errors);
  const name = readName(yaml, item, at, 'a group', errors);
  const owner = readOwner(yaml, item.owner, at, name ? `group '${name}'` : 'a group', errors);
  const description = optionalText(yaml, item, at, 'description', errors);
  if (!name || !owner) return undefined;
  return {
    uniqueId: `group.${project.name}.${name}`,
    name,
    packageName: project.name,
    file: yaml.file,
    owner,
    description,
    config: isPlainObject(item.config) ? item.config : { meta: isPlainObject(item.meta) ? item.meta : {} },
  };
}

const EXPOSURE_KEYS = ['name', 'type', 'owner', 'description', 'label', 'maturity', 'url', 'depends_on', 'tags', 'meta', 'config'];

function readExposure(project: Project, yaml: YamlFile, item: Record<string, unknown>, at: YamlPath, ctx: Ctx): Exposure | undefined {
  const { errors } = ctx;
  checkKeys(yaml, item, at, EXPOSURE_KEYS, 'an exposure', errors);
  const name = readName(yaml, item, at, 'an exposure', errors);
  const what = name ? `exposure '${name}'` : 'an exposure';
  if (!EXPOSURE_TYPES.includes(item.type as string)) {
    errors.push(fail(yaml, item.type === undefined ? at : [...at, 'type'], `${what}: 'type' must be one of ${EXPOSURE_TYPES.join(', ')}`));
  }
  if (item.maturity !== undefined && !MATURITIES.includes(item.maturity as string)) {
    errors.push(fail(yaml, [...at, 'maturity'], `${what}: 'maturity' must be one of ${MATURITIES.join(', ')}`));
  }
  const owner = readOwner(yaml, item.owner, at, what, errors);
  const raw = item.depends_on ?? [];
  const dependsOn = new Set<string>();
  const refs: RefCall[] = [];
  const sources: [string, string][] = [];
  if (!Array.isArray(raw) || raw.some((d) => typeof d !== 'string')) {
    errors.push(fail(yaml, [...at, 'depends_on'], `${what}: 'depends_on' must be a list of ref('…') and source('…', '…')`));
  } else {
    raw.forEach((text: string, j: number) => {
      const loc = [...at, 'depends_on', j];
      const r =
        /^\s*(?:\{\{\s*)?ref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?(?:,\s*v(?:ersion)?\s*=\s*['"]?([^'")\s]+)['"]?\s*)?\)\s*(?:\}\})?\s*$/.exec(
          text,
        );
      const s = /^\s*(?:\{\{\s*)?source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*(?:\}\})?\s*$/.exec(text);
      if (r) {
        const [pkg, bare] = r[2] ? [r[1], r[2]] : [undefined, r[1]!];
        const lookup = r[3] ? `${bare}_v${r[3]}` : bare!;
        refs.push({ name: bare!, ...(pkg ? { package: pkg } : {}) });
        const id = lookupRef(ctx.byName, lookup, pkg, project.name);
        if (id) dependsOn.add(id);
        else
          errors.push(
            new ProjectError('graph', `${what} depends on ref('${bare}'), which matches no model or seed`, {
              location: yaml.locate(loc),
              source: yaml.source,
              hint: didYouMean(bare!, bareNames(ctx.byName)),
            }),
          );
      } else if (s) {
        sources.push([s[1]!, s[2]!]);
        const id = ctx.sourcesByName.get(`${s[1]}.${s[2]}`);
        if (id) dependsOn.add(id);
        else
          errors.push(
            new ProjectError('graph', `${what} depends on source('${s[1]}', '${s[2]}'), which is not defined`, {
              location: yaml.locate(loc),
              source: yaml.source,
              hint: didYouMean(`${s[1]}.${s[2]}`, ctx.sourcesByName.keys()),
            }),
          );
      } else if (!/^\s*(?:\{\{\s*)?metric\(/.test(text)) {
        errors.push(fail(yaml, loc, `${what}: cannot read depends_on '${text}'`, "write ref('model') or source('source', 'table')"));
      }
    });
  }
  if (!name || !owner) return undefined;
  const config = isPlainObject(item.config) ? item.config : {};
  if (config.enabled === false) return undefined;
  const tags = [...new Set([...asStrings(item.tags), ...asStrings(config.tags)])];
  return {
    uniqueId: `exposure.${project.name}.${name}`,
    name,
    packageName: project.name,
    file: yaml.file,
    fqn: [project.name, ...folderOf(yaml.file, project), name],
    type: String(item.type),
    owner,
    description: optionalText(yaml, item, at, 'description', errors) ?? '',
    label: optionalText(yaml, item, at, 'label', errors),
    maturity: item.maturity as string | undefined,
    url: optionalText(yaml, item, at, 'url', errors),
    tags,
    meta: { ...(isPlainObject(item.meta) ? item.meta : {}), ...(isPlainObject(config.meta) ? config.meta : {}) },
    config: { enabled: true, ...config, tags, meta: { ...(isPlainObject(item.meta) ? item.meta : {}), ...(isPlainObject(config.meta) ? config.meta : {}) } },
    unrenderedConfig: { ...config },
    dependsOnRaw: Array.isArray(raw) ? (raw as string[]) : [],
    dependsOn: [...dependsOn],
    refs,
    sources,
  };
}

function asStrings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The folders below the model path that hold the file (dbt's fqn of a properties-file resource). */
function folderOf(file: string, project: Project): string[] {
  const rel = file.slice(project.pathPrefix.length);
  for (const root of project.config['model-paths']) {
    const prefix = `${root.replace(/\/+$/, '')}/`;
    if (rel.startsWith(prefix)) return rel.slice(prefix.length).split('/').slice(0, -1);
  }
  return [];
}
