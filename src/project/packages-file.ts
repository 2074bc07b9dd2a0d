import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ProjectError, throwIfAny } from '../core/errors.js';
import { z } from '../core/zod.js';
import { issuesToErrors } from './schemas.js';
import { parseYaml, type YamlFile } from './yaml-file.js';

const version = z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()])).min(1)]);

/** One entry of `packages:`, as dbt-core's `PackageSpec` contracts (core/dbt/contracts/project.py) take it. */
export const packageSpecSchema = z.union([
  z.strictObject({ local: z.string().min(1), name: z.string().optional() }),
  z.strictObject({
    git: z.string().min(1),
    revision: z.union([z.string(), z.number()]).optional(),
    'warn-unpinned': z.boolean().optional(),
    subdirectory: z.string().optional(),
    name: z.string().optional(),
  }),
  z.strictObject({
    package: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'a hub package is named <namespace>/<name>, e.g. dbt-labs/dbt_utils'),
    version,
    'install-prerelease': z.boolean().optional(),
    name: z.string().optional(),
  }),
]);
export type PackageSpec = z.infer<typeof packageSpecSchema>;

const packagesFileSchema = z.looseObject({
  packages: z.array(z.unknown()).nullish(),
  projects: z.array(z.unknown()).nullish(),
});

export interface PackagesFile {
  /** `packages.yml` or `dependencies.yml`, relative to the project. */
  file: string;
  yaml: YamlFile;
  specs: PackageSpec[];
}

export const PACKAGE_LOCK_FILE = 'package-lock.yml';

/**
 * The project's package list: `packages.yml` or `dependencies.yml` (dbt 1.6+), not both. Each entry
 * is checked on its own so every mistake is reported at its line. Undefined when the project has neither.
 */
export function readPackagesFile(dir: string): PackagesFile | undefined {
  const present = ['packages.yml', 'dependencies.yml'].filter((f) => existsSync(path.join(dir, f)));
  const found: { file: string; yaml: YamlFile; entries: unknown[] }[] = [];
  const errors: ProjectError[] = [];
  for (const file of present) {
    const yaml = parseYaml(file, readFileSync(path.join(dir, file), 'utf8'));
    if (yaml.data === null) continue;
    const r = packagesFileSchema.safeParse(yaml.data);
    if (!r.success) {
      errors.push(...issuesToErrors(r.error.issues, yaml));
      continue;
    }
    if (r.data.packages?.length) found.push({ file, yaml, entries: r.data.packages });
  }
  throwIfAny(errors);
  if (found.length > 1) {
    // As dbt: the two files are alternatives (core/dbt/config/project.py, package_and_project_data_from_root).
    throw new ProjectError('project', 'packages are listed in both packages.yml and dependencies.yml; keep them in one file', {
      location: found[1]!.yaml.locate(['packages']),
      source: found[1]!.yaml.source,
    });
  }
  const one = found[0];
  if (!one) return undefined;
  const specs: PackageSpec[] = [];
  one.entries.forEach((entry, i) => {
    const r = packageSpecSchema.safeParse(entry);
    if (r.success) specs.push(r.data);
    else errors.push(specError(one.yaml, i, entry));
  });
  throwIfAny(errors);
  return { file: one.file, yaml: one.yaml, specs };
}

function specError(yaml: YamlFile, i: number, entry: unknown): ProjectError {
  const at = yaml.locate(['packages', i]);
  const e = entry as Record<string, unknown> | null;
  const kind = e && typeof e === 'object' ? (['local', 'git', 'package'].find((k) => k in e) ?? undefined) : undefined;
  if (!kind) {
    return new ProjectError('project', `packages[${i}]: an entry names one of 'package:' (dbt Hub), 'git:' or 'local:'`, {
      location: at,
      source: yaml.source,
      hint: 'e.g. - package: dbt-labs/dbt_utils\n         version: [">=1.0.0", "<2.0.0"]',
    });
  }
  const schema = packageSpecSchema.options[['local', 'git', 'package'].indexOf(kind)]!;
  const r = schema.safeParse(entry);
  const issue = r.success ? undefined : r.error.issues[0];
  const key = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path[0];
  const message =
    issue?.code === 'unrecognized_keys'
      ? `unknown key '${String(key)}' in a ${kind} package`
      : `'${String(key ?? kind)}' of a ${kind} package: ${issue?.code === 'invalid_type' && issue.input === undefined ? 'it is missing' : (issue?.message ?? 'invalid')}`;
  return new ProjectError('project', `packages[${i}]: ${message}`, {
    location: key !== undefined ? yaml.locate(['packages', i, String(key)]) : at,
    source: yaml.source,
  });
}

/**
 * dbt's `sha1_hash` of the package list (core/dbt/task/deps.py, `_create_sha1_hash`): each entry as
 * sorted-key JSON, the lines sorted, joined by newlines. It tells whether the lock was made from this list.
 */
export function packagesHash(specs: readonly PackageSpec[]): string {
  const lines = specs.map((s) => JSON.stringify(sortKeys(s))).sort();
  return createHash('sha1').update(lines.join('\n'), 'utf8').digest('hex');
}

function sortKeys(v: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => [k, v[k]]),
  );
}

/** An entry of `package-lock.yml`: the pinned package, and `name`, the project name it installs as. */
export type LockedPackage = ({ local: string } | { git: string; revision: string; subdirectory?: string } | { package: string; version: string }) & {
  name: string;
};

export interface PackageLock {
  packages: LockedPackage[];
  sha1_hash?: string;
}

const lockSchema = z.looseObject({
  packages: z
    .array(
      z.union([
        z.looseObject({ local: z.string(), name: z.string() }),
        z.looseObject({
          git: z.string(),
          revision: z.union([z.string(), z.number()]).transform(String),
          subdirectory: z.string().optional(),
          name: z.string(),
        }),
        z.looseObject({ package: z.string(), version: z.union([z.string(), z.number()]).transform(String), name: z.string() }),
      ]),
    )
    .nullish()
    .transform((v) => v ?? []),
  sha1_hash: z.string().optional(),
});

/** The project's `package-lock.yml`, if there is one. */
export function readPackageLock(dir: string): PackageLock | undefined {
  const file = path.join(dir, PACKAGE_LOCK_FILE);
  if (!existsSync(file)) return undefined;
  const yaml = parseYaml(PACKAGE_LOCK_FILE, readFileSync(file, 'utf8'));
  const r = lockSchema.safeParse(yaml.data ?? {});
  if (!r.success) throwIfAny(issuesToErrors(r.error.issues, yaml));
  return r.data as PackageLock;
}

/** `package-lock.yml` text in dbt's layout: a `packages:` list (block style, indented), then `sha1_hash:`. */
export function formatPackageLock(lock: PackageLock): string {
  const q = (v: string) => (/^[\w./@:-]+$/.test(v) && !/^\d/.test(v) ? v : JSON.stringify(v));
  const lines = ['packages:'];
  for (const p of lock.packages) {
    const entries = Object.entries(p).filter(([, v]) => v !== undefined) as [string, string][];
    entries.forEach(([k, v], i) => {
      lines.push(`${i === 0 ? '  - ' : '    '}${k}: ${q(v)}`);
    });
  }
  if (lock.sha1_hash) lines.push(`sha1_hash: ${lock.sha1_hash}`);
  return `${lines.join('\n')}\n`;
}
