/**
 * `selectors.yml`: named selections, as dbt-core reads them (config/selectors.py, graph/cli.py
 * parse_from_definition, graph/selector_spec.py selection_criteria_from_dict). A definition is a
 * selector string, a `{method: value}` mapping, a `method:`/`value:` mapping (with `parents`,
 * `children`, their depths, `childrens_parents`, `indirect_selection` and `exclude`), or a
 * `union:`/`intersection:` list whose one `exclude:` item is taken away.
 */
import { ProjectError } from '../core/errors.js';
import { didYouMean, isPlainObject } from '../core/util.js';
import type { YamlFile, YamlPath } from '../project/yaml-file.js';
import { criteria, criteriaOf, INDIRECT_SELECTION, type IndirectSelection, type SelectionSpec } from './selection.js';

export interface SelectorDefinition {
  name: string;
  description?: string;
  default: boolean;
  /** The definition as written (what manifest.json's `selectors` holds). */
  definition: unknown;
  at: YamlPath;
}

export interface Selectors {
  yaml: YamlFile;
  byName: Map<string, SelectorDefinition>;
  /** The selector with `default: true`: used when a command selects nothing itself. */
  defaultName?: string;
}

/**
 * Renders the Jinja in selectors.yml's values, as dbt does before reading them (config/selectors.py
 * SelectorConfig.render_from_dict with config/renderer.py's SelectorRenderer, the dbt_project.yml
 * context: `env_var()`, `var()`, `target`). Values render natively: `True`/`False` are booleans,
 * `None` null, a whole number a number. A failure is an error at the value's line.
 */
export function renderSelectorsYaml(yaml: YamlFile, render: (text: string) => string): YamlFile {
  const walk = (v: unknown, at: YamlPath): unknown => {
    if (typeof v === 'string' && (v.includes('{{') || v.includes('{%'))) {
      let text: string;
      try {
        text = render(v).trim();
      } catch (e) {
        if (!(e instanceof ProjectError)) throw e;
        throw new ProjectError('selection', e.message, { location: yaml.locate(at), hint: e.hint, source: yaml.source });
      }
      if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
      if (text === 'None' || text === 'none') return null;
      if (/^-?\d+$/.test(text)) return Number(text);
      return text;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...at, i]));
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...at, k])]));
    return v;
  };
  if (!/\{\{|\{%/.test(yaml.source)) return yaml;
  const data = walk(yaml.data, []);
  return { file: yaml.file, source: yaml.source, data, locate: (p) => yaml.locate(p) };
}

/** Reads and checks the file's shape (every definition is checked when it is used, and by `checkSelectors`). */
export function readSelectors(yaml: YamlFile): Selectors {
  const data = yaml.data;
  const fail = (at: YamlPath, message: string, hint?: string) =>
    new ProjectError('selection', message, { location: yaml.locate(at), source: yaml.source, hint });
  const byName = new Map<string, SelectorDefinition>();
  if (data === null || data === undefined) return { yaml, byName };
  if (!isPlainObject(data) || !Array.isArray(data.selectors))
    throw fail([], "selectors.yml must hold a 'selectors:' list", 'selectors:\n  - name: nightly\n    definition: tag:nightly');
  for (const key of Object.keys(data)) if (key !== 'selectors') throw fail([key], `unknown key '${key}' in selectors.yml`);
  let defaultName: string | undefined;
  data.selectors.forEach((entry: unknown, i: number) => {
    if (!isPlainObject(entry)) throw fail(['selectors', i], 'a selector must be a mapping with name and definition');
    for (const key of Object.keys(entry)) {
      if (!['name', 'description', 'definition', 'default'].includes(key)) {
        throw fail(['selectors', i, key], `unknown key '${key}' in selector`, didYouMean(key, ['name', 'description', 'definition', 'default']));
      }
    }
    if (typeof entry.name !== 'string' || !entry.name) throw fail(['selectors', i, 'name'], "a selector needs a 'name'");
    if (byName.has(entry.name)) throw fail(['selectors', i, 'name'], `selector '${entry.name}' is defined twice`);
    if (entry.definition === undefined || entry.definition === null) throw fail(['selectors', i], `selector '${entry.name}' has no 'definition'`);
    if (entry.default !== undefined && typeof entry.default !== 'boolean') throw fail(['selectors', i, 'default'], "'default' must be true or false");
    if (entry.description !== undefined && typeof entry.description !== 'string') throw fail(['selectors', i, 'description'], "'description' must be text");
    if (entry.default === true) {
      // dbt: "Default key is set to True multiple times" (config/selectors.py validate_selector_default).
      if (defaultName)
        throw fail(['selectors', i, 'default'], `'default: true' is set on both '${defaultName}' and '${entry.name}'`, 'only one selector may be the default');
      defaultName = entry.name;
    }
    byName.set(entry.name, {
      name: entry.name,
      description: entry.description as string | undefined,
      default: entry.default === true,
      definition: entry.definition,
      at: ['selectors', i, 'definition'],
    });
  });
  return { yaml, byName, defaultName };
}

/** Builds every definition once, so a mistake in one is reported even when another is used. */
export function checkSelectors(selectors: Selectors): void {
  // `selector:` references are followed when used (a cycle is an error then, as dbt's RecursionError).
  for (const def of selectors.byName.values()) new DefinitionParser(selectors, 'eager', [def.name], false).parse(def.definition, def.at, true);
}

/** The spec of the named selector; `indirect` (the `--indirect-selection` flag) applies where a definition does not say. */
export function selectorSpec(selectors: Selectors, name: string, indirect: IndirectSelection, seen: string[] = []): SelectionSpec {
  const def = selectors.byName.get(name);
  if (!def) {
    const hint = didYouMean(name, selectors.byName.keys());
    throw new ProjectError('selection', `no selector named '${name}' in selectors.yml`, {
      hint: hint ?? (selectors.byName.size ? `selectors: ${[...selectors.byName.keys()].join(', ')}` : 'define it in selectors.yml'),
    });
  }
  if (seen.includes(name)) {
    throw new ProjectError('selection', `selectors refer to each other in a cycle: ${[...seen, name].join(' -> ')}`, {
      location: selectors.yaml.locate(def.at),
    });
  }
  return new DefinitionParser(selectors, indirect, [...seen, name]).parse(def.definition, def.at, true);
}

const CRITERIA_KEYS = ['method', 'value', 'parents', 'parents_depth', 'children', 'children_depth', 'childrens_parents', 'indirect_selection', 'exclude'];

class DefinitionParser {
  constructor(
    private readonly selectors: Selectors,
    private readonly indirect: IndirectSelection,
    private readonly seen: string[],
    private readonly followRefs = true,
  ) {}

  private fail(at: YamlPath, message: string, hint?: string): ProjectError {
    return new ProjectError('selection', message, { location: this.selectors.yaml.locate(at), source: this.selectors.yaml.source, hint });
  }

  parse(def: unknown, at: YamlPath, root = false): SelectionSpec {
    if (typeof def === 'string') return this.fromString(def, at, this.indirect);
    if (!isPlainObject(def))
      throw this.fail(at, 'a selector definition must be a selector string or a mapping', 'e.g. tag:nightly, {method: tag, value: nightly} or {union: [...]}');
    for (const kind of ['union', 'intersection'] as const) {
      if (!(kind in def)) continue;
      if (root && Object.keys(def).length > 1) {
        throw this.fail(at, `a root selector definition with '${kind}' may have no other key, found ${Object.keys(def).join(', ')}`);
      }
      return this.group(kind, def[kind], [...at, kind]);
    }
    const keys = Object.keys(def);
    if (keys.length === 1 && keys[0] !== 'method' && keys[0] !== 'exclude') {
      // `{tag: nightly}`: the key is the method.
      return this.criterion({ method: keys[0], value: def[keys[0]!] }, at);
    }
    if (!('method' in def) || !('value' in def)) {
      throw this.fail(at, `expected one key, or 'method' and 'value', but found ${keys.join(', ') || 'none'}`, 'e.g. {method: tag, value: nightly}');
    }
    return this.criterion(def, at);
  }

  private group(kind: 'union' | 'intersection', list: unknown, at: YamlPath): SelectionSpec {
    if (!Array.isArray(list)) throw this.fail(at, `'${kind}' must be a list of definitions`);
    const parts: SelectionSpec[] = [];
    let exclude: SelectionSpec | undefined;
    list.forEach((item: unknown, i: number) => {
      if (isPlainObject(item) && 'exclude' in item) {
        if (exclude) throw this.fail([...at, i], `only one 'exclude' item may stand in one '${kind}' list`);
        exclude = this.exclusions(item, [...at, i]);
      } else parts.push(this.parse(item, [...at, i]));
    });
    // A set operation of a YAML definition holds no tests back for later parts (dbt's group default is eager).
    const combined: SelectionSpec = { kind, parts, indirect: 'eager' };
    return exclude ? { kind: 'difference', parts: [combined, exclude], indirect: 'eager' } : combined;
  }

  private exclusions(def: Record<string, unknown>, at: YamlPath): SelectionSpec {
    const list = def.exclude;
    if (!Array.isArray(list)) throw this.fail([...at, 'exclude'], "'exclude' must be a list of definitions");
    const parts = list.map((item: unknown, i: number) => this.parse(item, [...at, 'exclude', i]));
    return parts.length === 1 ? parts[0]! : { kind: 'union', parts, indirect: 'eager' };
  }

  private criterion(def: Record<string, unknown>, at: YamlPath): SelectionSpec {
    for (const key of Object.keys(def)) {
      if (!CRITERIA_KEYS.includes(key)) throw this.fail([...at, key], `unknown key '${key}' in a selector definition`, didYouMean(key, CRITERIA_KEYS));
    }
    const method = String(def.method);
    const value = def.value;
    if (value === null || value === undefined || value === '' || typeof value === 'object') {
      throw this.fail([...at, 'value'], `selector method '${method}' needs a value (text)`);
    }
    let indirect = this.indirect;
    if (def.indirect_selection !== undefined) {
      if (!(INDIRECT_SELECTION as readonly string[]).includes(String(def.indirect_selection))) {
        throw this.fail([...at, 'indirect_selection'], `indirect_selection must be one of ${INDIRECT_SELECTION.join(', ')}`);
      }
      indirect = def.indirect_selection as IndirectSelection;
    }
    const depth = (flag: string, depthKey: string): number => {
      if (!def[flag]) return 0;
      const d = def[depthKey];
      if (d === undefined || d === null) return Infinity;
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) throw this.fail([...at, depthKey], `${depthKey} must be a whole number`);
      return d;
    };
    const raw = `${method}:${String(value)}`;
    const parents = depth('parents', 'parents_depth');
    const children = depth('children', 'children_depth');
    const at_ = def.childrens_parents === true;
    if (at_ && children) throw this.fail(at, "'childrens_parents' and 'children' cannot go together (dbt: '@' and '+' are incompatible)");
    let spec: SelectionSpec;
    if (method === 'selector') spec = this.selectorRef(String(value), at, indirect, { parents, children, at: at_ });
    else {
      try {
        spec = criteriaOf({ method, value: String(value), parents, children, at: at_ }, raw, indirect);
      } catch (e) {
        throw e instanceof ProjectError ? this.fail([...at, 'method'], e.message, e.hint) : e;
      }
    }
    return 'exclude' in def ? { kind: 'difference', parts: [spec, this.exclusions(def, at)], indirect: 'eager' } : spec;
  }

  private fromString(text: string, at: YamlPath, indirect: IndirectSelection): SelectionSpec {
    const m = /^(@?)(\d*\+)?selector:(.+?)(\+\d*)?$/.exec(text.trim());
    if (m) {
      const depth = (s: string | undefined) => (s === undefined ? 0 : s.replace('+', '') ? Number(s.replace('+', '')) : Infinity);
      return this.selectorRef(m[3]!, at, indirect, { parents: depth(m[2]), children: depth(m[4]), at: m[1] === '@' });
    }
    try {
      return criteria(text.trim(), indirect);
    } catch (e) {
      throw e instanceof ProjectError ? this.fail(at, e.message, e.hint) : e;
    }
  }

  /** dbt 1.12's `selector:` method: what other named selectors (a glob) select. */
  private selectorRef(pattern: string, at: YamlPath, indirect: IndirectSelection, ops: { parents: number; children: number; at: boolean }): SelectionSpec {
    const re = globOf(pattern);
    const names = [...this.selectors.byName.keys()].filter((n) => re.test(n));
    if (!names.length) throw this.fail(at, `no selector matches 'selector:${pattern}'`, didYouMean(pattern, this.selectors.byName.keys()));
    const parts = this.followRefs ? names.map((n) => selectorSpec(this.selectors, n, indirect, this.seen)) : [];
    const inner: SelectionSpec = parts.length === 1 ? parts[0]! : { kind: 'union', parts, indirect: 'eager' };
    return { kind: 'criteria', raw: `selector:${pattern}`, atom: { method: 'selector', value: pattern, ...ops }, indirect, inner };
  }
}

/** A `--select selector:x` criterion gets what the named selectors select (dbt 1.12); without selectors.yml it is an error. */
export function resolveSelectorRefs(spec: SelectionSpec, selectors: Selectors | undefined, indirect: IndirectSelection): SelectionSpec {
  if (spec.kind !== 'criteria') return { ...spec, parts: spec.parts.map((p) => resolveSelectorRefs(p, selectors, indirect)) };
  if (spec.atom.method !== 'selector' || spec.inner) return spec;
  if (!selectors) throw new ProjectError('selection', `'${spec.raw}' names a selector, but the project has no selectors.yml`);
  const re = globOf(spec.atom.value);
  const names = [...selectors.byName.keys()].filter((n) => re.test(n));
  if (!names.length) {
    throw new ProjectError('selection', `no selector in selectors.yml matches '${spec.raw}'`, { hint: didYouMean(spec.atom.value, selectors.byName.keys()) });
  }
  const parts = names.map((n) => selectorSpec(selectors, n, indirect));
  return { ...spec, inner: parts.length === 1 ? parts[0]! : { kind: 'union', parts, indirect: 'eager' } };
}

/** fnmatch-style: `*`, `?` and `[ab]`. */
function globOf(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end > i) {
        out += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      } else out += '\\[';
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
