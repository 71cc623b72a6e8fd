// Clients that stop reading their sockets, beside one that reads, on one instance with a small budget
// of waiting events (WS_MAX_QUEUED_EVENTS_TOTAL): the budget is spent by the stalled subscriptions
// and the stalled ones give way, while the reader receives every event of bursts that fill its own
// queue faster than its socket drains it.
import { GraphQLSocket, ProtocolMessage } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';
import { topics } from '../../src/scoring/scoring.topics';

const MAX_QUEUED_EVENTS_TOTAL = 200;
const STALLED_SUBSCRIPTIONS = 10;
const SCORES = 'subscription { healthScoreUpdated { customerId score } }';
/**
 * Wide events (the customer id padded), so that a paused socket's buffers, in the kernel and in
 * Node, fill within a few dozen events instead of tens of thousands.
 */
const PADDING = 'x'.repeat(10_000);

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    label: 'stalled_subscribers',
    redis: true,
    env: { WS_MAX_QUEUED_EVENTS_TOTAL: String(MAX_QUEUED_EVENTS_TOTAL) },
  });
});
afterAll(() => server?.stop());

/** Publishes scores `from`…`to` at once, as a scoring run publishes a batch: a burst through Redis. */
function publishScores(from: number, to: number): void {
  for (let n = from; n <= to; n++) {
    server.app.pubsub.publish(topics.scoreUpdated(), { customerId: `cust_${n}_${PADDING}`, score: n % 100, computedAt: new Date() });
  }
}

/** The score number `n` of a `next` message's event (its customer id is `cust_<n>_…`), or null for a resync. */
function scoreNumber(message: ProtocolMessage): number | null {
  const score = (message.payload as { data?: { healthScoreUpdated?: { customerId: string } } | null }).data?.healthScoreUpdated;
  return score ? Number(score.customerId.split('_')[1]) : null;
}

const isResync = (message: ProtocolMessage) =>
  message.type === 'next' &&
  ((message.payload as { errors?: Array<{ extensions?: { code?: string } }> }).errors ?? []).some(
    (error) => error.extensions?.code === 'RESYNC',
  );

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function subscribed(socket: GraphQLSocket, ids: string[], probe: number): Promise<void> {
  for (const id of ids) socket.subscribe(id, SCORES);
  // Each subscription is live once it receives an event published after it was made. Each waits for
  // the latest probe, so that no earlier probe, slow to arrive, comes after the caller's own events.
  for (let attempt = 0; ; attempt++) {
    publishScores(probe + attempt, probe + attempt);
    try {
      for (const id of ids) await socket.waitFor((m) => m.id === id && (scoreNumber(m) ?? 0) >= probe + attempt, 500);
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
    }
  }
}

it('cuts back the subscriptions of clients that stopped reading, never a reader whose queue a burst filled', async () => {
  const stalled = await GraphQLSocket.connect(server.wsUrl);
  expect(await stalled.acknowledged()).toBe('ack');
  const stalledIds = Array.from({ length: STALLED_SUBSCRIPTIONS }, (_, i) => `stalled-${i}`);
  await subscribed(stalled, stalledIds, 1_000_000);
  stalled.socket.pause();
  // Enough to fill the paused socket's buffers many times over: its subscriptions stop reading, and
  // what waits for them spends the instance's budget.
  publishScores(1, 300);

  const reader = await GraphQLSocket.connect(server.wsUrl);
  expect(await reader.acknowledged()).toBe('ack');
  await subscribed(reader, ['reader'], 2_000_000);
  const before = reader.messages.length;
  const events = () => reader.messages.slice(before).filter((m) => m.id === 'reader');
  // Bursts of several times the budget divided among the subscriptions with events waiting.
  for (let burst = 0; burst < 3; burst++) {
    const from = 3_000_000 + burst * 50;
    publishScores(from, from + 49);
    await until(() => events().some((m) => isResync(m) || m.type !== 'next' || scoreNumber(m) === from + 49), 30_000);
  }
  expect(events().filter(isResync)).toEqual([]);
  expect(events().map(scoreNumber)).toEqual(Array.from({ length: 150 }, (_, i) => 3_000_000 + Math.floor(i / 50) * 50 + (i % 50)));

  // The stalled client, reading again, learns that it lost events: the budget was taken from it.
  stalled.socket.resume();
  await stalled.waitFor(isResync, 30_000);
  reader.close();
  stalled.close();
});
