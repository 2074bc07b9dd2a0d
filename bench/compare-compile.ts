/**
 * Cold `model compile` of the same generated project by two builds of the engine, interleaved
 * run by run so both see the same machine load: the check that a refactor did not slow compiling.
 *
 *   npx tsx bench/compare-compile.ts --base /path/to/other/checkout [--models 1000] [--runs 15]
 *
 * Each checkout must be built (`npm run build`). Prints wall and CPU (user+sys) medians per build.
 * A measurement, not a test: it asserts nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shapeFor, writeModelProject } from './generate-project.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const base = arg('--base');
if (!base) {
  process.stderr.write('usage: tsx bench/compare-compile.ts --base DIR [--models N] [--runs N]\n');
  process.exit(2);
}
const models = Number(arg('--models', '1000'));
const runs = Number(arg('--runs', '15'));
const builds = { base: path.resolve(base), this: ROOT };

/** GNU time, for the child's CPU seconds (Debian's `time` package); without it only wall time is shown. */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const work = mkdtempSync(path.join(os.tmpdir(), 'model-compare-'));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

try {
  const samples: Record<string, { wall: number[]; cpu: number[] }> = {};
  for (const [name, dir] of Object.entries(builds)) {
    const project = path.join(work, name);
    writeModelProject(project, shapeFor(models));
    // One unmeasured run per build: the code cache and the target/ files exist for the timed ones.
    execFileSync(process.execPath, [path.join(dir, 'bin', 'model.js'), 'compile', '--project-dir', project], { stdio: 'ignore' });
    samples[name] = { wall: [], cpu: [] };
  }
  for (let r = 0; r < runs; r++) {
    for (const [name, dir] of Object.entries(builds)) {
      // `time -f` gives the child's own CPU seconds; wall is measured around the spawn.
      const start = process.hrtime.bigint();
      const command = [process.execPath, path.join(dir, 'bin', 'model.js'), 'compile', '--project-dir', path.join(work, name)];
      const out = TIME ? spawnSync(TIME, ['-f', '%U %S', ...command], { encoding: 'utf8' }) : spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      samples[name]!.wall.push(wall);
      if (TIME) {
        const [user, sys] = out.stderr.trim().split('\n').pop()!.split(' ').map(Number);
        samples[name]!.cpu.push(user! + sys!);
      }
    }
  }
  for (const [name, s] of Object.entries(samples)) {
    const cpu = s.cpu.length ? `, cpu median ${median(s.cpu).toFixed(3)} s` : '';
    process.stdout.write(`${name.padEnd(5)} ${builds[name as keyof typeof builds]}: wall median ${median(s.wall).toFixed(3)} s${cpu} (${runs} runs, ${models} models)\n`);
  }
  const ratio = median(samples.this!.wall) / median(samples.base!.wall);
  const cpuRatio = TIME ? `; cpu: ${(median(samples.this!.cpu) / median(samples.base!.cpu)).toFixed(3)}x` : '';
  process.stdout.write(`this / base wall: ${ratio.toFixed(3)}x${cpuRatio}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
