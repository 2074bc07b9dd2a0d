/**
 * The access log of `model serve` when `/getVoucher/` is answered in its front thread, which writes
 * its request lines itself, straight to the log's file descriptor (app/api/request-lines.ts,
 * fdRequestLines), beside the main thread's own lines: every line whole, in order per connection,
 * with pino's fields, no body or token, and none lost at close, at SIGTERM or at exit.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../app/api/server.js';
import { frontAvailable } from '../../app/api/voucher-front.js';
import { copyShippedProject, MODEL_BIN, REPO_ROOT, runModel } from '../helpers/project.js';

const TOKEN = 'log-test-token-9d41c7e2a8f35b60';
const SECRET_CUSTOMER = 'customer-secret-3f9a';

const body = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    customer_id: SECRET_CUSTOMER,
    country_code: 'Peru',
    last_order_ts: '2018-05-03 00:00:00',
    first_order_ts: '2017-05-03 00:00:00',
    total_orders: 15,
    segment_name: 'recency_segment',
    reference_ts: '2018-07-31 00:00:00',
    ...fields,
  });

/** One request on `agent` (one keep-alive connection: requests on it go one after the other). */
function request(agent: http.Agent, base: string, method: string, route: string, payload?: string): Promise<number> {
  const url = new URL(route, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface Line {
  level: number;
  time: number;
  pid: number;
  hostname: string;
  reqId: string;
  method: string;
  url: string;
  status: number;
  ms: number;
  msg: string;
}

/** Every line of `text` as JSON (a cut or interleaved line fails the parse) and the request lines among them. */
function lines(text: string): { all: Record<string, unknown>[]; requests: Line[] } {
  expect(text.endsWith('\n')).toBe(true);
  const all = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { all, requests: all.filter((l) => l.msg === 'request') as unknown as Line[] };
}

const reqNumber = (l: Line) => Number(l.reqId.replace(/^v-/, ''));

describe.skipIf(!frontAvailable())("the front thread's request lines", () => {
  let dir: string;

  beforeAll(async () => {
    dir = copyShippedProject();
    const built = await runModel(['build'], { cwd: dir });
    expect(built.code, built.stderr).toBe(0);
  });

  it('reach the log file whole, in order per connection, with their fields, beside the main thread lines, all written at close', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'model-log-')), 'api.log');
    const destination = pino.destination({ dest: file, sync: true });
    // What goes through the stream in this thread: the worker's lines must not.
    const throughMain: string[] = [];
    const write = destination.write.bind(destination);
    destination.write = (text: string) => {
      throughMain.push(text);
      return write(text);
    };
    const server = await buildServer({ projectDir: dir, host: '127.0.0.1', logStream: destination as unknown as NodeJS.WritableStream, token: TOKEN });
    const base = await server.listen('127.0.0.1', 0);
    // Four connections, each told apart in the log by its route and status, 150 requests each, one
    // after another on its connection; a fifth asks /health (answered in the main thread) meanwhile.
    const streams = [
      { route: '/getVoucher/', payload: body(), status: 200 },
      { route: '/getVoucher', payload: body(), status: 200 },
      { route: '/getVoucher/', payload: body({ total_orders: 'many' }), status: 422 },
      { route: '/getVoucher', payload: body({ segment_name: 'nope' }), status: 422 },
    ];
    const PER = 150;
    const agents = streams.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const health = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let last = 0;
    await Promise.all([
      ...streams.map(async (s, i) => {
        for (let k = 0; k < PER; k++) expect(await request(agents[i]!, base, 'POST', s.route, s.payload)).toBe(s.status);
      }),
      (async () => {
        for (let k = 0; k < 40; k++) expect(await request(health, base, 'GET', '/health')).toBe(200);
      })(),
    ]);
    // The last line is at most milliseconds old: only the close writes it.
    expect(await request(agents[0]!, base, 'POST', '/getVoucher/', body())).toBe(200);
    last = PER * streams.length + 1;
    for (const a of [...agents, health]) a.destroy();
    await server.app.close();

    const text = readFileSync(file, 'utf8');
    const { requests } = lines(text);
    const voucher = requests.filter((l) => l.reqId.startsWith('v-'));
    expect(voucher).toHaveLength(last);
    expect(new Set(voucher.map((l) => l.reqId)).size).toBe(last);
    expect(voucher.some((l) => reqNumber(l) === last)).toBe(true);
    for (const s of streams) {
      const own = voucher.filter((l) => l.url === s.route && l.status === s.status);
      expect(own.length).toBeGreaterThanOrEqual(PER);
      const numbers = own.map(reqNumber);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    }
    for (const l of voucher) {
      // pino's own fields, in its order, as the main thread writes them.
      expect(Object.keys(l)).toEqual(['level', 'time', 'pid', 'hostname', 'reqId', 'method', 'url', 'status', 'ms', 'msg']);
      expect(l).toMatchObject({ level: 30, pid: process.pid, hostname: os.hostname(), method: 'POST', msg: 'request' });
      expect(typeof l.ms).toBe('number');
    }
    expect(requests.filter((l) => l.url === '/health')).toHaveLength(40);
    expect(text).not.toContain(SECRET_CUSTOMER);
    expect(text).not.toContain(TOKEN);
    expect(throughMain.join('')).not.toContain('"reqId":"v-');
  });

  it('are written when the process exits without closing the server, and at SIGTERM', async () => {
    // Exit: a script that serves, asks, and calls process.exit at once; the log is its stdout (a pipe).
    const script = path.join(mkdtempSync(path.join(os.tmpdir(), 'model-log-exit-')), 'exit.mjs');
    // The sources through tsx, as here: from dist/app/ the front's bundle is not found and /getVoucher/ stays in the main thread.
    const serverModule = pathToFileURL(path.join(REPO_ROOT, 'app', 'api', 'server.ts')).href;
    const tsx = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    writeFileSync(
      script,
      `const { buildServer } = await import(${JSON.stringify(serverModule)});
const server = await buildServer({ projectDir: ${JSON.stringify(dir)}, host: '127.0.0.1' });
const base = await server.listen('127.0.0.1', 0);
if (!(await fetch(base + '/health')).ok) process.exit(3);
const ask = () => fetch(base + '/getVoucher/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(body())} });
// A warm-up, whose lines the 100 ms timer writes; then five asked and the exit at once, within milliseconds.
for (let i = 0; i < 5; i++) await ask();
await new Promise((r) => setTimeout(r, 300));
await Promise.all([ask(), ask(), ask(), ask(), ask()]);
process.exit(0);
`,
    );
    const exited = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', tsx, script], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(exited.code, exited.stderr).toBe(0);
    const voucher = lines(exited.stdout).requests.filter((l) => l.url === '/getVoucher/');
    expect(voucher.map((l) => [l.reqId, l.status])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => [`v-${i}`, 200]));

    // SIGTERM: `model serve`, asked and stopped at once.
    const child = spawn(process.execPath, [MODEL_BIN, 'serve', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise((r) => child.once('close', r));
    try {
      for (let waited = 0; !/serving the voucher API on (http:\/\/\S+)/.test(stderr); waited += 50) {
        if (waited > 15_000) throw new Error(`the server did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const base = /serving the voucher API on (http:\/\/\S+)/.exec(stderr)![1]!;
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${base}/getVoucher/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() });
        expect(r.status).toBe(200);
      }
    } finally {
      child.kill('SIGTERM');
      await closed;
    }
    expect(lines(stdout).requests.map((l) => [l.reqId, l.status])).toEqual([1, 2, 3, 4, 5].map((i) => [`v-${i}`, 200]));
  });
});
