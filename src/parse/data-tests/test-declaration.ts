import { safeParseRemembered, z } from '../../core/zod.js';
import { ProjectError, type SourceLocation } from '../../core/errors.js';
import type { YamlFile, YamlPath } from '../../project/yaml-file.js';
import { didYouMean, isPlainObject } from '../../core/util.js';
import { parseThreshold } from './thresholds.js';

/** dbt's test configs: they may stand at the top level of a test entry or under `config:`. */
export const TEST_CONFIG_KEYS = [
  'severity',
  'tags',
  'enabled',
  'where',
  'limit',
  'warn_if',
  'error_if',
  'fail_calc',
  'store_failures',
  'store_failures_as',
  'meta',
  'database',
  'schema',
  'alias',
] as const;

const threshold = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  const t = parseThreshold(v);
  if (typeof t === 'string') ctx.addIssue({ code: 'custom', message: t });
});

/** A test's own config, strictly: a misspelt key is an error, not a silent default. */
export const testConfigSchema = z.strictObject({
  severity: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['error', 'warn'], { message: "must be 'error' or 'warn'" }))
    .optional(),
  tags: z.union([z.string(), z.array(z.string())]).optional(),
  enabled: z.boolean().optional(),
  where: z.string().nullish(),
  limit: z.number().int().min(0).nullish(),
  warn_if: threshold.optional(),
  error_if: threshold.optional(),
  fail_calc: z.string().min(1).optional(),
  store_failures: z.boolean().nullish(),
  // Checked when the test runs, as dbt fails that test alone (see run-data-test.ts).
  store_failures_as: z.string().nullish(),
  meta: z.record(z.string(), z.unknown()).optional(),
  database: z.string().min(1).nullish(),
  schema: z.string().min(1).nullish(),
  alias: z.string().min(1).nullish(),
});
export type TestConfig = z.infer<typeof testConfigSchema>;

/** One entry of a `data_tests:` / `tests:` list, taken apart the way dbt's TestBuilder does. */
export interface TestDeclaration {
  /** The test's name without namespace: `not_null`, `expression_is_true`. */
  name: string;
  namespace?: string;
  /** A `name:` the user gave the test instead of the generated one. */
  customName?: string;
  description?: string;
  /** Arguments for the test macro (not configs). */
  kwargs: Record<string, unknown>;
  /** Where each argument stands in the YAML, for errors about it. */
  kwargPaths: Record<string, YamlPath>;
  config: TestConfig;
  /** Configs set in this entry, each with its YAML path. */
  configPaths: Record<string, YamlPath>;
  location: SourceLocation;
  path: YamlPath;
}

const TEST_NAME = /^(?:([A-Za-z_][0-9A-Za-z_]*)\.)?([A-Za-z_][0-9A-Za-z_]*)$/;

/**
 * A config value as dbt's native rendering leaves it: dbt-core's `TestBuilder` renders each string
 * config with `get_rendered(value, render_ctx, native=True)` (core/dbt/parser/generic_test_builders.py),
 * whose result is read as a Python literal when it is one (`True`, `None`, `3`), else kept as text.
 */
export function nativeConfigValue(rendered: string): unknown {
  const t = rendered.trim();
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === 'None') return null;
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  return rendered;
}

/**
 * Parses one test entry: `not_null`, `{unique: {...}}`, `{test_name: unique, name: ..., ...}`.
 * `render` renders the Jinja in a string config (`enabled: "{{ target.type != 'spark' }}"`), as dbt
 * renders test configs when it parses them; it throws a ProjectError for a template mistake.
 */
export function parseTestEntry(entry: unknown, yaml: YamlFile, path: YamlPath, render?: (text: string) => string): TestDeclaration | ProjectError[] {
  const location = yaml.locate(path);
  const err = (message: string, at: YamlPath = path, hint?: string) =>
    new ProjectError('project', message, { location: yaml.locate(at), source: yaml.source, hint });
  let testName: string;
  let args: Record<string, unknown>;
  let argsPath: YamlPath;
  if (typeof entry === 'string') {
    testName = entry;
    args = {};
    argsPath = path;
  } else if (isPlainObject(entry)) {
    if ('test_name' in entry) {
      if (typeof entry.test_name !== 'string') return [err('test_name must be a test name such as unique', [...path, 'test_name'])];
      testName = entry.test_name;
      args = Object.fromEntries(Object.entries(entry).filter(([k]) => k !== 'test_name'));
      argsPath = path;
    } else {
      const keys = Object.keys(entry);
      if (keys.length !== 1) {
        return [
          err(
            `a test entry must have exactly one key, the test's name (found ${keys.map((k) => `'${k}'`).join(', ')})`,
            path,
            'indent the arguments under the test name, e.g. "- accepted_values:\\n    values: [a, b]"',
          ),
        ];
      }
      testName = keys[0]!;
      const inner = entry[testName];
      argsPath = [...path, testName];
      if (inner === null || inner === undefined) args = {};
      else if (isPlainObject(inner)) args = { ...inner };
      else return [err(`the arguments of test '${testName}' must be a mapping, got ${JSON.stringify(inner)}`, argsPath)];
    }
  } else {
    return [err(`a test must be a name or a mapping, got ${JSON.stringify(entry)}`)];
  }
  const m = TEST_NAME.exec(testName);
  if (!m) return [err(`'${testName}' is not a valid test name (letters, digits, underscores, optionally 'package.')`)];
  const errors: ProjectError[] = [];

  // Configs: top level or under `config:`, not both.
  const rawConfig: Record<string, unknown> = {};
  const configPaths: Record<string, YamlPath> = {};
  const nested = args.config;
  if (nested !== undefined && nested !== null && !isPlainObject(nested)) errors.push(err('config must be a mapping', [...argsPath, 'config']));
  for (const key of TEST_CONFIG_KEYS) {
    if (key in args) {
      if (isPlainObject(nested) && key in nested) errors.push(err(`'${key}' is set both at the top level of the test and under config:`, [...argsPath, key]));
      rawConfig[key] = args[key];
      configPaths[key] = [...argsPath, key];
      delete args[key];
    }
  }
  if (isPlainObject(nested)) {
    for (const [k, v] of Object.entries(nested)) {
      if (k in rawConfig) continue;
      rawConfig[k] = v;
      configPaths[k] = [...argsPath, 'config', k];
    }
  }
  delete args.config;
  if (render) {
    for (const [k, v] of Object.entries(rawConfig)) {
      if (typeof v !== 'string' || !/\{\{|\{%/.test(v)) continue;
      try {
        rawConfig[k] = nativeConfigValue(render(v));
      } catch (e) {
        if (!(e instanceof ProjectError)) throw e;
        errors.push(err(`test config '${k}': ${e.message}`, configPaths[k] ?? argsPath));
      }
    }
  }
  const parsed = safeParseRemembered(testConfigSchema, rawConfig);
  let config: TestConfig = {};
  if (parsed.success) config = parsed.data;
  else {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          errors.push(
            err(`unknown test config '${k}'`, configPaths[k] ?? argsPath, didYouMean(k, TEST_CONFIG_KEYS) ?? `test configs: ${TEST_CONFIG_KEYS.join(', ')}`),
          );
        }
        continue;
      }
      const key = String(issue.path[0] ?? '');
      errors.push(err(`test config '${key}': ${issue.message}`, configPaths[key] ?? argsPath));
    }
  }

  let customName: string | undefined;
  if ('name' in args) {
    if (typeof args.name !== 'string' || !/^[A-Za-z0-9_]+$/.test(args.name))
      errors.push(err('a test name must be letters, digits and underscores', [...argsPath, 'name']));
    else customName = args.name;
    delete args.name;
  }
  let description: string | undefined;
  if ('description' in args) {
    description = typeof args.description === 'string' ? args.description : undefined;
    delete args.description;
  }
  if ('model' in args) errors.push(err("a test cannot take an argument named 'model': the engine passes the tested model", [...argsPath, 'model']));

  // Arguments: at the top level (dbt's older form) or under `arguments:` (dbt 1.10).
  const kwargs: Record<string, unknown> = {};
  const kwargPaths: Record<string, YamlPath> = {};
  const under = args.arguments;
  delete args.arguments;
  for (const [k, v] of Object.entries(args)) {
    kwargs[k] = v;
    kwargPaths[k] = [...argsPath, k];
  }
  if (under !== undefined && under !== null) {
    if (!isPlainObject(under)) errors.push(err('arguments must be a mapping', [...argsPath, 'arguments']));
    else {
      for (const [k, v] of Object.entries(under)) {
        if (k in kwargs) errors.push(err(`argument '${k}' is given both at the top level and under arguments:`, [...argsPath, 'arguments', k]));
        kwargs[k] = v;
        kwargPaths[k] = [...argsPath, 'arguments', k];
      }
    }
  }
  for (const k of Object.keys(kwargs)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) errors.push(err(`'${k}' is not a valid argument name`, kwargPaths[k]));
  }
  if (errors.length) return errors;
  return {
    name: m[2]!,
    namespace: m[1],
    customName,
    description,
    kwargs,
    kwargPaths,
    config,
    configPaths,
    location,
    path,
  };
}
