// One PubSub interface, two transports: Redis (graphql-redis-subscriptions, so an event published
// by any instance reaches every instance's subscribers) and in-process (a single instance only).
// type-graphql subscribes through it; the scoring engine publishes after its transaction commits.
import { EventEmitter } from 'node:events';
import { Redis, RedisOptions } from 'ioredis';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { PubSub } from 'type-graphql';
import type { Logger } from './logger';

export interface AppPubSub extends PubSub {
  readonly transport: 'redis' | 'in-process';
  /** Publishes `payload` on `topic`. Never throws: a lost live event is recoverable through `tierChanges(since)`. */
  publish(topic: string, payload: unknown): void;
  subscribe(topic: string): AsyncIterable<unknown>;
  /** True when events can currently be delivered (always for in-process). */
  isHealthy(): boolean;
  close(): Promise<void>;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Redis carries JSON: dates arrive as ISO strings and are revived here. */
export function reviveDates(_key: string, value: unknown): unknown {
  return typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : value;
}

/** A push queue exposed as an AsyncIterator; `return()` (client unsubscribed) runs `onClose`. */
export function pushIterator<T>(onClose: () => void): { push(value: T): void; iterator: AsyncIterableIterator<T> } {
  const values: T[] = [];
  const waiting: Array<(result: IteratorResult<T>) => void> = [];
  let done = false;
  const finish = (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      onClose();
      for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  };
  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      if (values.length > 0) return Promise.resolve({ value: values.shift() as T, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return: finish,
    throw: (error) => finish().then(() => Promise.reject(error)),
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return {
    push(value: T) {
      if (done) return;
      const resolve = waiting.shift();
      if (resolve) resolve({ value, done: false });
      else values.push(value);
    },
    iterator,
  };
}

export class InProcessPubSub implements AppPubSub {
  readonly transport = 'in-process' as const;
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(topic: string, payload: unknown): void {
    this.emitter.emit(topic, payload);
  }

  subscribe(topic: string): AsyncIterable<unknown> {
    const listener = (payload: unknown): void => queue.push(payload);
    const queue = pushIterator<unknown>(() => this.emitter.off(topic, listener));
    this.emitter.on(topic, listener);
    return queue.iterator;
  }

  isHealthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export class RedisBackedPubSub implements AppPubSub {
  readonly transport = 'redis' as const;
  private readonly engine: RedisPubSub;
  readonly publisher: Redis;
  readonly subscriber: Redis;

  constructor(redisUrl: string, private readonly logger: Logger) {
    const options: RedisOptions = {
      // Publishing must never block a mutation: with Redis away, fail fast instead of queueing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    };
    this.publisher = new Redis(redisUrl, options);
    // The subscriber keeps its queue so subscriptions are re-established after a reconnect.
    this.subscriber = new Redis(redisUrl, { retryStrategy: (attempt) => Math.min(attempt * 200, 2000) });
    for (const [name, client] of [['publisher', this.publisher], ['subscriber', this.subscriber]] as const) {
      client.on('error', (error) => this.logger.warn({ err: error.message, client: name }, 'redis connection error'));
    }
    this.engine = new RedisPubSub({ publisher: this.publisher, subscriber: this.subscriber, reviver: reviveDates });
  }

  publish(topic: string, payload: unknown): void {
    this.engine.publish(topic, payload).catch((error: Error) => {
      this.logger.warn({ err: error.message, topic }, 'event not published: redis unavailable');
    });
  }

  subscribe(topic: string): AsyncIterable<unknown> {
    return this.engine.asyncIterableIterator(topic) as AsyncIterable<unknown>;
  }

  isHealthy(): boolean {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready';
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.publisher.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // QUIT lets pending replies arrive; a client that is not connected is just disconnected
    // (otherwise it would keep retrying and hold the process open).
    await Promise.allSettled(
      [this.publisher, this.subscriber].map((client) => (client.status === 'ready' ? client.quit() : Promise.resolve(client.disconnect()))),
    );
  }
}

export function createPubSub(redisUrl: string | undefined, logger: Logger): AppPubSub {
  if (redisUrl) {
    logger.info({ transport: 'redis' }, 'pubsub: redis (events reach every instance)');
    return new RedisBackedPubSub(redisUrl, logger);
  }
  logger.warn({ transport: 'in-process' }, 'pubsub: in-process, single-instance mode (set REDIS_URL to run several instances)');
  return new InProcessPubSub();
}
