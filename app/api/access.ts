/**
 * Who may run the pipeline. On loopback the server is the operator's own; on any other address
 * `/runPipeline/` needs `Authorization: Bearer $MODEL_API_TOKEN`, and the server will not start
 * without that token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ProjectError } from '../../src/index.js';

export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

export interface AccessPolicy {
  /** The token `/runPipeline/` requires, or undefined when none is required. */
  token: string | undefined;
}

/**
 * Decides the policy at startup. A token set in the environment is always enforced (even on
 * loopback); off loopback, a missing token is a refusal to start.
 */
export function accessPolicy(host: string, token: string | undefined): AccessPolicy {
  const t = token?.trim() ? token : undefined;
  if (!t && !isLoopback(host)) {
    throw new ProjectError('usage', `refusing to serve on ${host} without MODEL_API_TOKEN: off loopback, POST /runPipeline/ must require a token`, {
      hint: 'set MODEL_API_TOKEN to a long random value (e.g. `openssl rand -hex 32`) and send it as `Authorization: Bearer <token>`',
    });
  }
  if (t && t.length < 16) {
    throw new ProjectError('usage', 'MODEL_API_TOKEN is too short: use at least 16 characters', { hint: 'e.g. `openssl rand -hex 32`' });
  }
  return { token: t };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether an Authorization header carries the token; compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  // Hashing first gives equal lengths, so timingSafeEqual leaks neither content nor length.
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}
