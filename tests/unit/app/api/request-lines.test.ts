/** The fast path's hand-built request log lines against what pino itself writes for the same fields. */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { requestLines } from '../../../../app/api/server.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  get lines(): string[] {
    return this.text.split('\n').filter(Boolean);
  }
}

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function logger(level: string) {
  const sink = new Sink();
  const app = Fastify({ logger: { level, stream: sink } });
  apps.push(app);
  return { sink, log: app.log };
}

describe('requestLines', () => {
  it('writes the line pino would write, field for field and in the same order', () => {
    const { sink, log } = logger('info');
    const lines = requestLines(log)!;
    lines.write(7, '/getVoucher/', 200, 1.25);
    lines.write(8, '/getVoucher', 422, 0.5);
    lines.flush();
    log.info({ reqId: 'v-7', method: 'POST', url: '/getVoucher/', status: 200, ms: 1.25 }, 'request');
    log.info({ reqId: 'v-8', method: 'POST', url: '/getVoucher', status: 422, ms: 0.5 }, 'request');
    const parsed = sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(4);
    for (const [fast, pino] of [
      [parsed[0]!, parsed[2]!],
      [parsed[1]!, parsed[3]!],
    ] as const) {
      expect(Object.keys(fast)).toEqual(Object.keys(pino));
      expect({ ...fast, time: 0 }).toEqual({ ...pino, time: 0 });
      expect(Math.abs((fast.time as number) - (pino.time as number))).toBeLessThan(60_000);
    }
  });

  it('holds lines until flushed or until enough text is held, and then writes them in order', async () => {
    const { sink, log } = logger('info');
    const lines = requestLines(log)!;
    lines.write(1, '/getVoucher/', 200, 1);
    expect(sink.lines).toHaveLength(0);
    for (let i = 2; i <= 300; i++) lines.write(i, '/getVoucher/', 200, 1);
    // More than 16 KiB: written without waiting.
    expect(sink.lines.length).toBeGreaterThan(0);
    lines.flush();
    expect(sink.lines.map((l) => (JSON.parse(l) as { reqId: string }).reqId)).toEqual(Array.from({ length: 300 }, (_, i) => `v-${i + 1}`));
    // A lone line is written after a short while, without a flush.
    lines.write(301, '/getVoucher/', 200, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.lines).toHaveLength(301);
  });

  it('writes the line of a 5xx answer at once, as an error, after the lines held before it', () => {
    const { sink, log } = logger('info');
    const lines = requestLines(log)!;
    lines.write(1, '/getVoucher/', 200, 1);
    lines.write(2, '/getVoucher/', 503, 0.5);
    const parsed = sink.lines.map((l) => JSON.parse(l) as { reqId: string; level: number; status: number });
    expect(parsed.map((l) => [l.reqId, l.level, l.status])).toEqual([
      ['v-1', 30, 200],
      ['v-2', 50, 503],
    ]);
  });

  it('at level error keeps only the lines of 5xx answers', () => {
    const { sink, log } = logger('error');
    const lines = requestLines(log)!;
    lines.write(1, '/getVoucher/', 200, 1);
    lines.write(2, '/getVoucher/', 422, 1);
    lines.write(3, '/getVoucher/', 500, 1);
    lines.flush();
    expect(sink.lines.map((l) => (JSON.parse(l) as { reqId: string }).reqId)).toEqual(['v-3']);
  });

  it('writes nothing below the logger level, and needs a pino logger', () => {
    const { sink, log } = logger('warn');
    const lines = requestLines(log)!;
    lines.write(1, '/getVoucher/', 200, 1);
    lines.flush();
    expect(sink.text).toBe('');
    const silent = Fastify({ logger: false });
    apps.push(silent);
    expect(requestLines(silent.log)).toBeUndefined();
  });
});
