/**
 * `npm run bench:cache`: the parse cache and watch mode, each figure a ratio measured side by side.
 *
 *   1. `model compile` of a generated project (macros, `{% if %}` blocks, a var), whole process:
 *      cold (no target/, with and without the cache), unchanged recompile, and recompile after editing one model, run round
 *      by round interleaved so that the machine's drift hits all three alike; medians and the
 *      median of the per-round ratios to cold.
 *   2. Watch-mode latency: `model compile --watch` on a generated project; one model edited at a
 *      time; the time from the write to the line that reports it compiled.
 *
 *   tsx bench/cache-bench.ts [--models 10000] [--runs 5] [--watch-models 1000] [--edits 15] [--rm-target] [--json FILE]
 *
 * The figures are also written to FILE (bench/results-cache.json by default).
 *
 * Cold means no target/: it is renamed aside before each cold run and the old ones are deleted
 * once every figure is taken. Deleting it right before the run (--rm-target, as `rm -rf target` would)
 * measures the filesystem more than the compile on this VM's ext4 (no journal): for a minute or
 * more after 10,000 files are deleted, each new file's inode allocation probes the recently freed
 * inodes one by one (the kernel's `recently_deleted` in ext4 ialloc.c), which adds 2-7 s of
 * system time to the 10,000 files a cold compile creates. See BENCHMARKS.md.
 *
 * It asserts nothing: figures go to BENCHMARKS.md by hand.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shapeFor, writeModelProject } from './generate-project.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = path.join(ROOT, 'bin', 'model.js');
const argv = process.argv.slice(2);
const get = (flag: string, fallback: string) => {
  const i = argv.indexOf(flag);
  return i === -1 ? fallback : argv[i + 1]!;
};
const models = Number(get('--models', '10000'));
const runs = Number(get('--runs', '5'));
const watchModels = Number(get('--watch-models', '1000'));
const edits = Number(get('--edits', '15'));
const jsonFile = get('--json', path.join(ROOT, 'bench', 'results-cache.json'));
const rmTarget = argv.includes('--rm-target');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function compileOnce(dir: string, extra: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [MODEL, 'compile', '--project-dir', dir, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`compile failed (${code}): ${err}`))));
  });
}

const modelFile = (dir: string, i: number) => {
  const width = shapeFor(models).width;
  return path.join(dir, 'models', `layer_${Math.floor(i / width)}`, `m_${String(i).padStart(5, '0')}.sql`);
};

/** Old target/ folders and projects, deleted when every figure is taken. */
const trash = mkdtempSync(path.join(os.tmpdir(), 'model-cache-bench-old-targets-'));

async function cacheRatios() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'model-cache-bench-'));
  writeModelProject(dir, shapeFor(models));
  await compileOnce(dir); // warms the engine's code cache
  let moved = 0;
  const noTarget = () => {
    const target = path.join(dir, 'target');
    if (rmTarget) rmSync(target, { recursive: true, force: true });
    else if (existsSync(target)) renameSync(target, path.join(trash, String(moved++)));
  };
  const rows: { coldNoCache: number; cold: number; unchanged: number; edit: number }[] = [];
  for (let r = 0; r < runs; r++) {
    noTarget();
    // Cold without the cache: what writing the cache and the replay record adds to a cold run.
    const coldNoCache = await compileOnce(dir, ['--no-partial-parse']);
    noTarget();
    const cold = await compileOnce(dir);
    const unchanged = await compileOnce(dir);
    appendFileSync(modelFile(dir, (r * 37) % models), `-- edit ${r}\n`);
    const edit = await compileOnce(dir);
    rows.push({ coldNoCache, cold, unchanged, edit });
    process.stderr.write(
      `round ${r + 1}: cold without cache ${coldNoCache.toFixed(2)} s, cold ${cold.toFixed(2)} s, unchanged ${unchanged.toFixed(2)} s, one edit ${edit.toFixed(2)} s\n`,
    );
  }
  // Deleted at the very end, after the watch figures: a delete of this size slows every file creation for minutes.
  renameSync(dir, path.join(trash, 'project'));
  return {
    models,
    runs,
    target: rmTarget ? 'deleted right before each cold run' : 'renamed aside before each cold run',
    coldNoCache: median(rows.map((x) => x.coldNoCache)),
    cold: median(rows.map((x) => x.cold)),
    unchanged: median(rows.map((x) => x.unchanged)),
    edit: median(rows.map((x) => x.edit)),
    unchangedRatio: median(rows.map((x) => x.unchanged / x.cold)),
    editRatio: median(rows.map((x) => x.edit / x.cold)),
    rounds: rows,
  };
}

async function watchLatency() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'model-watch-bench-'));
  writeModelProject(dir, shapeFor(watchModels));
  const child = spawn(process.execPath, [MODEL, 'compile', '--watch', '--project-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) if (w.test()) waiters.splice(waiters.indexOf(w), 1) && w.resolve();
  };
  child.stdout.on('data', (d) => {
    out += d;
    check();
  });
  child.stderr.on('data', (d) => {
    err += d;
    check();
  });
  const until = (test: () => boolean) => new Promise<void>((resolve) => (test() ? resolve() : waiters.push({ test, resolve })));
  await until(() => err.includes('Watching') && /Compiled \d+ changed node/.test(out));
  const width = shapeFor(watchModels).width;
  const latencies: number[] = [];
  for (let e = 0; e < edits; e++) {
    const i = (e * 53) % watchModels;
    const name = `m_${String(i).padStart(5, '0')}`;
    const file = path.join(dir, 'models', `layer_${Math.floor(i / width)}`, `${name}.sql`);
    const mark = out.length;
    const started = performance.now();
    appendFileSync(file, `-- edit ${e}\n`);
    await until(() => /Compiled \d+ changed node/.test(out.slice(mark)));
    latencies.push(performance.now() - started);
    if (!out.slice(mark).includes(`compiled ${name} `)) throw new Error(`the watch did not report ${name}:\n${out.slice(mark).slice(-500)}`);
    // Let the run finish writing the manifest and cache before the next edit.
    await new Promise((r) => setTimeout(r, 400));
  }
  child.kill('SIGINT');
  await new Promise((r) => child.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return { models: watchModels, edits, medianMs: median(latencies), minMs: Math.min(...latencies), maxMs: Math.max(...latencies), latencies };
}

const results = { date: new Date().toISOString(), loadavg: os.loadavg(), cache: await cacheRatios(), watch: await watchLatency() };
rmSync(trash, { recursive: true, force: true });
const c = results.cache;
process.stdout.write(
  [
    `compile of ${c.models} models, ${c.runs} interleaved rounds (medians):`,
    `  cold without cache ${c.coldNoCache.toFixed(2)} s; cold ${c.cold.toFixed(2)} s; unchanged ${c.unchanged.toFixed(2)} s (${c.unchangedRatio.toFixed(3)}x cold); one model edited ${c.edit.toFixed(2)} s (${c.editRatio.toFixed(3)}x cold)`,
    `watch, ${results.watch.models} models, ${results.watch.edits} edits: median ${results.watch.medianMs.toFixed(0)} ms (min ${results.watch.minMs.toFixed(0)}, max ${results.watch.maxMs.toFixed(0)})`,
    `load average ${results.loadavg.map((x) => x.toFixed(1)).join(' ')}`,
    '',
  ].join('\n'),
);
writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
