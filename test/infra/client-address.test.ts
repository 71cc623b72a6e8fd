// Whose address a request is, for the failure counts, the per-address socket cap and the audit log:
// the socket's, unless it is a trusted proxy (TRUST_PROXY), then X-Forwarded-For's from the right.
import type http from 'node:http';
import { clientAddressReader, trustedProxyList } from '../../src/infra/client-address';

function request(remoteAddress: string | undefined, forwardedFor?: string | string[]): http.IncomingMessage {
  return {
    socket: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as http.IncomingMessage;
}

it('is the socket address, IPv4-mapped addresses unmapped, and X-Forwarded-For ignored without TRUST_PROXY', () => {
  const addressOf = clientAddressReader([]);
  expect(addressOf(request('10.1.2.3', '203.0.113.5'))).toBe('10.1.2.3');
  expect(addressOf(request('::ffff:10.1.2.3'))).toBe('10.1.2.3');
  expect(addressOf(request('2001:db8::7'))).toBe('2001:db8::7');
  expect(addressOf(request(undefined))).toBeNull();
});

it('behind trusted proxies, is the first address from the right of X-Forwarded-For that is not one of them', () => {
  const addressOf = clientAddressReader(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
  expect(addressOf(request('127.0.0.1', '203.0.113.5'))).toBe('203.0.113.5');
  expect(addressOf(request('::ffff:127.0.0.1', '203.0.113.5'))).toBe('203.0.113.5');
  // Two proxies in a row: the edge proxy's address is skipped as well.
  expect(addressOf(request('127.0.0.1', '203.0.113.5, 10.4.5.6'))).toBe('203.0.113.5');
  expect(addressOf(request('fd00::1', '2001:db8::9'))).toBe('2001:db8::9');
  // What a client wrote before the proxy appended its address is not believed.
  expect(addressOf(request('127.0.0.1', '198.51.100.1, 203.0.113.5'))).toBe('203.0.113.5');
  expect(addressOf(request('127.0.0.1', ['198.51.100.1', '203.0.113.5']))).toBe('203.0.113.5');
  // A request that did not come through a trusted proxy: its own header means nothing.
  expect(addressOf(request('203.0.113.77', '127.0.0.1'))).toBe('203.0.113.77');
  // A trusted proxy that forwarded no address, or garbage: the proxy is all that is known.
  expect(addressOf(request('127.0.0.1'))).toBe('127.0.0.1');
  expect(addressOf(request('127.0.0.1', 'unknown'))).toBe('127.0.0.1');
  // An entry with the client's port, as Azure appends it, or a bracketed IPv6 address: the address.
  expect(addressOf(request('127.0.0.1', '203.0.113.5:51234'))).toBe('203.0.113.5');
  expect(addressOf(request('127.0.0.1', '[2001:db8::9]:51234'))).toBe('2001:db8::9');
  expect(addressOf(request('127.0.0.1', '[2001:db8::9]'))).toBe('2001:db8::9');
  expect(addressOf(request('127.0.0.1', '[::ffff:203.0.113.5]:443'))).toBe('203.0.113.5');
  expect(addressOf(request('127.0.0.1', '198.51.100.1:1, 10.4.5.6:80'))).toBe('198.51.100.1');
  // Not an address with a port: the proxy is all that is known.
  for (const entry of ['2001:db8::9]:1', '[203.0.113.5]:1', '203.0.113.5:', '203.0.113.5:123456', 'host:80', '[::1'])
    expect({ entry, address: addressOf(request('127.0.0.1', entry)) }).toEqual({ entry, address: '127.0.0.1' });
  // Every hop a trusted proxy: the leftmost.
  expect(addressOf(request('127.0.0.1', '10.9.9.9, 10.0.0.2'))).toBe('10.9.9.9');
});

it('accepts addresses and CIDR ranges of both families, and names the first entry that is neither', () => {
  expect(trustedProxyList(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']).invalid).toBeUndefined();
  expect(trustedProxyList(['10.0.0.0/33']).invalid).toBe('10.0.0.0/33');
  expect(trustedProxyList(['::/129']).invalid).toBe('::/129');
  expect(trustedProxyList(['10.0.0.0/8/1']).invalid).toBe('10.0.0.0/8/1');
  expect(trustedProxyList(['10.0.0.0/x']).invalid).toBe('10.0.0.0/x');
  expect(trustedProxyList(['localhost']).invalid).toBe('localhost');
});
