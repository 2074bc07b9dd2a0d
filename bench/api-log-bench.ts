/**
 * What the front thread's access log costs per request line, the whole process's CPU time (every
 * thread, user+sys) per line, on the two paths app/api/ has: `direct`, the worker writing its lines
 * itself to the log's file descriptor (request-lines.ts, fdRequestLines: what `model serve` does on
 * stdout or a log file), and `batched`, the lines built as text in the worker and posted in 16 KiB
 * batches to the main thread, which writes them to pino's destination (heldRequestLines: what it
 * does for any other log stream, and what it did on stdout before). `none` is the loop alone. The
 * log goes to /dev/null. A worker "answers" 50 requests a turn of its event loop, as at 50
 * connections. Figures are medians over alternating rounds; CPU time per line is the figure that
 * holds on a loaded machine.
 *
 *   npm run build && npx tsx bench/api-log-bench.ts [-- --lines 1000000 --rounds 5]
 */
import { openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import pino from 'pino';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const LINES = flag('lines', 1_000_000);
const ROUNDS = flag('rounds', 5);
const MODULE = pathToFileURL(path.join(ROOT, 'dist', 'app', 'api', 'request-lines.js')).href;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
import(${JSON.stringify(MODULE)}).then((m) => {
  const { mode, lines: n, fd, shared } = workerData;
  const bindings = ',"pid":' + process.pid + ',"hostname":"bench-host"';
  const lines = mode === 'none' ? undefined : mode === 'batched'
    ? m.heldRequestLines({ write: (text) => parentPort.postMessage(text) }, bindings, () => true)
    : m.fdRequestLines(fd, shared, writeSync, bindings, { info: true, error: true }, () => {});
  let i = 0;
  const turn = () => {
    for (let k = 0; k < 50 && i < n; k++, i++) lines?.write(i + 1, i % 2 ? '/getVoucher/' : '/getVoucher', 200, Math.round(((i % 997) / 331) * 100) / 100);
    if (i < n) setImmediate(turn);
    else {
      lines?.flush();
      parentPort.postMessage(null);
    }
  };
  turn();
});`;

type Mode = 'none' | 'batched' | 'direct';

async function measure(mode: Mode): Promise<number> {
  const devNull = openSync('/dev/null', 'w');
  const destination = pino.destination({ dest: devNull, sync: true });
  const { sharedLineBuffer } = (await import(MODULE)) as typeof import('../app/api/request-lines.js');
  const before = process.cpuUsage();
  const worker = new Worker(WORKER, { eval: true, workerData: { mode, lines: LINES, fd: devNull, shared: sharedLineBuffer() } });
  await new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (text: string | null) => {
      if (text === null) resolve();
      else destination.write(text);
    });
  });
  const used = process.cpuUsage(before);
  await worker.terminate();
  return (used.user + used.system) / LINES;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const modes: Mode[] = ['none', 'batched', 'direct'];
const figures = new Map<Mode, number[]>(modes.map((m) => [m, []]));
await measure('direct');
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of modes.map((_, k) => modes[(k + r) % modes.length]!)) figures.get(mode)!.push(await measure(mode));
}
const [none, batched, direct] = modes.map((m) => median(figures.get(m)!));
process.stdout.write(
  `${LINES} lines x ${ROUNDS} rounds, load average ${os.loadavg()[0]!.toFixed(1)}; process CPU µs per line (median):\n` +
    `  loop alone ${none!.toFixed(2)}; batched to the main thread ${batched!.toFixed(2)} (log ${(batched! - none!).toFixed(2)}); ` +
    `direct to the fd ${direct!.toFixed(2)} (log ${(direct! - none!).toFixed(2)})\n`,
);
