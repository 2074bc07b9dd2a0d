/**
 * The fastest answer to `model compile` when nothing changed: the previous compile's results,
 * replayed. A compile that went entirely through the parse cache (no render that could answer
 * differently, see `isVolatile`) records, in `target/partial_parse.replay`, the stat stamp of
 * every input it read or listed (files, every folder walked, each place profiles.yml may be),
 * of every file it wrote under target/compiled/, a key of the command line and the environment,
 * and what it printed and wrote. The next compile with the same key replays it when every stamp
 * is unchanged, writing manifest.json again under its own metadata; anything else (a stamp that
 * moved, a file too recent to trust, a missing replay) runs the compile as usual.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { manifestHead, restampManifest } from '../execute/artifacts.js';
import { projectTargetDir } from '../project/load-project.js';
import { profileCandidates } from '../project/profiles.js';
import { silentReporter, type Reporter } from '../execute/reporter.js';
import { engineId, partialParseEnabled, racyWindowMs } from '../parse/parse-cache.js';
import { compile, type CompiledFile, type CompileFailures } from './compile.js';
import { patchCompile, recordPatchContext, removePatchContext } from './compile-patch.js';
import type { CommonOptions, SelectOptions, Session } from './session.js';

const REPLAY_FILE = 'partial_parse.replay';
const FORMAT = 1;

const TOP_FILES = ['project.yml', 'dbt_project.yml', 'packages.yml', 'dependencies.yml', 'package-lock.yml', 'selectors.yml'];

/** What a compile printed and wrote, and what it read. */
interface Replay {
  format: number;
  engine: string;
  key: string;
  /** The project's messages, in order: ['info' | 'warn', text]. */
  messages: [string, string][];
  /** The compiled nodes: one `name\tpath` line each. */
  compiled: string;
  /** manifest.json's metadata block as written (the file's stamp is the last of `stamps`). */
  manifestHead: string;
  manifestFields: { project_name: string; adapter_type: string };
  projectName: string;
  /** Absolute paths, newline-separated, and four numbers each (size, mtime, ctime, inode; size -1: absent). */
  paths: string;
  stamps: Float64Array;
}

export interface ReplayedCompile {
  projectName: string;
  /** name and target/compiled path of each compiled node, as the compile gave them. */
  files: { name: string; path: string }[];
  messages: [string, string][];
}

/** Environment variables that differ between shells without changing what a compile reads. */
const SHELL_NOISE = new Set(['_', 'OLDPWD', 'PWD', 'SHLVL', 'COLUMNS', 'LINES', 'TERM_SESSION_ID', 'WINDOWID']);

/**
 * The command line and the environment: a compile's answer may depend on any environment variable
 * (env_var() in profiles.yml or project.yml, DBT_* settings), so all of them count.
 */
function replayKey(projectDir: string, opts: CommonOptions & SelectOptions): string | undefined {
  // State comparison and deferral read another run's artifacts: not replayed.
  if (opts.state || opts.defer || opts.favorState || process.env.DBT_STATE) return undefined;
  const env = Object.entries(process.env)
    .filter(([k]) => !SHELL_NOISE.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const args = [projectDir, opts.vars, opts.target, opts.profilesDir, opts.threads, opts.select, opts.exclude, opts.strictUndefined, opts.storeFailures];
  return createHash('sha1')
    .update(JSON.stringify([args, env]))
    .digest('hex');
}

type Stamp = [size: number, mtimeMs: number, ctimeMs: number, ino: number];

/** A nanosecond time as `fs.Stats` gives it in milliseconds (seconds times 1000 plus nanoseconds over a million), so the two compare equal. */
function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000_000n) * 1e3 + Number(ns % 1_000_000_000n) / 1e6;
}

function stampInto(stamps: number[], abs: string): void {
  try {
    const s = statSync(abs);
    stamps.push(s.size, s.mtimeMs, s.ctimeMs, s.ino);
  } catch {
    stamps.push(-1, 0, 0, 0);
  }
}

function replayFile(projectDir: string): string {
  return path.join(projectTargetDir(projectDir), REPLAY_FILE);
}

/** The record of the previous compile with this key, and the indexes of its paths whose stamps moved (at most two: one can be patched). */
function readReplay(opts: CommonOptions & SelectOptions): { file: string; replay: Replay; changed: number[] } | undefined {
  const projectDir = path.resolve(opts.projectDir ?? process.cwd());
  const key = replayKey(projectDir, opts);
  if (!key) return undefined;
  const file = replayFile(projectDir);
  let replay: Replay;
  try {
    replay = deserialize(readFileSync(file)) as Replay;
  } catch {
    return undefined;
  }
  if (replay?.format !== FORMAT || replay.engine !== engineId() || replay.key !== key || !(replay.stamps instanceof Float64Array)) return undefined;
  const paths = replay.paths.split('\n');
  const { stamps } = replay;
  if (paths.length * 4 !== stamps.length) return undefined;
  const changed: number[] = [];
  for (let i = 0; i < paths.length && changed.length < 2; i++) {
    let s: ReturnType<typeof statSync> | undefined;
    try {
      s = statSync(paths[i]!, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
    const j = i * 4;
    if (!s) {
      if (stamps[j] !== -1) changed.push(i);
    } else if (s.size !== stamps[j] || s.mtimeMs !== stamps[j + 1] || s.ctimeMs !== stamps[j + 2] || s.ino !== stamps[j + 3]) changed.push(i);
  }
  return { file, replay, changed };
}

/** The previous compile's answer, when this compile would give the same; undefined to compile as usual. */
export function replayCompile(opts: CommonOptions & SelectOptions): ReplayedCompile | undefined {
  const found = readReplay(opts);
  return found && found.changed.length === 0 ? replay(found.file, found.replay) : undefined;
}

function replay(file: string, replay: Replay): ReplayedCompile | undefined {
  const { stamps } = replay;
  const manifest = replay.paths.slice(replay.paths.lastIndexOf('\n') + 1);
  if (!restampManifest(manifest, replay.manifestHead, replay.manifestFields)) return undefined;
  // manifest.json now carries this run's metadata: the replay vouches for it as it is now.
  const head = manifestHead(manifest);
  const now: number[] = [];
  stampInto(now, manifest);
  if (head) {
    stamps.set(now, stamps.length - 4);
    save(file, { ...replay, manifestHead: head });
  }
  const files = replay.compiled
    ? replay.compiled.split('\n').map((line) => {
        const tab = line.indexOf('\t');
        return { name: line.slice(0, tab), path: line.slice(tab + 1) };
      })
    : [];
  return { projectName: replay.projectName, files, messages: replay.messages };
}

/**
 * Records a compile that went wholly through the parse cache, for `replayCompile`; otherwise
 * removes an older record. `messages` are what the project said on the way.
 */
export function recordCompile(session: Session, opts: CommonOptions & SelectOptions, files: CompiledFile[], messages: [string, string][]): void {
  const projectDir = session.project.dir;
  const file = replayFile(projectDir);
  const key = replayKey(projectDir, opts);
  const cache = session.cache;
  const snapshot = cache?.files;
  const manifest = path.join(session.project.targetDir, 'manifest.json');
  const head = key && cache && !cache.volatile && snapshot ? manifestHead(manifest) : undefined;
  // Stamps of inputs as they were when read (a file edited since then must not be vouched for), then of the rest.
  const inputs = new Map<string, Stamp | undefined>();
  if (head && snapshot) {
    for (const [rel, r] of snapshot.records) inputs.set(path.join(projectDir, rel), [Number(r.size), nsToMs(r.mtimeNs), nsToMs(r.ctimeNs), Number(r.ino)]);
    for (const f of snapshot.folders) if (!inputs.has(f)) inputs.set(f, undefined);
    for (const f of snapshot.listed) if (!inputs.has(f)) inputs.set(f, undefined);
    for (const f of profileCandidates({ dir: projectDir }, { profilesDir: opts.profilesDir })) if (!inputs.has(f)) inputs.set(f, undefined);
    // Files at the top of the project that decide what is read, present or not.
    for (const f of TOP_FILES) {
      const abs = path.join(projectDir, f);
      if (!inputs.has(abs)) inputs.set(abs, undefined);
    }
  }
  const stamps: number[] = [];
  for (const [p, stamp] of inputs) {
    if (stamp) stamps.push(...stamp);
    else stampInto(stamps, p);
  }
  const now = Date.now();
  const racy = racyWindowMs();
  // An input's stamp from the last seconds cannot vouch for it (a second write in the same tick
  // would keep it): recorded as a stamp no file has, so the next compile takes it as changed.
  for (let i = 0; i < stamps.length; i += 4) {
    if (stamps[i + 1]! > now - racy || stamps[i + 2]! > now - racy) {
      stamps[i] = -2;
      stamps[i + 1] = stamps[i + 2] = stamps[i + 3] = 0;
    }
  }
  const outputs: string[] = [];
  if (head) {
    // A file a background writer wrote carries the stamp it took right after writing.
    for (const f of files) {
      const abs = f.abs ?? path.resolve(projectDir, f.path);
      outputs.push(abs);
      if (f.stamp) stamps.push(Number(f.stamp.size), nsToMs(f.stamp.mtimeNs), nsToMs(f.stamp.ctimeNs), Number(f.stamp.ino));
      else stampInto(stamps, abs);
    }
    outputs.push(manifest);
    stampInto(stamps, manifest);
  }
  const all = [...inputs.keys(), ...outputs];
  try {
    // The patch context first: a record is never read with another compile's.
    if (!head || !recordPatchContext(session, all.join('\n'))) {
      writeFileSync(file, '');
      removePatchContext(session.project.targetDir);
      return;
    }
    const replay: Replay = {
      format: FORMAT,
      engine: engineId(),
      key: key!,
      messages,
      compiled: files.map((f) => `${f.node.name}\t${f.path}`).join('\n'),
      manifestHead: head,
      manifestFields: { project_name: session.project.name, adapter_type: session.target.type },
      projectName: session.project.name,
      paths: all.join('\n'),
      stamps: Float64Array.from(stamps),
    };
    save(file, replay);
  } catch {
    // Only a speed-up.
  }
}

function save(file: string, replay: Replay): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, serialize(replay));
    renameSync(tmp, file);
  } catch {
    // Only a speed-up: the next compile runs in full.
  }
}

/**
 * `model compile` for the CLI: replays the previous compile when nothing it read changed, else
 * compiles (through the parse cache) and records the run for the next time.
 */
export async function compileOrReplay(
  opts: CommonOptions & SelectOptions,
): Promise<{ projectName: string; files: { name: string; path: string }[]; replayed: boolean; patched: boolean; failed?: CompileFailures }> {
  const reporter = opts.reporter ?? silentReporter;
  if (partialParseEnabled(opts.partialParse)) {
    const found = readReplay(opts);
    const replayed = found?.changed.length === 0 ? replay(found.file, found.replay) : undefined;
    const patched =
      found?.changed.length === 1 ? await patchCompile(opts, found.replay, found.changed[0]!, (r) => save(found.file, { ...found.replay, ...r })) : undefined;
    const answer = replayed ?? patched;
    if (answer) {
      for (const [kind, text] of answer.messages) kind === 'warn' ? reporter.warn(text) : reporter.info(text);
      return { ...answer, replayed: !!replayed, patched: !!patched };
    }
  }
  const messages: [string, string][] = [];
  const capturing: Reporter = Object.create(reporter);
  capturing.info = (m) => {
    // What the parse cache says about itself is true of this run only.
    if (!m.startsWith('partial parse:')) messages.push(['info', m]);
    reporter.info(m);
  };
  capturing.warn = (m) => {
    messages.push(['warn', m]);
    reporter.warn(m);
  };
  // A node's error does not stop the others (dbt's compile); a compile with errors is not recorded for replay.
  const { session, files, failed } = await compile({ ...opts, reporter: capturing, keepGoing: true });
  if (session.cache && !failed.errors.length) recordCompile(session, opts, files, messages);
  return { projectName: session.project.name, files: files.map((f) => ({ name: f.node.name, path: f.path })), replayed: false, patched: false, failed };
}
