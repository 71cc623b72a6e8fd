// The silent-account promise, end to end through the public API with past timestamps and asOf, and
// what scoring the past leaves behind: history and tier changes marked as backfill, no outreach.
// (The team alert that accompanies the drop is checked day by day in the pure model's simulation,
// test/scoring/model/silent-account.test.ts: scoring past days fires no playbook by design.)
import {
  OutreachLogDocument,
  RefreshAllDocument,
  TierChangesDocument,
  TrackEngagementBatchDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
// Day 0 is a Monday at 00:00 UTC, 140 days ago at most.
const today = new Date();
const day0 = (() => {
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - 140 * DAY);
  while (start.getUTCDay() !== 1) start.setTime(start.getTime() + DAY);
  return start.getTime();
})();
const at = (day: number, hour: number) => new Date(day0 + day * DAY + hour * 3_600_000).toISOString();
const FEATURES = ['reports', 'dashboards', 'alerts', 'exports'];

function dayOfActivity(customerId: string, day: number) {
  return [9, 12, 17].map((hour, i) => ({
    customerId,
    eventType: i === 0 ? 'login' : 'feature_used',
    feature: FEATURES[(day + i) % FEATURES.length],
    userId: `u${i}`,
    occurredAt: at(day, hour),
  }));
}

beforeAll(async () => {
  server = await startTestServer({ label: 'silent', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const id of ['cust_silent', 'cust_weekdays']) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: at(0, 0), arrCents: 2_400_000 } });
  }
  // A younger account: signed up on day 60, daily for five weeks, silent from day 95.
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_young', name: 'cust_young', signedUpAt: at(60, 0), arrCents: 2_400_000 } });
  const events = [];
  for (let day = 0; day < 60; day++) events.push(...dayOfActivity('cust_silent', day));
  for (let day = 60; day < 95; day++) events.push(...dayOfActivity('cust_young', day));
  for (let day = 0; day < 125; day++) {
    const weekday = new Date(day0 + day * DAY).getUTCDay();
    if (weekday !== 0 && weekday !== 6) events.push(...dayOfActivity('cust_weekdays', day));
  }
  const result = await server.gql(TrackEngagementBatchDocument, { events });
  expect(result.trackEngagementBatch.errors).toEqual([]);
  // Daily scoring at 23:00 from day 30 to day 124: 95 runs.
  for (let day = 30; day < 125; day++) {
    const run = await server.gql(RefreshAllDocument, { asOf: at(day, 23) });
    expect(run.refreshAllHealthScores).toMatchObject({ status: 'SUCCEEDED', customersScored: day < 60 ? 2 : 3 });
  }
}, 180_000);
afterAll(() => server.stop());

/** The customer's first move to a worse tier came within 7 days of its last activity (17:00 on `lastActiveDay`). */
async function expectDropWithinAWeek(customerId: string, lastActiveDay: number): Promise<void> {
  const changes = await server.gql(TierChangesDocument, { customerId, first: 100 });
  const firstDrop = changes.tierChanges.edges.map((e) => e.node).find((c) => c.direction === 'WORSENED');
  expect(firstDrop).toBeDefined();
  expect(Date.parse(firstDrop!.changedAt) - Date.parse(at(lastActiveDay, 17))).toBeLessThanOrEqual(7 * DAY);
}

it('drops an account that goes silent by at least one tier within 7 days', async () => {
  await expectDropWithinAWeek('cust_silent', 59);
});

it('drops an account in use for only five weeks by a tier within 7 days of its silence, as an older one', async () => {
  await expectDropWithinAWeek('cust_young', 94);
});

it('marks what past runs wrote as backfill, and logs no outreach for days gone by', async () => {
  const changes = await server.request<{ tierChanges: { edges: Array<{ node: { backfill: boolean } }> } }, unknown>(
    '{ tierChanges(customerId: "cust_silent", first: 100) { edges { node { backfill } } } }',
  );
  expect(changes.data!.tierChanges.edges.length).toBeGreaterThan(1);
  expect(changes.data!.tierChanges.edges.every((e) => e.node.backfill)).toBe(true);
  const history = await server.request<{ healthScoreHistory: { edges: Array<{ node: { backfill: boolean } }> } }, unknown>(
    '{ healthScoreHistory(customerId: "cust_silent", first: 500) { edges { node { backfill } } } }',
  );
  expect(history.data!.healthScoreHistory.edges).toHaveLength(95);
  expect(history.data!.healthScoreHistory.edges.every((e) => e.node.backfill)).toBe(true);
  for (const customerId of ['cust_silent', 'cust_weekdays']) {
    expect((await server.gql(OutreachLogDocument, { customerId, first: 10 })).outreachLog.totalCount).toBe(0);
  }
});

it('never changes the tier of an account active every weekday and silent at weekends', async () => {
  const changes = await server.gql(TierChangesDocument, { customerId: 'cust_weekdays', first: 100 });
  expect(changes.tierChanges.edges.map((e) => [e.node.direction, e.node.toTier])).toEqual([['NEW', 'healthy']]);
});

it('keeps a silent account at its lowest as the silence lasts: the silence is no part of its usual rhythm', async () => {
  const history = await server.request<
    { healthScoreHistory: { edges: Array<{ node: { asOf: string; score: number; tier: string } }> } },
    unknown
  >(`{ healthScoreHistory(customerId: "cust_silent", from: "${at(60, 0)}", first: 500) { edges { node { asOf score tier } } } }`);
  // Oldest first: from the first point in the worst tier on, the account stays there. Measured
  // against 60 days that hold the silence, its usual gap lengthened as the silence went on, and seven
  // weeks in it read as a return (back to "monitor").
  const points = history.data!.healthScoreHistory.edges.map((e) => e.node).reverse();
  const firstCritical = points.findIndex((point) => point.tier === 'critical');
  expect(firstCritical).toBeGreaterThan(0);
  // The worst tier comes with long_silence, once the silence has lasted 24 days (and 14 usual gaps).
  expect(Date.parse(points[firstCritical].asOf) - Date.parse(at(59, 17))).toBeGreaterThanOrEqual(24 * DAY);
  expect(Date.parse(points[firstCritical].asOf) - Date.parse(at(59, 17))).toBeLessThan(26 * DAY);
  expect(points.slice(firstCritical).filter((point) => point.tier !== 'critical')).toEqual([]);
  // To the end of the history: past seven weeks of silence, which once read as a return.
  expect(points.length - firstCritical).toBeGreaterThan(40);
  expect(Date.parse(points[points.length - 1].asOf) - Date.parse(at(59, 17))).toBeGreaterThan(7 * 7 * DAY);
});
