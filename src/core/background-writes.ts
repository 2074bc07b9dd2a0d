/**
 * Writes many files under target/ on a worker thread while the main thread goes on rendering: a
 * cold compile of 10,000 models creates 10,000 files, and the system time of creating them
 * (a few hundred milliseconds, seconds on a file system that scans freed inodes) then overlaps
 * with the renders instead of following each one. The main thread decides what is written
 * (redacted text, which folders are new); the worker only does the system calls, in order, and
 * reports each file's stamp once all are written. Nothing trusts a file before `finish()`
 * returned: the parse cache and the compile replay are written after it.
 */
import { Worker } from 'node:worker_threads';

/** A file's stat stamp right after it was written. */
export interface WrittenStamp {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

/** [absolute path, content, whether the file may already exist (then it is read and left alone when it holds the content)]. */
type Job = [abs: string, content: string, mayExist: boolean];

// CommonJS, run with `eval`: no file to find next to the bundle.
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
const { mkdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const stamps = [];
let error;
function one(abs, content, mayExist) {
  let same = false;
  if (mayExist) {
    try {
      same = readFileSync(abs, 'utf8') === content;
    } catch {}
  }
  if (!same) {
    try {
      writeFileSync(abs, content);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, content);
    }
  }
  const s = statSync(abs, { bigint: true });
  stamps.push([abs, s.size, s.mtimeNs, s.ctimeNs, s.ino]);
}
parentPort.on('message', (jobs) => {
  if (jobs === 'end') {
    parentPort.postMessage({ stamps, error });
    parentPort.close();
    return;
  }
  if (error) return;
  for (const [abs, content, mayExist] of jobs) {
    try {
      one(abs, content, mayExist);
    } catch (e) {
      error = { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path };
      return;
    }
  }
});
`;

const BATCH = 64;

/** How many files a compile must write for the worker to pay (its start costs a few tens of milliseconds). */
export function backgroundWritesMin(): number {
  const v = Number(process.env.MODEL_TEST_BACKGROUND_WRITES_MIN || Number.NaN);
  return v >= 0 ? v : 1000;
}

export class BackgroundWrites {
  // No execArgv: the process's preloads (-r), loaders and profiler flags are not for this thread.
  private readonly worker = new Worker(WORKER_CODE, { eval: true, execArgv: [] });
  private batch: Job[] = [];
  private readonly done: Promise<{ stamps: [string, bigint, bigint, bigint, bigint][]; error?: Record<string, unknown> }>;

  constructor() {
    this.done = new Promise((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the file writer stopped (exit code ${code})`)));
    });
    // An unhandled rejection before finish() is awaited would end the process: finish() reports it.
    this.done.catch(() => {});
  }

  write(abs: string, content: string, mayExist: boolean): void {
    this.batch.push([abs, content, mayExist]);
    if (this.batch.length >= BATCH) this.flush();
  }

  private flush(): void {
    if (this.batch.length) this.worker.postMessage(this.batch);
    this.batch = [];
  }

  /** Stops the writer (the command failed): what it did not write yet is not written. */
  async abandon(): Promise<void> {
    await this.worker.terminate();
  }

  /** Waits for every file to be written; their stamps by absolute path. Throws the first write error, as a synchronous write would have. */
  async finish(): Promise<Map<string, WrittenStamp>> {
    this.flush();
    this.worker.postMessage('end');
    const { stamps, error } = await this.done;
    if (error) throw Object.assign(new Error(String(error.message)), error);
    const out = new Map<string, WrittenStamp>();
    for (const [abs, size, mtimeNs, ctimeNs, ino] of stamps) out.set(abs, { size, mtimeNs, ctimeNs, ino });
    return out;
  }
}
