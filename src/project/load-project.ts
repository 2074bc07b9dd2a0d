import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ProjectError, throwIfAny } from '../core/errors.js';
import { fileLister, observeWalks, stem } from './files.js';
import { validateConfigTree, type ConfigTree } from './folder-config.js';
import { issuesToErrors, projectFileSchema, propertiesFileSchema, validateYaml, type ProjectFile, type PropertiesFile } from './schemas.js';
import { parseCliVars } from './vars.js';
import { unsupportedProjectKeys, unusedPropertiesWarning } from './unsupported.js';
import { parseYaml, yamlFileOf, type YamlFile } from './yaml-file.js';
import type { FileSnapshot } from './file-snapshot.js';
import { isPlainObject } from '../core/util.js';

export interface SqlFile {
  /** Path relative to the project directory, with forward slashes. */
  file: string;
  name: string;
  source: string;
}

export interface PropertiesYaml {
  yaml: YamlFile;
  value: PropertiesFile;
}

/** Everything read from disk, validated: the only stage that reads the project's files. */
export interface Project {
  dir: string;
  /** `project.yml` or `dbt_project.yml`. */
  file: string;
  yaml: YamlFile;
  name: string;
  config: ProjectFile;
  /** Project vars with `--vars` laid over them. */
  vars: Record<string, unknown>;
  cliVars: Record<string, unknown>;
  targetDir: string;
  models: SqlFile[];
  seeds: { file: string; name: string }[];
  macroFiles: SqlFile[];
  singularTests: SqlFile[];
  docFiles: { file: string; source: string }[];
  properties: PropertiesYaml[];
  /** The .sql files under the snapshot paths (each holds `{% snapshot %}` blocks). */
  snapshotFiles: SqlFile[];
  folderConfig: { models: ConfigTree; seeds: ConfigTree; snapshots: ConfigTree; dataTests: ConfigTree; sources: ConfigTree };
  warnings: string[];
}

export interface LoadOptions {
  projectDir?: string;
  /** `--vars` text (YAML or JSON). */
  vars?: string;
  /** The parse cache's view of the files: reads through it, and reuses properties files validated by a previous run. */
  cache?: LoadCache;
}

/** A properties file as validated by an earlier run: its text, its data and the checked value. */
export interface CachedProperties {
  source: string;
  data: unknown;
  value: PropertiesFile;
}

export interface LoadCache {
  files: FileSnapshot;
  /** Properties files validated by the previous run, by path. */
  properties: ReadonlyMap<string, CachedProperties>;
  /** Filled with this run's properties files that validated without an error. */
  nextProperties: Map<string, CachedProperties>;
}

const PROJECT_FILES = ['project.yml', 'dbt_project.yml'] as const;

export function findProjectFile(dir: string): string | undefined {
  return PROJECT_FILES.find((f) => existsSync(path.join(dir, f)));
}

/** The target folder a project writes to (its `target-path`), read without validating the project; 'target' when it cannot be read. */
export function projectTargetDir(projectDir: string): string {
  const dir = path.resolve(projectDir);
  const file = findProjectFile(dir);
  let targetPath: unknown;
  try {
    if (file) targetPath = (parseYaml(file, readFileSync(path.join(dir, file), 'utf8')).data as Record<string, unknown> | null)?.['target-path'];
  } catch {
    // loadProject reports it.
  }
  return path.resolve(dir, typeof targetPath === 'string' && targetPath ? targetPath : 'target');
}

export function loadProject(opts: LoadOptions = {}): Project {
  return observeWalks(opts.cache?.files, () => loadFiles(opts));
}

function loadFiles(opts: LoadOptions): Project {
  const dir = path.resolve(opts.projectDir ?? process.cwd());
  const file = findProjectFile(dir);
  if (!file) {
    throw new ProjectError('project', `no project.yml (or dbt_project.yml) in ${dir}`, {
      hint: 'run the command inside a project folder, or pass --project-dir <folder>',
    });
  }
  const cache = opts.cache;
  const read = cache ? (rel: string) => cache.files.read(rel) : (rel: string) => readFileSync(path.join(dir, rel), 'utf8');
  const yaml = parseYaml(file, read(file));
  const warnings: string[] = [];
  let data = yaml.data ?? {};
  const isDbt = file === 'dbt_project.yml';
  if (isPlainObject(data) && file === 'dbt_project.yml') {
    // dbt before 1.0 named two paths differently; older classic projects still carry those names.
    const keys: Record<string, unknown> = data;
    for (const [old, now] of [
      ['source-paths', 'model-paths'],
      ['data-paths', 'seed-paths'],
    ] as const) {
      if (old in keys && !(now in keys)) {
        keys[now] = keys[old];
        delete keys[old];
      }
    }
  }
  if (isPlainObject(data)) {
    // Say once which keys cannot be honoured; a dbt project's unknown keys are dropped, not errors.
    const warning = unsupportedProjectKeys(file, data, dir);
    if (warning) warnings.push(warning);
    if (isDbt) {
      const known = new Set(Object.keys(projectFileSchema.shape));
      data = Object.fromEntries(Object.entries(data).filter(([k]) => known.has(k)));
    }
  }
  const parsed = projectFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throwIfAny(issuesToErrors(parsed.error.issues, yaml));
  const config = parsed.data as ProjectFile;
  const name = config.name;

  const errors: ProjectError[] = [];
  const cliVars = parseCliVars(opts.vars);

  const listFiles = fileLister(dir);
  const models = readSqlFiles(read, config['model-paths'], listFiles);
  const macroFiles = readSqlFiles(read, config['macro-paths'], listFiles);
  const testSql = readSqlFiles(read, config['test-paths'], listFiles);
  // Custom generic tests may live in tests/generic/: they are macros, not singular tests.
  const singularTests = testSql.filter((t) => !isGenericTestFile(t.source));
  macroFiles.push(...testSql.filter((t) => isGenericTestFile(t.source)));

  const seeds = config['seed-paths'].flatMap((p) => listFiles(p, ['.csv'])).map((f) => ({ file: f, name: stem(f) }));

  const snapshotPaths = config['snapshot-paths'] ?? ['snapshots'];
  const yamlPaths = [...new Set([...config['model-paths'], ...config['seed-paths'], ...config['test-paths'], ...config['macro-paths'], ...snapshotPaths])];
  const properties: PropertiesYaml[] = [];
  for (const p of yamlPaths) {
    for (const f of listFiles(p, ['.yml', '.yaml'])) {
      try {
        const source = read(f);
        const hit = cache?.properties.get(f);
        if (hit && hit.source === source) {
          properties.push({ yaml: yamlFileOf(f, source, hit.data), value: hit.value });
          cache!.nextProperties.set(f, hit);
          continue;
        }
        const y = parseYaml(f, source);
        if (y.data === null) continue;
        const r = validateYaml(propertiesFileSchema, y);
        if (r.value) properties.push({ yaml: y, value: r.value });
        if (r.value && !r.errors.length) cache?.nextProperties.set(f, { source, data: y.data, value: r.value });
        errors.push(...r.errors);
      } catch (e) {
        if (e instanceof ProjectError) errors.push(e);
        else throw e;
      }
    }
  }
  const unused = unusedPropertiesWarning(properties.map((p) => ({ file: p.yaml.file, data: p.yaml.data })));
  if (unused) warnings.push(unused);
  const docFiles = [...new Set([...config['model-paths'], ...(config['docs-paths'] ?? [])])]
    .flatMap((p) => listFiles(p, ['.md']))
    .map((f) => ({ file: f, source: read(f) }));

  const snapshotFiles = readSqlFiles(read, snapshotPaths, listFiles);

  checkDuplicates(models, 'model', errors);
  checkDuplicates(seeds, 'seed', errors);
  for (const s of seeds) {
    const m = models.find((x) => x.name === s.name);
    if (m) errors.push(new ProjectError('project', `seed '${s.name}' (${s.file}) has the same name as model ${m.file}`, { location: { file: s.file } }));
  }

  const folderConfig = {
    models: (config.models ?? {}) as ConfigTree,
    seeds: (config.seeds ?? {}) as ConfigTree,
    snapshots: (config.snapshots ?? {}) as ConfigTree,
    dataTests: (config.data_tests ?? config.tests ?? {}) as ConfigTree,
    sources: (config.sources ?? {}) as ConfigTree,
  };
  errors.push(...validateConfigTree(folderConfig.models, 'models', name, yaml, [], isDbt));
  errors.push(...validateConfigTree(folderConfig.seeds, 'seeds', name, yaml, [], isDbt));
  errors.push(...validateConfigTree(folderConfig.snapshots, 'snapshots', name, yaml, [], isDbt));
  errors.push(...validateConfigTree(folderConfig.dataTests, config.data_tests ? 'data_tests' : 'tests', name, yaml, [], isDbt));
  throwIfAny(errors);

  return {
    dir,
    file,
    yaml,
    name,
    config,
    // As dbt: vars under the project's own name are scoped to it and override the global ones.
    vars: { ...config.vars, ...(isPlainObject(config.vars?.[name]) ? config.vars[name] : {}), ...cliVars },
    cliVars,
    targetDir: path.resolve(dir, config['target-path']),
    models,
    seeds,
    macroFiles,
    singularTests,
    docFiles,
    properties,
    snapshotFiles,
    folderConfig,
    warnings,
  };
}

function readSqlFiles(read: (rel: string) => string, paths: readonly string[], listFiles: ReturnType<typeof fileLister>): SqlFile[] {
  return paths.flatMap((p) => listFiles(p, ['.sql'])).map((f) => ({ file: f, name: stem(f), source: read(f) }));
}

function isGenericTestFile(source: string): boolean {
  return /\{%-?\s*test\s+\w+\s*\(/.test(source);
}

function checkDuplicates(items: { file: string; name: string }[], what: string, errors: ProjectError[]): void {
  const seen = new Map<string, string>();
  for (const it of items) {
    const prev = seen.get(it.name);
    if (prev) {
      errors.push(
        new ProjectError('project', `two ${what}s are named '${it.name}': ${prev} and ${it.file}`, {
          location: { file: it.file },
          hint: `${what} names must be unique in a project; rename one of the files`,
        }),
      );
    } else seen.set(it.name, it.file);
  }
}
