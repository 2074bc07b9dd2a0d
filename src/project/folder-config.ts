import { ProjectError } from '../core/errors.js';
import { didYouMean, isPlainObject } from '../core/util.js';
import { KNOWN_CONFIG_KEYS, nodeConfigSchema, type HookConfig, type NodeConfig } from './schemas.js';
import type { YamlFile, YamlPath } from './yaml-file.js';

/** A `models:` / `seeds:` / `data_tests:` block of project.yml: configs keyed by project, then folder. */
export type ConfigTree = Record<string, unknown>;

/**
 * dbt configs this engine reads but does not act on: accepted (a dbt project must load), and
 * named in one warning when a node carries them (see unsupported-config.ts).
 */
export const DBT_UNHONOURED_CONFIGS = new Set([
  'bind',
  'on_configuration_change',
  'sql_header',
  'docs_show',
  'event_time',
  'batch_size',
  'lookback',
  'begin',
  'concurrent_batches',
  'copy_grants',
  'secure',
  'snowflake_warehouse',
  'automatic_clustering',
  'file_format',
  'location_root',
  'external_location',
  'packages',
  'database_role',
  'target_lag',
  'refresh_mode',
  'initialize',
]);

function configKey(key: string, value: unknown): string | undefined {
  if (key.startsWith('+')) return key.slice(1);
  if (DBT_UNHONOURED_CONFIGS.has(key)) return key;
  // Without '+', dbt treats a known config name as config and anything else as a folder.
  if (KNOWN_CONFIG_KEYS.has(key) && !(key === 'docs' && isPlainObject(value) && !('show' in value))) return key;
  return undefined;
}

/** Checks every config key and value of a tree, reporting each mistake at its line. */
export function validateConfigTree(
  tree: ConfigTree | null | undefined,
  section: string,
  /** The project's name, or its name and its installed packages' names (the keys a tree may start with). */
  projectName: string | readonly string[],
  yaml: YamlFile,
  extraKeys: readonly string[] = [],
  /** dbt_project.yml: dbt allows custom configs, so an unknown `+key` is kept (and warned about per node), not an error. */
  lenient = false,
): ProjectError[] {
  const errors: ProjectError[] = [];
  const owners = typeof projectName === 'string' ? [projectName] : projectName;
  const shape = nodeConfigSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }>;
  const walk = (level: Record<string, unknown>, p: YamlPath): void => {
    for (const [k, v] of Object.entries(level)) {
      const key = configKey(k, v);
      if (key !== undefined) {
        const field = shape[key];
        if (!field) {
          if (extraKeys.includes(key) || DBT_UNHONOURED_CONFIGS.has(key) || lenient) continue;
          errors.push(
            new ProjectError('project', `unknown config '${k}' in ${section}`, {
              location: yaml.locate([...p, k]),
              hint: didYouMean(key, KNOWN_CONFIG_KEYS) ?? `known configs: ${[...KNOWN_CONFIG_KEYS].slice(0, 12).join(', ')}, …`,
              source: yaml.source,
            }),
          );
          continue;
        }
        // Jinja (`"{{ target.name == 'prod' }}"`) is checked once rendered (see renderConfigTree).
        if (hasJinja(v)) continue;
        const r = field.safeParse(v);
        if (!r.success) {
          errors.push(
            new ProjectError('project', `config '${k}' in ${section}: ${r.error?.issues[0]?.message ?? 'invalid value'}`, {
              location: yaml.locate([...p, k]),
              source: yaml.source,
            }),
          );
        }
        continue;
      }
      if (p.length === 1 && !owners.includes(k)) {
        errors.push(
          new ProjectError(
            'project',
            `'${k}' under ${section} is neither a config (write '+${k}') nor this project's name${owners.length > 1 ? ' or an installed package' : ''}`,
            {
              location: yaml.locate([...p, k]),
              hint: didYouMean(k, [...KNOWN_CONFIG_KEYS, ...owners]) ?? `folder configs go under '${owners[0]}:'`,
              source: yaml.source,
            },
          ),
        );
        continue;
      }
      if (v === null || v === undefined) continue;
      if (!isPlainObject(v)) {
        errors.push(
          new ProjectError('project', `'${k}' under ${section} is not a known config, so it is read as a folder, but its value is not a mapping`, {
            location: yaml.locate([...p, k]),
            hint: didYouMean(k, KNOWN_CONFIG_KEYS) ?? `prefix configs with '+', e.g. '+${k}'`,
            source: yaml.source,
          }),
        );
        continue;
      }
      walk(v, [...p, k]);
    }
  };
  if (tree) walk(tree, [section]);
  return errors;
}

export function hasJinja(v: unknown): boolean {
  return typeof v === 'string' && (v.includes('{{') || v.includes('{%'));
}

const LATE_RENDERED = new Set(['pre-hook', 'post-hook', 'pre_hook', 'post_hook']);

/**
 * Renders the Jinja in a config tree's values, as dbt renders dbt_project.yml: hooks are left for
 * run time, and a value that renders to `True`/`False`/`None` becomes that value (dbt renders natively).
 */
export function renderConfigTree(tree: ConfigTree, render: (text: string, at: YamlPath) => string): ConfigTree {
  const walk = (v: unknown, key: string, at: YamlPath): unknown => {
    if (LATE_RENDERED.has(key.replace(/^\+/, ''))) return v;
    if (hasJinja(v)) {
      const text = render(v as string, at).trim();
      if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
      if (text === 'None' || text === 'none') return null;
      return text;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, key, [...at, i]));
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k, [...at, k])]));
    return v;
  };
  return walk(tree, '', []) as ConfigTree;
}

/** Merges configs along a node's path: the more specific folder wins, tags add up. */
export function configFromTree(tree: ConfigTree | null | undefined, fqn: readonly string[]): NodeConfig {
  let result: NodeConfig = {};
  let level: unknown = tree;
  for (let i = 0; isPlainObject(level); i++) {
    const own: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(level)) {
      const key = configKey(k, v);
      if (key !== undefined) own[key] = v;
    }
    result = mergeConfig(result, own as NodeConfig);
    const next = fqn[i];
    if (next === undefined) break;
    level = level[next];
  }
  return result;
}

export function mergeConfig(base: NodeConfig, over: NodeConfig): NodeConfig {
  const out: NodeConfig = { ...base };
  for (const k in over) {
    const v = over[k];
    if (v === undefined || !Object.hasOwn(over, k)) continue;
    if (k === 'tags') {
      out.tags = [...asList(base.tags), ...asList(v as string | string[])];
    } else if (Object.hasOwn(HOOK_KEYS, k)) {
      // dbt's hooks add up: the project's run first, then the folder's, then the model's own.
      const key = HOOK_KEYS[k]!;
      out[key] = [...asList(out[key] as HookConfig | undefined), ...asList(v as HookConfig)];
      if (key !== k) delete out[k];
    } else if ((k === 'meta' || k === 'column_types') && isPlainObject(v) && isPlainObject(base[k])) {
      out[k] = { ...(base[k] as Record<string, string>), ...(v as Record<string, string>) };
    } else {
      out[k] = v;
    }
  }
  const tags = out.tags;
  if (tags && !(Array.isArray(tags) && tags.length < 2)) out.tags = [...new Set(asList(tags))];
  return out;
}

const HOOK_KEYS: Record<string, 'pre-hook' | 'post-hook'> = { 'pre-hook': 'pre-hook', pre_hook: 'pre-hook', 'post-hook': 'post-hook', post_hook: 'post-hook' };

export function asList<T>(v: T | T[] | null | undefined): T[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}
