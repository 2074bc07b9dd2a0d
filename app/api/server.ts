/**
 * The voucher REST API (`model serve`): answers `/getVoucher/` from the in-memory answer and
 * runs the pipeline on `/runPipeline/`, through the library only. `buildServer` returns a ready
 * Fastify app that is not yet listening, so tests can start it on port 0.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import http from 'node:http';
import pino from 'pino';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ENGINE_VERSION, isUserError, ProjectError, ProjectErrors, redact, type CommonOptions } from '../../src/index.js';
import { accessPolicy, bearerMatches } from './access.js';
import { AnswerCache, type Answer } from './answer-cache.js';
import { ApiError } from './api-error.js';
import { PipelineRunner } from './pipeline-runner.js';
import { RateLimiter } from './rate-limit.js';
import { heldRequestLines, type RequestLines } from './request-lines.js';
import { voucherFastPath } from './voucher-fast-path.js';
import { frontAvailable, listenFront, type Front, type FrontDeps } from './voucher-front.js';
import { answerNotLoaded, readVoucherRequest } from './voucher-request.js';
import {
  errorAnswerSchema,
  healthAnswerSchema,
  jsonSchemaOf,
  pipelineAnswerSchema,
  voucherAnswerSchema,
  voucherRequestSchema,
  type HealthAnswer,
} from './schemas.js';
import { lookupVoucher, lookupVoucherJson } from './segment-lookup.js';
import { z } from 'zod';

export interface ServerOptions extends Omit<CommonOptions, 'reporter'> {
  /** The address the server will listen on: decides whether a token is required. */
  host?: string;
  /** `MODEL_API_TOKEN`; required off loopback. */
  token?: string;
  /** Log level, or false for no log at all. Default info. */
  logLevel?: string | false;
  /** Where JSON log lines go (default stdout). */
  logStream?: NodeJS.WritableStream;
  /** Largest request body in bytes (default 16 KiB). */
  bodyLimit?: number;
  /** Override "now" (tests); default Date.now. */
  now?: () => number;
  /** /getVoucher/ requests per minute per client address; 0 (default) for no limit. */
  voucherRateLimit?: number;
  /** /runPipeline/ requests per minute per client address (default 10). */
  pipelineRateLimit?: number;
}

export type { RequestLines } from './request-lines.js';

export interface VoucherServer {
  app: FastifyInstance;
  cache: AnswerCache;
  runner: PipelineRunner;
  /**
   * Starts listening (what `model serve` does): through the front thread (voucher-front.ts) when
   * its bundle is built and /getVoucher/ has no rate limit, else on Fastify's own server. Resolves
   * with the address.
   */
  listen(host: string, port: number): Promise<string>;
}

/** One JSON line per request (method, path, status, time); never a body, a header or a token. */
class RequestLineLogger extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { reqId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 };
    if (error || reply.statusCode >= 500) reply.log.error(line, 'request');
    else reply.log.info(line, 'request');
  }
  override defaultErrorLog(): void {}
  override routeNotFound(): void {}
}

/**
 * The fast path's request lines, the same text `logger.info(line, 'request')` would write, held and
 * written in batches to the logger's own stream (see heldRequestLines). undefined when there is no logger.
 */
export function requestLines(logger: FastifyBaseLogger): RequestLines | undefined {
  const log = logOutput(logger);
  return log && heldRequestLines(log.stream, log.bindings, log.isLevelEnabled);
}

/** The logger's stream, base bindings and level check, for lines written without pino; undefined when there is no logger. */
function logOutput(logger: FastifyBaseLogger): FrontDeps['log'] {
  // With `logger: false` Fastify's logger is a no-op object without pino's internals.
  const pinoLogger = logger as unknown as Partial<pino.Logger> & Record<symbol, unknown>;
  const stream = pinoLogger[pino.symbols.streamSym] as { write(text: string): unknown } | undefined;
  const bindings = pinoLogger[pino.symbols.chindingsSym];
  if (typeof pinoLogger.isLevelEnabled !== 'function' || !stream || typeof bindings !== 'string') return undefined;
  return { stream, bindings, isLevelEnabled: (level) => pinoLogger.isLevelEnabled!(level) };
}

const JSON_ERROR_CODES: Record<number, string> = {
  400: 'invalid_json',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'body_too_large',
  415: 'unsupported_media_type',
};

function toErrorAnswer(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as { statusCode?: number; code?: string };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = JSON_ERROR_CODES[status] ?? 'bad_request';
    const message =
      status === 400
        ? 'the body is not valid JSON'
        : status === 413
          ? 'the body is too large'
          : status === 415
            ? 'unsupported Content-Type: send application/json'
            : 'bad request';
    return new ApiError(status, code, message);
  }
  return new ApiError(500, 'internal_error', 'internal error: see the server log');
}

/** A project or warehouse problem during a pipeline run, without SQL or paths. */
function pipelineError(error: unknown): ApiError {
  if (error instanceof ProjectError && error.kind === 'connection') {
    // Only the lock means "busy": a refused login or an unreachable warehouse is said as such.
    if (/\bis in use\b|another build is writing/.test(error.message)) {
      return new ApiError(503, 'warehouse_busy', 'the warehouse is in use by another process (DuckDB allows one writer); try again when it has finished');
    }
    return new ApiError(503, 'warehouse_unavailable', redact(error.headline));
  }
  if (error instanceof ProjectError && error.kind !== 'database') return new ApiError(500, 'project_error', redact(error.headline));
  if (error instanceof ProjectErrors) return new ApiError(500, 'project_error', redact(error.errors.map((x) => x.headline).join('\n')));
  return new ApiError(500, 'pipeline_failed', 'the pipeline could not run: see the server log');
}

const loopbackDefault = '127.0.0.1';

export async function buildServer(opts: ServerOptions = {}): Promise<VoucherServer> {
  // A long-lived server validates every request: here zod's compiled validators pay for
  // themselves (the CLI turns them off for its short runs).
  z.config({ jitless: false });
  const host = opts.host ?? loopbackDefault;
  const policy = accessPolicy(host, opts.token);
  const now = opts.now ?? Date.now;
  // stdout, written synchronously as pino's default destination does: a warning or an error is
  // out before the next line of code runs, so a crash loses none. The hot route's request lines
  // are held and written in batches instead (requestLines).
  const logDestination = opts.logStream ? undefined : pino.destination({ dest: 1, sync: true });
  // The hot route is answered before Fastify's request machinery (see voucher-fast-path.ts);
  // everything else, and any request the fast path does not take, goes to Fastify.
  const fastPath: { handler?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean } = {};
  const app = Fastify({
    serverFactory: (handler) => {
      const server = http.createServer((req, res) => {
        if (!fastPath.handler?.(req, res)) handler(req, res);
      });
      // What Fastify sets on a server it makes itself: idle keep-alive connections outlive a load
      // balancer's usual 60 s idle timeout, so callers do not hit a connection closed under them.
      server.keepAliveTimeout = 72_000;
      return server;
    },
    logger:
      opts.logLevel === false
        ? false
        : {
            level: opts.logLevel ?? 'info',
            stream: opts.logStream ?? logDestination,
            // Only what identifies a request: no headers (Authorization), no body.
            serializers: {
              req: (req: { method?: string; url?: string }) => ({ method: req.method, url: req.url }),
              res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
              err: (err: Error) => ({ type: err.name, message: redact(err.message), stack: redact(err.stack ?? '') }),
            },
          },
    logController: new RequestLineLogger(),
    // No child logger per request (it costs on the hot path): the one request line carries reqId itself.
    childLoggerFactory: (logger) => logger,
    bodyLimit: opts.bodyLimit ?? 16 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
  });

  const voucherLimit = new RateLimiter(opts.voucherRateLimit ?? 0, 60_000, now);
  const pipelineLimit = new RateLimiter(opts.pipelineRateLimit ?? 10, 60_000, now);
  const overBudget = (limiter: RateLimiter, request: FastifyRequest, reply: FastifyReply) => {
    const wait = limiter.take(request.ip);
    if (wait === undefined) return;
    reply.header('retry-after', String(wait));
    throw new ApiError(429, 'rate_limited', `too many requests from this client: at most ${limiter.limit} a minute; try again in ${wait}s`);
  };

  const cache = new AnswerCache();
  const runner = new PipelineRunner(
    { projectDir: opts.projectDir, vars: opts.vars, target: opts.target, profilesDir: opts.profilesDir, threads: opts.threads },
    cache,
    app.log,
  );

  // zod validates (so a bad field is a 422 naming it); the JSON schemas only document.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // An empty body is no body (the original callers POST /runPipeline/ with `-d ''`).
  // Bodies that mention a prototype key go through Fastify's guarded parser (which refuses them);
  // all others through plain JSON.parse, which is much cheaper on the hot path.
  const guardedParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    if ((body as string).includes('__proto__') || (body as string).includes('constructor')) return guardedParser(req, body as string, done);
    try {
      done(null, JSON.parse(body as string) as unknown);
    } catch {
      done(new ApiError(400, 'invalid_json', 'the body is not valid JSON'), undefined);
    }
  });
  const fastLines = requestLines(app.log);
  // Held request lines are written at close, and at exit if the process ends without one.
  const flushAtExit = () => fastLines?.flush();
  process.on('exit', flushAtExit);
  app.addHook('onClose', async () => {
    process.removeListener('exit', flushAtExit);
    fastLines?.flush();
  });
  // curl's -d sends x-www-form-urlencoded; keep the text and read it as JSON where a body matters.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const answer = toErrorAnswer(error);
    if (answer.statusCode >= 500) request.log.error({ err: error }, 'unexpected error');
    return reply.code(answer.statusCode).type('application/json').send(answer.toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(new ApiError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON()),
  );

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'model voucher API',
        version: ENGINE_VERSION,
        description: 'Which voucher amount a customer should get, from the segmentation pipeline; and a way to rerun the pipeline.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const errorSchema = jsonSchemaOf(errorAnswerSchema, 'output');

  const loadedAnswer = (): Answer => {
    const answer = cache.answer;
    if (!answer) throw answerNotLoaded(cache.problem);
    return answer;
  };
  // Every answer from the cache says which version it came from, a 404 as much as a 200.
  fastPath.handler = voucherFastPath({
    bodyLimit: opts.bodyLimit ?? 16 * 1024,
    limiter: voucherLimit,
    answer: (raw, reply) => {
      const request = readVoucherRequest(raw);
      const answer = loadedAnswer();
      reply.version = String(answer.version);
      return lookupVoucherJson(answer, request, now());
    },
    log: fastLines && ((id, url, status, ms) => fastLines.write(id, url, status, ms)),
    logError: (error) => app.log.error({ err: error }, 'unexpected error'),
  });

  app.post(
    '/getVoucher/',
    {
      schema: {
        summary: 'The voucher amount for a customer',
        description:
          "Finds the customer's segment of the requested type and answers the voucher amount used most in it. 422: a field is malformed or breaks a cleaning rule; 404: no segment, country not covered, or segment without data; 503: no answer loaded yet.",
        body: jsonSchemaOf(voucherRequestSchema, 'input'),
        response: { 200: jsonSchemaOf(voucherAnswerSchema, 'output'), 404: errorSchema, 422: errorSchema, 429: errorSchema, 503: errorSchema },
      },
    },
    // Synchronous on purpose, and the same core as the fast path: a thrown ApiError goes to the error handler.
    (request, reply) => {
      overBudget(voucherLimit, request, reply);
      const voucherRequest = readVoucherRequest(request.body);
      const answer = loadedAnswer();
      reply.header('x-answer-version', String(answer.version));
      reply.send(lookupVoucher(answer, voucherRequest, now()));
    },
  );

  app.post(
    '/runPipeline/',
    {
      schema: {
        summary: 'Run the pipeline (model build) and reload the answer',
        description:
          'Same build as `model build`, in the server process. 409 while a run is in progress. Off loopback it needs Authorization: Bearer <MODEL_API_TOKEN>.',
        response: {
          200: jsonSchemaOf(pipelineAnswerSchema, 'output'),
          401: errorSchema,
          409: errorSchema,
          429: errorSchema,
          500: errorSchema,
          503: errorSchema,
        },
        ...(policy.token ? { security: [{ bearer: [] }] } : {}),
      },
    },
    async (request, reply) => {
      overBudget(pipelineLimit, request, reply);
      if (policy.token !== undefined && !bearerMatches(request.headers.authorization, policy.token)) {
        reply.header('www-authenticate', 'Bearer');
        throw new ApiError(401, 'unauthorized', 'POST /runPipeline/ needs Authorization: Bearer <MODEL_API_TOKEN>');
      }
      const running = runner.run();
      try {
        const summary = await running;
        return reply.code(summary.status === 'success' ? 200 : 500).send(summary);
      } catch (e) {
        if (!isUserError(e)) request.log.error({ err: e }, 'pipeline failed');
        else request.log.error({ detail: e instanceof Error ? redact(e.message) : String(e) }, 'pipeline failed');
        throw pipelineError(e);
      }
    },
  );

  app.get(
    '/health',
    { schema: { summary: 'Whether an answer is loaded', response: { 200: jsonSchemaOf(healthAnswerSchema, 'output') } } },
    async (): Promise<HealthAnswer> => {
      const a = cache.answer;
      return {
        status: a ? 'ok' : 'not_loaded',
        answer: {
          loaded: a !== undefined,
          rows: a ? a.rows.size : null,
          built_at: a?.builtAt ?? null,
          loaded_at: a?.loadedAt ?? null,
          countries: a?.countryNames ?? [],
          problem: cache.problem,
        },
        pipeline: { running: runner.isRunning },
      };
    },
  );

  try {
    await runner.reload();
  } catch (e) {
    // A broken project stops the start; a busy or unreadable warehouse does not: /health and
    // /getVoucher/ say why there is no answer, and /runPipeline/ can fix it.
    if (!(e instanceof ProjectError && (e.kind === 'connection' || e.kind === 'database'))) throw e;
    const message = redact(e.message);
    cache.fail(`reading the answer failed: ${message}`);
    app.log.warn({ detail: message }, 'no answer loaded at startup');
  }
  let front: Front | undefined;
  app.addHook('onClose', async () => {
    await front?.close();
  });
  await app.ready();
  const bodyLimit = opts.bodyLimit ?? 16 * 1024;
  const listen = async (listenHost: string, port: number) => {
    // The front counts no /getVoucher/ budget (one limiter must see every request) and keeps the real clock.
    if ((opts.voucherRateLimit ?? 0) !== 0 || opts.now || !frontAvailable() || front) return app.listen({ host: listenHost, port });
    front = await listenFront({ app, cache, bodyLimit, log: logOutput(app.log) }, listenHost, port);
    return front.address;
  };
  return { app, cache, runner, listen };
}
