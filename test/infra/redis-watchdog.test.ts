// The Redis watchdog reconnects a connection whose ping goes unanswered, but not a subscriber
// reading a burst: its ping waits behind the messages Redis queued before it, and reconnecting
// would drop the ones still on their way (live events lost in a burst of tier changes).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { messagesReadUpTo, queueingRedis } from '../../src/infra/redis-connection';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Keeps the event loop busy for `ms`, as a subscriber handling a large event does. */
function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('the watchdog of a subscriber connection', () => {
  let subscriber: Redis;
  let publisher: Redis;
  beforeEach(() => {
    subscriber = queueingRedis(REDIS_URL);
    publisher = new Redis(REDIS_URL);
  });
  afterEach(() => {
    subscriber.disconnect();
    publisher.disconnect();
  });

  it('keeps a subscriber that reads a burst for longer than a ping may wait, and every message arrives', async () => {
    const channel = `watchdog-test:${randomUUID()}`;
    await subscriber.subscribe(channel);
    // Pinged once, answered at once: everything sent before that ping was read.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const readBefore = messagesReadUpTo(subscriber);
    expect(readBefore).toBeDefined();
    let closed = 0;
    subscriber.on('close', () => closed++);
    const messages = 80;
    let received = 0;
    const allReceived = new Promise<void>((resolve) =>
      subscriber.on('message', () => {
        // The work each message brings, done after the socket is read: the process goes on reading
        // (and pinging) between its turns, as a server fanning events out to its subscribers does.
        setImmediate(() => busyFor(40));
        if (++received === messages) resolve();
      }),
    );
    const payload = 'x'.repeat(32 * 1024);
    const burst = publisher.pipeline();
    for (let i = 0; i < messages; i++) burst.publish(channel, payload);
    await burst.exec();
    await allReceived;
    // Over three seconds of work behind the ping, longer than REDIS_ANSWER_TIMEOUT_MS: the connection was kept.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(closed).toBe(0);
    expect(received).toBe(messages);
    // The ping answered after the burst moves the instant everything was read up to.
    expect(messagesReadUpTo(subscriber)!).toBeGreaterThan(readBefore!);
  });
});
