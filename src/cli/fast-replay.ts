/**
 * `model compile` of an unchanged project without loading the engine. The launcher (bin/model.js)
 * runs this small bundle (dist/bundle/fast-replay.cjs, Node's built-in modules only) before the
 * engine's: it reads the replay record the engine's last compile left (src/tasks/compile-replay.ts),
 * stats every input and output as the engine's replay does, and, when all match, does what that
 * replay does: restamps manifest.json's metadata, updates the record, prints the recorded lines.
 * Anything it does not know for sure (another command line or option, a logging setting, a record
 * it does not recognise, a stamp that moved) returns false before writing anything, and the engine
 * runs as usual. The record format and its key are the engine's: a change there must be made here
 * too, or this path is simply never taken (tests/integration/fast-replay.test.ts is the alarm).
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { customEnv } from '../core/custom-env.js';
import { ENGINE_VERSION } from '../core/engine-version.js';
import { DBT_COMPAT_VERSION } from '../project/dbt-version.js';

type Stream = { write(s: string): unknown; isTTY?: boolean };

const FORMAT = 1;
const RECORD_KEYS = 'format,engine,key,messages,compiled,manifestHead,manifestFields,projectName,paths,stamps';
const SHELL_NOISE = new Set(['_', 'OLDPWD', 'PWD', 'SHLVL', 'COLUMNS', 'LINES', 'TERM_SESSION_ID', 'WINDOWID']);
/** Settings that change what the CLI prints or whether it replays: the engine handles them. */
const ENGINE_SETTINGS = [
  'DBT_LOG_FORMAT',
  'DBT_LOG_LEVEL',
  'DBT_QUIET',
  'DBT_DEBUG',
  'DBT_STATE',
  'DBT_DEFER',
  'DBT_FAVOR_STATE',
  'MODEL_PARTIAL_PARSE',
  'DBT_PARTIAL_PARSE',
];
const HEAD_PREFIX = '{"metadata":';

interface Record {
  format: number;
  engine: string;
  key: string;
  messages: [string, string][];
  compiled: string;
  manifestHead: string;
  manifestFields: { project_name: string; adapter_type: string };
  projectName: string;
  paths: string;
  stamps: Float64Array;
}

export interface FastReplayIo {
  /** The engine's code file, as its replay names it in the record (`engineId`). */
  engineFile: string;
  out?: Stream;
  err?: Stream;
}

/** The project folder of `model compile [--project-dir <dir>]`; undefined for any other command line. */
function projectDirOf(args: string[]): string | undefined {
  if (args[0] !== 'compile') return undefined;
  if (args.length === 1) return process.cwd();
  if (args.length === 2 && args[1]!.startsWith('--project-dir=') && args[1]!.length > 14) return args[1]!.slice(14);
  if (args.length === 3 && args[1] === '--project-dir' && !args[2]!.startsWith('-')) return args[2];
  return undefined;
}

/** The engine's replay key (compile-replay.ts `replayKey`) for a command line with no option but the project folder. */
function replayKey(projectDir: string): string {
  const env = Object.entries(process.env)
    .filter(([k]) => !SHELL_NOISE.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const args = [projectDir, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  return createHash('sha1')
    .update(JSON.stringify([args, env]))
    .digest('hex');
}

function isRecord(r: unknown): r is Record {
  if (typeof r !== 'object' || r === null || Object.keys(r).join(',') !== RECORD_KEYS) return false;
  const x = r as Record;
  const fields = x.manifestFields as unknown;
  return (
    x.format === FORMAT &&
    ['engine', 'key', 'compiled', 'manifestHead', 'projectName', 'paths'].every((k) => typeof (x as unknown as { [k: string]: unknown })[k] === 'string') &&
    Array.isArray(x.messages) &&
    x.messages.every((m) => Array.isArray(m) && m.length === 2 && (m[0] === 'info' || m[0] === 'warn') && typeof m[1] === 'string') &&
    typeof fields === 'object' &&
    fields !== null &&
    Object.keys(fields).join(',') === 'project_name,adapter_type' &&
    typeof x.manifestFields.project_name === 'string' &&
    typeof x.manifestFields.adapter_type === 'string' &&
    x.stamps instanceof Float64Array
  );
}

/** manifest.json's metadata block as the engine writes it (artifacts.ts `metadata('manifest')` and the record's fields). */
function manifestHeadOf(generatedAt: string, invocationId: string, fields: Record['manifestFields']): string {
  return `${HEAD_PREFIX}${JSON.stringify({
    dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
    dbt_version: DBT_COMPAT_VERSION,
    generated_at: generatedAt,
    invocation_id: invocationId,
    env: customEnv(),
    ...fields,
  })}`;
}

/** artifacts.ts `manifestHead`: the metadata block at the start of manifest.json. */
function readManifestHead(file: string): string | undefined {
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
      const at = text.indexOf('},"nodes":');
      return text.startsWith(HEAD_PREFIX) && at > 0 ? text.slice(0, at + 1) : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Whether every path has the stamp the record holds (size -1: absent). */
function unchanged(paths: string[], stamps: Float64Array): boolean {
  for (let i = 0; i < paths.length; i++) {
    let s: ReturnType<typeof statSync> | undefined;
    try {
      s = statSync(paths[i]!, { throwIfNoEntry: false });
    } catch {
      return false;
    }
    const j = i * 4;
    if (!s) {
      if (stamps[j] !== -1) return false;
    } else if (s.size !== stamps[j] || s.mtimeMs !== stamps[j + 1] || s.ctimeMs !== stamps[j + 2] || s.ino !== stamps[j + 3]) return false;
  }
  return true;
}

/** The CLI reporter's colour choice (global-flags.ts and reporter.ts) with no colour flag given. */
function colours(out: Stream): boolean {
  const env = process.env;
  if (env.NO_COLOR) return false;
  if (env.DBT_USE_COLORS !== undefined) return /^(1|true|yes|on)$/i.test(env.DBT_USE_COLORS);
  return !!out.isTTY && !env.NO_COLOR;
}

/**
 * Replays `model compile` when the engine's own replay would, writing what it writes; true when
 * it did. `args` are the command line after `model`.
 */
export function fastReplay(args: string[], io: FastReplayIo): boolean {
  const started = Date.now();
  const dir = projectDirOf(args);
  if (dir === undefined || ENGINE_SETTINGS.some((k) => process.env[k] !== undefined)) return false;
  const projectDir = path.resolve(dir);
  // The engine reads the record from the project's target-path; a record in target/ was written
  // there by a compile that read the same project file (its stamp is among the inputs).
  const targetDir = path.join(projectDir, 'target');
  const file = path.join(targetDir, 'partial_parse.replay');
  let record: unknown;
  try {
    record = deserialize(readFileSync(file));
  } catch {
    return false;
  }
  if (!isRecord(record)) return false;
  let engine: string;
  try {
    const s = statSync(io.engineFile);
    engine = `${ENGINE_VERSION}:${io.engineFile}:${s.size}:${s.mtimeMs}`;
  } catch {
    return false;
  }
  if (record.engine !== engine || record.key !== replayKey(projectDir)) return false;
  const paths = record.paths.split('\n');
  const { stamps } = record;
  const manifest = path.join(targetDir, 'manifest.json');
  if (paths.length * 4 !== stamps.length || paths[paths.length - 1] !== manifest || !unchanged(paths, stamps)) return false;
  let recorded: { generated_at?: unknown; invocation_id?: unknown };
  try {
    recorded = JSON.parse(record.manifestHead.slice(HEAD_PREFIX.length));
  } catch {
    return false;
  }
  const { generated_at, invocation_id } = recorded;
  if (typeof generated_at !== 'string' || typeof invocation_id !== 'string') return false;
  if (manifestHeadOf(generated_at, invocation_id, record.manifestFields) !== record.manifestHead) return false;
  const next = manifestHeadOf(new Date().toISOString(), randomUUID(), record.manifestFields);
  if (Buffer.byteLength(next) !== Buffer.byteLength(record.manifestHead)) return false;
  try {
    const fd = openSync(manifest, 'r+');
    try {
      writeSync(fd, next, 0, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  // From here on the replay is done, as the engine's: the record now vouches for the restamped manifest.
  const head = readManifestHead(manifest);
  if (head) {
    try {
      const s = statSync(manifest);
      stamps.set([s.size, s.mtimeMs, s.ctimeMs, s.ino], stamps.length - 4);
    } catch {
      stamps.set([-1, 0, 0, 0], stamps.length - 4);
    }
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, serialize({ ...record, manifestHead: head }));
      renameSync(tmp, file);
    } catch {
      // Only a speed-up: the next compile runs in full.
    }
  }
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const paint = colours(out);
  for (const [kind, text] of record.messages) {
    err.write(kind === 'warn' ? `${paint ? '\x1b[33mwarning\x1b[0m' : 'warning'}: ${text}\n` : `${text}\n`);
  }
  const files = record.compiled ? record.compiled.split('\n') : [];
  if (files.length) {
    out.write(
      `${files
        .map((line) => {
          const tab = line.indexOf('\t');
          return `compiled ${line.slice(0, tab)} -> ${line.slice(tab + 1)}`;
        })
        .join('\n')}\n`,
    );
  }
  out.write(`Compiled ${files.length} node${files.length === 1 ? '' : 's'} of '${record.projectName}' in ${((Date.now() - started) / 1000).toFixed(2)}s.\n`);
  return true;
}
