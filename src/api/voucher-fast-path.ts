/**
 * `POST /getVoucher/` without Fastify's per-request machinery. On a 2-core machine a Fastify
 * route that only returns a constant already costs about a third of a bare node:http server's
 * throughput; the marketing system calls this route for every customer, so it is answered here,
 * straight from the request listener, with the same validation, answer, errors, limits and log
 * line as the Fastify route (which stays for the OpenAPI document and for requests this path
 * declines: any other route, method or content type).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api-error.js';
import type { RateLimiter } from './rate-limit.js';

export interface FastPathDeps {
  bodyLimit: number;
  limiter: RateLimiter;
  /** Validates the body and answers, or throws an ApiError; reports the answer's version first. */
  answer(body: unknown, setVersion: (version: string) => void): unknown;
  log(line: { reqId: string; method: string; url: string; status: number; ms: number }): void;
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** Returns a listener step: true when it took the request, false to leave it to Fastify. */
export function voucherFastPath(deps: FastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  let counter = 0;
  return (req, res) => {
    if (req.method !== 'POST' || (req.url !== '/getVoucher/' && req.url !== '/getVoucher')) return false;
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) return false;
    const started = process.hrtime.bigint();
    const reqId = `v-${++counter}`;
    const finish = (status: number, payload: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
      res.end(payload);
      deps.log({ reqId, method: 'POST', url: req.url!, status, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100 });
    };
    const fail = (e: unknown, headers?: Record<string, string>) => {
      const err = e instanceof ApiError ? e : new ApiError(500, 'internal_error', 'internal error: see the server log');
      finish(err.statusCode, JSON.stringify(err.toJSON()), headers);
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > deps.bodyLimit) {
      req.resume();
      fail(new ApiError(413, 'body_too_large', 'the body is too large'));
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > deps.bodyLimit) {
        if (!refused) fail(new ApiError(413, 'body_too_large', 'the body is too large'));
        refused = true;
        return;
      }
      if (!refused) chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      // Parsed as Fastify's parser would: empty is no body, prototype keys are refused outright.
      let body: unknown;
      if (text.trim() !== '') {
        if (text.includes('__proto__') || text.includes('constructor')) return fail(new ApiError(400, 'invalid_json', 'the body is not valid JSON'));
        try {
          body = JSON.parse(text);
        } catch {
          return fail(new ApiError(400, 'invalid_json', 'the body is not valid JSON'));
        }
      }
      const wait = deps.limiter.take(req.socket.remoteAddress ?? '');
      if (wait !== undefined) {
        return fail(new ApiError(429, 'rate_limited', `too many requests from this client: at most ${deps.limiter.limit} a minute; try again in ${wait}s`), { 'retry-after': String(wait) });
      }
      const headers: Record<string, string> = {};
      try {
        const answer = deps.answer(body, (v) => (headers['x-answer-version'] = v));
        finish(200, JSON.stringify(answer), headers);
      } catch (e) {
        fail(e, headers);
      }
    });
    req.on('error', () => res.destroy());
    return true;
  };
}
