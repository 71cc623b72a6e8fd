// Live events under a real Redis outage, across two instances. When events may have been lost —
// the publishing instance could not reach Redis (its subscribers on the channels that lost events
// are told), or the subscribed instance's connection dropped (all its subscribers are told) — a
// resync event ({ extensions: { code: 'RESYNC', since } }) arrives once events flow again; the
// client catches up with tierChanges(since:) and keeps its subscription. /readyz stays 200 and
// reports Redis in its body.
import { Redis } from 'ioredis';
import type { Client } from 'graphql-ws';
import { RedisBackedPubSub } from '../../src/infra/pubsub';
import { REDIS_ANSWER_TIMEOUT_MS } from '../../src/infra/redis-connection';
import { topics } from '../../src/scoring/scoring.topics';
import { failRunsInterruptedByACrash } from '../../src/scoring/scoring.service';
import { sql } from '../helpers/database';
import { connect } from '../helpers/subscriptions';
import { REDIS_URL, startTestServer, TestServer } from '../helpers/server';
import { isResync, post, record, RecordedSubscription } from './support';

let writer: TestServer;
let reader: TestServer;
let client: Client;

const TIER_CHANGED = 'subscription { healthTierChanged { customerId changedAt } }';

const pubsubOf = (server: TestServer) => server.app.pubsub as RedisBackedPubSub;

/** A new customer's first scoring is a tier change (NEW), published after it commits. */
async function newCustomerScored(id: string): Promise<string> {
  const response = await post(writer.url, {
    query: `mutation { upsertCustomer(input: { id: "${id}", name: "${id}" }) { id } refreshHealthScore(customerId: "${id}") { asOf } }`,
  });
  expect(response.body.errors).toBeUndefined();
  const changes = await post(writer.url, { query: `{ tierChanges(customerId: "${id}") { edges { node { changedAt } } } }` });
  const { edges } = changes.body.data!.tierChanges as { edges: Array<{ node: { changedAt: string } }> };
  return edges[0].node.changedAt;
}

function resyncSince(result: RecordedSubscription['results'][number]): string {
  const error = result.errors!.find((e) => e.extensions?.code === 'RESYNC')!;
  expect(error.message).toMatch(/^resync: /);
  return error.extensions!.since as string;
}

async function caughtUp(since: string): Promise<string[]> {
  const response = await post(reader.url, { query: `{ tierChanges(since: "${since}", first: 500) { edges { node { customerId } } } }` });
  return (response.body.data!.tierChanges as { edges: Array<{ node: { customerId: string } }> }).edges.map((e) => e.node.customerId);
}

const delivered = (sub: RecordedSubscription, customerId: string) =>
  sub.results.some((r) => (r.data?.healthTierChanged as { customerId?: string } | undefined)?.customerId === customerId);

beforeAll(async () => {
  writer = await startTestServer({ label: 'live_resync', redis: true, env: { RESCORE_DEBOUNCE_MS: '0' } });
  reader = await startTestServer({ database: writer.database, redis: true, env: { RESCORE_DEBOUNCE_MS: '0' } });
  client = connect(reader.wsUrl);
});
afterAll(async () => {
  await client.dispose();
  await reader.stop();
  await writer.stop();
});

it('tells the subscribers of every instance whose channels lost events to resync once the publishing instance can publish again', async () => {
  const all = await record(client, TIER_CHANGED);
  const mine = await record(client, 'subscription ($id: ID) { healthTierChanged(customerId: $id) { customerId } }', { id: 'cust_other' });
  const publisher = pubsubOf(writer).publisher;
  publisher.disconnect();
  const lostChangedAt = await newCustomerScored('cust_lost_1');
  await publisher.connect();

  const resync = await all.waitFor(isResync);
  const since = resyncSince(resync);
  expect(Date.parse(since)).toBeLessThanOrEqual(Date.parse(lostChangedAt));
  expect(delivered(all, 'cust_lost_1')).toBe(false);
  // Another customer's channel lost nothing: its subscriber is not disturbed.
  expect(mine.results.filter(isResync)).toEqual([]);
  expect(await caughtUp(since)).toContain('cust_lost_1');

  // The subscriptions are still live.
  await newCustomerScored('cust_after_1');
  await all.waitFor((r) => (r.data?.healthTierChanged as { customerId?: string } | undefined)?.customerId === 'cust_after_1');
  all.close();
  mine.close();
});

it('takes a publication answered while this process was too busy to read the answer for no loss: no resync', async () => {
  const all = await record(client, TIER_CHANGED);
  const pubsub = pubsubOf(writer);
  // Sent, then the loop held past the answer's timeout: the answer waits unread, and the command's
  // timer fires before the loop reads it (a long computation, a starved CPU).
  pubsub.publish(topics.tierChanges(), { customerId: 'cust_busy', changedAt: new Date().toISOString() });
  const until = Date.now() + REDIS_ANSWER_TIMEOUT_MS * 1.5;
  while (Date.now() < until);
  await newCustomerScored('cust_after_busy');
  await all.waitFor((r) => (r.data?.healthTierChanged as { customerId?: string } | undefined)?.customerId === 'cust_after_busy');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(all.results.filter(isResync)).toEqual([]);
  all.close();
});

it('tells every subscriber to resync from its start when a full run died after a batch committed, whose events it may not have published', async () => {
  const all = await record(client, TIER_CHANGED);
  const leftRunning = (scored: number) =>
    sql<{ startedAt: Date }>(
      writer.database,
      `insert into scoring_run (status, as_of, started_at, customers_scored) values ('RUNNING', now() - interval '1 minute', now() - interval '1 minute', $1)
       returning started_at as "startedAt"`,
      [scored],
    );
  // A run that died before any batch committed left nothing unpublished: nobody is disturbed.
  await leftRunning(0);
  expect(await failRunsInterruptedByACrash(writer.app.services)).toBe(1);
  const [died] = await leftRunning(250);
  expect(await failRunsInterruptedByACrash(writer.app.services)).toBe(1);

  const resync = await all.waitFor(isResync);
  expect(Date.parse(resyncSince(resync))).toBe(died.startedAt.getTime());
  await newCustomerScored('cust_after_crash');
  await all.waitFor((r) => (r.data?.healthTierChanged as { customerId?: string } | undefined)?.customerId === 'cust_after_crash');
  expect(all.results.filter(isResync)).toHaveLength(1);
  all.close();
});

it('tells the subscribers of an instance whose Redis connection dropped to resync once it is back', async () => {
  const all = await record(client, TIER_CHANGED);
  const subscriber = pubsubOf(reader).subscriber;
  subscriber.disconnect();
  const lostChangedAt = await newCustomerScored('cust_lost_2');
  await subscriber.connect();

  const resync = await all.waitFor(isResync);
  const since = resyncSince(resync);
  expect(Date.parse(since)).toBeLessThanOrEqual(Date.parse(lostChangedAt));
  expect(delivered(all, 'cust_lost_2')).toBe(false);
  expect(await caughtUp(since)).toContain('cust_lost_2');

  await newCustomerScored('cust_after_2');
  await all.waitFor((r) => (r.data?.healthTierChanged as { customerId?: string } | undefined)?.customerId === 'cust_after_2');
  all.close();
});

it('resyncs after Redis itself drops the connection (CLIENT KILL), which the instance re-establishes by itself', async () => {
  const all = await record(client, TIER_CHANGED);
  const subscriber = pubsubOf(reader).subscriber;
  const admin = new Redis(REDIS_URL);
  try {
    // The subscriber connection is the one whose client address is this socket's local end.
    const address = `${subscriber.stream.localAddress}:${subscriber.stream.localPort}`;
    expect(await admin.client('KILL', 'ADDR', address)).toBe(1);
  } finally {
    admin.disconnect();
  }
  await all.waitFor(isResync);
  await newCustomerScored('cust_after_3');
  await all.waitFor((r) => (r.data?.healthTierChanged as { customerId?: string } | undefined)?.customerId === 'cust_after_3');
  all.close();
});

it('reads an announcement of lost events that is not one as a loss on every channel, rather than stopping every instance', async () => {
  const all = await record(client, TIER_CHANGED);
  const channel = `${reader.app.services.config.redisNamespace}:healthgraph:live-events:resync`;
  // A message its handler could not read was thrown out of the Redis client's socket handler: that
  // ends a process (a server), and here shows as the subscriber connection closing.
  let subscriberClosed = false;
  pubsubOf(reader).subscriber.once('close', () => (subscriberClosed = true));
  const outsider = new Redis(REDIS_URL);
  try {
    for (const message of ['not json', 'null']) await outsider.publish(channel, message);
  } finally {
    outsider.disconnect();
  }
  await all.waitFor(isResync);
  expect(subscriberClosed).toBe(false);
  // Both instances still serve, and live events still flow.
  await newCustomerScored('cust_after_garbage');
  await all.waitFor((r) => (r.data?.healthTierChanged as { customerId?: string } | undefined)?.customerId === 'cust_after_garbage');
  all.close();
});

it('stays ready while Redis is unreachable, reports it in /readyz, and is ready again when it is back', async () => {
  const { publisher, subscriber } = pubsubOf(reader);
  const origin = new URL(reader.url).origin;
  publisher.disconnect();
  subscriber.disconnect();
  try {
    const degraded = await fetch(`${origin}/readyz`);
    expect(degraded.status).toBe(200);
    expect(await degraded.json()).toEqual({
      status: 'degraded',
      checks: { database: true, redis: false, deliveries: true },
      detail: expect.stringMatching(/redis/),
    });
    const answered = await post(reader.url, { query: '{ customers(first: 1) { totalCount } }' });
    expect(answered.status).toBe(200);
  } finally {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  }
  // A ready or degraded answer is reused for a second (a flood of probes runs one check): the
  // degraded one may still be read just after Redis is back, and "ready" must follow within seconds.
  const deadline = Date.now() + 5000;
  let ready = await fetch(`${origin}/readyz`);
  let body = (await ready.json()) as { status: string };
  while (body.status !== 'ready' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    ready = await fetch(`${origin}/readyz`);
    body = (await ready.json()) as { status: string };
  }
  expect(ready.status).toBe(200);
  expect(body).toEqual({ status: 'ready', checks: { database: true, redis: true, deliveries: true } });
});
