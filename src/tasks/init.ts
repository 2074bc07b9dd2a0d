/**
 * `model init`: a new project skeleton, as `dbt init` makes one (dbt-core task/init.py and its
 * starter_project), without prompts: the project file, `models/example/` with two models and
 * their tests, the empty folders dbt's starter has, and a DuckDB profile, so `model build` works
 * at once. Inside an existing project it only adds the profile, as dbt does.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import jsYaml from 'js-yaml';
import { ProjectError } from '../core/errors.js';
import { findProjectFile } from '../project/load-project.js';

export interface InitOptions {
  /** The new project's name (also its folder); none: set up the profile of the project in `dir`. */
  projectName?: string;
  /** Where the project folder is made (the working folder by default). */
  dir?: string;
  /** The profile name the project names (the project's name by default). */
  profile?: string;
  /** Where profiles.yml is written: the project folder by default (dbt writes ~/.dbt/). */
  profilesDir?: string;
  /** Write no profile (dbt's --skip-profile-setup). */
  skipProfileSetup?: boolean;
}

export interface InitResult {
  projectDir: string;
  created: string[];
  /** The profiles.yml written or extended, if any. */
  profilesFile?: string;
  /** Set when the profile was there already and left alone. */
  profileKept?: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function initProject(opts: InitOptions = {}): InitResult {
  const base = path.resolve(opts.dir ?? process.cwd());
  if (!opts.projectName) {
    const file = findProjectFile(base);
    if (!file) {
      throw new ProjectError('usage', 'model init needs a project name here (no project file in this folder)', { hint: 'model init my_project' });
    }
    // In a project: only its profile, as dbt init does there.
    const data = jsYaml.load(readFileSync(path.join(base, file), 'utf8')) as { name?: unknown; profile?: unknown } | null;
    const profile = String(opts.profile ?? data?.profile ?? data?.name ?? 'default');
    const result: InitResult = { projectDir: base, created: [] };
    if (!opts.skipProfileSetup) Object.assign(result, writeProfile(path.resolve(base, opts.profilesDir ?? '.'), profile, base));
    return result;
  }
  const name = opts.projectName;
  if (!NAME.test(name)) {
    throw new ProjectError('usage', `'${name}' is not a valid project name`, {
      hint: 'use letters, digits and underscores, not starting with a digit (dbt_project.yml name rules)',
    });
  }
  const projectDir = path.join(base, name);
  if (existsSync(projectDir))
    throw new ProjectError('usage', `a project called ${name} already exists here (${projectDir})`, {
      hint: 'pick another name, or run model init inside it to set up its profile',
    });
  const profile = opts.profile ?? name;
  if (!NAME.test(profile)) throw new ProjectError('usage', `'${profile}' is not a valid profile name`);
  const created: string[] = [];
  for (const [rel, text] of Object.entries(starterFiles(name, profile))) {
    const abs = path.join(projectDir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    created.push(rel);
  }
  const result: InitResult = { projectDir, created };
  if (!opts.skipProfileSetup) Object.assign(result, writeProfile(opts.profilesDir ? path.resolve(opts.profilesDir) : projectDir, profile, projectDir));
  return result;
}

/** Adds a DuckDB profile to profiles.yml in `dir` (made if missing); an existing profile of that name is kept. */
function writeProfile(dir: string, profile: string, projectDir: string): { profilesFile: string; profileKept: boolean } {
  const file = path.join(dir, 'profiles.yml');
  mkdirSync(dir, { recursive: true });
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const data = existing ? (jsYaml.load(existing) as Record<string, unknown> | null) : null;
  if (data && typeof data === 'object' && profile in data) return { profilesFile: file, profileKept: true };
  // The database file's path is relative to the project folder (profiles.ts), under its target/.
  const dbPath = path.relative(projectDir, path.join(projectDir, 'target', `${profile}.duckdb`)).replace(/\\/g, '/');
  const text = `${profile}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: ${dbPath}
      schema: main
      threads: 4
`;
  writeFileSync(file, existing ? `${existing.replace(/\n*$/, '\n')}\n${text}` : text);
  return { profilesFile: file, profileKept: false };
}

function starterFiles(name: string, profile: string): Record<string, string> {
  return {
    'dbt_project.yml': `# Name your project: letters, digits and underscores.
name: '${name}'
version: '1.0.0'

# The profile (in profiles.yml) that says which warehouse to build in.
profile: '${profile}'

# Where each kind of file lives.
model-paths: ["models"]
analysis-paths: ["analyses"]
test-paths: ["tests"]
seed-paths: ["seeds"]
macro-paths: ["macros"]
snapshot-paths: ["snapshots"]

clean-targets:
  - "target"
  - "dbt_packages"

# Configs for the models, by folder (a model's own config() overrides them).
models:
  ${name}:
    example:
      +materialized: view
`,
    'README.md': `# ${name}

A new project made by \`model init\`.

    npx model build        # seed, run the models and test them
    npx model show my_second_dbt_model
`,
    '.gitignore': 'target/\ndbt_packages/\nlogs/\n',
    'models/example/my_first_dbt_model.sql': `-- A model is a select statement; materialize it as a table with config().
{{ config(materialized='table') }}

with source_data as (
    select 1 as id
    union all
    select null as id
)

select *
from source_data
where id is not null
`,
    'models/example/my_second_dbt_model.sql': `-- ref() reads another model (and orders the build).
select *
from {{ ref('my_first_dbt_model') }}
where id = 1
`,
    'models/example/schema.yml': `version: 2

models:
  - name: my_first_dbt_model
    description: "A starter model"
    columns:
      - name: id
        description: "The primary key for this table"
        data_tests:
          - unique
          - not_null

  - name: my_second_dbt_model
    description: "A starter model built on the first"
    columns:
      - name: id
        description: "The primary key for this table"
        data_tests:
          - unique
          - not_null
`,
    'analyses/.gitkeep': '',
    'macros/.gitkeep': '',
    'seeds/.gitkeep': '',
    'snapshots/.gitkeep': '',
    'tests/.gitkeep': '',
  };
}
