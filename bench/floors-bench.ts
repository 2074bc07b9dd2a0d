/**
 * Issue 18's floors, each as a ratio measured side by side in one run, interleaved and repeated:
 *
 *   1. compiling the shipped project (`model compile`, whole process, target/ present) against
 *      `node -e 0`; target 1.6x;
 *   2. `model run` and `model build` of the shipped project on generated rows against the same SQL
 *      as plain DuckDB statements (bench/plain-duckdb.mjs); targets 1.15x (run) and 1.3x (build);
 *   3. `/getVoucher/` against a bare node:http server (bench/api-bench.ts, which it runs).
 *
 * Each round runs every variant once, in an order rotated per round, so that the machine's drift
 * (it is shared) hits all alike; the ratio is taken within each round and its median reported, with
 * wall time and CPU time (user+sys) of each process. Writes bench/results-floors.json and the
 * measured part of the "Floors (issue 18)" section of BENCHMARKS.md (between its markers).
 *
 *   npx tsx bench/floors-bench.ts [--runs 5] [--compile-runs 21] [--rows 1M,10M] [--only compile,build,api] [--quick]
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateVouchers } from '../app/datagen/generate-vouchers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench', 'out');
const MODEL = path.join(ROOT, 'bin', 'model.js');
const PLAIN = path.join(ROOT, 'bench', 'plain-duckdb.mjs');

const argv = process.argv.slice(2);
const get = (flag: string) => {
  const i = argv.indexOf(flag);
  return i === -1 ? undefined : argv[i + 1];
};
const quick = argv.includes('--quick');
const RUNS = Number(get('--runs') ?? (quick ? 1 : 5));
const COMPILE_RUNS = Number(get('--compile-runs') ?? (quick ? 2 : 21));
const ONLY = new Set((get('--only') ?? 'compile,build,api').split(','));
const ROWS = (get('--rows') ?? (quick ? '5k' : '1M,10M')).split(',').map(parseCount);
const RESULTS = get('--results') ?? path.join(ROOT, 'bench', quick ? 'out/results-floors-quick.json' : 'results-floors.json');
const MARKDOWN = get('--markdown') ?? path.join(ROOT, quick ? 'bench/out/BENCHMARKS-floors-quick.md' : 'BENCHMARKS.md');

function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`not a row count: ${s}`);
  return Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 'k' ? 1e3 : m[2]?.toLowerCase() === 'm' ? 1e6 : 1));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Timed {
  wall: number;
  cpu: number;
}

/** Runs a process to its end: wall time (measured here) and its CPU time, user+sys (GNU time, when present). */
function timed(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Timed> {
  const gnuTime = existsSync('/usr/bin/time');
  const cpuFile = path.join(os.tmpdir(), `model-floors-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [file, list] = gnuTime ? ['/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, list, { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      let cpu = Number.NaN;
      if (gnuTime && existsSync(cpuFile)) {
        const [u, s] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        cpu = u! + s!;
        rmSync(cpuFile, { force: true });
      }
      resolve({ wall, cpu });
    });
  });
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);

function shippedCopy(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of ['project.yml', 'profiles.yml', 'models', 'seeds', 'macros', 'data-tests', 'data']) {
    if (existsSync(path.join(ROOT, entry))) cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  return dir;
}

interface Variant {
  name: string;
  /** Untimed preparation before each timed run. */
  prepare?: () => Promise<unknown>;
  run: () => Promise<Timed>;
}

interface Figure {
  variant: string;
  wall: number;
  cpu: number;
  walls: number[];
  cpus: number[];
}

/** Runs the variants round-robin, rotating the order each round. */
async function interleave(variants: Variant[], rounds: number): Promise<Map<string, Timed[]>> {
  const out = new Map<string, Timed[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r) % variants.length]!;
      await v.prepare?.();
      out.get(v.name)!.push(await v.run());
    }
  }
  return out;
}

function figure(name: string, runs: Timed[]): Figure {
  return {
    variant: name,
    wall: median(runs.map((t) => t.wall)),
    cpu: median(runs.map((t) => t.cpu)),
    walls: runs.map((t) => t.wall),
    cpus: runs.map((t) => t.cpu),
  };
}

/** Median over rounds of a/b, taken within each round. */
const pairedRatio = (a: Timed[], b: Timed[], key: keyof Timed) => median(a.map((t, i) => t[key] / b[i]![key]));

async function benchCompile() {
  const dir = shippedCopy(path.join(OUT, 'floors-compile'));
  // target/ present, as an analyst's second compile finds it.
  await timed(process.execPath, [MODEL, 'compile'], { cwd: dir });
  const runs = await interleave(
    [
      { name: 'node -e 0', run: () => timed(process.execPath, ['-e', '0']) },
      // The engine loaded (bundle, code cache, module initialization, every command registered) and nothing done.
      { name: 'model --version', run: () => timed(process.execPath, [MODEL, '--version'], { cwd: dir }) },
      { name: 'model compile (shipped)', run: () => timed(process.execPath, [MODEL, 'compile'], { cwd: dir }) },
    ],
    COMPILE_RUNS,
  );
  const node = runs.get('node -e 0')!;
  const version = runs.get('model --version')!;
  const compile = runs.get('model compile (shipped)')!;
  const result = {
    node: figure('node -e 0', node),
    version: figure('model --version', version),
    compile: figure('model compile (shipped)', compile),
    ratioWall: pairedRatio(compile, node, 'wall'),
    ratioCpu: pairedRatio(compile, node, 'cpu'),
    versionRatioWall: pairedRatio(version, node, 'wall'),
    versionRatioCpu: pairedRatio(version, node, 'cpu'),
    target: 1.6,
  };
  log(
    `compile: node ${result.node.wall.toFixed(3)} s, --version ${result.version.wall.toFixed(3)} s (${result.versionRatioWall.toFixed(2)}), compile ${result.compile.wall.toFixed(3)} s, ratio ${result.ratioWall.toFixed(2)} (cpu ${result.ratioCpu.toFixed(2)})`,
  );
  return result;
}

async function benchBuild(rows: number) {
  mkdirSync(path.join(OUT, 'data'), { recursive: true });
  const file = path.join(OUT, 'data', `vouchers_${rows}.parquet`);
  if (!existsSync(file)) {
    log(`generating ${rows} rows…`);
    await generateVouchers({ rows, out: file });
  }
  const dir = shippedCopy(path.join(OUT, 'floors-build'));
  const target = path.join(dir, 'target');
  const vars = ['--vars', JSON.stringify({ vouchers_path: file })];
  const plainDir = path.join(OUT, 'floors-plain');
  mkdirSync(plainDir, { recursive: true });
  const plainDb = path.join(plainDir, 'dh_database.duckdb');
  const logs = {
    seed: path.join(OUT, `floors-seed-${rows}.jsonl`),
    run: path.join(OUT, `floors-run-${rows}.jsonl`),
    build: path.join(OUT, `floors-build-${rows}.jsonl`),
  };
  for (const f of Object.values(logs)) rmSync(f, { force: true });
  const model = (cmd: string, sqlLog?: string) => timed(process.execPath, [MODEL, cmd, ...vars], { cwd: dir, env: sqlLog ? { MODEL_SQL_LOG: sqlLog } : {} });
  // The statements each command sends, captured once, for the plain replays.
  rmSync(target, { recursive: true, force: true });
  await model('seed', logs.seed);
  await model('run', logs.run);
  rmSync(target, { recursive: true, force: true });
  await model('build', logs.build);
  const statements = readFileSync(logs.build, 'utf8').split('\n').filter(Boolean).length;
  const fresh = async () => rmSync(target, { recursive: true, force: true });
  // `model run` does not load seeds (as in dbt): both sides start from a database with the seeds loaded.
  const seeded = async () => {
    await fresh();
    await model('seed');
  };
  const plainSeeded = () => timed(process.execPath, [PLAIN, logs.seed, plainDb]);
  const runs = await interleave(
    [
      { name: 'model run', prepare: seeded, run: () => model('run') },
      { name: 'plain run', prepare: plainSeeded, run: () => timed(process.execPath, [PLAIN, '--keep', logs.run, plainDb]) },
      { name: 'model build', prepare: fresh, run: () => model('build') },
      { name: 'plain build', run: () => timed(process.execPath, [PLAIN, logs.build, plainDb]) },
    ],
    RUNS,
  );
  const g = (n: string) => runs.get(n)!;
  const result = {
    rows,
    statements,
    figures: ['model run', 'plain run', 'model build', 'plain build'].map((n) => figure(n, g(n))),
    runRatio: pairedRatio(g('model run'), g('plain run'), 'wall'),
    buildRatio: pairedRatio(g('model build'), g('plain build'), 'wall'),
    runRatioCpu: pairedRatio(g('model run'), g('plain run'), 'cpu'),
    buildRatioCpu: pairedRatio(g('model build'), g('plain build'), 'cpu'),
    target: { run: 1.15, build: 1.3 },
  };
  log(`build ${rows} rows: run ratio ${result.runRatio.toFixed(2)}, build ratio ${result.buildRatio.toFixed(2)}`);
  return result;
}

async function benchApi() {
  const script = path.join(ROOT, 'bench', 'api-bench.ts');
  const extra = quick ? ['--rounds', '1', '--duration', '2'] : [];
  await timed(process.execPath, ['--import', 'tsx', script, ...extra]).catch((e: Error) => log(`api bench: ${e.message.split('\n')[0]}`));
  const file = path.join(ROOT, 'bench', 'results-api.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { summary: Record<string, number> }).summary : undefined;
}

type Results = {
  date: string;
  machine: { cpu: string; cores: number; node: string; loadAverageBefore: number; loadAverageAfter?: number };
  compile?: Awaited<ReturnType<typeof benchCompile>>;
  build?: Awaited<ReturnType<typeof benchBuild>>[];
  api?: Record<string, number>;
};

function markdown(r: Results): string {
  const x = (n: number) => `${n.toFixed(2)}x`;
  const lines = [
    `Measured ${r.date} with \`npx tsx bench/floors-bench.ts\` on ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}; load average ${r.machine.loadAverageBefore.toFixed(1)} before, ${r.machine.loadAverageAfter?.toFixed(1) ?? '?'} after (the machine is shared with other work).`,
    '',
    '| floor | ours | floor | ratio, wall (median of per-round ratios) | ratio, CPU | target |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  if (r.compile) {
    const c = r.compile;
    lines.push(
      `| compile the shipped project vs \`node -e 0\` (${c.compile.walls.length} rounds) | ${c.compile.wall.toFixed(3)} s | ${c.node.wall.toFixed(3)} s | ${x(c.ratioWall)} | ${x(c.ratioCpu)} | ≤ 1.6x |`,
      `| for scale: \`model --version\` (the engine loaded, nothing done) vs \`node -e 0\` | ${c.version.wall.toFixed(3)} s | ${c.node.wall.toFixed(3)} s | ${x(c.versionRatioWall)} | ${x(c.versionRatioCpu)} | |`,
    );
  }
  for (const b of r.build ?? []) {
    const f = (n: string) => b.figures.find((v) => v.variant === n)!;
    const rows = b.rows.toLocaleString('en-US');
    lines.push(
      `| \`model run\`, ${rows} rows, vs plain DuckDB (${f('model run').walls.length} rounds) | ${f('model run').wall.toFixed(2)} s | ${f('plain run').wall.toFixed(2)} s | ${x(b.runRatio)} | ${x(b.runRatioCpu)} | ≤ 1.15x |`,
      `| \`model build\` (with its data tests), ${rows} rows, vs plain DuckDB | ${f('model build').wall.toFixed(2)} s | ${f('plain build').wall.toFixed(2)} s | ${x(b.buildRatio)} | ${x(b.buildRatioCpu)} | ≤ 1.3x |`,
    );
  }
  if (r.api) {
    const a = r.api;
    lines.push(
      `| \`/getVoucher/\` requests/s vs bare node:http (bench/api-bench.ts) | ${a.apiRps?.toFixed(0)} /s | ${a.bareRps?.toFixed(0)} /s | ${x(a.throughputRatio ?? Number.NaN)} | ${a.cpuPerRequestRatio !== undefined ? `${x(a.cpuPerRequestRatio)} CPU per request` : 'n/a'} | ≥ 0.8x |`,
      `| \`/getVoucher/\` p99 vs bare node:http | ${a.apiP99Ms?.toFixed(1)} ms | ${a.bareP99Ms?.toFixed(1)} ms | ${x(a.p99Ratio ?? Number.NaN)} | | ≤ 2x |`,
    );
  }
  lines.push('', 'Raw figures per run: `bench/results-floors.json` (and `bench/results-api.json`).');
  return lines.join('\n');
}

function writeSection(text: string): void {
  const begin = '<!-- floors:begin -->';
  const end = '<!-- floors:end -->';
  const existing = existsSync(MARKDOWN) ? readFileSync(MARKDOWN, 'utf8') : '# Benchmarks\n';
  const block = `${begin}\n${text}\n${end}`;
  const i = existing.indexOf(begin);
  const j = existing.indexOf(end);
  const next =
    i >= 0 && j > i ? `${existing.slice(0, i)}${block}${existing.slice(j + end.length)}` : `${existing.trimEnd()}\n\n## Floors (issue 18)\n\n${block}\n`;
  writeFileSync(MARKDOWN, next);
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist', 'bundle', 'model.cjs'))) throw new Error('build first: npm run build');
  mkdirSync(OUT, { recursive: true });
  const results: Results = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' '),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, loadAverageBefore: os.loadavg()[0]! },
  };
  if (ONLY.has('compile')) results.compile = await benchCompile();
  if (ONLY.has('build')) {
    results.build = [];
    for (const rows of ROWS) results.build.push(await benchBuild(rows));
  }
  if (ONLY.has('api')) results.api = await benchApi();
  results.machine.loadAverageAfter = os.loadavg()[0]!;
  mkdirSync(path.dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  writeSection(markdown(results));
  log(`wrote ${path.relative(ROOT, RESULTS)} and ${path.relative(ROOT, MARKDOWN)}`);
}

await main();
