import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ProjectError, ProjectErrors, throwIfAny } from '../core/errors.js';
import { DBT_COMPAT_VERSION, parseVersion, rangeOf, satisfies } from './dbt-version.js';
import { fileLister, noteFolder, observeWalks, stem, toPosix } from './files.js';
import { packagesHash, PACKAGE_LOCK_FILE, readPackageLock, readPackagesFile } from './packages-file.js';
import { configFromTree, mergeConfig, validateConfigTree, type ConfigTree } from './folder-config.js';
import { issuesToErrors, projectFileSchema, propertiesFileSchema, validateYaml, type NodeConfig, type ProjectFile, type PropertiesFile } from './schemas.js';
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
  /** Unit test fixture files (`<test-path>/fixtures/**.csv|.sql`), by their stem: dbt's `fixture:` names them. */
  fixtures: SqlFile[];
  docFiles: { file: string; source: string }[];
  properties: PropertiesYaml[];
  /** The .sql files under the snapshot paths (each holds `{% snapshot %}` blocks). */
  snapshotFiles: SqlFile[];
  folderConfig: { models: ConfigTree; seeds: ConfigTree; snapshots: ConfigTree; dataTests: ConfigTree; sources: ConfigTree };
  warnings: string[];
  /**
   * What file paths start with: '' for the root project; for an installed package, its folder
   * relative to the root project (`dbt_packages/dbt_utils/`), so every path reads from the root's `dir`.
   */
  pathPrefix: string;
  /** The installed packages (dbt_packages/), each loaded as a project; none inside a package. */
  packages: Project[];
  /** For a package: the root project's folder configs, laid over its own. */
  rootFolderConfig?: Project['folderConfig'];
  /** The folder configs as the project file writes them, when rendering their Jinja changed them (dbt's unrendered_config). */
  unrenderedFolderConfig?: Project['folderConfig'];
}

export interface LoadOptions {
  projectDir?: string;
  /** `--vars` text (YAML or JSON). */
  vars?: string;
  /** Leave the installed packages unread (`model deps`, which replaces them). */
  skipPackages?: boolean;
  /** The parse cache's view of the files: reads through it, and reuses properties files validated by a previous run. */
  cache?: LoadCache;
  /**
   * Read only these model files (paths relative to the root project), and no properties or docs
   * files: the project of a one-model patch (tasks/compile-patch.ts), which knows the rest from the
   * compile it patches. Macros, tests, seeds and packages are read as usual.
   */
  onlyModels?: ReadonlySet<string>;
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

/** A package read as part of a root project: where it is, and the root's vars that reach it. */
export interface PackageLoad {
  rootDir: string;
  /** The package folder relative to the root project, with a trailing slash. */
  prefix: string;
  rootConfig: ProjectFile;
  cliVars: Record<string, unknown>;
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
  return observeWalks(opts.cache?.files, () => loadProjectAt(path.resolve(opts.projectDir ?? process.cwd()), opts));
}

/** Loads the project in `dir`; with `pkg`, as a package of another project (paths relative to the root). */
export function loadProjectAt(dir: string, opts: LoadOptions, pkg?: PackageLoad): Project {
  const prefix = pkg?.prefix ?? '';
  const rootDir = pkg?.rootDir ?? dir;
  const file = findProjectFile(dir);
  if (!file) {
    throw new ProjectError('project', `no project.yml (or dbt_project.yml) in ${dir}`, {
      hint: 'run the command inside a project folder, or pass --project-dir <folder>',
    });
  }
  const cache = opts.cache;
  // Paths relative to the root project (a package's carry its folder in front).
  const read = cache ? (rel: string) => cache.files.read(rel) : (rel: string) => readFileSync(path.join(rootDir, rel), 'utf8');
  const yaml = parseYaml(prefix + file, read(prefix + file));
  const warnings: string[] = [];
  let data = yaml.data ?? {};
  const isDbt = file === 'dbt_project.yml';
  if (pkg && !isDbt) throw new ProjectError('project', `${prefix}: a package needs a dbt_project.yml`, { location: { file: prefix + file } });
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
    const warning = unsupportedProjectKeys(prefix + file, data, dir, !pkg);
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
  const cliVars = pkg ? pkg.cliVars : parseCliVars(opts.vars);
  errors.push(...checkRequiredDbtVersion(config['require-dbt-version'], yaml));
  const packages = pkg || opts.skipPackages ? [] : loadInstalledPackages(dir, config, cliVars, warnings, cache, opts.onlyModels);
  const packageNames = packages.map((p) => p.name);

  const listFiles = prefixedLister(fileLister(dir), prefix);
  const only = opts.onlyModels;
  const modelList: typeof listFiles = only ? (p, exts) => listFiles(p, exts).filter((f) => only.has(f)) : listFiles;
  const models = readSqlFiles(read, config['model-paths'], modelList);
  const macroFiles = readSqlFiles(read, config['macro-paths'], listFiles);
  const fixtureDirs = config['test-paths'].map((p) => `${prefix}${p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '')}/fixtures/`);
  const isFixture = (f: string) => fixtureDirs.some((d) => f.startsWith(d));
  // Unit test fixtures under tests/fixtures/ are data, not singular tests (as in dbt).
  const testSql = readSqlFiles(read, config['test-paths'], listFiles).filter((t) => !isFixture(t.file));
  // Custom generic tests may live in tests/generic/: they are macros, not singular tests.
  const singularTests = testSql.filter((t) => !isGenericTestFile(t.source));
  macroFiles.push(...testSql.filter((t) => isGenericTestFile(t.source)));
  const fixtures = config['test-paths']
    .flatMap((p) => listFiles(p, ['.csv', '.sql']))
    .filter(isFixture)
    .map((f) => ({ file: f, name: stem(f), source: read(f) }));

  const seeds = config['seed-paths'].flatMap((p) => listFiles(p, ['.csv'])).map((f) => ({ file: f, name: stem(f) }));

  const snapshotPaths = snapshotPathsOf(config);
  const yamlPaths = [...new Set([...config['model-paths'], ...config['seed-paths'], ...config['test-paths'], ...config['macro-paths'], ...snapshotPaths])];
  const properties: PropertiesYaml[] = [];
  for (const p of only ? [] : yamlPaths) {
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
  // dbt's docs-paths: when not set, every folder of models, seeds, tests, macros, snapshots and analyses.
  const docsPaths = config['docs-paths'] ?? [
    ...config['model-paths'],
    ...config['seed-paths'],
    ...config['test-paths'],
    ...config['macro-paths'],
    ...snapshotPathsOf(config),
    ...(config['analysis-paths'] ?? ['analyses']),
  ];
  const docFiles = [...new Set(only ? [] : docsPaths)].flatMap((p) => listFiles(p, ['.md'])).map((f) => ({ file: f, source: read(f) }));

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
  const owners = [name, ...packageNames];
  errors.push(...validateConfigTree(folderConfig.models, 'models', owners, yaml, [], isDbt));
  errors.push(...validateConfigTree(folderConfig.seeds, 'seeds', owners, yaml, [], isDbt));
  errors.push(...validateConfigTree(folderConfig.snapshots, 'snapshots', owners, yaml, [], isDbt));
  errors.push(...validateConfigTree(folderConfig.dataTests, config.data_tests ? 'data_tests' : 'tests', owners, yaml, [], isDbt));
  throwIfAny(errors);

  return {
    dir: rootDir,
    file: prefix + file,
    yaml,
    name,
    config,
    vars: pkg ? packageVars(name, config.vars, pkg.rootConfig.vars, cliVars) : scopedVars(name, config.vars, cliVars),
    cliVars,
    targetDir: path.resolve(dir, config['target-path']),
    models,
    seeds,
    macroFiles,
    singularTests,
    fixtures,
    docFiles,
    properties,
    snapshotFiles,
    folderConfig,
    warnings,
    pathPrefix: prefix,
    packages,
  };
}

/** A file's path inside its own project: a package's files lose the package folder in front. */
export function inProject(project: Project, file: string): string {
  return project.pathPrefix && file.startsWith(project.pathPrefix) ? file.slice(project.pathPrefix.length) : file;
}

/**
 * A node's config from the project files: its own project's folder config, and for a package's
 * node the root project's over it (dbt applies the root's `models: {package: …}` last).
 */
export function folderConfigFor(project: Project, section: keyof Project['folderConfig'], fqn: readonly string[]): NodeConfig {
  const own = configFromTree(project.folderConfig[section], fqn);
  return project.rootFolderConfig ? mergeConfig(own, configFromTree(project.rootFolderConfig[section], fqn)) : own;
}

/** As dbt: vars under a project's own name are scoped to it and override the global ones. */
function scopedVars(name: string, vars: Record<string, unknown>, cliVars: Record<string, unknown>): Record<string, unknown> {
  return { ...vars, ...(isPlainObject(vars[name]) ? vars[name] : {}), ...cliVars };
}

/** A package's vars: its own dbt_project.yml's, under the root project's (global, then scoped to the package), under --vars. */
function packageVars(name: string, own: Record<string, unknown>, root: Record<string, unknown>, cliVars: Record<string, unknown>): Record<string, unknown> {
  return {
    ...own,
    ...(isPlainObject(own[name]) ? own[name] : {}),
    ...root,
    ...(isPlainObject(root[name]) ? root[name] : {}),
    ...cliVars,
  };
}

function prefixedLister(list: ReturnType<typeof fileLister>, prefix: string): ReturnType<typeof fileLister> {
  return prefix ? (p, exts) => list(p, exts).map((f) => prefix + f) : list;
}

/** Where packages are installed (`packages-install-path`, default dbt_packages/). */
export function packagesInstallPath(config: ProjectFile): string {
  return config['packages-install-path'] ?? 'dbt_packages';
}

/**
 * Every package installed under the install path, each loaded as a project. As dbt, a package
 * listed in the lock (or packages.yml) but not installed is an error that says to run deps.
 */
function loadInstalledPackages(
  dir: string,
  config: ProjectFile,
  cliVars: Record<string, unknown>,
  warnings: string[],
  cache: LoadCache | undefined,
  onlyModels: ReadonlySet<string> | undefined,
): Project[] {
  const install = packagesInstallPath(config);
  const abs = path.join(dir, install);
  // Which packages are installed is an input of the run, as a folder's files are.
  noteFolder(abs);
  const listed = readPackagesFile(dir);
  const folders = existsSync(abs)
    ? readdirSync(abs, { withFileTypes: true })
        .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && existsSync(path.join(abs, e.name, 'dbt_project.yml')))
        .map((e) => e.name)
        .sort()
    : [];
  if (listed?.specs.length) {
    const lock = readPackageLock(dir);
    const expected = lock?.packages.map((p) => p.name) ?? [];
    const missing = expected.filter((n) => !folders.includes(n));
    if ((lock && missing.length) || (!lock && folders.length < listed.specs.length)) {
      throw new ProjectError(
        'project',
        `${listed.file} lists ${listed.specs.length} package(s), but ${missing.length ? `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed` : `only ${folders.length} ${folders.length === 1 ? 'is' : 'are'} installed`} in ${install}/`,
        {
          location: { file: listed.file },
          hint: 'run model deps to install them',
        },
      );
    }
    if (lock && lock.sha1_hash !== packagesHash(listed.specs))
      warnings.push(`${listed.file} changed since ${PACKAGE_LOCK_FILE} was written: run model deps to install what it lists now`);
  }
  const errors: ProjectError[] = [];
  const out: Project[] = [];
  for (const name of folders) {
    try {
      out.push(
        loadProjectAt(
          path.join(abs, name),
          { cache, onlyModels },
          { rootDir: dir, prefix: `${toPosix(install).replace(/\/$/, '')}/${name}/`, rootConfig: config, cliVars },
        ),
      );
    } catch (e) {
      if (e instanceof ProjectError) errors.push(e);
      else if (e instanceof ProjectErrors) errors.push(...e.errors);
      else throw e;
    }
  }
  throwIfAny(errors);
  for (const p of out) warnings.push(...p.warnings);
  return out;
}

/** `require-dbt-version`, checked against the dbt version this engine follows, as dbt checks it at load. */
function checkRequiredDbtVersion(value: unknown, yaml: YamlFile): ProjectError[] {
  if (value === undefined || value === null) return [];
  const specs =
    typeof value === 'string' || typeof value === 'number' || Array.isArray(value) ? rangeOf(value as string | string[]) : { specs: [], bad: String(value) };
  if (specs.bad !== undefined) {
    return [
      new ProjectError('project', `require-dbt-version: '${specs.bad}' is not a version or range`, {
        location: yaml.locate(['require-dbt-version']),
        source: yaml.source,
        hint: 'e.g. require-dbt-version: [">=1.3.0", "<2.0.0"]',
      }),
    ];
  }
  if (satisfies(parseVersion(DBT_COMPAT_VERSION)!, specs.specs)) return [];
  return [
    new ProjectError('project', `require-dbt-version ${JSON.stringify(value)} excludes dbt ${DBT_COMPAT_VERSION}, the version this engine follows`, {
      location: yaml.locate(['require-dbt-version']),
      source: yaml.source,
      hint: 'use a version of this project (or package) made for dbt 1.x, or widen the range',
    }),
  ];
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

function snapshotPathsOf(config: { 'snapshot-paths'?: string[] }): string[] {
  return config['snapshot-paths'] ?? ['snapshots'];
}
