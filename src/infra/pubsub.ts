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
  /**
   * One stream of the events of several topics, keeping those `accept` accepts (all without it).
   * The check runs as an event arrives, before it is queued: a subscription whose arguments need a
   * filter costs one function call per event, and the others nothing (type-graphql's `filter`
   * option would wrap every subscription of the field in a promise-based stream).
   */
  subscribeAll(topics: readonly string[], accept?: (payload: unknown) => boolean): AsyncIterable<unknown>;
  /**
   * Of `topics`, those somebody is subscribed to, on any instance. Lets a publisher of thousands of
   * events (a full scoring run) skip serialising the ones nobody would receive. Never throws: when
   * it cannot tell, it answers every topic.
   */
  listened(topics: readonly string[]): Promise<Set<string>>;
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

/**
 * Hands events to subscribers a slice at a time, yielding to the event loop between slices. Each
 * hand-over resumes a subscription whose event is then executed and written to its socket in the
 * same turn; a burst (a scoring run changing thousands of tiers, fanned out to thousands of
 * clients) would otherwise run as one uninterrupted turn and stall every other request for seconds.
 */
export class DeliveryQueue {
  private queue: Array<() => void> = [];
  private next = 0;
  private scheduled = false;

  /** `perTurn`: hand-overs per event-loop turn (default 50, a few milliseconds of work). */
  constructor(private readonly perTurn = 50) {}

  enqueue(deliver: () => void): void {
    this.queue.push(deliver);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    const end = Math.min(this.queue.length, this.next + this.perTurn);
    for (; this.next < end; this.next++) this.queue[this.next]();
    if (this.next < this.queue.length) {
      setImmediate(this.drain);
      return;
    }
    this.queue = [];
    this.next = 0;
    this.scheduled = false;
  };
}

export class InProcessPubSub implements AppPubSub {
  readonly transport = 'in-process' as const;
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly deliveries = new DeliveryQueue();

  publish(topic: string, payload: unknown): void {
    this.emitter.emit(topic, payload);
  }

  subscribe(topic: string): AsyncIterable<unknown> {
    return this.subscribeAll([topic]);
  }

  subscribeAll(topics: readonly string[], accept?: (payload: unknown) => boolean): AsyncIterable<unknown> {
    const listener = (payload: unknown): void => {
      if (!accept || accept(payload)) this.deliveries.enqueue(() => queue.push(payload));
    };
    const queue = pushIterator<unknown>(() => {
      for (const topic of topics) this.emitter.off(topic, listener);
    });
    for (const topic of topics) this.emitter.on(topic, listener);
    return queue.iterator;
  }

  async listened(topics: readonly string[]): Promise<Set<string>> {
    return new Set(topics.filter((topic) => this.emitter.listenerCount(topic) > 0));
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
  private readonly deliveries = new DeliveryQueue();

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
    return this.subscribeAll([topic]);
  }

  subscribeAll(topics: readonly string[], accept?: (payload: unknown) => boolean): AsyncIterable<unknown> {
    // One Redis channel subscription is shared by every local subscriber of the topic (the engine
    // reference-counts it); each message is parsed once, then queued for each of them.
    const subscriptions: Array<Promise<number>> = [];
    const queue = pushIterator<unknown>(() => {
      for (const subscription of subscriptions) void subscription.then((id) => this.engine.unsubscribe(id)).catch(() => undefined);
    });
    const onMessage = (payload: unknown): void => {
      if (!accept || accept(payload)) this.deliveries.enqueue(() => queue.push(payload));
    };
    for (const topic of topics) {
      const subscription = this.engine.subscribe(topic, onMessage);
      subscription.catch((error: Error) => this.logger.warn({ err: error.message, topic }, 'subscription to redis failed'));
      subscriptions.push(subscription);
    }
    return queue.iterator;
  }

  async listened(topics: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(topics)];
    const listened = new Set<string>();
    try {
      // PUBSUB NUMSUB counts the subscribers of each channel across every Redis client, so every instance's.
      for (let start = 0; start < unique.length; start += 5000) {
        const reply = (await this.publisher.pubsub('NUMSUB', ...unique.slice(start, start + 5000))) as Array<string | number>;
        for (let i = 0; i < reply.length; i += 2) if (Number(reply[i + 1]) > 0) listened.add(String(reply[i]));
      }
      return listened;
    } catch {
      return new Set(unique);
    }
  }

  isHealthy(): boolean {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Resolves true once both connections are up, false after `timeoutMs`. Start-up waits for it so
   * an instance does not drop its first events while Redis is still connecting (the publisher
   * fails fast rather than queueing); a Redis that stays away only delays start-up, never blocks it.
   */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isHealthy()) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
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
