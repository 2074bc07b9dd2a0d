/**
 * Runs the built CLI (dist/bundle/model.cjs, the bundle bin/model.js starts) inside the test
 * process: the same code, arguments, working folder and environment as `runModel`, with stdout,
 * stderr and the exit code captured. It saves a process start and the import of snowflake-sdk
 * and DuckDB (over a second of CPU each time on the Snowflake target) for tests that only read
 * what a command printed, wrote or left in the warehouse.
 *
 * What needs a real process stays on `runModel`/`startModel`: signals (Ctrl-C, SIGKILL), two
 * commands at once, the launcher itself (bin/model.js, the fast compile replay), exit timing, and
 * anything that leaves work running after the command returns. Every command path keeps at least
 * one true-process test.
 *
 * Runs are serialised within a test file: the working folder and the environment are the
 * process's own, set for the run and restored after it. MODEL_TEST_IN_PROCESS=0 runs each of these
 * as a real process instead (`runModel`), to check that both ways give the same answers.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { MODEL_BIN, REPO_ROOT, runModel, type CliResult } from './project.js';

type RunCli = (argv: string[], io: { out?: NodeJS.WritableStream; err?: NodeJS.WritableStream }) => Promise<number>;

const BUNDLE = path.join(REPO_ROOT, 'dist', 'bundle', 'model.cjs');
let runCli: RunCli | undefined;
let queue: Promise<unknown> = Promise.resolve();

function loadCli(): RunCli {
  if (!runCli) {
    try {
      runCli = (createRequire(import.meta.url)(BUNDLE) as { runCli: RunCli }).runCli;
    } catch (e) {
      throw new Error(`cannot load ${BUNDLE}: run \`npm run build\` first (${(e as Error).message})`);
    }
  }
  return runCli;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** `model <args>` in this process; resolves as `runModel` does (signal always null). */
export function runModelInProcess(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  if (process.env.MODEL_TEST_IN_PROCESS === '0') return runModel(args, opts);
  const run = queue.then(() => runNow(args, opts));
  queue = run.catch(() => undefined);
  return run;
}

async function runNow(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const cli = loadCli();
  const out = new Capture();
  const err = new Capture();
  const env: Record<string, string | undefined> = { NO_COLOR: '1', ...opts.env };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedCwd = process.cwd();
  // A few messages (a template's log(), an authenticator's prompt) go to process.stderr directly, as
  // in the CLI process: take those for the run too.
  const stderrWrite = process.stderr.write;
  const stdoutWrite = process.stdout.write;
  const take =
    (into: Capture) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      into.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    };
  let code: number;
  try {
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.chdir(opts.cwd ?? REPO_ROOT);
    process.stderr.write = take(err) as typeof process.stderr.write;
    process.stdout.write = take(out) as typeof process.stdout.write;
    code = await cli([process.execPath, MODEL_BIN, ...args], { out, err });
  } finally {
    process.stderr.write = stderrWrite;
    process.stdout.write = stdoutWrite;
    process.chdir(savedCwd);
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return { code, signal: null, stdout: out.text, stderr: err.text };
}
