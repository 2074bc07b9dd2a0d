/**
 * Server CPU per `/getVoucher/` request, a focused probe for shared machines (req/s is unusable
 * there): starts one server, drives a fixed number of requests at 50 connections with autocannon,
 * and reads the server's user+sys time from /proc before and after. Not a benchmark of record
 * (bench/api-bench.ts is); a quick before/after for one change.
 *
 *   npx tsx bench/api-cpu.ts [bare|bare-worker|api|main] [--requests 100000] [--prof DIR]
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { BODIES } from './api-bodies.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const which = process.argv[2] ?? 'api';
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const REQUESTS = Number(arg('requests') ?? 100_000);
const prof = arg('prof');

const BARE = `
import http from 'node:http';
const answers = new Map([['recency_segment', { voucher_amount: 3520, segment_name: '61-90' }], ['frequent_segment', { voucher_amount: 2640, segment_name: '1-4' }]]);
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const a = answers.get(body.segment_name);
    const payload = JSON.stringify({ voucher_amount: a.voucher_amount, segment_type: body.segment_name, segment_name: a.segment_name, customer_id: body.customer_id });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  });
}).listen(0, '127.0.0.1', function () {
  process.on('SIGINT', () => process.exit(0)); process.stderr.write('listening on http://127.0.0.1:' + this.address().port + '\\n'); });
`;

/** user and sys CPU time so far, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return [Number(f[11]) * 10, Number(f[12]) * 10];
}

/** Each thread's user+sys CPU time so far, in ms, by thread name and id. */
function threadsMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.split(') ')[1]!.split(' ');
      out.set(`${name}#${tid}`, (Number(f[11]) + Number(f[12])) * 10);
    } catch {}
  }
  return out;
}

async function main() {
  const nodeFlags = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  let args: string[];
  if (which === 'bare') args = [...nodeFlags, '--input-type=module', '-e', BARE];
  // The same bare server in a worker thread, to see what a thread of its own costs per request.
  else if (which === 'bare-worker')
    args = [
      ...nodeFlags,
      '--input-type=module',
      '-e',
      `import { Worker } from 'node:worker_threads'; new Worker(${JSON.stringify(BARE)}, { eval: true }); process.on('SIGINT', () => process.exit(0));`,
    ];
  else {
    const project = mkdtempSync(path.join(os.tmpdir(), 'model-api-cpu-'));
    for (const e of ['project.yml', 'profiles.yml', 'models', 'seeds', 'macros', 'data'])
      cpSync(path.join(ROOT, e), path.join(project, e), { recursive: true });
    const b = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'model.js'), 'build', '--project-dir', project], { stdio: 'ignore' });
    if (b.status !== 0) throw new Error('model build failed');
    args = [
      ...nodeFlags,
      path.join(ROOT, 'bin', 'model.js'),
      'serve',
      '--port',
      '0',
      '--project-dir',
      project,
      ...(which === 'main' ? ['--rate-limit', '1000000000'] : []),
    ];
  }
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      const m = /(?:listening on|voucher API on) (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (c) => reject(new Error(`exited ${c}: ${err}`)));
  });
  const run = (amount: number) =>
    autocannon({
      url: `${url}/getVoucher/`,
      connections: 50,
      amount,
      requests: BODIES.map((b) => ({
        method: 'POST' as const,
        path: '/getVoucher/',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(b),
      })),
    });
  await run(Math.min(30_000, REQUESTS));
  const before = cpuMs(child.pid!);
  const threadsBefore = threadsMs(child.pid!);
  const r = await run(REQUESTS);
  const after = cpuMs(child.pid!);
  const per = (k: 0 | 1) => ((after[k] - before[k]) * 1000) / r.requests.total;
  console.log(
    `${which}: ${(per(0) + per(1)).toFixed(1)} µs CPU/request (user ${per(0).toFixed(1)}, sys ${per(1).toFixed(1)}) over ${r.requests.total} requests (non2xx ${r.non2xx}, ${r.requests.average.toFixed(0)} req/s, load ${os.loadavg()[0]!.toFixed(2)})`,
  );
  // Where it went, per thread (µs a request), the threads that used any.
  const threads = [...threadsMs(child.pid!)]
    .map(([k, v]) => [k, ((v - (threadsBefore.get(k) ?? 0)) * 1000) / r.requests.total] as const)
    .filter(([, v]) => v > 0);
  console.log(`  per thread: ${threads.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  child.kill('SIGINT');
  await new Promise((res) => child.once('exit', res));
}
void main();
