/**
 * `POST /getVoucher/` without Fastify's per-request machinery. On a 2-core machine a Fastify
 * route that only returns a constant already costs about a quarter of a bare node:http server's
 * throughput; the marketing system calls this route for every customer, so it is answered here,
 * straight from the request listener, with the same validation, answer, errors, limits and log
 * line as the Fastify route (which stays for the OpenAPI document and for requests this path
 * declines: any other route, method or content type).
 *
 * Per request this does only what the answer needs: one JSON.parse, a hand-written check of a
 * well-formed body (the zod schema runs only when something is wrong), a map lookup whose JSON is
 * mostly made once per answer, and one log line built as text and written in a batch.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ApiError } from './api-error.js';
import type { RateLimiter } from './rate-limit.js';

/** Where the answer and its version go: filled in by `answer`, one per request. */
export interface VoucherReply {
  /** The loaded answer's version (X-Answer-Version), once the request got as far as the answer. */
  version: string | undefined;
}

export interface FastPathDeps {
  bodyLimit: number;
  limiter: RateLimiter;
  /** Validates the body and answers with the JSON text, or throws an ApiError; sets `reply.version` first. */
  answer(body: unknown, reply: VoucherReply): string;
  /** Writes the request's log line; undefined when the log level leaves request lines out. */
  log: ((id: number, url: string, status: number, ms: number) => void) | undefined;
  /** Logs what went wrong when the answer failed with something other than an ApiError (a 500). */
  logError(error: unknown): void;
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const CONTENT_TYPE = 'application/json; charset=utf-8';
const INVALID_JSON = () => new ApiError(400, 'invalid_json', 'the body is not valid JSON');
const TOO_LARGE = () => new ApiError(413, 'body_too_large', 'the body is too large');

/** Returns a listener step: true when it took the request, false to leave it to Fastify. */
export function voucherFastPath(deps: FastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  let counter = 0;
  const { bodyLimit, limiter, log } = deps;

  /** Sends the answer and writes its log line. */
  const finish = (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    id: number,
    status: number,
    payload: string,
    version?: string,
    retryAfter?: string,
  ) => {
    // Headers as a flat list: no object shapes to build per request (writeHead takes either).
    const length = String(Buffer.byteLength(payload));
    if (retryAfter !== undefined) res.writeHead(status, ['content-type', CONTENT_TYPE, 'content-length', length, 'retry-after', retryAfter]);
    else if (version !== undefined) res.writeHead(status, ['content-type', CONTENT_TYPE, 'content-length', length, 'x-answer-version', version]);
    else res.writeHead(status, ['content-type', CONTENT_TYPE, 'content-length', length]);
    res.end(payload);
    log?.(id, req.url!, status, Math.round((performance.now() - started) * 100) / 100);
  };

  const fail = (req: IncomingMessage, res: ServerResponse, started: number, id: number, e: unknown, version?: string, retryAfter?: string) => {
    if (!(e instanceof ApiError)) deps.logError(e);
    const err = e instanceof ApiError ? e : new ApiError(500, 'internal_error', 'internal error: see the server log');
    finish(req, res, started, id, err.statusCode, JSON.stringify(err.toJSON()), version, retryAfter);
  };

  /** The whole body has arrived: parse it as Fastify's parser would, answer. */
  const respond = (req: IncomingMessage, res: ServerResponse, started: number, id: number, text: string) => {
    // Empty is no body; a body mentioning a prototype key is refused outright, as Fastify's guarded parser does.
    let body: unknown;
    if (text.trim() !== '') {
      if (text.includes('__proto__') || text.includes('constructor')) return fail(req, res, started, id, INVALID_JSON());
      try {
        body = JSON.parse(text);
      } catch {
        return fail(req, res, started, id, INVALID_JSON());
      }
    }
    // The client address is looked up only when there is a limit to count it against.
    const wait = limiter.limit > 0 ? limiter.take(req.socket.remoteAddress ?? '') : undefined;
    if (wait !== undefined) {
      const err = new ApiError(429, 'rate_limited', `too many requests from this client: at most ${limiter.limit} a minute; try again in ${wait}s`);
      return fail(req, res, started, id, err, undefined, String(wait));
    }
    const reply: VoucherReply = { version: undefined };
    let payload: string;
    try {
      payload = deps.answer(body, reply);
    } catch (e) {
      return fail(req, res, started, id, e, reply.version);
    }
    finish(req, res, started, id, 200, payload, reply.version);
  };

  return (req, res) => {
    if (req.method !== 'POST' || (req.url !== '/getVoucher/' && req.url !== '/getVoucher')) return false;
    const type = req.headers['content-type'];
    if (type !== 'application/json' && !JSON_TYPE.test(type ?? '')) return false;
    const started = performance.now();
    const id = ++counter;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > bodyLimit) {
      req.resume();
      fail(req, res, started, id, TOO_LARGE());
      return true;
    }
    // A small body comes in one chunk: keep it as is, concatenate only when there are more.
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > bodyLimit) {
        refused = true;
        first = more = undefined;
        fail(req, res, started, id, TOO_LARGE());
      } else if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const text = more ? Buffer.concat(more).toString('utf8') : first ? first.toString('utf8') : '';
      respond(req, res, started, id, text);
    });
    req.on('error', () => res.destroy());
    return true;
  };
}
