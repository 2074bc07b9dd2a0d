import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/project.js';

// CI runs the benchmark harness in its quick mode so it never rots. No timing is asserted.
describe('the benchmark harness', () => {
  it('runs the compile and build benchmarks at tiny sizes and writes its results', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'model-bench-'));
    const results = path.join(dir, 'results.json');
    const markdown = path.join(dir, 'BENCHMARKS.md');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/run-bench.ts',
        '--quick',
        '--only',
        'compile,build',
        '--models',
        '20',
        '--rows',
        '5k',
        '--results',
        results,
        '--markdown',
        markdown,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(results, 'utf8'));
    expect(json.machine.cores).toBeGreaterThan(0);
    expect(json.compile.map((c: { models: number }) => c.models)).toEqual([0, 7, 20]);
    expect(json.build[0].rows).toBe(5000);
    expect(json.build[0].statements).toBeGreaterThan(10);
    expect(json.build[0].ratioToDirect).toBeGreaterThan(0);
    expect(readFileSync(markdown, 'utf8')).toContain('| 5,000 |');
  });
});
