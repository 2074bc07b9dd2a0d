/**
 * A/B timing of `model compile` on one project: several variants (builds, or the same build with
 * other environment variables), run interleaved round by round so that the machine's drift hits
 * every variant alike, each run a new process (cold). Reports, per variant, the median wall time
 * and the median CPU time (user + sys of the compile process, measured by the process itself at
 * exit, microsecond resolution), and each median's ratio to the first variant's.
 *
 *   tsx bench/compare-compile.ts --project DIR [--runs 21] [--warmup 2] [--json out.json] \
 *     --variant before=/path/to/old/bin/model.js --variant after=bin/model.js[,ENV=value...]
 *
 * A variant is `label=MODEL_JS`, optionally followed by `,NAME=value` environment settings.
 * It asserts nothing: figures belong in BENCHMARKS.md, not in tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Variant {
  label: string;
  modelJs: string;
  env: Record<string, string>;
}

interface Sample {
  wall: number;
  cpu: number;
  user: number;
  sys: number;
}

const argv = process.argv.slice(2);
const get = (flag: string) => {
  const i = argv.indexOf(flag);
  return i === -1 ? undefined : argv[i + 1];
};
const project = get('--project');
const runs = Number(get('--runs') ?? '21');
const warmup = Number(get('--warmup') ?? '2');
const variants: Variant[] = argv.flatMap((a, i) => {
  if (a !== '--variant') return [];
  const spec = argv[i + 1]!;
  const eq = spec.indexOf('=');
  const [modelJs, ...envs] = spec.slice(eq + 1).split(',');
  return [
    {
      label: spec.slice(0, eq),
      modelJs: path.resolve(modelJs!),
      env: Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    },
  ];
});
if (!project || variants.length === 0 || !(runs > 0)) {
  process.stderr.write('usage: tsx bench/compare-compile.ts --project DIR [--runs N] [--warmup N] [--json FILE] --variant label=bin/model.js[,ENV=v] ...\n');
  process.exit(2);
}

// The compile process writes its own CPU time when it exits (uv_getrusage: all its threads).
const scratch = mkdtempSync(path.join(os.tmpdir(), 'model-compare-'));
const preload = path.join(scratch, 'cpu-at-exit.cjs');
writeFileSync(
  preload,
  "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeFileSync(process.env.MODEL_BENCH_CPU_FILE, u.user + ' ' + u.system); });\n",
);

function once(v: Variant): Promise<Sample> {
  const cpuFile = path.join(scratch, 'cpu');
  rmSync(cpuFile, { force: true });
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-r', preload, v.modelJs, 'compile', '--project-dir', project!], {
      env: { ...process.env, NO_COLOR: '1', ...v.env, MODEL_BENCH_CPU_FILE: cpuFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${v.label} exited ${code}: ${stderr.slice(-2000)}`));
      const [user, sys] = readFileSync(cpuFile, 'utf8')
        .split(' ')
        .map((x) => Number(x) / 1e6) as [number, number];
      resolve({ wall, cpu: user + sys, user, sys });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const samples = new Map<string, Sample[]>(variants.map((v) => [v.label, []]));
for (let r = 0; r < warmup + runs; r++) {
  // Rotate the order each round so no variant always runs first after a pause.
  for (let k = 0; k < variants.length; k++) {
    const v = variants[(r + k) % variants.length]!;
    const s = await once(v);
    if (r >= warmup) samples.get(v.label)!.push(s);
  }
}
rmSync(scratch, { recursive: true, force: true });

const rows = variants.map((v) => {
  const xs = samples.get(v.label)!;
  return {
    label: v.label,
    wall: median(xs.map((s) => s.wall)),
    cpu: median(xs.map((s) => s.cpu)),
    user: median(xs.map((s) => s.user)),
    sys: median(xs.map((s) => s.sys)),
    wallRange: [Math.min(...xs.map((s) => s.wall)), Math.max(...xs.map((s) => s.wall))],
    samples: xs,
  };
});
const base = rows[0]!;
process.stdout.write(`${project}: ${runs} interleaved runs per variant (after ${warmup} warm-up rounds), medians\n`);
process.stdout.write('variant | wall (s) | wall vs first | CPU user+sys (s) | CPU vs first | user | sys | wall min-max\n');
for (const r of rows) {
  process.stdout.write(
    `${r.label} | ${r.wall.toFixed(3)} | ${(r.wall / base.wall).toFixed(3)} | ${r.cpu.toFixed(3)} | ${(r.cpu / base.cpu).toFixed(3)} | ${r.user.toFixed(3)} | ${r.sys.toFixed(3)} | ${r.wallRange[0]!.toFixed(3)}-${r.wallRange[1]!.toFixed(3)}\n`,
  );
}
const json = get('--json');
if (json) writeFileSync(json, `${JSON.stringify({ project, runs, warmup, node: process.version, rows }, null, 2)}\n`);
