// Issue 15: loading a file source into Snowflake through the loopback emulator, through a stage
// (PUT + COPY INTO) against the old array-bound INSERT path: statements sent, bytes uploaded, wall
// time. The old path is the engine as it was before the change, built from git history:
//   git archive e4ae54d | tar -x -C /tmp/old && ln -s $PWD/node_modules /tmp/old/ && (cd /tmp/old && npm run build)
//   npx tsx bench/stage-load-bench.ts --rows 20000,1000000 --old /tmp/old
// Sizes run one after the other, new and old interleaved, so both see the same machine load.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateVouchers } from '../app/datagen/generate-vouchers.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../packages/snowflake-emulator/src/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const sizes = (arg('rows') ?? '20000,1000000').split(',').map(Number);
const oldRoot = arg('old');
const skipOldAbove = Number(arg('old-max') ?? 2_000_000);
const out = arg('out') ?? 'results-stage-load.json';

function run(bin: string, cwd: string, file: string): Promise<{ code: number | null; stdout: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'build', '--target', 'sf', '--vars', `{events_path: ${file}}`], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, ms: Date.now() - t0 }));
  });
}

async function measure(emulator: SnowflakeEmulator, bin: string, dir: string, file: string) {
  const from = emulator.statementLog.length;
  const r = await run(bin, dir, file);
  if (r.code !== 0) throw new Error(`build failed:\n${r.stdout}`);
  const sent = emulator.statementLog.slice(from).map((s) => s.sql);
  // The build lock's heartbeat counts seconds, not rows.
  const statements = sent.filter((s) => !/^update \S+model_build_lock set heartbeat_ms/i.test(s)).length;
  const uploaded = /(\d+) parts?, ([\d.]+) MB uploaded/.exec(r.stdout);
  return {
    statements,
    heartbeats: sent.length - statements,
    seconds: r.ms / 1000,
    parts: uploaded ? Number(uploaded[1]) : 0,
    mb: uploaded ? Number(uploaded[2]) : 0,
  };
}

const emulator = await startSnowflakeEmulator({ port: 0 });
const dir = mkdtempSync(path.join(os.tmpdir(), 'stage-load-bench-'));
writeFileSync(path.join(dir, 'project.yml'), 'name: bench\nprofile: bench\n');
writeFileSync(
  path.join(dir, 'profiles.yml'),
  `bench:\n  target: sf\n  outputs:\n    sf:\n      type: snowflake\n      account: emulator\n      user: model\n      password: model-password\n      access_url: ${emulator.url}\n      warehouse: compute_wh\n      database: bench_db\n      schema: public\n      threads: 4\n`,
);
const models = path.join(dir, 'models');
mkdirSync(models);
writeFileSync(
  path.join(models, 'sources.yml'),
  'sources:\n  - name: raw\n    tables:\n      - name: vouchers\n        external:\n          location: "{{ var(\'events_path\') }}"\n',
);

const results: Record<string, unknown>[] = [];
try {
  for (const rows of sizes) {
    const file = path.join(dir, `vouchers-${rows}.parquet`);
    await generateVouchers({ rows, seed: 1, out: file, threads: 2 });
    // A first build creates the table; the measured ones replace it, as every later build does.
    await measure(emulator, path.join(ROOT, 'bin', 'model.js'), dir, file);
    const stage = await measure(emulator, path.join(ROOT, 'bin', 'model.js'), dir, file);
    const row: Record<string, unknown> = { rows, stage };
    if (oldRoot && rows <= skipOldAbove) row.insert = await measure(emulator, path.join(oldRoot, 'bin', 'model.js'), dir, file);
    results.push(row);
    console.log(JSON.stringify(row));
  }
} finally {
  await emulator.close();
}
writeFileSync(path.join(ROOT, 'bench', out), `${JSON.stringify({ measuredAt: new Date().toISOString(), cpus: os.cpus().length, results }, null, 2)}\n`);
