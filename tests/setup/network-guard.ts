// Vitest setup: tests may only talk to loopback. Any other socket connect or DNS
// lookup throws before a packet leaves, and fails the running test.

import dns from 'node:dns';
import net from 'node:net';
import { afterEach } from 'vitest';

// snowflake-sdk probes cloud metadata endpoints when first imported unless told not to.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE = '1';

const VIOLATIONS = Symbol.for('model.networkGuard.violations');
type GuardGlobal = typeof globalThis & { [VIOLATIONS]?: string[] };
const guardGlobal = globalThis as GuardGlobal;

/** Returns (and clears) the blocked attempts recorded so far. */
export function takeNetworkViolations(): string[] {
  const list = guardGlobal[VIOLATIONS] ?? [];
  guardGlobal[VIOLATIONS] = [];
  return list;
}

export class NetworkGuardError extends Error {
  readonly code = 'ENETWORKGUARD';
}

function block(what: string): NetworkGuardError {
  (guardGlobal[VIOLATIONS] ??= []).push(what);
  return new NetworkGuardError(`network guard: blocked ${what} (tests may only use 127.0.0.1)`);
}

function isLoopback(host: string | undefined): boolean {
  if (host === undefined || host === '' || host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const v4 = bare.replace(/^::ffff:/i, '');
  return net.isIPv4(v4) && v4.startsWith('127.');
}

const PATCHED = Symbol.for('model.networkGuard.installed');
const netWithFlag = net as typeof net & { [PATCHED]?: boolean };

if (!netWithFlag[PATCHED]) {
  netWithFlag[PATCHED] = true;

  const originalConnect = net.Socket.prototype.connect;
  // Node calls connect with (options, cb), (port, host, cb), (path, cb) or an
  // internal pre-normalized [options, cb] array.
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    let host: string | undefined;
    let isPath = false;
    if (typeof first === 'object' && first !== null) {
      const options = first as { host?: string; path?: string };
      isPath = typeof options.path === 'string';
      host = options.host;
    } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
      isPath = true; // IPC socket path
    } else if (typeof args[1] === 'string') {
      host = args[1];
    }
    if (!isPath && !isLoopback(host)) throw block(`connect to ${host}`);
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;

  const originalLookup = dns.lookup;
  dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
    if (!isLoopback(hostname)) throw block(`DNS lookup of ${hostname}`);
    return (originalLookup as (...a: unknown[]) => unknown)(hostname, ...rest);
  } as typeof dns.lookup;

  const originalPromisesLookup = dns.promises.lookup;
  dns.promises.lookup = async function guardedPromisesLookup(hostname: string, ...rest: unknown[]) {
    if (!isLoopback(hostname)) throw block(`DNS lookup of ${hostname}`);
    return (originalPromisesLookup as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest);
  } as typeof dns.promises.lookup;
}

afterEach(() => {
  const violations = takeNetworkViolations();
  if (violations.length > 0) {
    throw new Error(`Test attempted non-loopback network access: ${violations.join('; ')}`);
  }
});
