import { describe, expect, it } from 'vitest';
import { accessPolicy, bearerMatches, isLoopback } from '../../../../app/api/access.js';
import { ProjectError } from '../../../../src/core/errors.js';

const TOKEN = 'a-long-enough-test-token-0123456789';

describe('access policy', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.5', 'example.com', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('refuses to serve off loopback without a token', () => {
    expect(() => accessPolicy('0.0.0.0', undefined)).toThrow(ProjectError);
    expect(() => accessPolicy('0.0.0.0', '  ')).toThrow(/MODEL_API_TOKEN/);
    expect(() => accessPolicy('0.0.0.0', 'short')).toThrow(/too short/);
    expect(accessPolicy('0.0.0.0', TOKEN)).toEqual({ token: TOKEN });
    expect(accessPolicy('127.0.0.1', undefined)).toEqual({ token: undefined });
    // A token that is set is enforced on loopback too.
    expect(accessPolicy('127.0.0.1', TOKEN)).toEqual({ token: TOKEN });
  });

  it('checks the bearer token', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer ', TOKEN)).toBe(false);
  });
});
