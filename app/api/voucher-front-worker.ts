/**
 * The API's front, in a worker thread of `model serve` (see voucher-front.ts): it owns the port,
 * answers `POST /getVoucher/` itself with the fast path (voucher-fast-path.ts) from its copy of the
 * answer, and hands every other request, whole, to the Fastify app in the main thread, which
 * answers it as if it had come in on its own server. A thread of its own has its own V8 heap and
 * its own type feedback for Node's HTTP code: in the main thread that code also serves Fastify,
 * pino, DuckDB and the engine, and runs slower there (BENCHMARKS.md, "Floors").
 *
 * Bundled on its own (dist/bundle/api-front.cjs, scripts/bundle.mjs): it needs neither the engine
 * nor Fastify.
 */
import { writeSync } from 'node:fs';
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { Answer } from './answer.js';
import { RateLimiter } from './rate-limit.js';
import { fdRequestLines, heldRequestLines } from './request-lines.js';
import { lookupVoucherJson } from './segment-lookup.js';
import { voucherFastPath } from './voucher-fast-path.js';
import { answerNotLoaded, readVoucherRequest } from './voucher-request.js';
import type { FrontReply, FrontStart, ToFront } from './voucher-front.js';

const port = parentPort!;
const start = workerData as FrontStart;
let answer: Answer | undefined = start.answer;
let problem = start.problem;

const postError = (error: unknown, line?: string) => {
  const e = error instanceof Error ? error : new Error(String(error));
  port.postMessage({ type: 'error', name: e.name, message: e.message, stack: e.stack ?? '', line });
};

// Straight to the log's file descriptor when the main thread gave one (see voucher-front.ts), else
// in batches to the main thread, which writes them to its log stream.
const direct = start.log?.direct && fdRequestLines(start.log.direct.fd, start.log.direct.shared, writeSync, start.log.bindings, start.log, (e) => postError(e));
const lines =
  direct || (start.log && heldRequestLines({ write: (text) => port.postMessage({ type: 'log', text }) }, start.log.bindings, (level) => start.log![level]));
/**
 * An unexpected error (a 500) whose request line comes next: with direct lines, the error and its
 * line go to the main thread together, so that the error line is written first, as in one thread.
 */
let unexpected: unknown;

const fast = voucherFastPath({
  bodyLimit: start.bodyLimit,
  // The front runs only without a /getVoucher/ rate limit (one limiter must count every request).
  limiter: new RateLimiter(0, 60_000),
  answer: (raw, reply) => {
    const request = readVoucherRequest(raw);
    if (!answer) throw answerNotLoaded(problem);
    reply.version = String(answer.version);
    return lookupVoucherJson(answer, request, Date.now());
  },
  log:
    lines &&
    ((id, url, status, ms) => {
      if (direct && unexpected !== undefined) {
        const error = unexpected;
        unexpected = undefined;
        direct.flush();
        postError(error, direct.line(id, url, status, ms));
      } else lines.write(id, url, status, ms);
    }),
  logError: (error) => {
    if (direct) unexpected = error ?? new Error(String(error));
    else postError(error);
  },
});

/** Headers that describe this connection or the body's framing, not the request: the main thread's inject makes its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'proxy-connection', 'te', 'trailer']);

const waiting = new Map<number, http.ServerResponse>();
let forwarded = 0;

/** Reads the body (at most one byte past the limit: the app then answers 413 as on its own server) and hands the request over. */
function forward(req: http.IncomingMessage, res: http.ServerResponse): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  const chunks: Buffer[] = [];
  let size = 0;
  let sent = false;
  const send = () => {
    if (sent) return;
    sent = true;
    const id = ++forwarded;
    waiting.set(id, res);
    res.on('close', () => waiting.delete(id));
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    let payload = Buffer.concat(chunks);
    if (declared > start.bodyLimit && payload.length <= start.bodyLimit) payload = Buffer.alloc(start.bodyLimit + 1);
    port.postMessage({ type: 'forward', id, method: req.method, url: req.url, headers, payload, remoteAddress: req.socket.remoteAddress });
  };
  if (declared > start.bodyLimit) {
    req.resume();
    send();
    return;
  }
  req.on('data', (chunk: Buffer) => {
    if (sent) return;
    size += chunk.length;
    chunks.push(chunk);
    if (size > start.bodyLimit) send();
  });
  req.on('end', send);
  req.on('error', () => res.destroy());
}

const server = http.createServer((req, res) => {
  if (!fast(req, res)) forward(req, res);
});
// As the main thread's server (server.ts): idle keep-alive connections outlive a load balancer's 60 s.
server.keepAliveTimeout = 72_000;
// What Fastify answers a request Node's parser refused (its default clientErrorHandler).
server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, label, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'Client Timeout']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'Exceeded maximum allowed HTTP header size']
        : [400, 'Bad Request', 'Client Error'];
  const body = `{"error":"${label}","message":"${message}","statusCode":${status}}`;
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${label}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\n\r\n${body}`);
  socket.destroy(err);
});

port.on('message', (m: ToFront) => {
  if (m.type === 'reply') return reply(m);
  if (m.type === 'answer') {
    answer = m.answer;
    problem = m.problem;
    return;
  }
  // close: no new connection, idle ones closed, the held request lines written, then this thread ends.
  server.close(() => {
    lines?.flush();
    port.close();
  });
  server.closeIdleConnections();
});

function reply(m: FrontReply): void {
  const res = waiting.get(m.id);
  if (!res) return;
  waiting.delete(m.id);
  const headers: [string, string | string[]][] = [];
  for (const [k, v] of Object.entries(m.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers.push([k, Array.isArray(v) ? v.map(String) : String(v)]);
  const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  res.writeHead(m.statusCode, [...headers.flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, v])), 'content-length', String(body.length)]);
  res.end(body);
}

server.on('error', (e: NodeJS.ErrnoException) => port.postMessage({ type: 'listen-error', code: e.code, message: e.message }));
server.listen(start.port, start.host, () => {
  const a = server.address() as import('node:net').AddressInfo;
  port.postMessage({ type: 'listening', address: a.address, family: a.family, port: a.port });
});
