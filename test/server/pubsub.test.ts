// The PubSub contract: with REDIS_URL, an event published by one instance reaches a subscriber
// connected to another instance; without it, the in-process transport serves one instance.
import { Redis } from 'ioredis';
import pino from 'pino';
import { InProcessPubSub, LiveEventsLost, RedisBackedPubSub } from '../../src/infra/pubsub';
import { createLogger } from '../../src/infra/logger';
import { REDIS_URL, startTestServer, TestServer } from '../helpers/server';

const logger = createLogger('silent');

async function firstValue(iterable: AsyncIterable<unknown>, timeoutMs = 5000): Promise<unknown> {
  const iterator = iterable[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('no event within timeout')), timeoutMs);
  });
  try {
    const result = (await Promise.race([iterator.next(), timeout])) as IteratorResult<unknown>;
    return result.value;
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
}

/** Waits until Redis has registered the subscription (SUBSCRIBE is asynchronous). */
async function waitForSubscribers(channel: string): Promise<void> {
  const probe = new Redis(REDIS_URL);
  try {
    for (let i = 0; i < 100; i++) {
      const [, count] = (await probe.pubsub('NUMSUB', channel)) as [string, number];
      if (Number(count) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`nobody subscribed to ${channel}`);
  } finally {
    probe.disconnect();
  }
}

/**
 * Waits until `pubsub` is connected and has told its subscribers that it came up (a resync for
 * subscriptions made while it was connecting, sent once a ping on its subscriber connection is
 * answered): a subscription made after that is told only of its own losses.
 */
async function readyAndSettled(pubsub: RedisBackedPubSub): Promise<void> {
  expect(await pubsub.waitUntilReady(5000)).toBe(true);
  // Answered after the instance's own ping: Redis answers a connection's commands in order.
  await pubsub.subscriber.ping();
}

/** The Redis channel of a topic for the instances of `server`'s database. */
function channelOf(server: TestServer, topic: string): string {
  return `${server.app.services.config.redisNamespace}:${topic}`;
}

/**
 * What waits for a subscriber that has not read. A waiting value is handed over within a turn of
 * the event loop (DeliveryQueue): a `next()` still pending two turns later means nothing is left.
 */
async function waitingFor(iterator: AsyncIterator<unknown>): Promise<unknown[]> {
  const values: unknown[] = [];
  const dry = () => new Promise<null>((resolve) => setImmediate(() => setImmediate(() => resolve(null))));
  for (;;) {
    const next = await Promise.race([iterator.next(), dry()]);
    if (next === null) return values;
    values.push(next.value);
  }
}

/**
 * One subscriber that reads as events come and `idle` that never read, on `topic`; once they are
 * `subscribed`, `events` are published one by one, each given time to arrive (`settle`). Returns what the reader received and,
 * for each idle subscriber, what had waited for it.
 */
async function burstWithIdleSubscribers(
  pubsub: InProcessPubSub | RedisBackedPubSub,
  topic: string,
  options: { idle: number; events: number; subscribed?: () => Promise<void>; settle: () => Promise<void> },
): Promise<{ read: unknown[]; waited: unknown[][] }> {
  const reader = pubsub.subscribe(topic)[Symbol.asyncIterator]();
  const idle = Array.from({ length: options.idle }, () => pubsub.subscribe(topic)[Symbol.asyncIterator]());
  await options.subscribed?.();
  const read: unknown[] = [];
  const reading = (async () => {
    while (read.length < options.events) read.push((await reader.next()).value);
  })();
  for (let i = 1; i <= options.events; i++) {
    pubsub.publish(topic, { n: i, changedAt: new Date(Date.UTC(2026, 10, 20, 12, 0, i)) });
    await options.settle();
  }
  await reading;
  await options.settle();
  const waited: unknown[][] = [];
  for (const iterator of idle) {
    waited.push(await waitingFor(iterator));
    await iterator.return?.();
  }
  await reader.return?.();
  return { read, waited };
}

/** What a subscriber that reads as events come must receive, and what idle ones must be left with. */
function expectBudgetKept(result: { read: unknown[]; waited: unknown[][] }, events: number, maxQueuedTotal: number): void {
  // The reader receives every event, in order, with no resync.
  expect(result.read.map((value) => (value as { n: number }).n)).toEqual(Array.from({ length: events }, (_, i) => i + 1));
  // Together the idle subscribers held the budget at most (and a resync each in place of what they
  // lost), never their per-subscription cap each.
  let held = 0;
  for (const values of result.waited) {
    const [first, ...rest] = values;
    const cutBack = first instanceof LiveEventsLost;
    // One that lost events was told, from its oldest lost event; each kept the latest (all if it lost none) in order.
    if (cutBack) expect(first.since.toISOString()).toBe(new Date(Date.UTC(2026, 10, 20, 12, 0, 1)).toISOString());
    const kept = cutBack ? rest : values;
    const numbers = kept.map((value) => (value as { n: number }).n);
    expect(numbers).toEqual(numbers.map((_, i) => events - numbers.length + 1 + i));
    if (!cutBack) expect(numbers).toHaveLength(events);
    held += kept.length;
  }
  expect(held).toBeLessThanOrEqual(maxQueuedTotal);
  // Only as many as the budget holds whole can have lost nothing.
  expect(result.waited.filter(([first]) => first instanceof LiveEventsLost).length).toBeGreaterThanOrEqual(
    result.waited.length - Math.floor(maxQueuedTotal / events),
  );
}

describe('PubSub', () => {
  let first: TestServer;
  let second: TestServer;

  beforeAll(async () => {
    first = await startTestServer({ label: 'pubsub', redis: true });
    second = await startTestServer({ database: first.database, redis: true });
  });
  afterAll(async () => {
    await second.stop();
    await first.stop();
  });

  it('uses Redis when REDIS_URL is set', () => {
    expect(first.app.pubsub.transport).toBe('redis');
    expect(second.app.pubsub.transport).toBe('redis');
  });

  it('delivers an event published by one instance to a subscriber of another, with dates revived', async () => {
    const topic = `test.cross-instance.${process.pid}.${Date.now()}`;
    const received = firstValue(second.app.pubsub.subscribe(topic));
    await waitForSubscribers(channelOf(first, topic));
    const changedAt = new Date('2026-11-20T12:00:00.000Z');
    first.app.pubsub.publish(topic, { customerId: 'cust_x', toTier: 'at_risk', changedAt });
    const payload = (await received) as { customerId: string; toTier: string; changedAt: Date };
    expect(payload.customerId).toBe('cust_x');
    expect(payload.changedAt).toBeInstanceOf(Date);
    expect(payload.changedAt.getTime()).toBe(changedAt.getTime());
  });

  it('does not deliver an event to a subscriber of another topic', async () => {
    const topic = `test.topic-a.${Date.now()}`;
    const other = `test.topic-b.${Date.now()}`;
    const received = firstValue(second.app.pubsub.subscribe(topic), 500);
    await waitForSubscribers(channelOf(first, topic));
    first.app.pubsub.publish(other, { hello: 'b' });
    await expect(received).rejects.toThrow('no event within timeout');
  });

  it('keeps deployments that share a Redis apart: the instances of one database share a namespace, another database has its own', async () => {
    const elsewhere = await startTestServer({ label: 'pubsub_other', redis: true });
    try {
      expect(second.app.services.config.redisNamespace).toBe(first.app.services.config.redisNamespace);
      expect(elsewhere.app.services.config.redisNamespace).not.toBe(first.app.services.config.redisNamespace);
      const topic = `test.namespaced.${Date.now()}`;
      const foreign = firstValue(elsewhere.app.pubsub.subscribe(topic), 500);
      const own = firstValue(second.app.pubsub.subscribe(topic));
      await waitForSubscribers(channelOf(elsewhere, topic));
      await waitForSubscribers(channelOf(first, topic));
      // Who listens is counted per deployment too: each sees its own subscriber only.
      expect([...(await first.app.pubsub.listened([topic, 'test.nobody']))]).toEqual([topic]);
      first.app.pubsub.publish(topic, { customerId: 'cust_ns' });
      expect(await own).toEqual({ customerId: 'cust_ns' });
      await expect(foreign).rejects.toThrow('no event within timeout');
    } finally {
      await elsewhere.stop();
    }
  });

  it('keeps at most WS_MAX_QUEUED_EVENTS waiting for a subscriber that does not read: the oldest give way to one resync dated from them', async () => {
    const capped = new RedisBackedPubSub(REDIS_URL, logger, `hg:capped:${process.pid}`, 3);
    try {
      await readyAndSettled(capped);
      const topic = `test.capped.${Date.now()}`;
      const iterator = capped.subscribe(topic)[Symbol.asyncIterator]();
      await waitForSubscribers(`hg:capped:${process.pid}:${topic}`);
      const changedAt = (i: number) => new Date(Date.UTC(2026, 10, 20, 12, i));
      for (let i = 1; i <= 5; i++) capped.publish(topic, { customerId: `cust_${i}`, changedAt: changedAt(i) });
      // Five events arrive while nobody reads: the three waiting when the fourth comes give way.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const lost = (await iterator.next()).value as LiveEventsLost;
      expect(lost).toBeInstanceOf(LiveEventsLost);
      expect(lost.since.toISOString()).toBe(changedAt(1).toISOString());
      expect(lost.result.errors?.[0].extensions?.code).toBe('RESYNC');
      expect(((await iterator.next()).value as { customerId: string }).customerId).toBe('cust_4');
      expect(((await iterator.next()).value as { customerId: string }).customerId).toBe('cust_5');
      // A subscriber that reads again receives every event.
      capped.publish(topic, { customerId: 'cust_6', changedAt: changedAt(6) });
      expect(((await iterator.next()).value as { customerId: string }).customerId).toBe('cust_6');
      await iterator.return?.();
    } finally {
      await capped.close();
    }
  });

  it('keeps the events waiting for all of its subscribers within WS_MAX_QUEUED_EVENTS_TOTAL: idle ones are cut back, one that reads loses nothing', async () => {
    const budgeted = new RedisBackedPubSub(REDIS_URL, logger, `hg:budget:${process.pid}`, 10_000, 40);
    try {
      await readyAndSettled(budgeted);
      const topic = `test.budget.${Date.now()}`;
      const result = await burstWithIdleSubscribers(budgeted, topic, {
        idle: 5,
        events: 60,
        subscribed: () => waitForSubscribers(`hg:budget:${process.pid}:${topic}`),
        settle: () => new Promise((resolve) => setTimeout(resolve, 5)),
      });
      expectBudgetKept(result, 60, 40);
    } finally {
      await budgeted.close();
    }
  });

  it('dates the resync for a score it could not publish from its computedAt', async () => {
    const namespace = `hg:score-lost:${process.pid}`;
    const pubsub = new RedisBackedPubSub(REDIS_URL, logger, namespace);
    try {
      await readyAndSettled(pubsub);
      const topic = `test.score-lost.${Date.now()}`;
      const iterator = pubsub.subscribe(topic)[Symbol.asyncIterator]();
      await waitForSubscribers(`${namespace}:${topic}`);
      const computedAt = new Date(Date.now() - 60_000);
      pubsub.publisher.disconnect();
      pubsub.publish(topic, { customerId: 'cust_1', score: 42, computedAt });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pubsub.publisher.connect();
      const lost = (await iterator.next()).value as LiveEventsLost;
      expect(lost).toBeInstanceOf(LiveEventsLost);
      expect(lost.since).toEqual(computedAt);
      await iterator.return?.();
    } finally {
      await pubsub.close();
    }
  });

  it('logs the first event it could not publish and, once Redis is back, how many: not a line per event', async () => {
    const lines: Array<{ msg: string; unpublished?: number }> = [];
    const recording = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as { msg: string }) });
    const namespace = `hg:quiet:${process.pid}`;
    const publishing = new RedisBackedPubSub(REDIS_URL, recording, namespace);
    const listening = new RedisBackedPubSub(REDIS_URL, logger, namespace);
    try {
      expect(await publishing.waitUntilReady(5000)).toBe(true);
      expect(await listening.waitUntilReady(5000)).toBe(true);
      const topic = `test.quiet.${Date.now()}`;
      const iterator = listening.subscribe(topic)[Symbol.asyncIterator]();
      await waitForSubscribers(`${namespace}:${topic}`);
      publishing.publisher.disconnect();
      for (let i = 0; i < 200; i++) publishing.publish(topic, { n: i });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await publishing.publisher.connect();
      // The subscriber is still told that it missed events.
      expect((await iterator.next()).value).toBeInstanceOf(LiveEventsLost);
      const notPublished = () => lines.filter((line) => /not published/.test(line.msg));
      for (let i = 0; i < 1000 && notPublished().length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(notPublished()).toHaveLength(2);
      expect(notPublished()[1].unpublished).toBe(200);
      await iterator.return?.();
    } finally {
      await publishing.close();
      await listening.close();
    }
  });

  it('logs a Redis it cannot reach once per connection and outage, not at every reconnection attempt', async () => {
    const lines: Array<{ level: number; msg: string; client?: string }> = [];
    const recording = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const offline = new RedisBackedPubSub('redis://127.0.0.1:1', recording, `hg:unreachable:${process.pid}`);
    try {
      const attempts = { publisher: 0, subscriber: 0 };
      offline.publisher.on('error', () => attempts.publisher++);
      offline.subscriber.on('error', () => attempts.subscriber++);
      for (let i = 0; i < 200 && Math.min(attempts.publisher, attempts.subscriber) < 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(Math.min(attempts.publisher, attempts.subscriber)).toBeGreaterThanOrEqual(4);
      const warned = lines.filter((line) => line.level >= 40 && /redis connection error/.test(line.msg));
      expect(warned.map((line) => line.client).sort()).toEqual(['publisher', 'subscriber']);
    } finally {
      await offline.close();
    }
  });

  it('logs a connection that Redis closes itself (CLIENT KILL) as lost, and its return, once each', async () => {
    const lines: Array<{ level: number; msg: string; client?: string }> = [];
    const recording = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const pubsub = new RedisBackedPubSub(REDIS_URL, recording, `hg:killed:${process.pid}`);
    const admin = new Redis(REDIS_URL);
    try {
      expect(await pubsub.waitUntilReady(3000)).toBe(true);
      const restored = (client: string) => lines.some((line) => line.msg === 'redis connection restored' && line.client === client);
      // Only this test's own connections: the publisher by its id, the subscriber (which may not
      // send CLIENT ID once subscribed) by its address.
      await admin.client('KILL', 'ID', String(await pubsub.publisher.client('ID')));
      await admin.client('KILL', 'ADDR', `127.0.0.1:${pubsub.subscriber.stream.localPort}`);
      for (let i = 0; i < 200 && !(restored('publisher') && restored('subscriber')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const said = lines.filter((line) => line.level >= 30).map((line) => `${line.client} ${line.msg}`);
      expect(said.sort()).toEqual([
        'publisher redis connection error (retrying; further attempts logged at debug)',
        'publisher redis connection restored',
        'subscriber redis connection error (retrying; further attempts logged at debug)',
        'subscriber redis connection restored',
      ]);
    } finally {
      admin.disconnect();
      await pubsub.close();
    }
  });

  it('never throws from publish when Redis is unreachable', async () => {
    const offline = new RedisBackedPubSub('redis://127.0.0.1:1', logger, 'hg:offline');
    expect(() => offline.publish('anything', { a: 1 })).not.toThrow();
    expect(offline.isHealthy()).toBe(false);
    await offline.close();
  });
});

describe('in-process PubSub', () => {
  it('delivers to subscribers of the topic and stops after unsubscribe', async () => {
    const pubsub = new InProcessPubSub();
    const iterator = pubsub.subscribe('t')[Symbol.asyncIterator]();
    pubsub.publish('t', 1);
    pubsub.publish('other', 2);
    pubsub.publish('t', 3);
    expect((await iterator.next()).value).toBe(1);
    expect((await iterator.next()).value).toBe(3);
    await iterator.return?.();
    pubsub.publish('t', 4);
    expect((await iterator.next()).done).toBe(true);
  });

  it('drops what a subscriber has not read beyond its cap, keeping the resync it was owed dated from the first loss', async () => {
    const pubsub = new InProcessPubSub(2);
    const start = Date.now();
    const iterator = pubsub.subscribe('t')[Symbol.asyncIterator]();
    for (let i = 1; i <= 7; i++) pubsub.publish('t', { n: i });
    await new Promise((resolve) => setImmediate(resolve));
    const first = (await iterator.next()).value;
    expect(first).toBeInstanceOf(LiveEventsLost);
    expect(((await iterator.next()).value as { n: number }).n).toBe(7);
    // Payloads without a date are dated by their arrival.
    expect((first as LiveEventsLost).since.getTime()).toBeGreaterThanOrEqual(start);
    expect((first as LiveEventsLost).since.getTime()).toBeLessThanOrEqual(Date.now());
    await iterator.return?.();
  });

  it('keeps the events waiting for all of its subscribers within its total: a thousand idle ones hold about that, not their cap each', async () => {
    const pubsub = new InProcessPubSub(10_000, 500);
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    const result = await burstWithIdleSubscribers(pubsub, 't', { idle: 1000, events: 200, settle });
    expectBudgetKept(result, 200, 500);
  });

  it('cuts back the subscriptions that stopped reading, not a reader whose queue a burst filled past their share', async () => {
    const pubsub = new InProcessPubSub(10_000, 100);
    const idle = Array.from({ length: 10 }, () => pubsub.subscribe('t')[Symbol.asyncIterator]());
    const reader = pubsub.subscribe('t')[Symbol.asyncIterator]();
    const read: unknown[] = [];
    void (async () => {
      for (let next = await reader.next(); !next.done; next = await reader.next()) read.push(next.value);
    })();
    // Until it has `count` events, or has been told it lost some (the expectation below then fails).
    const caughtUp = async (count: number) => {
      while (read.length < count && !read.some((value) => value instanceof LiveEventsLost)) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    // The idle subscriptions fill the budget while the reader keeps up...
    for (let n = 1; n <= 50; n++) {
      pubsub.publish('t', { n });
      await caughtUp(n);
    }
    // ...then bursts come faster than it reads: its queue holds several times the budget divided
    // among the subscriptions with events waiting.
    for (let n = 51; n <= 130; n += 40) {
      for (let k = n; k < n + 40; k++) pubsub.publish('t', { n: k });
      await caughtUp(n + 39);
    }
    expect(read.map((value) => (value as { n: number }).n)).toEqual(Array.from({ length: 130 }, (_, i) => i + 1));
    // The idle ones gave way, each told once; together they hold the budget at most.
    let held = 0;
    for (const iterator of idle) {
      const [lost, ...kept] = await waitingFor(iterator);
      expect(lost).toBeInstanceOf(LiveEventsLost);
      expect(kept.every((value) => !(value instanceof LiveEventsLost))).toBe(true);
      held += kept.length;
      await iterator.return?.();
    }
    expect(held).toBeLessThanOrEqual(100);
    await reader.return?.();
  });

  it('dates the resync replacing lost scores and outreach actions from their own time, not from when they were dropped', async () => {
    const pubsub = new InProcessPubSub(2);
    const scores = pubsub.subscribe('scores')[Symbol.asyncIterator]();
    const outreach = pubsub.subscribe('outreach')[Symbol.asyncIterator]();
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 12, minute));
    for (let minute = 1; minute <= 3; minute++) {
      pubsub.publish('scores', { customerId: 'cust_1', score: 50, computedAt: at(minute) });
      pubsub.publish('outreach', { customerId: 'cust_1', createdAt: at(minute + 10).toISOString() });
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(((await scores.next()).value as LiveEventsLost).since).toEqual(at(1));
    expect(((await outreach.next()).value as LiveEventsLost).since).toEqual(at(11));
    await scores.return?.();
    await outreach.return?.();
  });

  it('hands nothing to a subscription closed before its turn came: the client completed it, so no event follows', async () => {
    const pubsub = new InProcessPubSub();
    // A reader waiting when the event comes, closed before the delivery queue resumes it.
    const waiting = pubsub.subscribe('t')[Symbol.asyncIterator]();
    const pending = waiting.next();
    pubsub.publish('t', { n: 1 });
    await waiting.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    // A reader taking an event that had waited for it, closed before its turn.
    const behind = pubsub.subscribe('t')[Symbol.asyncIterator]();
    pubsub.publish('t', { n: 2 });
    const taken = behind.next();
    await behind.return?.();
    expect(await taken).toEqual({ value: undefined, done: true });
  });

  it('merges several topics into one stream, keeps what `accept` accepts, and leaves them all on return', async () => {
    const pubsub = new InProcessPubSub();
    const iterator = pubsub.subscribeAll(['a', 'b'], (payload) => (payload as number) % 2 === 1)[Symbol.asyncIterator]();
    pubsub.publish('a', 1);
    pubsub.publish('b', 2);
    pubsub.publish('b', 3);
    pubsub.publish('c', 5);
    expect((await iterator.next()).value).toBe(1);
    expect((await iterator.next()).value).toBe(3);
    await iterator.return?.();
    expect(await pubsub.listened(['a', 'b'])).toEqual(new Set());
  });
});
