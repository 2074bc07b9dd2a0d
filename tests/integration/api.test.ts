import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type VoucherServer } from '../../app/api/server.js';
import { ProjectError } from '../../src/core/errors.js';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { copyShippedProject, MODEL_BIN, queryDuckDb, runModel } from '../helpers/project.js';

const TOKEN = 'integration-test-token-7f3a9c2e51b04d86';

/** Log lines the server wrote, to check they hold no body and no token. */
class LogSink extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

interface Running {
  server: VoucherServer;
  base: string;
  logs: LogSink;
}

async function start(projectDir: string, extra: { token?: string } = {}): Promise<Running> {
  const logs = new LogSink();
  const server = await buildServer({ projectDir, host: '127.0.0.1', logStream: logs, ...extra });
  // As `model serve` listens: through the front thread (app/api/voucher-front.ts) where it applies.
  const address = await server.listen('127.0.0.1', 0);
  return { server, base: address, logs };
}

async function post(base: string, route: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${base}${route}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as Record<string, any> };
}

const customer = (fields: Record<string, unknown> = {}) => ({
  customer_id: 123,
  country_code: 'Peru',
  last_order_ts: '2018-05-03 00:00:00',
  first_order_ts: '2017-05-03 00:00:00',
  total_orders: 15,
  segment_name: 'recency_segment',
  reference_ts: '2018-07-31 00:00:00',
  ...fields,
});

describe('the voucher API on the built shipped project', () => {
  let dir: string;
  let db: string;
  let api: Running;
  let answers: Map<string, number>;

  beforeAll(async () => {
    dir = copyShippedProject();
    db = path.join(dir, 'target', 'dh_database.duckdb');
    const built = await runModel(['build'], { cwd: dir });
    expect(built.code, built.stderr).toBe(0);
    const rows = await queryDuckDb(db, 'select segment_type, segment_name, voucher_amount from dh_prod.segments_derived');
    answers = new Map(rows.map((r) => [`${r.segment_type}/${r.segment_name}`, Number(r.voucher_amount)]));
    api = await start(dir);
  });

  afterAll(async () => {
    await api?.server.app.close();
  });

  it('answers the original callers unchanged, with and without the trailing slash', async () => {
    for (const route of ['/getVoucher/', '/getVoucher']) {
      const r = await post(api.base, route, customer());
      expect(r.status).toBe(200);
      // 2018-05-03 to 2018-07-31 is 89 days: 61-90.
      expect(r.json).toEqual({
        voucher_amount: answers.get('recency_segment/61-90'),
        segment_type: 'recency_segment',
        segment_name: '61-90',
        customer_id: 123,
      });
    }
    // curl -d without a Content-Type header sends x-www-form-urlencoded: the JSON is read anyway.
    const form = await post(api.base, '/getVoucher/', customer({ segment_name: 'frequent_segment', customer_id: 'c-9' }), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.json).toEqual({
      voucher_amount: answers.get('frequent_segment/14-37'),
      segment_type: 'frequent_segment',
      segment_name: '14-37',
      customer_id: 'c-9',
    });
  });

  it('puts every bucket of DOMAIN.md at its bounds (inclusive ranges, open 180+)', async () => {
    const frequent: [number, string][] = [
      [1, '1-4'],
      [4, '1-4'],
      [5, '5-13'],
      [13, '5-13'],
      [14, '14-37'],
      [37, '14-37'],
    ];
    for (const [orders, name] of frequent) {
      const r = await post(api.base, '/getVoucher/', customer({ segment_name: 'frequent_segment', total_orders: `${String(orders)}.0` }));
      expect(r.json, `${orders} orders`).toMatchObject({ segment_name: name, voucher_amount: answers.get(`frequent_segment/${name}`) });
    }
    const recency: [string, string][] = [
      ['2018-07-01', '30-60'],
      ['2018-06-01', '30-60'],
      ['2018-05-31', '61-90'],
      ['2018-05-02', '61-90'],
      ['2018-05-01', '91-120'],
      ['2018-04-02', '91-120'],
      ['2018-04-01', '121-180'],
      ['2018-02-01', '121-180'],
      ['2018-01-31', '180+'],
      ['2015-01-01', '180+'],
    ];
    for (const [last, name] of recency) {
      const r = await post(api.base, '/getVoucher/', customer({ last_order_ts: `${last} 23:59:59`, first_order_ts: '2014-01-01', total_orders: 3 }));
      expect(r.json, last).toMatchObject({ segment_name: name, voucher_amount: answers.get(`recency_segment/${name}`) });
    }
  });

  it('counts days to the request time when no reference_ts is given', async () => {
    const today = new Date();
    const day = (offset: number) => new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - offset)).toISOString().slice(0, 10);
    const body = customer({ last_order_ts: `${day(45)} 08:00:00`, first_order_ts: `${day(400)} 08:00:00` });
    delete (body as Record<string, unknown>).reference_ts;
    const r = await post(api.base, '/getVoucher/', body);
    expect(r.json).toMatchObject({ segment_name: '30-60' });
  });

  it('agrees with segments_derived for a sample of the customers in the data', async () => {
    // The segment computed here with plain SQL from the raw rows, independently of the API's code.
    const sample = await queryDuckDb(
      db,
      `with ref as (select reference_date from dh_stage.recency_reference),
       raw as (
         select cast(country_code as varchar) as country_code, cast(last_order_ts as varchar) as last_order_ts,
                cast(first_order_ts as varchar) as first_order_ts, cast(total_orders as varchar) as total_orders,
                try_cast(total_orders as double) as orders, try_cast(last_order_ts as timestamp) as last_ts, try_cast(first_order_ts as timestamp) as first_ts
         from dh_raw.old_voucher_data)
       select raw.*, cast((select reference_date from ref) as varchar) as reference_ts,
              date_diff('day', cast(last_ts as date), (select reference_date from ref)) as days
       from raw
       where lower(trim(country_code)) = 'peru' and orders is not null and orders = floor(orders) and last_ts is not null and first_ts is not null
         and not (orders = 0) and not (last_ts < first_ts)
       order by hash(last_order_ts, first_order_ts, total_orders) limit 60`,
    );
    expect(sample.length).toBeGreaterThan(30);
    const bucket = (t: string, v: number): string | undefined => {
      const ranges: [string, number, number][] =
        t === 'frequent_segment'
          ? [
              ['1-4', 1, 4],
              ['5-13', 5, 13],
              ['14-37', 14, 37],
            ]
          : [
              ['30-60', 30, 60],
              ['61-90', 61, 90],
              ['91-120', 91, 120],
              ['121-180', 121, 180],
              ['180+', 181, Infinity],
            ];
      return ranges.find(([, lo, hi]) => v >= lo && v <= hi)?.[0];
    };
    let matched = 0;
    for (const [i, row] of sample.entries()) {
      for (const type of ['frequent_segment', 'recency_segment']) {
        const body = {
          customer_id: i,
          country_code: row.country_code,
          last_order_ts: row.last_order_ts,
          first_order_ts: row.first_order_ts,
          total_orders: row.total_orders,
          segment_name: type,
          reference_ts: row.reference_ts,
        };
        const r = await post(api.base, '/getVoucher/', body);
        const expected = bucket(type, type === 'frequent_segment' ? Number(row.orders) : Number(row.days));
        if (expected === undefined) {
          expect(r.status, JSON.stringify(body)).toBe(404);
          expect(r.json.error.code).toBe('no_segment');
        } else {
          expect(r.json, JSON.stringify(body)).toEqual({
            voucher_amount: answers.get(`${type}/${expected}`),
            segment_type: type,
            segment_name: expected,
            customer_id: i,
          });
          matched++;
        }
      }
    }
    expect(matched).toBeGreaterThan(40);
  });

  it('answers 422 naming the field and the rule', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ segment_name: 'loyalty_segment' }, 'segment_name', 'allowed_values'],
      [{ last_order_ts: '2020-02-30 10:00:00' }, 'last_order_ts', 'timestamp_format'],
      [{ first_order_ts: '31/12/2017' }, 'first_order_ts', 'timestamp_format'],
      [{ reference_ts: 'yesterday' }, 'reference_ts', 'timestamp_format'],
      [{ total_orders: 'four' }, 'total_orders', 'whole_number'],
      [{ total_orders: 2.5 }, 'total_orders', 'whole_number'],
      [{ total_orders: '' }, 'total_orders', 'required'],
      [{ total_orders: null }, 'total_orders', 'required'],
      [{ last_order_ts: '2017-01-01 00:00:00' }, 'last_order_ts', 'last_order_before_first_order'],
      [{ total_orders: 0 }, 'total_orders', 'zero_orders_with_order_timestamps'],
      [{ customer_id: undefined }, 'customer_id', 'required'],
      [{ customer_id: { id: 1 } }, 'customer_id', 'type'],
      [{ country_code: '   ' }, 'country_code', 'required'],
      [{ country_code: 42 }, 'country_code', 'type'],
    ];
    for (const [fields, field, rule] of cases) {
      const r = await post(api.base, '/getVoucher/', customer(fields));
      expect(r.status, JSON.stringify(fields)).toBe(422);
      expect(r.json.error, JSON.stringify(fields)).toMatchObject({ code: 'invalid_request', field, rule });
      expect(r.json.error.message).toContain(field);
    }
    const notObject = await post(api.base, '/getVoucher/', [1, 2]);
    expect(notObject.status).toBe(422);
    expect(notObject.json.error).toMatchObject({ field: 'body', rule: 'type' });
  });

  it('answers 404 saying which: no segment, country not covered', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ segment_name: 'frequent_segment', total_orders: 38 }, 'no_segment', /total_orders 38/],
      [{ segment_name: 'frequent_segment', total_orders: 0, last_order_ts: null, first_order_ts: null }, 'no_segment', /total_orders 0/],
      [{ last_order_ts: '2018-07-10', first_order_ts: '2018-01-01' }, 'no_segment', /21 days since last order/],
      [{ last_order_ts: null }, 'no_segment', /no last_order_ts/],
      [{ country_code: 'Latvia' }, 'country_not_covered', /Latvia.*covers: Peru/],
    ];
    for (const [fields, code, message] of cases) {
      const r = await post(api.base, '/getVoucher', customer(fields));
      expect(r.status, JSON.stringify(fields)).toBe(404);
      expect(r.json.error.code).toBe(code);
      expect(r.json.error.message).toMatch(message);
    }
    // Countries compare trimmed and case-insensitively.
    expect((await post(api.base, '/getVoucher', customer({ country_code: '  pERU ' }))).status).toBe(200);
  });

  it('answers other client errors as JSON 4xx', async () => {
    const badJson = await post(api.base, '/getVoucher/', '{"customer_id": 1,');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error.code).toBe('invalid_json');
    const big = await post(api.base, '/getVoucher/', customer({ customer_id: 'x'.repeat(20_000) }));
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('body_too_large');
    const poisoned = await post(api.base, '/getVoucher/', '{"__proto__": {"x": 1}, "customer_id": 1}');
    expect(poisoned.status).toBe(400);
    const unknown = await fetch(`${api.base}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const wrongMethod = await fetch(`${api.base}/getVoucher/`);
    expect(wrongMethod.status).toBe(404);
  });

  it('reports health, serves the OpenAPI document and the interactive docs', async () => {
    const health = (await (await fetch(`${api.base}/health`)).json()) as Record<string, any>;
    expect(health).toMatchObject({ status: 'ok', answer: { loaded: true, rows: 8, countries: ['Peru'], problem: null }, pipeline: { running: false } });
    expect(Date.parse(health.answer.built_at)).not.toBeNaN();
    const openapi = (await (await fetch(`${api.base}/docs/json`)).json()) as Record<string, any>;
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/getVoucher/', '/runPipeline/', '/health']));
    const requestSchema = openapi.paths['/getVoucher/'].post.requestBody.content['application/json'].schema;
    expect(requestSchema.properties.segment_name.enum).toEqual(['frequent_segment', 'recency_segment']);
    expect(requestSchema.required).toEqual(expect.arrayContaining(['customer_id', 'country_code', 'segment_name']));
    const docs = await fetch(`${api.base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });

  it('never answers 5xx to random and malformed bodies', async () => {
    const fieldValue = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.constantFrom(
        '2018-05-03 00:00:00',
        '2018-02-30',
        '2018-05-03T10:00:00Z',
        '',
        '4.0',
        '1e400',
        '-0',
        'recency_segment',
        'frequent_segment',
        'Peru',
        null,
      ),
    );
    const keys = ['customer_id', 'country_code', 'last_order_ts', 'first_order_ts', 'total_orders', 'segment_name', 'reference_ts'] as const;
    const body = fc.oneof(
      fc.record(Object.fromEntries(keys.map((k) => [k, fieldValue])), { requiredKeys: [] }).map((o) => JSON.stringify(o)),
      fc.anything().map((v) => JSON.stringify(v) ?? 'null'),
      fc.string(),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'application/json; charset=utf-8',
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, fc.constantFrom('/getVoucher/', '/getVoucher'), async (text, type, route) => {
        const res = await fetch(`${api.base}${route}`, { method: 'POST', headers: { 'content-type': type }, body: text });
        const answer = (await res.json()) as Record<string, any>;
        expect(res.status, `${type} ${text}`).toBeLessThan(500);
        if (res.status === 200) expect(typeof answer.voucher_amount).toBe('number');
        else expect(typeof answer.error.code).toBe('string');
      }),
      { numRuns: 300 },
    );
  });

  it('logs one JSON line per request, without bodies or tokens', () => {
    expect(api.logs.lines.length).toBeGreaterThan(50);
    for (const line of api.logs.lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry.level).toBeTypeOf('number');
      expect(line).not.toMatch(/customer_id|last_order_ts|authorization|Bearer/i);
    }
    expect(api.logs.lines.some((l) => /"url":"\/getVoucher\/".*"status":422/.test(l))).toBe(true);
  });
});

describe('running the pipeline through the API', () => {
  it('starts without an answer, says so, and serves once /runPipeline/ has built it', async () => {
    const dir = copyShippedProject();
    const api = await start(dir);
    try {
      const health = (await (await fetch(`${api.base}/health`)).json()) as Record<string, any>;
      expect(health).toMatchObject({ status: 'not_loaded', answer: { loaded: false, rows: null } });
      expect(health.answer.problem).toMatch(/segments_derived does not exist yet/);
      const before = await post(api.base, '/getVoucher/', customer());
      expect(before.status).toBe(503);
      expect(before.json.error).toMatchObject({ code: 'answer_not_loaded' });
      expect(before.json.error.message).toMatch(/POST \/runPipeline\//);
      // The original caller: curl -X POST …/runPipeline/ -d ''
      const run = await post(api.base, '/runPipeline', '', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(run.status).toBe(200);
      expect(run.json).toMatchObject({ status: 'success', nodes: { total: 9, by_status: { success: 9 } }, failed: [], answer: { reloaded: true, rows: 8 } });
      expect(run.json.duration_seconds).toBeGreaterThan(0);
      expect((await post(api.base, '/getVoucher/', customer())).json).toMatchObject({ segment_name: '61-90' });
    } finally {
      await api.server.app.close();
    }
  });

  it('runs one pipeline at a time, keeps answering from the previous answer, and switches when the new one is complete', async () => {
    const dir = copyShippedProject();
    expect((await runModel(['build'], { cwd: dir })).code).toBe(0);
    const api = await start(dir);
    try {
      // A bucket no voucher falls in: absent before the run (no segment), without data after it.
      appendFileSync(path.join(dir, 'seeds', 'rules_for_segments.csv'), 'frequent_segment,100000+,100000,\n');
      const probe = customer({ segment_name: 'frequent_segment', total_orders: 150_000 });
      const old = await post(api.base, '/getVoucher/', probe);
      expect(old.json.error.code).toBe('no_segment');
      const oldVersion = old.headers.get('x-answer-version');

      let done = false;
      const runs = Promise.all([0, 1, 2].map(() => post(api.base, '/runPipeline/', '', {}))).finally(() => (done = true));
      const duringRun: { version: string | null; code: string }[] = [];
      let sawRunning = false;
      while (!done) {
        const [r, health] = await Promise.all([
          post(api.base, '/getVoucher/', probe),
          fetch(`${api.base}/health`).then((h) => h.json() as Promise<Record<string, any>>),
        ]);
        if (!done) duringRun.push({ version: r.headers.get('x-answer-version'), code: r.json.error.code });
        if (health.pipeline.running) sawRunning = true;
      }
      const statuses = (await runs).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409]);
      for (const r of await runs) if (r.status === 409) expect(r.json.error.code).toBe('pipeline_running');
      expect(sawRunning).toBe(true);
      // Reads during the run got a whole answer: the old one, or (after the swap) the new one, never a mix.
      expect(duringRun.length).toBeGreaterThan(0);
      expect(duringRun.some((r) => r.version === oldVersion)).toBe(true);
      for (const r of duringRun) expect(r.code).toBe(r.version === oldVersion ? 'no_segment' : 'segment_without_data');
      const after = await post(api.base, '/getVoucher/', probe);
      expect(after.headers.get('x-answer-version')).not.toBe(oldVersion);
      expect(after.json.error).toMatchObject({ code: 'segment_without_data' });
      expect(after.json.error.message).toMatch(/100000\+/);
    } finally {
      await api.server.app.close();
    }
  });

  it('requires the bearer token when one is configured, and refuses to start off loopback without one', async () => {
    await expect(buildServer({ projectDir: copyShippedProject(), host: '0.0.0.0', logLevel: false })).rejects.toThrow(ProjectError);
    const cli = await runModel(['serve', '--host', '0.0.0.0', '--port', '0'], { cwd: copyShippedProject(), env: { MODEL_API_TOKEN: undefined } });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/refusing to serve on 0\.0\.0\.0 without MODEL_API_TOKEN/);

    const dir = copyShippedProject();
    const api = await start(dir, { token: TOKEN });
    try {
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: TOKEN }];
      for (const headers of attempts) {
        const r = await post(api.base, '/runPipeline/', '', headers);
        expect(r.status).toBe(401);
        expect(r.json.error.code).toBe('unauthorized');
        expect(r.text).not.toContain(TOKEN);
      }
      const ok = await post(api.base, '/runPipeline/', '', { authorization: `Bearer ${TOKEN}` });
      expect(ok.status).toBe(200);
      expect(api.logs.lines.join('\n')).not.toContain(TOKEN);
    } finally {
      await api.server.app.close();
    }
  });

  it("keeps idle connections open longer than a load balancer's usual 60 s, as Fastify would", async () => {
    const api = await start(copyShippedProject());
    try {
      expect(api.server.app.server.keepAliveTimeout).toBe(72_000);
    } finally {
      await api.server.app.close();
    }
  });

  it("writes a quiet server's request lines to stdout within seconds, not only at close", async () => {
    const child = spawn(process.execPath, [MODEL_BIN, 'serve', '--port', '0'], { cwd: copyShippedProject(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const until = async (ok: () => boolean, what: string) => {
      for (let waited = 0; !ok(); waited += 50) {
        if (waited > 15_000) throw new Error(`timed out waiting for ${what}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(() => /serving the voucher API on (http:\/\/\S+)/.test(stderr), 'the server');
      const base = /serving the voucher API on (http:\/\/\S+)/.exec(stderr)![1]!.replace(/ .*/, '');
      const r = await post(base, '/getVoucher/', customer());
      expect([200, 404, 503]).toContain(r.status);
      // One short line is far below the 16 KiB a batch holds: only the timed flush writes it.
      await until(() => stdout.includes('"msg":"request"'), 'the request line');
      const line = JSON.parse(stdout.split('\n').find((l) => l.includes('"msg":"request"'))!) as Record<string, unknown>;
      expect(line).toMatchObject({ method: 'POST', url: '/getVoucher/', status: r.status });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
  });

  it('takes its log level from the global --log-level: warn leaves the request lines out, a 5xx line stays', async () => {
    const probe = net.createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as net.AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    const child = spawn(process.execPath, [MODEL_BIN, 'serve', '--port', String(port), '--log-level', 'warn'], {
      cwd: copyShippedProject(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    try {
      for (
        let waited = 0;
        !(await fetch(`${base}/health`).then(
          (r) => r.ok,
          () => false,
        ));
        waited += 100
      ) {
        if (waited > 15_000) throw new Error(`the server did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = await post(base, '/getVoucher/', customer());
      expect([200, 404, 503]).toContain(r.status);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
    // Unbuilt, the answer is a 503: its line is an error line and stays; no info line is written.
    expect(stdout).not.toContain('"level":30');
    for (const line of stdout.split('\n').filter((l) => l.includes('"msg":"request"'))) expect(JSON.parse(line)).toMatchObject({ level: 50, status: 503 });
    // pino's own names are not dbt's levels: refused as a usage error.
    const silent = await runModel(['serve', '--port', '0', '--log-level', 'silent'], { cwd: copyShippedProject() });
    expect(silent.code).toBe(2);
    expect(silent.stderr).toMatch(/--log-level must be one of debug, info, warn, error, none/);
  });

  it('answers a broken project as a JSON error without a stack', async () => {
    const dir = copyShippedProject();
    const api = await start(dir);
    try {
      appendFileSync(path.join(dir, 'models', 'prod', 'segments_derived.sql'), "\n{{ ref('no_such_model') }}\n");
      const r = await post(api.base, '/runPipeline/', '');
      expect(r.status).toBe(500);
      expect(r.json.error.code).toBe('project_error');
      expect(r.json.error.message).toMatch(/segments_derived\.sql.*no_such_model/);
      expect(r.text).not.toMatch(/\n\s+at |select /);
    } finally {
      await api.server.app.close();
    }
  });

  it('answers a failed node with the summary (500), without its SQL, and still swaps in a rebuilt answer', async () => {
    const dir = copyShippedProject();
    writeFileSync(path.join(dir, 'models', 'prod', 'segment_coverage.sql'), "select no_such_column from {{ ref('clean_vouchers') }}\n");
    const api = await start(dir);
    try {
      const r = await post(api.base, '/runPipeline/', '');
      expect(r.status).toBe(500);
      expect(r.json).toMatchObject({
        status: 'error',
        failed: [{ node: 'model.segmentation.segment_coverage', status: 'error' }],
        answer: { reloaded: true, rows: 8 },
      });
      expect(r.text).not.toMatch(/no_such_column|select /i);
      expect(api.logs.lines.join('\n')).toMatch(/segment_coverage.*no_such_column/);
      expect((await post(api.base, '/getVoucher/', customer())).status).toBe(200);
    } finally {
      await api.server.app.close();
    }
  });
});

describe('the relations the API serves, named in project config', () => {
  /** The shipped project with its `voucher_api` var lines replaced by `vars` (YAML lines, indented two spaces). */
  function withApiVar(dir: string, vars: string): void {
    const file = path.join(dir, 'project.yml');
    const text = readFileSync(file, 'utf8');
    const shipped = '  voucher_api:\n    answer: segments_derived\n    rules: rules_for_segments\n';
    expect(text).toContain(shipped);
    writeFileSync(file, text.replace(shipped, vars));
  }

  it('answers from the model and rules the voucher_api var names, not from segments_derived', async () => {
    const dir = copyShippedProject();
    // Rules from a model over the seed with one bucket renamed, and an answer of 777 for every rule.
    writeFileSync(
      path.join(dir, 'models', 'prod', 'renamed_rules.sql'),
      "select segment_type, case when segment_name = '61-90' then 'two_to_three_months' else segment_name end as segment_name, min_value, max_value\nfrom {{ ref('rules_for_segments') }}\n",
    );
    writeFileSync(
      path.join(dir, 'models', 'prod', 'flat_answer.sql'),
      "select segment_type, segment_name, 777 as voucher_amount, 1 as voucher_count, 1 as segment_rows from {{ ref('renamed_rules') }}\n",
    );
    withApiVar(dir, '  voucher_api:\n    answer: flat_answer\n    rules: renamed_rules\n');
    const built = await runModel(['build'], { cwd: dir });
    expect(built.code, built.stderr).toBe(0);
    const api = await start(dir);
    try {
      const health = (await (await fetch(`${api.base}/health`)).json()) as Record<string, any>;
      expect(health.answer).toMatchObject({ loaded: true, rows: 8 });
      // built_at comes from run_results.json, for the configured answer model.
      expect(health.answer.built_at).toEqual(expect.any(String));
      const r = await post(api.base, '/getVoucher/', customer());
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ voucher_amount: 777, segment_type: 'recency_segment', segment_name: 'two_to_three_months', customer_id: 123 });
      // /runPipeline/ reloads from the configured model too.
      const run = await post(api.base, '/runPipeline/', '');
      expect(run.json).toMatchObject({ status: 'success', answer: { reloaded: true, rows: 8 } });
    } finally {
      await api.server.app.close();
    }
  });

  it('refuses to start, naming project.yml and the var, when the var is missing or names no model or seed', async () => {
    const missing = copyShippedProject();
    withApiVar(missing, '');
    const noVar = buildServer({ projectDir: missing, host: '127.0.0.1', logLevel: false });
    await expect(noVar).rejects.toThrow(ProjectError);
    await expect(noVar).rejects.toMatchObject({
      headline: expect.stringMatching(/^project\.yml: error \[project\]: the var 'voucher_api\.answer' is not set/),
    });

    const unknown = copyShippedProject();
    withApiVar(unknown, '  voucher_api:\n    answer: segments_derived\n    rules: no_such_rules\n');
    await expect(buildServer({ projectDir: unknown, host: '127.0.0.1', logLevel: false })).rejects.toMatchObject({
      headline: expect.stringMatching(
        /^project\.yml: error \[project\]: the var 'voucher_api\.rules' names 'no_such_rules', but the project has no model or seed/,
      ),
    });

    // The CLI says the same, and exits 2 like any project error.
    const cli = await runModel(['serve', '--port', '0'], { cwd: missing });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(
      /project\.yml: error \[project\]: the var 'voucher_api\.answer' is not set[\s\S]*hint: add under vars: in project\.yml: voucher_api: \{answer: segments_derived, rules: rules_for_segments\}/,
    );
  });
});
