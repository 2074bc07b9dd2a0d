import { describe, expect, it } from 'vitest';
import { redact, redactDeep, registerSecret } from '../../../src/core/secrets.js';

describe('secret redaction', () => {
  it('redacts a secret as written, JSON-escaped and SQL-quoted', () => {
    const secret = `pa"ss'wo\\rd-7f3e`;
    registerSecret(secret);
    expect(redact(`password ${secret} here`)).toBe('password ***** here');
    const json = JSON.stringify({ sql: `select '${secret.replace(/'/g, "''")}' as k`, raw: secret });
    expect(json).not.toContain(secret); // the escaped forms are what a file would hold
    const redacted = redact(json);
    expect(redacted).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(redacted).not.toContain(secret.replace(/'/g, "''"));
    expect(JSON.parse(redacted)).toEqual({ sql: "select '*****' as k", raw: '*****' });
  });

  it('redacts a multi-line private key whole and line by line, keeping the armour lines', () => {
    const body = ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6'];
    const key = `-----BEGIN PRIVATE KEY-----\n${body.join('\n')}\n-----END PRIVATE KEY-----\n`;
    registerSecret(key);
    expect(redact(`key: ${key}`)).toBe('key: *****');
    expect(redact(`bad line: ${body[1]}`)).toBe('bad line: *****');
    expect(redact('-----BEGIN PRIVATE KEY-----')).toBe('-----BEGIN PRIVATE KEY-----');
    expect(JSON.stringify(redactDeep({ k: key }))).not.toMatch(/MIIEvQ|q1w2e3/);
  });

  it('redactDeep walks arrays, nested objects and keys, and keeps other values', () => {
    registerSecret('tok-123456789');
    const when = new Date('2020-01-02T03:04:05Z');
    expect(redactDeep({ a: [1, 'x tok-123456789 y', null, true], b: { 'tok-123456789': 'v' }, when })).toEqual({
      a: [1, 'x ***** y', null, true],
      b: { '*****': 'v' },
      when: '2020-01-02T03:04:05.000Z',
    });
  });

  it('ignores values too short to redact safely', () => {
    registerSecret('abc');
    expect(redact('abc abcd')).toBe('abc abcd');
  });
});
