// Request budgets (rate-limiter-flexible): per API key, and per client address for failed
// authentications (each wrong key costs an scrypt). Counted in Redis when REDIS_URL is set, so the
// budget is shared by every instance; in process memory otherwise, or while Redis is unreachable
// (the library's insurance limiter). The loopback admin of a key-less installation is not limited.
import { Redis } from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { addressBlock } from '../infra/client-address';
import type { AppConfig } from '../infra/config';
import type { Logger } from '../infra/logger';
import { failFastRedis } from '../infra/redis-connection';
import { RateLimitedError } from './auth.errors';
import type { Principal } from './principal';

function limiter(redis: Redis | undefined, keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ keyPrefix, points, duration });
  return redis ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, insuranceLimiter: memory }) : memory;
}

function refusal(result: RateLimiterRes, points: number, duration: number, what: string): RateLimitedError {
  const retryAfterSeconds = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
  return new RateLimitedError(`${what}: at most ${points} per ${duration} s; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
}

/** Where failed authentications are counted: the client's address block (addressBlock), so that cycling through an IPv6 /64 earns no fresh budget of scrypts. */
export const authFailureSource = addressBlock;

export class RateLimits {
  private readonly redis: Redis | undefined;
  private readonly requests: RateLimiterAbstract | undefined;
  private readonly authFailures: RateLimiterAbstract | undefined;

  constructor(
    private readonly config: Pick<
      AppConfig,
      'redisUrl' | 'redisNamespace' | 'rateLimitRequests' | 'rateLimitWindowSeconds' | 'authFailureLimit'
    >,
    private readonly logger: Logger,
  ) {
    const enabled = config.rateLimitRequests > 0 || config.authFailureLimit > 0;
    if (enabled && config.redisUrl) {
      // Fail fast while Redis is away or not answering: the in-memory insurance limiter answers instead.
      this.redis = failFastRedis(config.redisUrl);
      this.redis.on('error', (error) => this.logger.debug({ err: error.message }, 'rate-limit redis connection error'));
    }
    const window = config.rateLimitWindowSeconds;
    // Keys of this deployment only: another one on the same Redis may have a key with the same id.
    const prefix = config.redisNamespace ? `${config.redisNamespace}:` : '';
    if (config.rateLimitRequests > 0) this.requests = limiter(this.redis, `${prefix}hg_rate`, config.rateLimitRequests, window);
    if (config.authFailureLimit > 0) this.authFailures = limiter(this.redis, `${prefix}hg_auth_fail`, config.authFailureLimit, window);
  }

  /** Spends one request of the principal's budget; throws RateLimitedError when it is spent. */
  async spendRequest(principal: Principal): Promise<void> {
    if (!this.requests || principal.kind !== 'key') return;
    try {
      await this.requests.consume(principal.keyId);
    } catch (error) {
      if (error instanceof RateLimiterRes)
        throw refusal(error, this.config.rateLimitRequests, this.config.rateLimitWindowSeconds, 'rate limit of this API key');
      this.logger.warn({ err: (error as Error).message }, 'rate limit not checked');
    }
  }

  /**
   * Spends one of the address's failed authentications for the key id, just before its secret is
   * hashed; throws RateLimitedError when none is left. Per key id, so another key used from the same
   * address (the clients behind one proxy or NAT) is not locked out with it. Spent before the hash,
   * not counted after a wrong one: requests sent at once would all pass a count none of them had yet
   * added to, each costing an scrypt. Resolves to what gives the attempt back when the secret matched.
   */
  async spendAuthAttempt(address: string, keyId: string): Promise<() => Promise<void>> {
    if (!this.authFailures) return async () => undefined;
    const limiter = this.authFailures;
    const key = `${authFailureSource(address)} ${keyId}`;
    try {
      await limiter.consume(key);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const what = 'too many failed authentications for this key from this address';
        throw refusal(error, this.config.authFailureLimit, this.config.rateLimitWindowSeconds, what);
      }
      this.logger.warn({ err: (error as Error).message }, 'failed authentications not counted');
    }
    return async () => {
      await limiter.reward(key).catch(() => undefined);
    };
  }

  /** Logs a wrong secret for `keyId` from `address` (someone holds a key id without its secret); spendAuthAttempt counted it. */
  recordAuthFailure(address: string, keyId: string): void {
    this.logger.warn({ clientAddress: address, keyId }, 'wrong secret for an existing API key');
  }

  async close(): Promise<void> {
    if (!this.redis) return;
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    else this.redis.disconnect();
  }
}
