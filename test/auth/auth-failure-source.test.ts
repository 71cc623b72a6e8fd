// Where wrong secrets are counted (AUTH_FAILURE_LIMIT): per IPv4 address, per /64 for IPv6, which one
// host or site holds whole and could otherwise cycle through for a fresh budget of scrypts each time.
import { authFailureSource, RateLimits } from '../../src/auth/rate-limits';
import { RateLimitedError } from '../../src/auth/auth.errors';
import { createLogger } from '../../src/infra/logger';

describe('authFailureSource', () => {
  it('counts an IPv6 address by its /64, whatever its notation', () => {
    const sources = ['2001:db8:1:2:3:4:5:6', '2001:DB8:0001:0002::9', '2001:db8:1:2:ffff::1%eth0', '2001:db8:1:2::1.2.3.4'];
    expect(new Set(sources.map(authFailureSource))).toEqual(new Set(['2001:db8:1:2::/64']));
    expect(authFailureSource('2001:db8:1:3::9')).not.toBe(authFailureSource('2001:db8:1:2::9'));
  });

  it('counts an IPv4 address as it is, mapped into IPv6 or not', () => {
    expect(authFailureSource('10.0.0.7')).toBe('10.0.0.7');
    expect(authFailureSource('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(authFailureSource('10.0.0.8')).not.toBe(authFailureSource('10.0.0.7'));
  });
});

it('refuses wrong secrets past AUTH_FAILURE_LIMIT from one /64, across its addresses', async () => {
  const config = { redisUrl: undefined, redisNamespace: 'test', rateLimitRequests: 0, rateLimitWindowSeconds: 60, authFailureLimit: 3 };
  const limits = new RateLimits(config, createLogger('silent'));
  for (const address of ['2001:db8::1', '2001:db8::2', '2001:db8::3']) await limits.spendAuthAttempt(address, 'key1');
  await expect(limits.spendAuthAttempt('2001:db8::4', 'key1')).rejects.toBeInstanceOf(RateLimitedError);
  // Another /64, or another key id, has its own budget.
  await expect(limits.spendAuthAttempt('2001:db8:0:1::4', 'key1')).resolves.toBeInstanceOf(Function);
  await expect(limits.spendAuthAttempt('2001:db8::4', 'key2')).resolves.toBeInstanceOf(Function);
  await limits.close();
});
