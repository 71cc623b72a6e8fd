// A change of tier scheme moves accounts whose score did not move: at_risk under four tiers is
// churning under five, and healthy above 90 is thriving. Such a move is the model's, and its tiers
// cannot be compared with the ones before: healthTierChanged and tierChanges tell it NEW (the tier
// and score before it kept), as a subscription to WORSENED changes is not told of an account that
// did not fall. A model change that keeps the tiers leaves them comparable: a fall across it is WORSENED.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { topics } from '../../src/scoring/scoring.topics';
import { busyDays, daysAgo } from '../helpers/busy-account';
import { startTestServer, TestServer } from '../helpers/server';
import { connect, subscribe } from '../helpers/subscriptions';

let server: TestServer;
const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

/** The default model with a red flag of `points` an open ticket (at most 80): each account falls as far as its tickets take it. */
const withTicketFlag = (config: typeof DEFAULT_SCORING_MODEL, points: number) => ({
  ...config,
  penalties: [
    ...config.penalties.filter((penalty) => penalty.name !== 'open_tickets'),
    {
      name: 'open_tickets',
      metric: 'open_tickets',
      windowDays: 30,
      direction: 'at_least',
      threshold: 1,
      points,
      perUnit: true,
      maxPoints: 80,
    },
  ],
});

beforeAll(async () => {
  // The scheduler on (hourly runs), continuous rescoring off: only the activations run anything.
  server = await startTestServer({ label: 'tier_scheme_direction', env: { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '0' } });
  await server.app.scheduler.idle();
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', {
    config: withTicketFlag(DEFAULT_SCORING_MODEL, 20),
  });
  await server.app.scheduler.idle();
});
afterAll(() => server?.stop());

/** A busy account with `tickets` open tickets, scored now (live). */
async function busyWithTickets(id: string, tickets: number): Promise<{ score: number; tier: string }> {
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${daysAgo(200)}" }) { id } }`);
  await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events: busyDays(id) });
  for (let n = 1; n <= tickets; n++) {
    await ok(
      `mutation { recordSupportTicket(input: { customerId: "${id}", externalId: "t${n}", openedAt: "${daysAgo(1)}", status: OPEN, severity: LOW }) { id } }`,
    );
  }
  const { refreshHealthScore } = await ok<{ refreshHealthScore: { score: number; tier: string } }>(
    `mutation { refreshHealthScore(customerId: "${id}") { score tier } }`,
  );
  return refreshHealthScore;
}

interface ToldMove {
  customerId: string;
  fromTier: string | null;
  toTier: string;
  fromScore: number | null;
  toScore: number;
  direction: string;
}

const TIER_CHANGED: TypedDocumentNode<{ healthTierChanged: ToldMove }, { direction?: string }> = parse(
  `subscription ($direction: TierDirection) {
     healthTierChanged(direction: $direction) { customerId fromTier toTier fromScore toScore direction } }`,
);

/** Waits until the server listens on `channels`: it sets a subscription up asynchronously. */
async function listening(channels: string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await server.app.pubsub.listened(channels)).size < channels.length) {
    if (Date.now() > deadline) throw new Error(`not listening on ${channels.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function toldChanges(id: string): Promise<ToldMove[]> {
  const { tierChanges } = await ok<{ tierChanges: { edges: Array<{ node: ToldMove }> } }>(
    `query { tierChanges(customerId: "${id}", first: 10) { edges { node { customerId fromTier toTier fromScore toScore direction } } } }`,
  );
  return tierChanges.edges.map((edge) => edge.node);
}

it('tells a move a new tier scheme made NEW, live and in tierChanges; a fall across a model change that keeps the tiers WORSENED', async () => {
  const atRisk = await busyWithTickets('cust_scheme_at_risk', 3);
  expect(atRisk.tier).toBe('at_risk');
  expect(atRisk.score).toBeGreaterThanOrEqual(30);
  expect(atRisk.score).toBeLessThan(50);
  const best = await busyWithTickets('cust_scheme_best', 0);
  expect(best.tier).toBe('healthy');
  expect(best.score).toBeGreaterThanOrEqual(90);

  const client = connect(server.wsUrl);
  try {
    const all = await subscribe(client, TIER_CHANGED, {});
    const worsened = await subscribe(client, TIER_CHANGED, { direction: 'WORSENED' });
    await listening([topics.tierChanges(), topics.tierChanges(null, null, 'WORSENED')]);

    await ok('mutation { updateScoringModel(input: { tierPreset: "five_band_thriving" }) { version } }');
    await server.app.scheduler.idle();
    // The same scores, placed in the new scheme's tiers: the model moved them, not the accounts.
    const byScheme: ToldMove[] = [
      {
        customerId: 'cust_scheme_at_risk',
        fromTier: 'at_risk',
        toTier: 'churning',
        fromScore: atRisk.score,
        toScore: atRisk.score,
        direction: 'NEW',
      },
      {
        customerId: 'cust_scheme_best',
        fromTier: 'healthy',
        toTier: 'thriving',
        fromScore: best.score,
        toScore: best.score,
        direction: 'NEW',
      },
    ];
    const published = (await all.waitFor(2, 15_000)).map((event) => event.healthTierChanged);
    expect([...published].sort((a, b) => a.customerId.localeCompare(b.customerId))).toEqual(byScheme);
    expect((await toldChanges('cust_scheme_at_risk')).at(-1)).toEqual(byScheme[0]);
    expect((await toldChanges('cust_scheme_best')).at(-1)).toEqual(byScheme[1]);

    // Heavier tickets under the same tiers: the account falls from churning to critical, a move between comparable tiers.
    const { scoringModel } = await ok<{ scoringModel: { config: typeof DEFAULT_SCORING_MODEL } }>('{ scoringModel { config } }');
    await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', {
      config: withTicketFlag(scoringModel.config, 30),
    });
    await server.app.scheduler.idle();
    const [fell] = await worsened.waitFor(1, 15_000);
    expect(fell.healthTierChanged).toMatchObject({
      customerId: 'cust_scheme_at_risk',
      fromTier: 'churning',
      toTier: 'critical',
      direction: 'WORSENED',
    });
    expect(worsened.events).toHaveLength(1);
    expect((await toldChanges('cust_scheme_at_risk')).at(-1)).toMatchObject({
      fromTier: 'churning',
      toTier: 'critical',
      direction: 'WORSENED',
    });
  } finally {
    await client.dispose();
  }
});
