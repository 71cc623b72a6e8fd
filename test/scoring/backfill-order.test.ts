// A backfill older than a customer's history: the point it inserts becomes the predecessor of the
// next existing point, whose tier change (and previous score) must then describe that step.
import {
  RecordPaymentDocument,
  RefreshAllDocument,
  RefreshHealthScoreDocument,
  TrackEngagementBatchDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { tierChangesOffTheirPoints } from '../helpers/history';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number, hour = 12) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Engagement on each of the given days ago: a login and two features. */
function activity(customerId: string, days: number[]) {
  return days.flatMap((d) => [
    { customerId, eventType: 'login', userId: 'u1', occurredAt: daysAgo(d, 9) },
    { customerId, eventType: 'feature_used', userId: 'u1', feature: `f${d % 6}`, occurredAt: daysAgo(d, 11) },
    { customerId, eventType: 'feature_used', userId: 'u2', feature: `g${d % 5}`, occurredAt: daysAgo(d, 15) },
  ]);
}

/** The day first scored (D), and the older instant backfilled afterwards (D − 10 days). */
const D = daysAgo(5, 23);
const EARLIER = daysAgo(15, 23);
/** An instant before both, scored for one customer only. */
const EARLIEST = daysAgo(25, 23);

interface TierChangeNode {
  fromTier: string | null;
  toTier: string;
  fromScore: number | null;
  toScore: number;
  direction: string;
  changedAt: string;
  backfill: boolean;
}

interface HistoryNode {
  id: string;
  score: number;
  tier: string;
  previousScore: number | null;
  asOf: string;
}

async function tierChanges(customerId: string): Promise<TierChangeNode[]> {
  const result = await server.request<{ tierChanges: { edges: Array<{ node: TierChangeNode }> } }, { customerId: string }>(
    `query ($customerId: ID!) { tierChanges(customerId: $customerId, first: 50) {
       edges { node { fromTier toTier fromScore toScore direction changedAt backfill } } } }`,
    { customerId },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.tierChanges.edges.map((e) => e.node);
}

/** Oldest first. */
async function history(customerId: string): Promise<HistoryNode[]> {
  const result = await server.request<{ healthScoreHistory: { edges: Array<{ node: HistoryNode }> } }, { customerId: string }>(
    `query ($customerId: ID!) { healthScoreHistory(customerId: $customerId, first: 50) { edges { node { id score tier previousScore asOf } } } }`,
    { customerId },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.healthScoreHistory.edges.map((e) => e.node).reverse();
}

beforeAll(async () => {
  // Continuous rescoring off: only the runs a test asks for write history.
  server = await startTestServer({ label: 'backfill_order', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const id of ['cust_went_quiet', 'cust_steady', 'cust_dipped']) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, arrCents: 1_200_000, signedUpAt: daysAgo(200) } });
  }
  const events = [
    // Busy until the day before D − 10, then silent: healthy at D − 10, lower by D.
    ...activity('cust_went_quiet', range(16, 100)),
    // Busy throughout: healthy at both instants.
    ...activity('cust_steady', range(0, 100)),
    ...activity('cust_dipped', range(0, 100)),
  ];
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  // Three failed payments in a row just before D − 10, paid again before D: a penalty at D − 10 only.
  for (const [days, status] of [
    [19, 'FAILED'],
    [18, 'FAILED'],
    [17, 'FAILED'],
    [10, 'PAID'],
  ] as const) {
    await server.gql(RecordPaymentDocument, {
      input: { customerId: 'cust_dipped', amountCents: 100_000, currency: 'EUR', status, occurredAt: daysAgo(days) },
    });
  }
  await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_dipped', asOf: EARLIEST });
  expect((await server.gql(RefreshAllDocument, { asOf: D })).refreshAllHealthScores).toMatchObject({
    status: 'SUCCEEDED',
    customersScored: 3,
  });
  expect((await server.gql(RefreshAllDocument, { asOf: EARLIER })).refreshAllHealthScores).toMatchObject({
    status: 'SUCCEEDED',
    customersScored: 3,
  });
}, 60_000);
afterAll(() => server.stop());

describe('a backfill before the existing history', () => {
  it('records the step from the backfilled point to the next one when their tiers differ', async () => {
    const [earlier, later] = await history('cust_went_quiet');
    expect([earlier.asOf, later.asOf]).toEqual([EARLIER, D]);
    expect(earlier.tier).toBe('healthy');
    expect(later.tier).not.toBe('healthy');
    expect(await tierChanges('cust_went_quiet')).toEqual([
      { fromTier: null, toTier: 'healthy', fromScore: null, toScore: earlier.score, direction: 'NEW', changedAt: EARLIER, backfill: true },
      {
        fromTier: 'healthy',
        toTier: later.tier,
        fromScore: earlier.score,
        toScore: later.score,
        direction: 'WORSENED',
        changedAt: D,
        backfill: true,
      },
    ]);
    // The next point's previous score is now the backfilled point's.
    expect(earlier.previousScore).toBeNull();
    expect(later.previousScore).toBe(earlier.score);
  });

  it('leaves only the change into the backfilled point when the next point has the same tier', async () => {
    const [earlier, later] = await history('cust_steady');
    expect([earlier.tier, later.tier]).toEqual(['healthy', 'healthy']);
    expect(await tierChanges('cust_steady')).toEqual([
      { fromTier: null, toTier: 'healthy', fromScore: null, toScore: earlier.score, direction: 'NEW', changedAt: EARLIER, backfill: true },
    ]);
    expect(later.previousScore).toBe(earlier.score);
  });

  it('adds the step into the next point when it had none and the tiers now differ', async () => {
    const [first, dip, recovered] = await history('cust_dipped');
    expect([first.asOf, dip.asOf, recovered.asOf]).toEqual([EARLIEST, EARLIER, D]);
    expect([first.tier, dip.tier, recovered.tier]).toEqual(['healthy', 'at_risk', 'healthy']);
    const step = (from: HistoryNode, to: HistoryNode, direction: string) => ({
      fromTier: from.tier,
      toTier: to.tier,
      fromScore: from.score,
      toScore: to.score,
      direction,
      changedAt: to.asOf,
      backfill: true,
    });
    expect(await tierChanges('cust_dipped')).toEqual([
      { fromTier: null, toTier: 'healthy', fromScore: null, toScore: first.score, direction: 'NEW', changedAt: EARLIEST, backfill: true },
      step(first, dip, 'WORSENED'),
      step(dip, recovered, 'IMPROVED'),
    ]);
    expect([dip.previousScore, recovered.previousScore]).toEqual([first.score, dip.score]);
  });
});

describe('an instant scored again', () => {
  it('replaces its point, under the same id, and the tier change at it, whether run again, for one customer or at once', async () => {
    const before = { history: await history('cust_dipped'), changes: await tierChanges('cust_dipped') };
    // A retried backfill, a single rescoring of a scored instant, and several of them at once.
    const retried = (await server.gql(RefreshAllDocument, { asOf: EARLIER })).refreshAllHealthScores;
    expect(retried.status).toBe('SUCCEEDED');
    // The run counts the changes its points have, those it found again and kept as well.
    const atEarlier = async (id: string) => (await tierChanges(id)).filter((change) => change.changedAt === EARLIER).length;
    const changesAtEarlier = (await Promise.all(['cust_went_quiet', 'cust_steady', 'cust_dipped'].map(atEarlier))).reduce((a, b) => a + b);
    expect(changesAtEarlier).toBeGreaterThan(0);
    expect(retried.tierChanges).toBe(changesAtEarlier);
    // The point a client holds (a normalised cache keeps it by id) is the one that was replaced.
    const rescored = (await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_dipped', asOf: EARLIER })).refreshHealthScore;
    expect(rescored.id).toBe(before.history.find((point) => point.asOf === EARLIER)?.id);
    await Promise.all(Array.from({ length: 5 }, () => server.gql(RefreshHealthScoreDocument, { customerId: 'cust_dipped', asOf: D })));
    expect(await history('cust_dipped')).toEqual(before.history);
    expect(await tierChanges('cust_dipped')).toEqual(before.changes);
    for (const id of ['cust_went_quiet', 'cust_steady']) expect((await history(id)).map((point) => point.asOf)).toEqual([EARLIER, D]);
  });
});

describe('a backfill before a live scoring (customers created before their history was loaded)', () => {
  it('marks the live change it rewrites as backfill, and lists no score drop against a point it wrote later', async () => {
    const loadedAt = new Date().toISOString();
    // Created and scored live before their history arrived (no data: healthy, a NEW change, published).
    for (const id of ['cust_loaded_busy', 'cust_loaded_gone']) {
      await server.gql(UpsertCustomerDocument, { input: { id, name: id, arrCents: 1_200_000, signedUpAt: daysAgo(200) } });
      expect((await server.gql(RefreshHealthScoreDocument, { customerId: id })).refreshHealthScore.tier).toBe('healthy');
    }
    const published = await tierChanges('cust_loaded_gone');
    expect(published.map((c) => [c.fromTier, c.toTier, c.backfill])).toEqual([[null, 'healthy', false]]);
    // Their history: one busy every day, one silent for the last 90 days; then the days before are backfilled.
    const events = [...activity('cust_loaded_busy', range(1, 120)), ...activity('cust_loaded_gone', range(90, 160))];
    expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_loaded_busy', asOf: daysAgo(1, 23) });
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_loaded_gone', asOf: daysAgo(1, 23) });
    // The live change now follows the backfilled point; it is no longer what was published. (Whether it
    // is told from that point's tier depends on how much of the weight that point observed: thin-before.test.ts.)
    const rewritten = (await tierChanges('cust_loaded_gone')).find((c) => c.changedAt === published[0].changedAt);
    expect(rewritten).toMatchObject({ toTier: 'healthy', backfill: true });
    const [backfilledGone, liveGone] = (await history('cust_loaded_gone')).slice(-2);
    expect([liveGone.asOf, liveGone.previousScore]).toEqual([published[0].changedAt, backfilledGone.score]);
    const live = await server.request<{ tierChanges: { edges: Array<{ node: { changedAt: string } }> } }, unknown>(
      '{ tierChanges(customerId: "cust_loaded_gone", backfill: false, first: 50) { edges { node { changedAt } } } }',
    );
    expect(live.data!.tierChanges.edges.map((e) => e.node.changedAt)).not.toContain(published[0].changedAt);
    // The busy account's creation-time score (no data) is below its backfilled day: no drop happened live.
    const [backfilled, creation] = (await history('cust_loaded_busy')).slice(-2);
    expect(creation.previousScore).toBe(backfilled.score);
    expect(backfilled.score - creation.score).toBeGreaterThanOrEqual(10);
    const changes = await server.request<{ changes: { edges: Array<{ node: { kind: string; customerId: string } }> } }, unknown>(
      `{ changes(since: "${loadedAt}", first: 100) { edges { node { kind customerId } } } }`,
    );
    expect(changes.errors).toBeUndefined();
    expect(changes.data!.changes.edges.filter((e) => e.node.customerId === 'cust_loaded_busy' && e.node.kind === 'SCORE_DROPPED')).toEqual(
      [],
    );
  });
});

describe('a point scored between a published change and the point before it', () => {
  it('keeps the change published when it still comes from the same tier: only its previous score changes', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_between', name: 'Between', arrCents: 1_200_000, signedUpAt: daysAgo(200) },
    });
    expect(
      (await server.gql(TrackEngagementBatchDocument, { events: activity('cust_between', range(0, 100)) })).trackEngagementBatch.errors,
    ).toEqual([]);
    expect(
      (await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_between', asOf: daysAgo(4, 6) })).refreshHealthScore.tier,
    ).toBe('healthy');
    // Payments failing since two days ago, then a live scoring: a published move out of healthy.
    for (const days of [3, 2, 1]) {
      await server.gql(RecordPaymentDocument, {
        input: { customerId: 'cust_between', amountCents: 100_000, currency: 'EUR', status: 'FAILED', occurredAt: daysAgo(days, 12) },
      });
    }
    const live = (await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_between' })).refreshHealthScore;
    expect(live.tier).not.toBe('healthy');
    const [published] = (await tierChanges('cust_between')).filter((change) => !change.backfill);
    expect(published).toMatchObject({ fromTier: 'healthy', toTier: live.tier });
    // Scored again as of an instant between the two, before the first failure: healthy still.
    const between = (await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_between', asOf: daysAgo(3, 6) })).refreshHealthScore;
    expect(between.tier).toBe('healthy');
    const after = (await tierChanges('cust_between')).find((change) => change.changedAt === published.changedAt);
    expect(after).toEqual({ ...published, fromScore: between.score });
    const listed = await server.request<{ tierChanges: { edges: Array<{ node: { changedAt: string } }> } }, unknown>(
      '{ tierChanges(customerId: "cust_between", backfill: false, first: 50) { edges { node { changedAt } } } }',
    );
    expect(listed.data!.tierChanges.edges.map((e) => e.node.changedAt)).toContain(published.changedAt);
  });
});

it('records with every tier change the model versions of the points it lies between', async () => {
  await server.app.scheduler.idle();
  expect(await tierChangesOffTheirPoints(server.database)).toEqual([]);
});
