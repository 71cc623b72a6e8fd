// A score on next to nothing (a customer created before its data arrived, scored healthy on neutral
// values) is no "before" anywhere a score is compared with the one before it.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { topics } from '../../src/scoring/scoring.topics';
import { daysAgo } from '../helpers/busy-account';
import { startTestServer, TestServer } from '../helpers/server';
import { connect, subscribe } from '../helpers/subscriptions';

let server: TestServer;
const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

beforeAll(async () => {
  server = await startTestServer({ label: 'thin_before' });
});
afterAll(() => server?.stop());

interface Scored {
  score: number;
  tier: string;
  trend: string;
}

/** Scores the customer as of `asOf` (now when null). */
async function score(id: string, asOf: string | null = null): Promise<Scored & { coverage: number }> {
  const { refreshHealthScore } = await ok<{ refreshHealthScore: Scored & { coverage: number } }>(
    `mutation($id: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $id, asOf: $asOf) { score tier trend coverage } }`,
    { id, asOf },
  );
  return refreshHealthScore;
}

/** A customer signed up long ago whose data has not arrived yet. */
async function created(id: string): Promise<void> {
  await ok(`mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }`, {
    input: { id, name: id, signedUpAt: daysAgo(300), csmOwner: 'kate', arrCents: 100, seats: 10 },
  });
}

/** Its history arrives: one login a day from `fromDay` to `toDay` days ago. */
async function historyArrives(id: string, fromDay: number, toDay: number, users = 1): Promise<void> {
  const events = Array.from({ length: (fromDay - toDay + 1) * users }, (_, i) => ({
    customerId: id,
    eventType: 'login',
    userId: `u${i % users}`,
    occurredAt: daysAgo(toDay + Math.floor(i / users) + 0.1),
  }));
  await ok(`mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }`, { events });
}

interface Change {
  kind: string;
  fromTier: string | null;
  toTier: string | null;
  fromScore: number | null;
  toScore: number | null;
}

async function changesOf(id: string, since: string, minScoreDrop = 10): Promise<Change[]> {
  const { changes } = await ok<{ changes: { edges: Array<{ node: Change & { customerName: string } }> } }>(
    `query($since: DateTime!, $min: Int) { changes(since: $since, minScoreDrop: $min, first: 100) {
       edges { node { kind customerName fromTier toTier fromScore toScore } } } }`,
    { since, min: minScoreDrop },
  );
  return changes.edges.filter((edge) => edge.node.customerName === id).map(({ node: { customerName: _name, ...change } }) => change);
}

/** The worklist.csv row of the customer, by column name. */
async function worklistRow(id: string): Promise<Record<string, string> | undefined> {
  const response = await fetch(`${new URL(server.url).origin}/export/worklist.csv`);
  expect(response.status).toBe(200);
  const [header, ...rows] = (await response.text()).trimEnd().split('\r\n');
  const names = header.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((cell, i) => [names[i], cell]))).find((row) => row.id === id);
}

it('lists the move off a score of no data as a first placement, with no drop from it on the worklist', async () => {
  const since = new Date().toISOString();
  await created('thin_critical');
  const thin = await score('thin_critical');
  expect(thin).toMatchObject({ score: 80, tier: 'healthy' });
  expect(thin.coverage).toBeLessThan(0.6);
  await historyArrives('thin_critical', 150, 40);
  expect(await score('thin_critical')).toMatchObject({ score: 20, tier: 'critical' });

  // Not "healthy → critical, 80 → 20": the account was never healthy, only unmeasured.
  expect(await changesOf('thin_critical', since)).toEqual([
    { kind: 'TIER_CHANGED', fromTier: null, toTier: 'critical', fromScore: null, toScore: 20 },
    { kind: 'TIER_CHANGED', fromTier: null, toTier: 'healthy', fromScore: null, toScore: 80 },
  ]);
  // On the worklist as critical, with no score lost: a first score's.
  expect(await worklistRow('thin_critical')).toMatchObject({ tier: 'critical', health_score: '20', score_drop: '' });
});

interface ToldMove {
  fromTier: string | null;
  toTier: string;
  fromScore: number | null;
  toScore: number;
  direction: string;
}

const TIER_CHANGED: TypedDocumentNode<{ healthTierChanged: ToldMove }, { id: string; direction?: string }> = parse(
  `subscription ($id: ID, $direction: TierDirection) {
     healthTierChanged(customerId: $id, direction: $direction) { fromTier toTier fromScore toScore direction } }`,
);

/** Waits until the server listens on `channels`: it sets a subscription up asynchronously, later than a loaded machine's moment. */
async function listening(channels: string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await server.app.pubsub.listened(channels)).size < channels.length) {
    if (Date.now() > deadline) throw new Error(`not listening on ${channels.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('publishes the move off a score of no data as a first placement, as tierChanges and the feed tell it', async () => {
  const since = new Date().toISOString();
  const client = connect(server.wsUrl);
  try {
    const moves = await subscribe(client, TIER_CHANGED, { id: 'thin_published' });
    const worsened = await subscribe(client, TIER_CHANGED, { id: 'thin_published', direction: 'WORSENED' });
    await listening([topics.tierChanges('thin_published'), topics.tierChanges('thin_published', null, 'WORSENED')]);
    await created('thin_published');
    expect(await score('thin_published')).toMatchObject({ score: 80, tier: 'healthy' });
    await historyArrives('thin_published', 150, 40);
    expect(await score('thin_published')).toMatchObject({ score: 20, tier: 'critical' });

    // Not "healthy → critical, WORSENED": the account was never healthy, only unmeasured.
    const firstPlacements: ToldMove[] = [
      { fromTier: null, toTier: 'healthy', fromScore: null, toScore: 80, direction: 'NEW' },
      { fromTier: null, toTier: 'critical', fromScore: null, toScore: 20, direction: 'NEW' },
    ];
    expect((await moves.waitFor(2, 15_000)).map((event) => event.healthTierChanged)).toEqual(firstPlacements);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(moves.events).toHaveLength(2);
    expect(worsened.events).toEqual([]);
    // The durable record a client catches up with after a disconnection says the same, as the feed does.
    const { tierChanges } = await ok<{ tierChanges: { edges: Array<{ node: ToldMove }> } }>(
      `query { tierChanges(customerId: "thin_published", first: 10) { edges { node { fromTier toTier fromScore toScore direction } } } }`,
    );
    expect(tierChanges.edges.map((edge) => edge.node)).toEqual(firstPlacements);
    expect((await changesOf('thin_published', since)).reverse()).toEqual(
      firstPlacements.map(({ direction: _direction, ...move }) => ({ kind: 'TIER_CHANGED', ...move })),
    );
  } finally {
    await client.dispose();
  }
});

it('lists no score drop within a tier from a score of no data', async () => {
  const since = new Date().toISOString();
  await created('thin_healthy');
  expect(await score('thin_healthy')).toMatchObject({ score: 80, tier: 'healthy' });
  await historyArrives('thin_healthy', 150, 4, 3);
  const observed = await score('thin_healthy');
  expect(observed.tier).toBe('healthy');
  expect(80 - observed.score).toBeGreaterThanOrEqual(5);
  expect(await changesOf('thin_healthy', since, 5)).toEqual([
    { kind: 'TIER_CHANGED', fromTier: null, toTier: 'healthy', fromScore: null, toScore: 80 },
  ]);
});

it('measures no decline from a score of no data a trend window ago', async () => {
  await created('thin_trend');
  // Scored ten days ago (history only), before any of its data had arrived.
  expect(await score('thin_trend', daysAgo(10))).toMatchObject({ score: 80, tier: 'healthy' });
  await historyArrives('thin_trend', 150, 40);
  // Critical, but not DECLINING from a healthy it never was: no trend measured yet.
  expect(await score('thin_trend')).toMatchObject({ score: 20, tier: 'critical', trend: 'STABLE' });
  expect(await worklistRow('thin_trend')).toMatchObject({ tier: 'critical', trend: 'STABLE', score_drop: '' });
});
