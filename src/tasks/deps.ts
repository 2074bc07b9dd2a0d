/**
 * `model deps`: resolves the project's packages (packages.yml or dependencies.yml, with their own
 * dependencies) and installs them under `packages-install-path`, as dbt-core's `deps` task does
 * (core/dbt/task/deps.py, core/dbt/deps/): local packages linked, git packages through the `git`
 * command line, hub packages from the hub's JSON API (`DBT_PACKAGE_HUB_URL`, as dbt) as tarballs
 * whose sha1 is checked. `package-lock.yml` pins what was resolved; a later run installs from it
 * while its `sha1_hash` still matches the package list.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ProjectError } from '../core/errors.js';
import { isSecretName, redact, registerSecret } from '../core/secrets.js';
import { isPlainObject } from '../core/util.js';
import { newestInRange, rangeOf, formatSpecifier, type VersionSpecifier } from '../project/dbt-version.js';
import { findProjectFile } from '../project/load-project.js';
import {
  formatPackageLock,
  packagesHash,
  PACKAGE_LOCK_FILE,
  packageSpecSchema,
  readPackageLock,
  readPackagesFile,
  type LockedPackage,
  type PackageSpec,
} from '../project/packages-file.js';
import { parseYaml } from '../project/yaml-file.js';

const run = promisify(execFile);

export const DEFAULT_HUB_URL = 'https://hub.getdbt.com/';

export interface DepsOptions {
  projectDir?: string;
  /** Resolve again and rewrite package-lock.yml, even when it matches the package list. */
  upgrade?: boolean;
  /** Only write package-lock.yml; install nothing. */
  lockOnly?: boolean;
  /** The hub's base URL; default `DBT_PACKAGE_HUB_URL`, else hub.getdbt.com. */
  hubUrl?: string;
  log?: (msg: string) => void;
  warn?: (msg: string) => void;
}

export interface DepsResult {
  installPath: string;
  installed: { name: string; source: 'local' | 'git' | 'hub'; version: string }[];
  lockWritten: boolean;
}

type Unpinned =
  | { kind: 'local'; key: string; path: string }
  | { kind: 'git'; key: string; url: string; revisions: string[]; warnUnpinned: boolean; subdirectory?: string }
  | { kind: 'hub'; key: string; package: string; specs: VersionSpecifier[]; prerelease: boolean };

interface HubVersion {
  name: string;
  packages: unknown[];
  downloads: { tarball: string; sha1?: string };
}

export async function installDeps(opts: DepsOptions = {}): Promise<DepsResult> {
  const dir = path.resolve(opts.projectDir ?? process.cwd());
  const projectFile = findProjectFile(dir);
  if (!projectFile) {
    throw new ProjectError('project', `no project.yml (or dbt_project.yml) in ${dir}`, {
      hint: 'run model deps inside a project folder, or pass --project-dir',
    });
  }
  const log = opts.log ?? (() => {});
  const warn = opts.warn ?? log;
  const installPath = path.resolve(dir, installPathOf(dir, projectFile));
  const hub = new HubClient(opts.hubUrl ?? process.env.DBT_PACKAGE_HUB_URL ?? DEFAULT_HUB_URL);
  const listed = readPackagesFile(dir);
  const specs = listed?.specs ?? [];
  if (!specs.length) {
    log('No packages to install (no packages.yml or dependencies.yml, or an empty list).');
    return { installPath, installed: [], lockWritten: false };
  }
  const hash = packagesHash(specs);
  const downloads = mkdtempSync(path.join(os.tmpdir(), 'model-deps-'));
  try {
    const git = new GitCheckouts(downloads);
    let lock = readPackageLock(dir);
    let lockWritten = false;
    if (!lock || opts.upgrade || lock.sha1_hash !== hash) {
      const pinned = await resolvePackages(specs, { dir, hub, git, warn });
      lock = { packages: pinned, sha1_hash: hash };
      writeFileSync(path.join(dir, PACKAGE_LOCK_FILE), formatPackageLock(lock));
      lockWritten = true;
      log(`Wrote ${PACKAGE_LOCK_FILE} (${pinned.length} package${pinned.length === 1 ? '' : 's'}).`);
    }
    if (opts.lockOnly) return { installPath, installed: [], lockWritten };

    // As dbt, the install folder is rebuilt from the lock each time; every package is staged first,
    // so a failed download leaves the packages installed before in place.
    const staged = path.join(downloads, 'staged');
    mkdirSync(staged);
    const installed: DepsResult['installed'] = [];
    for (const p of lock.packages) {
      const dest = path.join(staged, p.name);
      if ('local' in p) {
        const from = path.resolve(dir, p.local);
        if (!existsSync(path.join(from, 'dbt_project.yml'))) throw packageError(p.local, `no dbt_project.yml in ${from}`);
        linkOrCopy(from, dest);
        installed.push({ name: p.name, source: 'local', version: 'local' });
      } else if ('git' in p) {
        const checkout = await git.checkout(p.git, p.revision);
        const from = p.subdirectory ? path.join(checkout, p.subdirectory) : checkout;
        if (!existsSync(path.join(from, 'dbt_project.yml')))
          throw packageError(p.git, `no dbt_project.yml in ${p.subdirectory ? `its subdirectory '${p.subdirectory}'` : 'the repository'}`);
        cpSync(from, dest, { recursive: true, filter: (src) => path.basename(src) !== '.git' });
        installed.push({ name: p.name, source: 'git', version: p.revision });
      } else {
        const meta = await hub.version(p.package, p.version);
        await downloadTarball(p.package, meta.downloads, dest, downloads);
        installed.push({ name: p.name, source: 'hub', version: p.version });
      }
    }
    rmSync(installPath, { recursive: true, force: true });
    mkdirSync(path.dirname(installPath), { recursive: true });
    try {
      renameSync(staged, installPath);
    } catch {
      cpSync(staged, installPath, { recursive: true, verbatimSymlinks: true });
    }
    for (const p of installed) log(`Installed ${p.name} (${p.source === 'local' ? 'local' : `${p.source} ${p.version}`})`);
    return { installPath, installed, lockWritten };
  } finally {
    rmSync(downloads, { recursive: true, force: true });
  }
}

function installPathOf(dir: string, projectFile: string): string {
  const y = parseYaml(projectFile, readFileSync(path.join(dir, projectFile), 'utf8'));
  const v = isPlainObject(y.data) ? y.data['packages-install-path'] : undefined;
  return typeof v === 'string' && v ? v : 'dbt_packages';
}

function packageError(name: string, why: string, hint?: string): ProjectError {
  return new ProjectError('project', `package '${redact(name)}': ${why}`, { hint });
}

/** dbt renders packages.yml with env_var() (git URLs carry tokens that way); a value read so is a secret. */
function renderEnv(text: string): string {
  return text.replace(/\{\{\s*env_var\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]*)['"]\s*)?\)\s*\}\}/g, (_m, name: string, fallback?: string) => {
    const v = process.env[name] ?? fallback;
    if (v === undefined) throw new ProjectError('project', `packages: environment variable '${name}' is not set and has no default`);
    if (isSecretName(name)) registerSecret(v);
    return v;
  });
}

function toUnpinned(spec: PackageSpec, base: string): Unpinned {
  if ('local' in spec) {
    const abs = path.resolve(base, spec.local);
    return { kind: 'local', key: `local:${abs}`, path: abs };
  }
  if ('git' in spec) {
    const url = renderEnv(spec.git);
    const rev = spec.revision === undefined ? [] : [String(spec.revision)];
    return {
      kind: 'git',
      key: `git:${url.replace(/\.git$/, '')}`,
      url,
      revisions: rev,
      warnUnpinned: spec['warn-unpinned'] !== false,
      subdirectory: spec.subdirectory,
    };
  }
  const r = rangeOf(spec.version);
  if (r.bad !== undefined)
    throw packageError(spec.package, `version '${r.bad}' is not a version or range`, 'e.g. version: [">=1.0.0", "<2.0.0"] or version: 1.1.1');
  return { kind: 'hub', key: `hub:${spec.package}`, package: spec.package, specs: r.specs, prerelease: spec['install-prerelease'] === true };
}

/** Adds a requirement to what is known of the same package (dbt's `incorporate`): ranges and revisions add up. */
function incorporate(final: Map<string, Unpinned>, u: Unpinned): void {
  const prev = final.get(u.key);
  if (!prev) {
    final.set(u.key, u);
    return;
  }
  if (prev.kind === 'hub' && u.kind === 'hub') final.set(u.key, { ...prev, specs: [...prev.specs, ...u.specs], prerelease: prev.prerelease || u.prerelease });
  else if (prev.kind === 'git' && u.kind === 'git')
    final.set(u.key, { ...prev, revisions: [...new Set([...prev.revisions, ...u.revisions])], warnUnpinned: prev.warnUnpinned && u.warnUnpinned });
}

interface ResolveContext {
  dir: string;
  hub: HubClient;
  git: GitCheckouts;
  warn: (msg: string) => void;
}

/** dbt's resolver (core/dbt/deps/resolver.py): resolve, read each package's own dependencies, repeat until none are new. */
async function resolvePackages(specs: readonly PackageSpec[], ctx: ResolveContext): Promise<LockedPackage[]> {
  const final = new Map<string, Unpinned>();
  let pending = specs.map((s) => toUnpinned(s, ctx.dir));
  const seen = new Set<string>();
  while (pending.length) {
    const next: Unpinned[] = [];
    for (const u of pending) {
      incorporate(final, u);
      const pinned = await pin(final.get(u.key)!, ctx);
      const signature = JSON.stringify(pinned.locked);
      if (seen.has(signature)) continue;
      seen.add(signature);
      next.push(...pinned.dependencies.map((d) => toUnpinned(d, ctx.dir)));
    }
    pending = next;
  }
  const out: LockedPackage[] = [];
  const names = new Map<string, string>();
  for (const u of final.values()) {
    const { locked } = await pin(u, ctx);
    const prev = names.get(locked.name);
    if (prev) throw packageError(u.key.replace(/^\w+:/, ''), `installs as '${locked.name}', as ${prev} does`, 'two packages cannot share a project name');
    names.set(locked.name, u.key.replace(/^\w+:/, ''));
    out.push(locked);
  }
  return out;
}

async function pin(u: Unpinned, ctx: ResolveContext): Promise<{ locked: LockedPackage; dependencies: PackageSpec[] }> {
  if (u.kind === 'local') {
    if (!existsSync(path.join(u.path, 'dbt_project.yml'))) throw packageError(path.relative(ctx.dir, u.path) || u.path, `no dbt_project.yml in ${u.path}`);
    return {
      locked: { local: path.relative(ctx.dir, u.path) || '.', name: projectNameAt(u.path, u.path) },
      dependencies: ownDependencies(u.path),
    };
  }
  if (u.kind === 'git') {
    if (u.revisions.length > 1) throw packageError(u.url, `git dependencies must name one revision; asked for ${u.revisions.join(', ')}`);
    const revision = u.revisions[0] ?? 'HEAD';
    if (u.warnUnpinned && (revision === 'HEAD' || revision === 'main' || revision === 'master')) {
      ctx.warn(
        `The git package "${redact(u.url)}" is ${revision === 'HEAD' ? 'not pinned, using HEAD (default branch)' : `pinned to the "${revision}" branch`}: ` +
          'this can bring breaking changes without warning (pin a tag or commit with revision:, or set warn-unpinned: false)',
      );
    }
    const checkout = await ctx.git.checkout(u.url, revision);
    const root = u.subdirectory ? path.join(checkout, u.subdirectory) : checkout;
    if (!existsSync(path.join(root, 'dbt_project.yml'))) {
      throw packageError(u.url, `no dbt_project.yml in ${u.subdirectory ? `its subdirectory '${u.subdirectory}'` : 'the repository'} at revision ${revision}`);
    }
    const locked: LockedPackage = { git: u.url, revision, ...(u.subdirectory ? { subdirectory: u.subdirectory } : {}), name: projectNameAt(root, u.url) };
    return { locked, dependencies: ownDependencies(root) };
  }
  const versions = await ctx.hub.versions(u.package);
  const chosen = newestInRange(Object.keys(versions), u.specs, u.prerelease);
  if (!chosen) {
    const range = u.specs.map(formatSpecifier).join(', ');
    throw packageError(u.package, `no version satisfies ${range}`, `available: ${Object.keys(versions).join(', ') || 'none'}`);
  }
  const meta = versions[chosen]!;
  const deps = (meta.packages ?? []).flatMap((d) => {
    const r = packageSpecSchema.safeParse(d);
    return r.success ? [r.data] : [];
  });
  return { locked: { package: u.package, version: chosen, name: meta.name }, dependencies: deps };
}

function projectNameAt(dir: string, label: string): string {
  const y = parseYaml('dbt_project.yml', readFileSync(path.join(dir, 'dbt_project.yml'), 'utf8'));
  const name = isPlainObject(y.data) ? y.data.name : undefined;
  if (typeof name !== 'string' || !name) throw packageError(label, "its dbt_project.yml has no 'name:'");
  return name;
}

function ownDependencies(dir: string): PackageSpec[] {
  const listed = readPackagesFile(dir);
  if (!listed) return [];
  // A package's local dependencies are relative to that package.
  return listed.specs.map((s) => ('local' in s ? { ...s, local: path.resolve(dir, s.local) } : s));
}

function linkOrCopy(from: string, dest: string): void {
  try {
    symlinkSync(from, dest, 'dir');
  } catch {
    cpSync(from, dest, { recursive: true });
  }
}

/** Clones of git packages in the downloads folder, one per URL and revision. */
class GitCheckouts {
  private readonly done = new Map<string, string>();
  constructor(private readonly downloads: string) {}

  async checkout(url: string, revision: string): Promise<string> {
    const key = `${url}#${revision}`;
    const have = this.done.get(key);
    if (have) return have;
    const dest = path.join(this.downloads, `git-${createHash('md5').update(key).digest('hex')}`);
    const git = async (args: string[], cwd?: string) => {
      try {
        await run('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 16 * 1024 * 1024 });
      } catch (e) {
        const err = e as { code?: string; stderr?: string; message: string };
        if (err.code === 'ENOENT') throw packageError(url, 'the git command is not installed', 'install git, which dbt packages from git: need');
        const detail = redact((err.stderr ?? err.message).trim().split('\n').slice(-2).join(' '));
        throw packageError(url, `git ${args[0]} failed: ${detail}`);
      }
    };
    if (revision === 'HEAD') {
      await git(['clone', '--quiet', '--depth', '1', url, dest]);
    } else {
      try {
        // A tag or branch: a shallow clone of just it.
        await git(['clone', '--quiet', '--depth', '1', '--branch', revision, url, dest]);
      } catch {
        // A commit: the whole history, then check it out.
        rmSync(dest, { recursive: true, force: true });
        await git(['clone', '--quiet', url, dest]);
        try {
          await git(['checkout', '--quiet', revision], dest);
        } catch {
          throw packageError(url, `revision '${revision}' is neither a branch, a tag nor a commit of the repository`);
        }
      }
    }
    this.done.set(key, dest);
    return dest;
  }
}

/** The hub's JSON API (dbt-core core/dbt/clients/registry.py): `api/v1/<namespace>/<name>.json`. */
class HubClient {
  private readonly cache = new Map<string, Record<string, HubVersion>>();
  constructor(private readonly base: string) {}

  async versions(pkg: string): Promise<Record<string, HubVersion>> {
    const have = this.cache.get(pkg);
    if (have) return have;
    const url = `${this.base.replace(/\/?$/, '/')}api/v1/${pkg}.json`;
    const res = await fetchOrFail(pkg, url, 'the package hub');
    if (res.status === 404) {
      throw packageError(pkg, `not found on the package hub (${this.base})`, 'check the name on hub.getdbt.com: <namespace>/<name>, e.g. dbt-labs/dbt_utils');
    }
    if (!res.ok) throw packageError(pkg, `the package hub answered ${res.status} for ${url}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw packageError(pkg, `the package hub's answer for ${url} is not JSON`);
    }
    if (!isPlainObject(body) || !isPlainObject(body.versions)) throw packageError(pkg, `the package hub's answer for ${url} has no 'versions'`);
    const versions: Record<string, HubVersion> = {};
    for (const [v, meta] of Object.entries(body.versions)) {
      if (!isPlainObject(meta) || !isPlainObject(meta.downloads) || typeof meta.downloads.tarball !== 'string') continue;
      versions[v] = {
        name: typeof meta.name === 'string' ? meta.name : pkg.split('/')[1]!,
        packages: Array.isArray(meta.packages) ? meta.packages : [],
        downloads: { tarball: meta.downloads.tarball, sha1: typeof meta.downloads.sha1 === 'string' ? meta.downloads.sha1 : undefined },
      };
    }
    this.cache.set(pkg, versions);
    return versions;
  }

  async version(pkg: string, version: string): Promise<HubVersion> {
    const meta = (await this.versions(pkg))[version];
    if (!meta) throw packageError(pkg, `version ${version} (from ${PACKAGE_LOCK_FILE}) is not on the package hub`, 'run model deps --upgrade to resolve again');
    return meta;
  }
}

async function fetchOrFail(pkg: string, url: string, what: string): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw packageError(pkg, `cannot reach ${what} at ${redact(url)} (${why})`, 'check the network, or the hub URL in DBT_PACKAGE_HUB_URL');
  }
}

/** Downloads a hub package's tarball, checks its sha1 and unpacks its one top folder to `dest`. */
async function downloadTarball(pkg: string, downloads: HubVersion['downloads'], dest: string, tmp: string): Promise<void> {
  const res = await fetchOrFail(pkg, downloads.tarball, 'the tarball host');
  if (!res.ok) throw packageError(pkg, `downloading ${redact(downloads.tarball)} answered ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (downloads.sha1) {
    const got = createHash('sha1').update(bytes).digest('hex');
    if (got.toLowerCase() !== downloads.sha1.toLowerCase()) {
      throw packageError(
        pkg,
        `the tarball's sha1 is ${got}, not ${downloads.sha1} as the package hub says`,
        'the download is corrupt or was changed; nothing was installed',
      );
    }
  }
  const file = path.join(tmp, `${pkg.replace('/', '_')}.tar.gz`);
  writeFileSync(file, bytes);
  const out = mkdtempSync(path.join(tmp, 'untar-'));
  try {
    await run('tar', ['-xzf', file, '-C', out]);
  } catch (e) {
    throw packageError(pkg, `the tarball does not unpack: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim()}`);
  }
  const top = readdirSync(out).filter((f) => statSync(path.join(out, f)).isDirectory());
  const root = top.length === 1 && !existsSync(path.join(out, 'dbt_project.yml')) ? path.join(out, top[0]!) : out;
  if (!existsSync(path.join(root, 'dbt_project.yml'))) throw packageError(pkg, 'the tarball holds no dbt_project.yml');
  renameSync(root, dest);
}
