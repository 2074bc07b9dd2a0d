import dns from 'node:dns';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { NetworkGuardError, takeNetworkViolations } from './network-guard.js';

describe('network guard', () => {
  it('blocks a non-loopback connect before the socket starts connecting', () => {
    const socket = new net.Socket();
    expect(() => socket.connect({ host: '10.1.2.3', port: 9 })).toThrow(NetworkGuardError);
    expect(socket.connecting).toBe(false);
    socket.destroy();
    expect(() => net.connect(443, '10.1.2.3')).toThrow(/network guard/);
    expect(takeNetworkViolations()).toEqual(['connect to 10.1.2.3', 'connect to 10.1.2.3']);
  });

  it('blocks DNS lookups of non-loopback names', async () => {
    expect(() => dns.lookup('example.com', () => undefined)).toThrow(NetworkGuardError);
    await expect(dns.promises.lookup('metadata.google.internal')).rejects.toThrow(NetworkGuardError);
    expect(takeNetworkViolations()).toHaveLength(2);
  });

  it('lets loopback traffic through', async () => {
    const server = net.createServer((socket) => socket.end('hi'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, 'localhost');
      let data = '';
      socket.on('data', (chunk) => (data += String(chunk)));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toBe('hi');
    await new Promise((resolve) => server.close(resolve));
    expect(process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION).toBe('true');
  });
});
