/**
 * Serving the API through its front thread (voucher-front-worker.ts): the worker owns the port and
 * answers `/getVoucher/`; every other request comes here whole and is answered by the Fastify app
 * through `inject` (the same routes, hooks, parsers, limits and error handler as on its own
 * server, with the client's address), and its answer goes back to the worker to be sent. The
 * worker gets a copy of the answer at start and after each swap. It writes its request log lines
 * itself, straight to the log's file descriptor, when the log is stdout, stderr or a file under
 * pino's synchronous destination (`model serve`'s is stdout); to any other stream it sends them here.
 */
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import type { Answer } from './answer.js';
import { ApiError } from './api-error.js';
import type { AnswerCache } from './answer-cache.js';
import { flushSharedLines, sharedLineBuffer } from './request-lines.js';

/** What the worker starts with. */
export interface FrontStart {
  host: string;
  port: number;
  bodyLimit: number;
  answer: Answer | undefined;
  problem: string | null;
  /**
   * pino's base bindings and which request lines are logged; undefined: no log. With `direct`, the
   * worker writes its request lines itself to that file descriptor, holding them in `shared`
   * (request-lines.ts, fdRequestLines); without, it sends them here.
   */
  log: { bindings: string; info: boolean; error: boolean; direct?: { fd: number; shared: SharedArrayBuffer } } | undefined;
}

export interface FrontReply {
  type: 'reply';
  id: number;
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Uint8Array;
}

/** Messages to the worker. */
export type ToFront = FrontReply | { type: 'answer'; answer: Answer | undefined; problem: string | null } | { type: 'close' };

/** Messages from the worker. */
type FromFront =
  | { type: 'listening'; address: string; family: string; port: number }
  | { type: 'listen-error'; code?: string; message: string }
  | { type: 'forward'; id: number; method: string; url: string; headers: Record<string, string | string[]>; payload: Uint8Array; remoteAddress?: string }
  | { type: 'log'; text: string }
  | { type: 'error'; name: string; message: string; stack: string; line?: string };

/** The worker's bundle (scripts/bundle.mjs); the same path from app/api/ and from dist/bundle/, both two folders below the root. */
export const FRONT_WORKER = fileURLToPath(new URL('../../dist/bundle/api-front.cjs', import.meta.url));

export function frontAvailable(): boolean {
  return existsSync(FRONT_WORKER);
}

export interface FrontDeps {
  app: FastifyInstance;
  cache: AnswerCache;
  bodyLimit: number;
  log: { stream: { write(text: string): unknown }; bindings: string; isLevelEnabled(level: 'info' | 'error'): boolean } | undefined;
}

/** A listening front: its address (as Fastify's listen gives it), and `close`, which stops it (the held request lines written) and waits for the thread to end. */
export interface Front {
  address: string;
  close(): Promise<void>;
}

/**
 * The file descriptor the worker may write its request lines to, beside this thread's writes to the
 * same log: only under pino's synchronous destination (minLength 0), whose every write() is one
 * line, so that with the worker's writes of at most PIPE_BUF bytes no line is ever cut by another.
 * stdout and stderr as they are; a log file through a descriptor of the worker's own, opened for
 * appending as the destination's (so a reopen of the destination, for rotation, closes nothing
 * the worker writes to). Any other stream: undefined, and the lines come here to be written.
 */
function directFd(stream: unknown): { fd: number; own: boolean } | undefined {
  const s = stream as { fd?: unknown; file?: unknown; sync?: unknown; minLength?: unknown; append?: unknown };
  if (s.sync !== true || s.minLength !== 0) return undefined;
  if (typeof s.file === 'string') return s.append === true ? { fd: openSync(s.file, 'a'), own: true } : undefined;
  return s.fd === 1 || s.fd === 2 ? { fd: s.fd, own: false } : undefined;
}

/** Starts the front on host:port; resolves once it listens. */
export function listenFront(deps: FrontDeps, host: string, port: number): Promise<Front> {
  const { app, cache, log } = deps;
  const fd = log && directFd(log.stream);
  const direct = fd && { fd: fd.fd, shared: sharedLineBuffer() };
  // Lines the worker holds are written at close; and here, if the process exits without one.
  const flushAtExit = () => direct && flushSharedLines(direct.shared, direct.fd, writeSync);
  if (direct) process.on('exit', flushAtExit);
  const worker = new Worker(FRONT_WORKER, {
    workerData: {
      host,
      port,
      bodyLimit: deps.bodyLimit,
      answer: cache.answer,
      problem: cache.problem,
      log: log && { bindings: log.bindings, info: log.isLevelEnabled('info'), error: log.isLevelEnabled('error'), direct },
    } satisfies FrontStart,
  });
  cache.onChange(() => worker.postMessage({ type: 'answer', answer: cache.answer, problem: cache.problem } satisfies ToFront));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      process.removeListener('exit', flushAtExit);
      if (direct) flushSharedLines(direct.shared, direct.fd, writeSync);
      if (fd?.own) closeSync(fd.fd);
      resolve();
    }),
  );
  const close = async () => {
    worker.postMessage({ type: 'close' } satisfies ToFront);
    await exited;
  };
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: FromFront) => {
      switch (m.type) {
        case 'listening':
          resolve({ address: `http://${m.family === 'IPv6' ? `[${m.address}]` : m.address}:${m.port}`, close });
          return;
        case 'listen-error':
          reject(Object.assign(new Error(m.message), { code: m.code }));
          void worker.terminate();
          return;
        case 'log':
          log?.stream.write(m.text);
          return;
        case 'error':
          app.log.error({ err: Object.assign(new Error(m.message), { name: m.name, stack: m.stack }) }, 'unexpected error');
          // The request line of that error's answer, written after it (the worker writes its own lines straight).
          if (m.line) log?.stream.write(m.line);
          return;
        case 'forward':
          app
            .inject({
              method: m.method as 'GET',
              url: m.url,
              headers: m.headers,
              payload: Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
              remoteAddress: m.remoteAddress,
            })
            .then(
              (res) =>
                worker.postMessage({ type: 'reply', id: m.id, statusCode: res.statusCode, headers: res.headers, body: res.rawPayload } satisfies ToFront),
              (e: unknown) => {
                app.log.error({ err: e }, 'unexpected error');
                const body = Buffer.from(JSON.stringify(new ApiError(500, 'internal_error', 'internal error: see the server log').toJSON()));
                worker.postMessage({
                  type: 'reply',
                  id: m.id,
                  statusCode: 500,
                  headers: { 'content-type': 'application/json; charset=utf-8' },
                  body,
                } satisfies ToFront);
              },
            );
      }
    });
  });
}
