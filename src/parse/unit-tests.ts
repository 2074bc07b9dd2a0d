/**
 * dbt 1.8 unit tests (`unit_tests:` in properties files), checked as dbt-core's
 * parser/unit_tests.py does (UnitTestParser, process_models_for_unit_test): the tested model, each
 * `given:` input resolved to the node it stands in for, rows read from dict, csv (inline or a
 * `tests/fixtures/` file) or sql, versions expanded, the `is_incremental` override required.
 */
import { createHash } from 'node:crypto';
import { ProjectError, type SourceLocation } from '../core/errors.js';
import { didYouMean, isPlainObject } from '../core/util.js';
import { parseCsv } from '../project/csv.js';
import { inProject } from '../project/load-project.js';
import { readProjectFile } from '../project/unit-test-fixtures.js';
import { unitTestSchema, validateYaml, type UnitTestDefinition } from '../project/schemas.js';
import type { YamlFile, YamlPath } from '../project/yaml-file.js';
import type { ModelNode, UnitTestFixture, UnitTestInput, UnitTestNode } from './nodes.js';
import { addDisabled, type ParseContext } from './parse-context.js';
import type { VersionedModel } from './properties.js';
import { bareNames, lookupRef, lookupRefCall, refText } from './ref-lookup.js';

type Rows = NonNullable<UnitTestFixture['rows']>;

/** Adds the project's unit tests to the manifest; errors are collected with the YAML line they come from. */
export function parseUnitTests(ctx: ParseContext, versioned: Map<string, VersionedModel>): void {
  const { project, errors } = ctx;
  const seen = new Map<string, string>();
  for (const { yaml, value } of project.properties) {
    (value.unit_tests ?? []).forEach((raw, index) => {
      const base: YamlPath = ['unit_tests', index];
      const r = validateYaml(unitTestSchema, yaml, raw, base);
      errors.push(...r.errors);
      if (!r.value) return;
      if (r.value.config?.enabled === false) {
        // dbt-core parser/unit_tests.py: a disabled unit test goes to the manifest's `disabled`, unchecked beyond its YAML.
        for (const node of unitTestsOf(ctx, r.value, yaml, base, versioned, () => {}))
          addDisabled(ctx, { ...node, config: { ...node.config, enabled: false } });
        return;
      }
      const at = (...p: (string | number)[]) => yaml.locate([...base, ...p]);
      const fail = (message: string, p: (string | number)[], hint?: string) => {
        errors.push(new ProjectError('project', `unit test '${r.value!.name}': ${message}`, { location: at(...p), hint, source: yaml.source }));
      };
      for (const node of unitTestsOf(ctx, r.value, yaml, base, versioned, fail)) {
        const prev = seen.get(node.uniqueId);
        if (prev) {
          fail(`defined twice for model '${node.model}' (also in ${prev})`, ['name']);
          continue;
        }
        seen.set(node.uniqueId, yaml.file);
        ctx.nodes.set(node.uniqueId, node);
      }
    });
  }
}

function unitTestsOf(
  ctx: ParseContext,
  def: UnitTestDefinition,
  yaml: YamlFile,
  base: YamlPath,
  versioned: Map<string, VersionedModel>,
  fail: (message: string, p: (string | number)[], hint?: string) => void,
): UnitTestNode[] {
  const { project } = ctx;
  // dbt's `model: name` or `model: name version` (find_tested_model_node).
  const [modelName, modelVersion] = def.model.trim().split(/\s+/);
  const targets = testedModels(ctx, modelName!, modelVersion, def, versioned, fail);
  if (!targets) return [];
  const out: UnitTestNode[] = [];
  for (const { model, version } of targets) {
    const errorsBefore = ctx.errors.length;
    const read = (def.given ?? []).map((g, i) => inputOf(ctx, g, yaml, [...base, 'given', i], model, def.name, fail));
    const given = read.filter((g) => g !== undefined);
    const expect = fixtureOf(ctx, def.expect, yaml, [...base, 'expect'], def.name, fail);
    const macros = def.overrides?.macros ?? {};
    // dbt: a model that calls is_incremental() needs a boolean override, and a `this` input when it is true.
    if (/\bis_incremental\s*\(/.test(model.rawSql)) {
      if (typeof macros.is_incremental !== 'boolean') {
        fail(
          `Boolean override for 'is_incremental' must be provided for unit test '${def.name}' in model '${model.name}'`,
          ['overrides'],
          'add `overrides: {macros: {is_incremental: true}}` (or false)',
        );
      } else if (macros.is_incremental && !given.some((g) => g.isThis)) {
        fail(
          `Unit test '${def.name}' for incremental model '${model.name}' must have a 'this' input`,
          ['given'],
          'add `- input: this` with the rows the table holds before the run',
        );
      }
    }
    // Inputs that failed to read are reported already; a missing one is only worth saying when all were read.
    const missing = read.length === given.length ? modelInputs(ctx, model).filter((m) => !given.some((g) => g.replaces === m.id)) : [];
    for (const m of missing) {
      // dbt docs (unit test input): a seed left out of given: is read as it is, its CSV the rows.
      const seed = ctx.nodes.get(m.id);
      if (seed?.resourceType === 'seed') {
        const auto = seedInput(ctx, seed, m.text, yaml.locate([...base, 'given']));
        if (auto) given.push(auto);
        continue;
      }
      fail(`model '${model.name}' reads ${m.text}, which has no input in given:`, ['given'], `add \`- input: ${m.text}\` (with \`rows: []\` for no rows)`);
    }
    if (ctx.errors.length > errorsBefore || !expect) continue;
    const name = version === undefined ? def.name : `${def.name}_v${version}`;
    const plain = (f: UnitTestFixture) => ({ format: f.format, rows: f.rows?.map((r) => r.values), sql: f.sql });
    const checksum = createHash('sha256')
      .update(JSON.stringify({ given: given.map((g) => ({ input: g.input, ...plain(g) })), expect: plain(expect), overrides: def.overrides ?? null }))
      .digest('hex');
    const pathParts = inProject(project, yaml.file).split('/').slice(1, -1);
    out.push({
      uniqueId: `unit_test.${project.name}.${def.model.trim().split(/\s+/)[0]}.${name}`,
      resourceType: 'unit_test',
      name,
      packageName: project.name,
      file: yaml.file,
      fqn: [project.name, ...pathParts, modelName!, name],
      config: { enabled: true, ...(def.config?.tags !== undefined ? { tags: def.config.tags } : {}), ...(def.config?.meta ? { meta: def.config.meta } : {}) },
      tags: typeof def.config?.tags === 'string' ? [def.config.tags] : (def.config?.tags ?? []),
      description: def.description ?? '',
      columns: [],
      dependsOn: [model.uniqueId],
      model: modelName!,
      testedNode: model.uniqueId,
      ...(version !== undefined ? { version } : {}),
      given,
      expect,
      overrides: {
        macros,
        vars: def.overrides?.vars ?? {},
        envVars: Object.fromEntries(Object.entries(def.overrides?.env_vars ?? {}).map(([k, v]) => [k, String(v)])),
      },
      location: yaml.locate([...base, 'name']),
      checksum,
    });
  }
  return out;
}

/** The model (or, for a versioned model, each version tested) a unit test names. */
function testedModels(
  ctx: ParseContext,
  name: string,
  version: string | undefined,
  def: UnitTestDefinition,
  versioned: Map<string, VersionedModel>,
  fail: (message: string, p: (string | number)[], hint?: string) => void,
): { model: ModelNode; version?: string }[] | undefined {
  const lookup = (n: string) => {
    const id = lookupRef(ctx.byName, n, undefined, ctx.project.name);
    const node = id ? ctx.nodes.get(id) : undefined;
    return node?.resourceType === 'model' ? node : undefined;
  };
  const ver = versioned.get(name);
  const { include, exclude } = def.versions ?? {};
  if (!ver) {
    if (include?.length || exclude?.length) {
      fail(`should not have a versions include or exclude when referencing non-versioned model '${name}'`, ['versions']);
      return undefined;
    }
    const model = lookup(version === undefined ? name : `${name}_v${version}`);
    if (model) return [{ model }];
    // A disabled model's unit tests are disabled too, as in dbt.
    if (ctx.project.models.some((m) => m.name === name)) return undefined;
    const models = bareNames(ctx.byName).filter((n) => lookup(n));
    fail(`Unable to find model '${ctx.project.name}.${name}'`, ['model'], didYouMean(name, models) ?? 'name a model of this project');
    return undefined;
  }
  const wanted = (v: string) =>
    version !== undefined ? v === version : include?.length ? include.map(String).includes(v) : exclude?.length ? !exclude.map(String).includes(v) : true;
  const out = ver.versions
    .filter((v) => wanted(v.v))
    .map((v) => ({ model: lookup(v.model), version: v.v }))
    .filter((m): m is { model: ModelNode; version: string } => m.model !== undefined);
  if (!out.length) {
    fail(`Unit test '${def.name}' referenced a version of '${name}' which was not found.`, [def.versions ? 'versions' : 'model']);
    return undefined;
  }
  return out;
}

/** Each ref() and source() the model reads, resolved, as the text a `given:` input names it with. */
function modelInputs(ctx: ParseContext, model: ModelNode): { id: string; text: string }[] {
  const out = new Map<string, string>();
  for (const r of model.refs) {
    const id = lookupRefCall(ctx.byName, r, model.packageName);
    if (id && !out.has(id)) out.set(id, refText(r));
  }
  for (const [s, t] of model.sources) {
    const id = ctx.sourcesByName.get(`${s}.${t}`);
    if (id && !out.has(id)) out.set(id, `source('${s}', '${t}')`);
  }
  return [...out].map(([id, text]) => ({ id, text }));
}

const STRING = `\\s*(['"])(.*?)\\`;
const REF = new RegExp(`^ref\\(${STRING}1\\s*(?:,${STRING}3\\s*)?(?:,\\s*v(?:ersion)?\\s*=\\s*['"]?([\\w.]+)['"]?\\s*)?\\)$`);
const SOURCE = new RegExp(`^source\\(${STRING}1\\s*,${STRING}3\\s*\\)$`);

function inputOf(
  ctx: ParseContext,
  g: NonNullable<UnitTestDefinition['given']>[number],
  yaml: YamlFile,
  p: YamlPath,
  model: ModelNode,
  testName: string,
  fail: (message: string, p: (string | number)[], hint?: string) => void,
): UnitTestInput | undefined {
  const rel = p.slice(2) as (string | number)[];
  const text = g.input.trim();
  let replaces: string | undefined;
  const isThis = text === 'this';
  if (isThis) replaces = model.uniqueId;
  else {
    const ref = REF.exec(text);
    const source = ref ? undefined : SOURCE.exec(text);
    if (ref) {
      const [pkg, name] = ref[4] !== undefined ? [ref[2], ref[4]] : [undefined, ref[2]!];
      const version = ref[5];
      replaces = lookupRef(ctx.byName, version !== undefined ? `${name}_v${version}` : name!, pkg, ctx.project.name);
      if (!replaces) {
        fail(`had an input (${text}) which was not found in the manifest`, [...rel, 'input'], didYouMean(name!, bareNames(ctx.byName)));
        return undefined;
      }
    } else if (source) {
      replaces = ctx.sourcesByName.get(`${source[2]}.${source[4]}`);
      if (!replaces) {
        fail(
          `had an input (${text}) which was not found in the manifest`,
          [...rel, 'input'],
          didYouMean(`${source[2]}.${source[4]}`, ctx.sourcesByName.keys()),
        );
        return undefined;
      }
    } else {
      fail(`input '${text}' is not ref('…'), source('…', '…') or this`, [...rel, 'input'], "write it as dbt does, e.g. input: ref('stg_orders')");
      return undefined;
    }
    if (!modelInputs(ctx, model).some((m) => m.id === replaces)) {
      fail(
        `model '${model.name}' does not read ${text}`,
        [...rel, 'input'],
        `its inputs: ${
          modelInputs(ctx, model)
            .map((m) => m.text)
            .join(', ') || 'none'
        }`,
      );
      return undefined;
    }
  }
  // dict rows left out for a seed: the seed's own rows (dbt's _load_rows_from_seed).
  const target = ctx.nodes.get(replaces!);
  if ((g.format ?? 'dict') === 'dict' && (g.rows === undefined || g.rows === null) && g.fixture === undefined) {
    if (target?.resourceType !== 'seed') {
      fail(`input ${text} has no rows`, rel, 'give `rows:` (`rows: []` for none), or a csv/sql `fixture:`');
      return undefined;
    }
    return seedInput(ctx, target, text, yaml.locate(p));
  }
  const fixture = fixtureOf(ctx, g, yaml, p, testName, fail);
  return fixture ? { ...fixture, input: text, replaces: replaces!, isThis } : undefined;
}

/** A fixture's rows as the format says: dict mappings, csv text or a csv file, sql text or a sql file. */
/** A seed's own rows as an input's fixture (dbt's _load_rows_from_seed). */
function seedInput(ctx: ParseContext, seed: { uniqueId: string; file: string }, text: string, location: SourceLocation): UnitTestInput | undefined {
  try {
    const rows = promoteFullRow(csvRows(readProjectFile(ctx.project, seed.file), seed.file, 0));
    return { format: 'dict', rows, location, input: text, replaces: seed.uniqueId, isThis: false };
  } catch (e) {
    if (!(e instanceof ProjectError)) throw e;
    ctx.errors.push(e);
    return undefined;
  }
}

function fixtureOf(
  ctx: ParseContext,
  f: { rows?: unknown; format?: 'dict' | 'csv' | 'sql'; fixture?: string },
  yaml: YamlFile,
  p: YamlPath,
  testName: string,
  fail: (message: string, p: (string | number)[], hint?: string) => void,
): UnitTestFixture | undefined {
  const { project } = ctx;
  const rel = p.slice(2) as (string | number)[];
  const format = f.format ?? 'dict';
  const location = yaml.locate(p);
  const what = p.includes('expect') ? 'expected' : 'input';
  if (format === 'dict') {
    if (f.fixture !== undefined) {
      fail(`a fixture file is read with format csv or sql, not dict`, [...rel, 'fixture'], 'add `format: csv` (tests/fixtures/<name>.csv) or `format: sql`');
      return undefined;
    }
    const list = f.rows ?? [];
    if (!Array.isArray(list)) {
      fail(`has ${what} rows which do not match format dict`, [...rel, 'rows'], 'dict rows are a list of mappings: `- {id: 1, name: a}`');
      return undefined;
    }
    const rows: Rows = [];
    let bad = false;
    list.forEach((row, i) => {
      if (!isPlainObject(row)) {
        fail(`${what} row ${i + 1} is not a mapping of column: value`, [...rel, 'rows', i], 'write each row as `- {column: value, …}`');
        bad = true;
        return;
      }
      rows.push({ values: row, location: yaml.locate([...p, 'rows', i]) });
    });
    return bad ? undefined : { format, rows: promoteFullRow(rows), location };
  }
  let text: string;
  let file: SourceLocation;
  if (f.fixture !== undefined) {
    const ext = format === 'csv' ? '.csv' : '.sql';
    const found = project.fixtures.find((x) => x.name === f.fixture && x.file.endsWith(ext));
    if (!found) {
      fail(
        `File not found for fixture '${f.fixture}' in unit tests in ${yaml.file}`,
        [...rel, 'fixture'],
        `put it in ${project.config['test-paths'][0]}/fixtures/${f.fixture}${ext}`,
      );
      return undefined;
    }
    text = found.source;
    file = { file: found.file, line: 0 };
  } else if (typeof f.rows === 'string') {
    text = f.rows;
    file = { file: yaml.file, line: yaml.locate([...p, 'rows']).line ?? 0 };
  } else {
    fail(
      `has ${what} rows or fixtures which do not match format ${format}. Expected string.`,
      [...rel, f.rows === undefined ? 'format' : 'rows'],
      `with format ${format}, give rows as text (rows: |) or a fixture: file name`,
    );
    return undefined;
  }
  if (format === 'sql') return { format, sql: text.trim().replace(/;\s*$/, ''), location };
  try {
    return { format, rows: promoteFullRow(csvRows(text, file.file, file.line ?? 0)), location };
  } catch (e) {
    if (e instanceof ProjectError) {
      // parseCsv's line counts from the text's first line; the text starts after file.line.
      const line = e.location?.line !== undefined ? (file.line ?? 0) + leadingBlankLines(text) + e.location.line : undefined;
      const inYaml = file.file === yaml.file;
      ctx.errors.push(
        new ProjectError('project', `unit test '${testName}': ${what} csv: ${e.message}`, {
          location: { file: file.file, line },
          hint: e.hint,
          source: inYaml ? yaml.source : text,
        }),
      );
      return undefined;
    }
    throw e;
  }
}

function leadingBlankLines(text: string): number {
  return (/^(?:[ \t]*\r?\n)*/.exec(text)?.[0] ?? '').split('\n').length - 1;
}

/** CSV rows as mappings; an empty value is null, as in dbt. `offset`: the line the text starts after. */
function csvRows(text: string, file: string, offset: number): Rows {
  // Blank lines before the header (a fixture file written with a leading newline) are skipped.
  const skipped = leadingBlankLines(text);
  const lead = text.split('\n').slice(0, skipped).join('\n');
  const table = parseCsv(text.slice(skipped ? lead.length + 1 : 0).replace(/\s+$/, ''), file);
  const header = table.header.map((h) => h.trim());
  return table.rows
    .filter((r) => !(r.values.length === 1 && r.values[0] === ''))
    .map((r) => ({
      values: Object.fromEntries(header.map((h, i) => [h, r.values[i] === '' && !r.quoted[i] ? null : r.values[i]])),
      location: { file, line: offset + skipped + r.line },
    }));
}

/**
 * dbt puts the first row with no null value first (parser/unit_tests.py, _promote_first_non_none_row):
 * the expected columns are that row's keys, and warehouses type a union by its first row.
 */
function promoteFullRow(rows: Rows): Rows {
  const i = rows.findIndex((r) => Object.values(r.values).every((v) => v !== null && v !== undefined));
  if (i <= 0) return rows;
  const out = [...rows];
  [out[0], out[i]] = [out[i]!, out[0]!];
  return out;
}
