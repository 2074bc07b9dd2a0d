import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { z } from '../core/zod.js';
import { ProjectError } from '../core/errors.js';
import { isSecretName, registerSecret } from '../core/secrets.js';
import { didYouMean, isPlainObject } from '../core/util.js';
import type { Project } from './load-project.js';
import { issuesToErrors } from './schemas.js';
import { parseYaml, type YamlFile } from './yaml-file.js';
import { throwIfAny } from '../core/errors.js';

const threads = z.number().int().min(1).max(64);
const settingValue = z.union([z.string(), z.number(), z.boolean()]);

export const duckDbTargetSchema = z.strictObject({
  type: z.literal('duckdb'),
  /** Database file, relative to the project directory; ':memory:' for a throwaway database. */
  path: z.string().min(1).optional(),
  /** Catalog name; defaults to the file name without extension. */
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional(),
  schema: z.string().min(1).default('main'),
  threads: threads.default(4),
  /** DuckDB's own settings: memory_limit, threads, temp_directory, preserve_insertion_order, … */
  settings: z.record(z.string(), settingValue).default({}),
  extensions: z.array(z.string()).default([]),
  /**
   * Other DuckDB files attached beside the target's own, as dbt-duckdb's `attach:` does (for
   * example the production file a CI build defers to). Paths are relative to the project folder.
   */
  attach: z
    .array(
      z.strictObject({
        path: z.string().min(1),
        alias: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
          .optional(),
        read_only: z.boolean().default(false),
      }),
    )
    .default([]),
});

/** `env_var('X', '')` gives '' for an unset variable: an empty value means "not set". */
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

export const snowflakeTargetSchema = z.strictObject({
  type: z.literal('snowflake'),
  account: z.string().min(1),
  user: z.string().min(1),
  password: optionalText,
  authenticator: optionalText,
  private_key_path: optionalText,
  private_key: optionalText,
  private_key_passphrase: optionalText,
  /** OAuth access token (authenticator oauth), refresh token (with oauth_client_id/secret), programmatic access token, or OIDC token (workload_identity) */
  token: optionalText,
  oauth_client_id: optionalText,
  oauth_client_secret: optionalText,
  oauth_token_request_url: optionalText,
  oauth_scope: optionalText,
  /** username_password_mfa: the authenticator app's passcode, or appended to the password */
  passcode: optionalText,
  passcode_in_password: z.boolean().optional(),
  /** workload_identity: aws, azure, gcp or oidc */
  workload_identity_provider: optionalText,
  token_file_path: optionalText,
  /** externalbrowser: false signs in through Snowflake's console page instead of asking for the IdP's address */
  disable_console_login: z.boolean().optional(),
  /** session parameters set at every login, after (and over) the ones the engine pins */
  session_parameters: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), settingValue).default({}),
  role: optionalText,
  warehouse: optionalText,
  database: z.string().min(1).default('dh_database'),
  schema: z.string().min(1).default('public'),
  threads: threads.default(4),
  query_tag: optionalText,
  /** Endpoint override, e.g. http://127.0.0.1:8080 for the emulator. */
  access_url: optionalText,
  login_timeout: z.number().int().positive().default(15),
  query_timeout: z.number().int().positive().optional(),
  client_session_keep_alive: z.boolean().optional(),
  /** Seconds a build waits for another build's lock on the same database and schema before giving up. */
  lock_timeout: z.number().int().min(0).default(120),
  /** Seconds without a heartbeat after which a build lock counts as abandoned (its build was killed). */
  lock_stale_after: z.number().int().min(1).default(30),
});

export const targetSchema = z.discriminatedUnion('type', [duckDbTargetSchema, snowflakeTargetSchema]);
export type TargetConfig = z.infer<typeof targetSchema> & { name: string; profileName: string };
export type DuckDbTarget = z.infer<typeof duckDbTargetSchema> & { name: string; profileName: string };
export type SnowflakeTarget = z.infer<typeof snowflakeTargetSchema> & { name: string; profileName: string };

export interface TargetOptions {
  target?: string;
  profilesDir?: string;
  threads?: number;
}

const SECRET_FIELDS = new Set(['password', 'private_key', 'private_key_passphrase', 'token', 'oauth_client_secret', 'passcode']);

/**
 * Where profiles.yml is looked for, in dbt's order (`--profiles-dir`, `DBT_PROFILES_DIR`, the
 * project folder, `~/.dbt/`), with this engine's own `MODEL_PROFILES_DIR` and `~/.model/` beside dbt's.
 */
export function profileCandidates(project: Pick<Project, 'dir'>, opts: TargetOptions): string[] {
  const dirs = [
    opts.profilesDir,
    process.env.DBT_PROFILES_DIR,
    process.env.MODEL_PROFILES_DIR,
    project.dir,
    path.join(os.homedir(), '.dbt'),
    path.join(os.homedir(), '.model'),
  ];
  return dirs.filter((d): d is string => !!d).map((d) => path.resolve(d, 'profiles.yml'));
}

/**
 * Resolves the target to run against: profiles.yml (dbt's shape) with `env_var()`, or, where
 * there is none, an embedded DuckDB file under the target path.
 */
export function resolveTarget(project: Project, opts: TargetOptions = {}): { target: TargetConfig; note?: string; file?: string } {
  const profileName = (project.config.profile ?? project.name) as string;
  const explicitDir = opts.profilesDir ?? process.env.DBT_PROFILES_DIR ?? process.env.MODEL_PROFILES_DIR;
  const file = profileCandidates(project, opts).find((f) => existsSync(f));
  if (!file) {
    if (explicitDir) {
      throw new ProjectError('project', `no profiles.yml in ${path.resolve(explicitDir)}`, {
        hint: 'remove --profiles-dir to use the embedded DuckDB default',
      });
    }
    if (opts.target && opts.target !== 'dev') {
      throw new ProjectError('usage', `--target ${opts.target}: there is no profiles.yml to define it`, {
        hint: `create profiles.yml beside ${project.file} with a '${profileName}:' profile`,
      });
    }
    return {
      target: defaultTarget(project, profileName, opts),
      note: `No profiles.yml found: using the embedded DuckDB database ${displayPath(path.join(project.targetDir, `${project.name}.duckdb`))}`,
    };
  }
  const rel = path.relative(project.dir, file) || file;
  const yaml = parseYaml(rel.startsWith('..') ? file : rel, readFileSync(file, 'utf8'));
  const data = yaml.data;
  if (!isPlainObject(data) || !isPlainObject(data[profileName])) {
    const names = isPlainObject(data) ? Object.keys(data).filter((k) => k !== 'config') : [];
    throw new ProjectError('project', `profile '${profileName}' is not defined in ${yaml.file}`, {
      location: { file: yaml.file },
      hint: didYouMean(profileName, names) ?? (names.length ? `defined profiles: ${names.join(', ')}` : undefined),
    });
  }
  const profile = data[profileName] as Record<string, unknown>;
  const outputs = profile.outputs;
  if (!isPlainObject(outputs) || Object.keys(outputs).length === 0) {
    throw new ProjectError('project', `profile '${profileName}' has no outputs`, { location: yaml.locate([profileName]) });
  }
  const targetName = opts.target ?? process.env.MODEL_TARGET ?? (typeof profile.target === 'string' ? profile.target : 'dev');
  const raw = outputs[targetName];
  if (!isPlainObject(raw)) {
    throw new ProjectError('usage', `target '${targetName}' is not defined in profile '${profileName}' of ${yaml.file}`, {
      location: yaml.locate([profileName, 'outputs']),
      hint: didYouMean(targetName, Object.keys(outputs)) ?? `defined targets: ${Object.keys(outputs).join(', ')}`,
    });
  }
  const rendered = renderProfileValues(raw, yaml, [profileName, 'outputs', targetName], project.vars);
  const parsed = targetSchema.safeParse(rendered, { reportInput: true });
  if (!parsed.success) throwIfAny(issuesToErrors(parsed.error.issues, yaml, [profileName, 'outputs', targetName]));
  const target = { ...(parsed.data as z.infer<typeof targetSchema>), name: targetName, profileName } as TargetConfig;
  if (opts.threads !== undefined) target.threads = opts.threads;
  if (target.type === 'duckdb') target.path ??= path.relative(project.dir, path.join(project.targetDir, `${project.name}.duckdb`));
  return { target, file };
}

/** A path as the user would type it: relative when under the working directory, else absolute. */
function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

function defaultTarget(project: Project, profileName: string, opts: TargetOptions): TargetConfig {
  return {
    type: 'duckdb',
    name: 'dev',
    profileName,
    path: path.relative(project.dir, path.join(project.targetDir, `${project.name}.duckdb`)),
    schema: 'main',
    threads: opts.threads ?? 4,
    settings: {},
    extensions: [],
    attach: [],
  };
}

const profileEnv = new nunjucks.Environment(null, { autoescape: false });

function renderProfileValues(value: unknown, yaml: YamlFile, p: (string | number)[], vars: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const key = String(p[p.length - 1]);
    let out = value;
    if (value.includes('{{') || value.includes('{%')) {
      // nunjucks re-wraps what a function throws: keep our own error to report it as is.
      let thrown: ProjectError | undefined;
      try {
        out = profileEnv.renderString(value, {
          env_var: (name: string, fallback?: string) => {
            const v = process.env[name];
            if (v !== undefined) {
              if (isSecretName(name)) registerSecret(v);
              return v;
            }
            if (fallback !== undefined) return fallback;
            thrown = new ProjectError('project', `environment variable '${name}' is not set and has no default`, {
              location: yaml.locate(p),
              hint: `export ${name}=… before running`,
              source: yaml.source,
            });
            throw thrown;
          },
          var: (name: string, fallback?: unknown) => (name in vars ? vars[name] : fallback),
        });
      } catch (e) {
        if (thrown) throw thrown;
        const inner = e instanceof ProjectError ? e : undefined;
        const message =
          inner?.message ??
          String((e as Error).message)
            .replace(/^Template render error:[^\n]*\n\s*/, '')
            .replace(/^Error:\s*/, '');
        throw new ProjectError('project', message, { location: yaml.locate(p), hint: inner?.hint, source: yaml.source });
      }
    }
    if (SECRET_FIELDS.has(key)) registerSecret(out);
    // YAML-typed values (threads: "{{ env_var('T') }}") arrive as text: numbers and booleans are restored.
    if (/^\d+$/.test(out) && out !== value && !SECRET_FIELDS.has(key)) return Number(out);
    if ((out === 'true' || out === 'false') && out !== value) return out === 'true';
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => renderProfileValues(v, yaml, [...p, i], vars));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderProfileValues(v, yaml, [...p, k], vars);
    return out;
  }
  return value;
}
