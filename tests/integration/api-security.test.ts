import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type VoucherServer } from '../../app/api/server.js';
import http from 'node:http';
import { copyShippedProject, queryDuckDb, runModel } from '../helpers/project.js';
import { holdDuckDbFile } from '../helpers/faults.js';

// The API's access rules and limits, over real sockets on loopback.
const TOKEN = 'security-test-token-5e1d0b7c93a2f4e6';
const SECRET = 'planted-secret-b7e2c91d40f6';

/** Listens on loopback: the server's access policy comes from the `host` it was built for. */
async function listen(server: VoucherServer): Promise<string> {
  // As `model serve` listens: through the front thread (app/api/voucher-front.ts) where it applies.
  return server.listen('127.0.0.1', 0);
}

async function post(base: string, route: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${base}${route}`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

const customer = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    customer_id: 1,
    country_code: 'Peru',
    last_order_ts: '2018-05-03 00:00:00',
    first_order_ts: '2017-05-03 00:00:00',
    total_orders: 15,
    segment_name: 'frequent_segment',
    ...fields,
  });

describe('API access rules and limits', () => {
  let dir: string;
  beforeAll(async () => {
    dir = copyShippedProject();
    const built = await runModel(['build'], { cwd: dir });
    expect(built.code, built.stderr).toBe(0);
  });

  it('configured for every address (off loopback), /runPipeline/ needs the token; /getVoucher/ stays open', async () => {
    const server = await buildServer({ projectDir: dir, host: '0.0.0.0', token: TOKEN, logLevel: false });
    try {
      const base = await listen(server);
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer nope-nope-nope-nope' }, { authorization: `Basic ${TOKEN}` }];
      for (const headers of attempts) {
        const r = await post(base, '/runPipeline/', '', headers);
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe('Bearer');
      }
      expect((await post(base, '/getVoucher/', customer())).status).toBe(200);
      const ok = await post(base, '/runPipeline/', '', { authorization: `Bearer ${TOKEN}` });
      expect(ok.status).toBe(200);
      expect(ok.text).not.toContain(TOKEN);
    } finally {
      await server.app.close();
    }
  });

  it('refuses bodies over the size limit with a JSON 413', async () => {
    const server = await buildServer({ projectDir: dir, logLevel: false });
    try {
      const base = await listen(server);
      const r = await post(base, '/getVoucher/', customer({ customer_id: 'x'.repeat(20_000) }));
      expect(r.status).toBe(413);
      expect(JSON.parse(r.text).error.code).toBe('body_too_large');
      // Without a Content-Length (chunked), on both routes: refused once past the limit, not read whole.
      for (const route of ['/getVoucher/', '/runPipeline/']) {
        const chunked = await new Promise<{ status?: number; text: string }>((resolve) => {
          const req = http.request(
            `${base}${route}`,
            { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve({ status: res.statusCode, text }));
            },
          );
          req.on('error', () => resolve({ text: 'connection closed' }));
          const chunk = 'x'.repeat(64 * 1024);
          let sent = 0;
          const more = (): void => {
            while (sent < 16 && req.write(chunk)) sent++;
            if (sent < 16)
              req.once('drain', () => {
                sent++;
                more();
              });
            else req.end();
          };
          more();
        });
        expect(chunked.status, `${route}: ${chunked.text}`).toBe(413);
        expect(JSON.parse(chunked.text).error.code).toBe('body_too_large');
      }
    } finally {
      await server.app.close();
    }
  });

  it('limits requests per client and says when to come back', async () => {
    const server = await buildServer({ projectDir: dir, logLevel: false, voucherRateLimit: 5, pipelineRateLimit: 1 });
    try {
      const base = await listen(server);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await post(base, '/getVoucher/', customer())).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const limited = await post(base, '/getVoucher/', customer());
      expect(JSON.parse(limited.text).error.code).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await post(base, '/runPipeline/', '')).status).toBe(200);
      expect((await post(base, '/runPipeline/', '')).status).toBe(429);
    } finally {
      await server.app.close();
    }
  });

  it('treats hostile field values as data: 4xx answers, and the warehouse untouched', async () => {
    const server = await buildServer({ projectDir: dir, logLevel: false });
    const db = path.join(dir, 'target', 'dh_database.duckdb');
    try {
      const base = await listen(server);
      const hostile = ["'; drop table dh_prod.segments_derived; --", "Peru' or '1'='1", 'Peru/* */', '\\\u0000'];
      for (const value of hostile) {
        for (const field of ['country_code', 'segment_name', 'last_order_ts', 'total_orders', 'customer_id']) {
          const r = await post(base, '/getVoucher/', customer({ [field]: value }));
          expect(r.status === 200 || (r.status >= 400 && r.status < 500), `${field}=${value}: ${r.status} ${r.text}`).toBe(true);
          if (field === 'customer_id' && r.status === 200) expect(JSON.parse(r.text).customer_id).toBe(value);
        }
      }
    } finally {
      await server.app.close();
    }
    expect((await queryDuckDb(db, 'select count(*) as n from dh_database.dh_prod.segments_derived'))[0]!.n).toBe('8');
  });

  it('a pipeline run while another process holds the DuckDB file answers 503 warehouse_busy; answers keep coming', async () => {
    const server = await buildServer({ projectDir: dir, logLevel: false });
    const db = path.join(dir, 'target', 'dh_database.duckdb');
    const holder = await holdDuckDbFile(db);
    try {
      const base = await listen(server);
      const r = await post(base, '/runPipeline/', '');
      expect(r.status, r.text).toBe(503);
      expect(JSON.parse(r.text).error.code).toBe('warehouse_busy');
      expect(r.text).not.toMatch(/\n\s+at |select |duckdb-adapter/i);
      expect((await post(base, '/getVoucher/', customer())).status).toBe(200);
    } finally {
      await holder.release();
      await server.app.close();
    }
  });

  it('keeps planted secrets out of every HTTP answer and log line', async () => {
    const secretDir = copyShippedProject();
    // A model reads a secret env var (dbt marks *_SECRET_* values secret), then fails with it in the SQL.
    const model = path.join(secretDir, 'models', 'stage', 'recency_reference.sql');
    writeFileSync(model, `${readFileSync(model, 'utf8')}\n-- {{ env_var('MODEL_SECRET_KEY') }}\n`);
    writeFileSync(path.join(secretDir, 'models', 'prod', 'leaky.sql'), "select '{{ env_var('MODEL_SECRET_KEY') }}' as k from no_such_table");
    process.env.MODEL_SECRET_KEY = SECRET;
    const logs: string[] = [];
    const { Writable } = await import('node:stream');
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    const server = await buildServer({ projectDir: secretDir, logStream: sink, token: TOKEN });
    try {
      const base = await listen(server);
      const bodies: string[] = [];
      const run = await post(base, '/runPipeline/', '', { authorization: `Bearer ${TOKEN}` });
      expect(run.status).toBe(500);
      bodies.push(run.text);
      for (const route of ['/getVoucher/', '/health', '/docs/json']) {
        const res = await fetch(
          `${base}${route}`,
          route === '/getVoucher/' ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: customer() } : {},
        );
        bodies.push(await res.text());
      }
      for (const text of [...bodies, logs.join('')]) expect(text).not.toContain(SECRET);
      for (const text of [...bodies, logs.join('')]) expect(text).not.toContain(TOKEN);
    } finally {
      await server.app.close();
      delete process.env.MODEL_SECRET_KEY;
    }
  });
});
