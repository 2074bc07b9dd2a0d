/**
 * `/getVoucher/` throughput and latency at 50 connections on loopback, beside a bare `node:http`
 * server that parses the JSON body and answers JSON from a map, in the same run. Target (issue 18): at least 0.8x the bare server's
 * requests per second, and a p99 no worse than 2x its p99.
 *
 * Each server runs in its own process (the API as the real `model serve`, logging JSON lines to
 * stdout as in production, here to /dev/null; and once more with logging off, to show what the
 * logs cost); autocannon drives them from this process, one at a time, alternating over rounds. Writes bench/results-api.json and the "API" section of
 * BENCHMARKS.md.
 *
 * The machine may be shared and its load may swing: the figures are medians over alternating
 * rounds, and the ratios are taken within each round (bare and API measured back to back).
 *
 *   npm run bench:api [-- --duration 6 --rounds 5 --connections 50]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { BODIES } from './api-bodies.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL_BIN = path.join(ROOT, 'bin', 'model.js');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const DURATION = flag('duration', 4);
const ROUNDS = flag('rounds', 7);
const CONNECTIONS = flag('connections', 50);
/** Issue 18: at least 0.8x the bare server's requests per second (it was 0.7 before). */
const TARGET_RATIO = 0.8;

/**
 * The baseline (issue 18): a bare node:http server answering from a map. It reads the body, parses
 * it as JSON, looks the answer up in a Map by segment type and answers JSON built from it (echoing
 * customer_id, as the API does), keep-alive. It validates nothing, logs nothing and computes no
 * segment: the floor of a JSON API on this machine.
 */
const BARE_SERVER = `
import http from 'node:http';
const answers = new Map([
  ['recency_segment', { voucher_amount: 3520, segment_name: '61-90' }],
  ['frequent_segment', { voucher_amount: 2640, segment_name: '1-4' }],
]);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let status = 200;
    let payload;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const answer = answers.get(body.segment_name);
      if (answer) payload = JSON.stringify({ voucher_amount: answer.voucher_amount, segment_type: body.segment_name, segment_name: answer.segment_name, customer_id: body.customer_id });
      else {
        status = 404;
        payload = '{"error":{"code":"no_segment"}}';
      }
    } catch {
      status = 400;
      payload = '{"error":{"code":"invalid_json"}}';
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  });
});
server.keepAliveTimeout = 72000;
server.listen(0, '127.0.0.1', () => process.stderr.write('listening on http://127.0.0.1:' + server.address().port + '\\n'));
`;

/** The framework's floor: Fastify with one route returning a fixed JSON, no logger (for context, not the target). */
const FASTIFY_SERVER = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
const body = { voucher_amount: 3520, segment_type: 'recency_segment', segment_name: '61-90', customer_id: 123 };
app.post('/getVoucher/', async () => body);
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stderr.write('listening on ' + address + '\\n');
`;

/** A port free at the moment (for a server that, logging nothing, cannot say which one it took). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** `model serve --log-level none` on a given port, ready once it answers /health. */
async function startSilentServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...args, '--port', String(port), '--log-level', 'none'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${err}`);
    if (waited > 30_000) throw new Error(`server did not start: ${err}`);
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startServer(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /(?:listening on|voucher API on) (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

interface Figures {
  requestsPerSecond: number;
  /** The server process's CPU time (user+sys) per answered request, in µs: what it costs, whatever the machine's load. */
  cpuUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** A process's CPU time so far (user+sys), in ms, from /proc (Linux; NaN elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function load(url: string, seconds: number, pid?: number): Promise<Figures> {
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({
    url: `${url}/getVoucher/`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: BODIES.map((b) => ({ method: 'POST' as const, path: '/getVoucher/', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })),
  });
  return {
    requestsPerSecond: result.requests.average,
    cpuUsPerRequest: ((cpuMs(pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist', 'bundle', 'model.cjs'))) throw new Error('build first: npm run build');
  const project = mkdtempSync(path.join(os.tmpdir(), 'model-bench-api-'));
  for (const entry of ['project.yml', 'profiles.yml', 'models', 'seeds', 'macros', 'data'])
    cpSync(path.join(ROOT, entry), path.join(project, entry), { recursive: true });
  const build = spawn(process.execPath, [MODEL_BIN, 'build', '--project-dir', project], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => build.on('exit', resolve));
  if (code !== 0) throw new Error(`model build failed (${code})`);

  const bare = await startServer(['--input-type=module', '-e', BARE_SERVER]);
  const api = await startServer([MODEL_BIN, 'serve', '--port', '0', '--project-dir', project]);
  const quiet = await startSilentServer([MODEL_BIN, 'serve', '--project-dir', project]);
  const fastify = await startServer(['--input-type=module', '-e', FASTIFY_SERVER]);
  // The same server without its front thread (app/api/voucher-front.ts): a /getVoucher/ rate limit
  // keeps every request in the main thread (a limit this high never refuses one), as before the front.
  const mainThread = await startServer([MODEL_BIN, 'serve', '--port', '0', '--project-dir', project, '--rate-limit', '1000000000']);
  const rounds: Round[] = [];
  try {
    // Warm all up (JIT, connection pools) before measuring.
    for (const s of [bare, api, quiet, fastify, mainThread]) await load(s.url, 5);
    for (let i = 0; i < ROUNDS; i++) {
      // Rotate the order so that no server always runs first (or last) in a round.
      const order = [bare, api, quiet, fastify, mainThread].map((_, k, all) => all[(k + i) % all.length]!);
      const figures = new Map<string, Figures>();
      for (const s of order) figures.set(s.url, await load(s.url, DURATION, s.child.pid));
      const b = figures.get(bare.url)!;
      const a = figures.get(api.url)!;
      const q = figures.get(quiet.url)!;
      const f = figures.get(fastify.url)!;
      const m = figures.get(mainThread.url)!;
      rounds.push({ bare: b, api: a, apiWithoutLogs: q, fastifyMinimal: f, apiMainThread: m, loadAverage: os.loadavg()[0]! });
      process.stderr.write(
        `round ${i + 1}: bare ${b.requestsPerSecond.toFixed(0)} req/s p99 ${b.p99Ms} ms ${b.cpuUsPerRequest.toFixed(1)} µs CPU/req; api ${a.requestsPerSecond.toFixed(0)} req/s p99 ${a.p99Ms} ms ${a.cpuUsPerRequest.toFixed(1)} µs CPU/req; ` +
          `api without logs ${q.requestsPerSecond.toFixed(0)} req/s p99 ${q.p99Ms} ms; api in the main thread ${m.requestsPerSecond.toFixed(0)} req/s p99 ${m.p99Ms} ms ${m.cpuUsPerRequest.toFixed(1)} µs CPU/req; minimal fastify ${f.requestsPerSecond.toFixed(0)} req/s p99 ${f.p99Ms} ms; load ${os.loadavg()[0]!.toFixed(1)}\n`,
      );
    }
  } finally {
    for (const s of [bare, api, quiet, fastify, mainThread]) await stop(s.child);
    rmSync(project, { recursive: true, force: true });
  }

  const summary = {
    bareRps: median(rounds.map((r) => r.bare.requestsPerSecond)),
    apiRps: median(rounds.map((r) => r.api.requestsPerSecond)),
    apiWithoutLogsRps: median(rounds.map((r) => r.apiWithoutLogs.requestsPerSecond)),
    bareP99Ms: median(rounds.map((r) => r.bare.p99Ms)),
    apiP99Ms: median(rounds.map((r) => r.api.p99Ms)),
    apiWithoutLogsP99Ms: median(rounds.map((r) => r.apiWithoutLogs.p99Ms)),
    apiMainThreadRps: median(rounds.map((r) => r.apiMainThread.requestsPerSecond)),
    apiMainThreadP99Ms: median(rounds.map((r) => r.apiMainThread.p99Ms)),
    apiMainThreadRatio: median(rounds.map((r) => r.apiMainThread.requestsPerSecond / r.bare.requestsPerSecond)),
    apiMainThreadCpuUsPerRequest: median(rounds.map((r) => r.apiMainThread.cpuUsPerRequest)),
    fastifyMinimalRps: median(rounds.map((r) => r.fastifyMinimal.requestsPerSecond)),
    fastifyMinimalP99Ms: median(rounds.map((r) => r.fastifyMinimal.p99Ms)),
    fastifyMinimalRatio: median(rounds.map((r) => r.fastifyMinimal.requestsPerSecond / r.bare.requestsPerSecond)),
    throughputRatio: median(rounds.map((r) => r.api.requestsPerSecond / r.bare.requestsPerSecond)),
    throughputRatioMin: Math.min(...rounds.map((r) => r.api.requestsPerSecond / r.bare.requestsPerSecond)),
    throughputRatioMax: Math.max(...rounds.map((r) => r.api.requestsPerSecond / r.bare.requestsPerSecond)),
    p99Ratio: median(rounds.map((r) => r.api.p99Ms / Math.max(r.bare.p99Ms, 1))),
    bareCpuUsPerRequest: median(rounds.map((r) => r.bare.cpuUsPerRequest)),
    apiCpuUsPerRequest: median(rounds.map((r) => r.api.cpuUsPerRequest)),
    apiWithoutLogsCpuUsPerRequest: median(rounds.map((r) => r.apiWithoutLogs.cpuUsPerRequest)),
    cpuPerRequestRatio: median(rounds.map((r) => r.api.cpuUsPerRequest / r.bare.cpuUsPerRequest)),
    apiNon2xx: rounds.reduce((n, r) => n + r.api.non2xx + r.api.errors + r.apiWithoutLogs.non2xx + r.apiWithoutLogs.errors, 0),
    loadAverage: median(rounds.map((r) => r.loadAverage)),
    target: { throughputRatio: TARGET_RATIO, p99Ratio: 2 },
    meets: false,
  };
  summary.meets = summary.throughputRatio >= TARGET_RATIO && summary.p99Ratio <= 2 && summary.apiNon2xx === 0;
  const results = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', node: process.version, platform: `${os.platform()} ${os.arch()}` },
    settings: { connections: CONNECTIONS, durationSeconds: DURATION, rounds: ROUNDS, bodies: BODIES.length },
    summary,
    rounds,
  };
  writeFileSync(path.join(ROOT, 'bench', 'results-api.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeSection(summary, results.machine);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (!summary.meets) process.exitCode = 1;
}

interface Round {
  bare: Figures;
  api: Figures;
  apiWithoutLogs: Figures;
  fastifyMinimal: Figures;
  apiMainThread: Figures;
  loadAverage: number;
}

type Summary = {
  bareRps: number;
  apiRps: number;
  apiWithoutLogsRps: number;
  bareP99Ms: number;
  apiP99Ms: number;
  apiWithoutLogsP99Ms: number;
  apiMainThreadRps: number;
  apiMainThreadP99Ms: number;
  apiMainThreadRatio: number;
  apiMainThreadCpuUsPerRequest: number;
  fastifyMinimalRps: number;
  fastifyMinimalP99Ms: number;
  fastifyMinimalRatio: number;
  throughputRatio: number;
  throughputRatioMin: number;
  throughputRatioMax: number;
  p99Ratio: number;
  bareCpuUsPerRequest: number;
  apiCpuUsPerRequest: number;
  apiWithoutLogsCpuUsPerRequest: number;
  cpuPerRequestRatio: number;
  apiNon2xx: number;
  loadAverage: number;
  meets: boolean;
};

function writeSection(s: Summary, machine: { cpus: number; cpuModel: string; node: string }): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const section = [
    '## API',
    '',
    `\`npm run bench:api\`: \`POST /getVoucher/\` on \`model serve\` against a bare \`node:http\` server that parses the JSON body and answers JSON from a map,`,
    `${CONNECTIONS} connections on loopback, ${ROUNDS} alternating rounds of ${DURATION} s per server after a warm-up; medians over the rounds,`,
    'ratios taken within each round. autocannon runs in the bench process, each server in its own process; the API logs one JSON',
    `line per request to stdout (here /dev/null), and runs once more with \`--log-level none\` to show what logging costs; a`,
    `minimal Fastify server (parsing the body too) shows the framework's own floor (its ratio to bare: ${s.fastifyMinimalRatio.toFixed(2)}).`,
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, load average during the run ${s.loadAverage.toFixed(1)}.`,
    '',
    '| server | requests/s | p99 latency |',
    '| --- | ---: | ---: |',
    `| bare node:http, JSON in and out | ${s.bareRps.toFixed(0)} | ${s.bareP99Ms.toFixed(1)} ms |`,
    `| model serve, /getVoucher/ (info logs) | ${s.apiRps.toFixed(0)} | ${s.apiP99Ms.toFixed(1)} ms |`,
    `| model serve, /getVoucher/ (no logs) | ${s.apiWithoutLogsRps.toFixed(0)} | ${s.apiWithoutLogsP99Ms.toFixed(1)} ms |`,
    `| model serve without its front thread (/getVoucher/ in the main thread, info logs) | ${s.apiMainThreadRps.toFixed(0)} | ${s.apiMainThreadP99Ms.toFixed(1)} ms |`,
    `| for reference: Fastify, one route returning a fixed JSON, no logger | ${s.fastifyMinimalRps.toFixed(0)} | ${s.fastifyMinimalP99Ms.toFixed(1)} ms |`,
    `| server CPU per request (user+sys, µs): bare / API / API without logs | ${s.bareCpuUsPerRequest.toFixed(1)} / ${s.apiCpuUsPerRequest.toFixed(1)} / ${s.apiWithoutLogsCpuUsPerRequest.toFixed(1)} | API / bare ${s.cpuPerRequestRatio.toFixed(2)} |`,
    `| API / bare (target) | ${s.throughputRatio.toFixed(2)} (≥ ${TARGET_RATIO.toFixed(2)}) | ${s.p99Ratio.toFixed(2)} (≤ 2.00) |`,
    '',
    `${s.meets ? 'Meets the target' : 'Misses the target'} in this run; non-2xx answers from the API during the run: ${s.apiNon2xx}. Raw figures per round: \`bench/results-api.json\`.`,
    `Per round, API / bare requests/s ranged ${s.throughputRatioMin.toFixed(2)}-${s.throughputRatioMax.toFixed(2)}${Math.abs(s.throughputRatio - TARGET_RATIO) < 0.05 ? ': the median is close enough to the target that a run can land on either side of it' : ''}.`,
    '',
    `For scale: a minimal Fastify route reaches ${s.fastifyMinimalRatio.toFixed(2)} of the bare server here, and the API ${(s.apiRps / s.fastifyMinimalRps).toFixed(2)} of that route.`,
    `\`model serve\` answers \`/getVoucher/\` in a front thread (\`app/api/voucher-front.ts\`): a worker that owns the port and hands every other request to the Fastify app (API / bare ${s.throughputRatio.toFixed(2)}; the same server with \`/getVoucher/\` in its main thread: ${s.apiMainThreadRatio.toFixed(2)}, ${s.apiMainThreadCpuUsPerRequest.toFixed(1)} µs CPU a request).`,
    'There `/getVoucher/` is answered ahead of Fastify (`app/api/voucher-fast-path.ts`), and its own work per request is a few microseconds',
    'beyond what the bare server does (JSON.parse, answer JSON): a hand-written check of well-formed bodies (`fastVoucherRequest`; the zod',
    'schema, still the contract, runs only when a body is wrong, so every 422 is unchanged; a property test holds the two equal), one',
    'character-level parse per timestamp, the answer JSON made once per answer row, and the request log line encoded straight into a',
    'buffer the front thread holds, as a buffered access log does, and writes itself to stdout in whole lines, one write() of at most 4 KiB',
    "(PIPE_BUF: the main thread's lines are never cut) per full buffer or 100 ms: no message to the main thread and no work there",
    '(`bench/api-log-bench.ts`: 0.37 µs of process CPU a line, against 0.62 µs batched through the main thread; one write() a line cost about 11 µs).',
    "Before this, zod validation alone cost 13-16 µs a request (microbenchmark), pino's line a few",
    'more, and the API reached 0.40 of a bare server that did not even read the body. What is left is mostly the HTTP work the bare server does too,',
    'done in a much larger process (Fastify, DuckDB, the engine): perf shows the same Node internals (nextTick, stream writes) taking slower, megamorphic paths there than in the small bare process.',
    'The run shares 2 CPUs with autocannon and with whatever else the machine runs (see the load average), so single rounds swing widely.',
    '',
  ].join('\n');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n';
  const start = existing.indexOf('## API\n');
  let next: string;
  if (start < 0) next = `${existing.trimEnd()}\n\n${section}`;
  else {
    const end = existing.indexOf('\n## ', start + 1);
    next = `${existing.slice(0, start)}${section}${end < 0 ? '' : `\n${existing.slice(end + 1)}`}`;
  }
  writeFileSync(file, next);
}

await main();
