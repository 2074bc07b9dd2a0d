/**
 * `npm run bench`: measures what people wait for, each figure as the median of several runs and
 * as a ratio against a baseline measured in the same run, on this machine.
 *
 *   1. `model compile`, whole process, cold: the shipped project and 100 / 1,000 / 10,000
 *      generated models; baseline: Dataform's compile of the same graph (when --dataform).
 *   2. `model build` of the shipped project on 1M / 10M / 50M generated rows, with peak RSS;
 *      baseline: the same SQL statements run directly by DuckDB from a plain script.
 *   3. `/getVoucher/` throughput and p99 against a bare node:http server (bench/api-bench.ts).
 *
 * Writes bench/results.json and BENCHMARKS.md. `--quick` runs tiny sizes once (CI uses it to keep
 * the harness working; it asserts nothing about timings).
 *
 *   npm run bench -- [--quick] [--runs N] [--only compile,build,api] [--dataform [--dataform-max 1000]] [--rows 1M,10M]
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateVouchers } from '../app/datagen/generate-vouchers.js';
import { shapeFor, writeDataformProject, writeModelProject } from './generate-project.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench', 'out');
const MODEL = path.join(ROOT, 'bin', 'model.js');

interface Args {
  quick: boolean;
  runs: number;
  only: Set<string>;
  dataform: boolean;
  /** Largest project Dataform is timed on (it takes minutes at 10,000 models). */
  dataformMax: number;
  rows: number[];
  models: number[];
  resultsFile: string;
  markdownFile: string;
}

function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`not a row count: ${s}`);
  return Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 'k' ? 1e3 : m[2]?.toLowerCase() === 'm' ? 1e6 : 1));
}

function parseArgs(argv: string[]): Args {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const quick = argv.includes('--quick');
  return {
    quick,
    runs: Number(get('--runs') ?? (quick ? 1 : 5)),
    only: new Set((get('--only') ?? 'compile,build,api').split(',')),
    dataform: argv.includes('--dataform'),
    dataformMax: Number(get('--dataform-max') ?? '1000'),
    rows: (get('--rows') ?? (quick ? '20k' : '1M,10M,50M')).split(',').map(parseCount),
    models: (get('--models') ?? (quick ? '100' : '100,1000,10000')).split(',').map(Number),
    resultsFile: get('--results') ?? path.join(ROOT, 'bench', quick ? 'out/results-quick.json' : 'results.json'),
    markdownFile: get('--markdown') ?? path.join(ROOT, quick ? 'bench/out/BENCHMARKS-quick.md' : 'BENCHMARKS.md'),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Timed {
  seconds: number;
  maxRssMiB?: number;
}

/** Runs a command, measuring its wall time and (with GNU time) its peak RSS. */
function timed(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Timed> {
  const gnuTime = existsSync('/usr/bin/time');
  const rssFile = path.join(os.tmpdir(), `model-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [file, argList] = gnuTime ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argList, { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      let maxRssMiB: number | undefined;
      if (gnuTime && existsSync(rssFile)) {
        maxRssMiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024;
        rmSync(rssFile, { force: true });
      }
      resolve({ seconds, maxRssMiB });
    });
  });
}

async function repeat(runs: number, fn: () => Promise<Timed>): Promise<{ median: number; runs: number[]; maxRssMiB?: number }> {
  const out: Timed[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn());
  const rss = out.map((t) => t.maxRssMiB).filter((x): x is number => x !== undefined);
  return { median: median(out.map((t) => t.seconds)), runs: out.map((t) => t.seconds), maxRssMiB: rss.length ? Math.max(...rss) : undefined };
}

function shippedCopy(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of ['project.yml', 'profiles.yml', 'models', 'seeds', 'macros', 'data-tests', 'data']) {
    if (existsSync(path.join(ROOT, entry))) cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  return dir;
}

/** Installs Dataform's CLI once into bench/out/.dataform (needs the npm registry). */
function dataformBin(): string | undefined {
  const dir = path.join(OUT, '.dataform');
  const bin = path.join(dir, 'node_modules', '.bin', 'dataform');
  if (existsSync(bin)) return bin;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{"name":"dataform-bench","private":true}');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '@dataform/cli@3', '@dataform/core@3'], { cwd: dir, stdio: 'ignore' });
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

interface CompileFigure {
  project: string;
  models: number;
  seconds: number;
  runs: number[];
  dataformSeconds?: number;
  speedupVsDataform?: number;
}

async function benchCompile(args: Args): Promise<CompileFigure[]> {
  const figures: CompileFigure[] = [];
  // The floor of any whole-process figure on this machine: Node starting and exiting.
  const node = await repeat(args.runs, () => timed(process.execPath, ['-e', '0']));
  figures.push({ project: 'node -e 0 (Node start-up alone)', models: 0, seconds: node.median, runs: node.runs });
  log(`node start-up: ${node.median.toFixed(3)} s`);
  const shipped = shippedCopy(path.join(OUT, 'compile-shipped'));
  const s = await repeat(args.runs, () => timed(process.execPath, [MODEL, 'compile'], { cwd: shipped }));
  figures.push({ project: 'shipped', models: 7, seconds: s.median, runs: s.runs });
  log(`compile shipped project: ${s.median.toFixed(3)} s`);
  const df = args.dataform ? dataformBin() : undefined;
  if (args.dataform && !df) log('dataform: could not install @dataform/cli; no Dataform baseline');
  for (const n of args.models) {
    const dir = path.join(OUT, `compile-${n}`);
    writeModelProject(dir, shapeFor(n));
    const ours = await repeat(args.runs, () => timed(process.execPath, [MODEL, 'compile'], { cwd: dir }));
    const fig: CompileFigure = { project: `generated`, models: n, seconds: ours.median, runs: ours.runs };
    if (df && n <= args.dataformMax) {
      const dfDir = path.join(OUT, `dataform-${n}`);
      writeDataformProject(dfDir, shapeFor(n));
      const theirs = await repeat(Math.min(args.runs, 3), () => timed(df, ['compile', dfDir]));
      fig.dataformSeconds = theirs.median;
      fig.speedupVsDataform = theirs.median / ours.median;
    }
    figures.push(fig);
    log(
      `compile ${n} models: ${ours.median.toFixed(3)} s${fig.dataformSeconds ? `; dataform ${fig.dataformSeconds.toFixed(3)} s (${fig.speedupVsDataform!.toFixed(1)}x)` : ''}`,
    );
  }
  return figures;
}

interface BuildFigure {
  rows: number;
  seconds: number;
  maxRssMiB?: number;
  directSeconds: number;
  directMaxRssMiB?: number;
  ratioToDirect: number;
  statements: number;
}

async function benchBuild(args: Args): Promise<BuildFigure[]> {
  const figures: BuildFigure[] = [];
  mkdirSync(path.join(OUT, 'data'), { recursive: true });
  for (const rows of args.rows) {
    const file = path.join(OUT, 'data', `vouchers_${rows}.parquet`);
    if (!existsSync(file)) {
      log(`generating ${rows} rows…`);
      await generateVouchers({ rows, out: file });
    }
    const dir = shippedCopy(path.join(OUT, 'build-project'));
    const db = path.join(dir, 'target', 'dh_database.duckdb');
    const sqlLog = path.join(OUT, `statements-${rows}.jsonl`);
    const vars = JSON.stringify({ vouchers_path: file });
    const ours = await repeat(args.runs, async () => {
      rmSync(path.join(dir, 'target'), { recursive: true, force: true });
      rmSync(sqlLog, { force: true });
      return timed(process.execPath, [MODEL, 'build', '--vars', vars], { cwd: dir, env: { MODEL_SQL_LOG: sqlLog } });
    });
    const statements = readFileSync(sqlLog, 'utf8').split('\n').filter(Boolean).length;
    const direct = await repeat(args.runs, () => timed(process.execPath, [path.join(ROOT, 'bench', 'direct-duckdb.mjs'), sqlLog, db]));
    const fig: BuildFigure = {
      rows,
      seconds: ours.median,
      maxRssMiB: ours.maxRssMiB,
      directSeconds: direct.median,
      directMaxRssMiB: direct.maxRssMiB,
      ratioToDirect: ours.median / direct.median,
      statements,
    };
    figures.push(fig);
    log(
      `build ${rows} rows: ${ours.median.toFixed(2)} s (peak ${ours.maxRssMiB?.toFixed(0) ?? '?'} MiB); direct DuckDB ${direct.median.toFixed(2)} s; ratio ${fig.ratioToDirect.toFixed(2)}`,
    );
  }
  return figures;
}

async function benchApi(args: Args): Promise<unknown> {
  const script = path.join(ROOT, 'bench', 'api-bench.ts');
  // api-bench.ts writes bench/results-api.json and the API section of BENCHMARKS.md itself.
  const rounds = args.quick ? ['--rounds', '1', '--duration', '2'] : [];
  await timed(process.execPath, ['--import', 'tsx', script, ...rounds]);
  const resultFile = path.join(ROOT, 'bench', 'results-api.json');
  return existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as { summary?: unknown }).summary : undefined;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

function machine() {
  let duckdb = '';
  try {
    duckdb = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')).version;
  } catch {
    duckdb = 'unknown';
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    duckdb,
  };
}

type Kept = Partial<Record<'compile' | 'build', { date: string; runs: number }>>;

function markdown(results: {
  machine: ReturnType<typeof machine>;
  date: string;
  runs: number;
  compile?: CompileFigure[];
  build?: BuildFigure[];
  api?: unknown;
  kept?: Kept;
}): string {
  const keptNote = (section: 'compile' | 'build'): string[] => {
    const k = results.kept?.[section];
    return k ? [`(Not measured in this run: these figures are from ${k.date}, each the median of ${k.runs} runs.)`, ''] : [];
  };
  const m = results.machine;
  const lines = [
    '# Benchmarks',
    '',
    `Measured ${results.date} with \`npm run bench\` on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}, DuckDB node-api ${m.duckdb}.`,
    `Each figure is the median of ${results.runs} runs (whole process, cold: a new process each run).`,
    '',
  ];
  if (results.compile) {
    lines.push(
      '## `model compile`',
      '',
      ...keptNote('compile'),
      '| project | models | model compile (s) | Dataform compile (s) | speed-up |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    for (const f of results.compile) {
      lines.push(
        `| ${f.project} | ${f.models} | ${f.seconds.toFixed(3)} | ${f.dataformSeconds?.toFixed(3) ?? 'n/a'} | ${f.speedupVsDataform ? `${f.speedupVsDataform.toFixed(1)}x` : 'n/a'} |`,
      );
    }
    lines.push('', 'Targets: shipped project under 0.25 s; 1,000 models under 1 s; 10,000 under 8 s; at least 10x faster than Dataform.', '');
  }
  if (results.build) {
    lines.push(
      '## `model build` of the shipped project',
      '',
      ...keptNote('build'),
      '| rows | model build (s) | peak RSS (MiB) | same SQL, direct DuckDB (s) | direct peak RSS (MiB) | ratio |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const f of results.build) {
      lines.push(
        `| ${f.rows.toLocaleString('en-US')} | ${f.seconds.toFixed(2)} | ${f.maxRssMiB?.toFixed(0) ?? 'n/a'} | ${f.directSeconds.toFixed(2)} | ${f.directMaxRssMiB?.toFixed(0) ?? 'n/a'} | ${f.ratioToDirect.toFixed(2)} |`,
      );
    }
    lines.push(
      '',
      'The direct figure replays every statement the build ran (captured with `MODEL_SQL_LOG`) on a fresh database from a plain script: the floor for this engine. Targets: within 1.2x of it at 10M rows; 50M rows under 3 GiB peak RSS.',
      '',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(OUT, { recursive: true });
  if (!existsSync(path.join(ROOT, 'dist', 'bundle', 'model.cjs'))) throw new Error('build first: npm run build');
  const results: Parameters<typeof markdown>[0] = { machine: machine(), date: new Date().toISOString().slice(0, 10), runs: args.runs };
  if (args.only.has('compile')) results.compile = await benchCompile(args);
  if (args.only.has('build')) results.build = await benchBuild(args);
  if (args.only.has('api')) results.api = await benchApi(args);
  // A section not measured this time keeps its figures from the previous results file, with
  // the date and run count they were measured with.
  const previousResults = existsSync(args.resultsFile) ? (JSON.parse(readFileSync(args.resultsFile, 'utf8')) as typeof results) : undefined;
  for (const section of ['compile', 'build'] as const) {
    const old = previousResults?.[section];
    if (results[section] || !old) continue;
    (results as Record<string, unknown>)[section] = old;
    results.kept = { ...results.kept, [section]: previousResults.kept?.[section] ?? { date: previousResults.date, runs: previousResults.runs } };
  }
  mkdirSync(path.dirname(args.resultsFile), { recursive: true });
  writeFileSync(args.resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  // The API section is api-bench.ts's own: keep it when rewriting the rest.
  const previous = existsSync(args.markdownFile) ? readFileSync(args.markdownFile, 'utf8') : '';
  const apiSection = previous.indexOf('## API\n') >= 0 ? previous.slice(previous.indexOf('## API\n')) : '';
  writeFileSync(args.markdownFile, `${markdown(results)}\n${apiSection}`);
  log(`wrote ${path.relative(ROOT, args.resultsFile)} and ${path.relative(ROOT, args.markdownFile)}`);
}

await main();
