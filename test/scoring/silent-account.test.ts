// The silent-account promise, end to end through the public API with past timestamps and asOf.
import { OutreachLogDocument, RefreshAllDocument, TierChangesDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
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
  const events = [];
  for (let day = 0; day < 60; day++) events.push(...dayOfActivity('cust_silent', day));
  for (let day = 0; day < 125; day++) {
    const weekday = new Date(day0 + day * DAY).getUTCDay();
    if (weekday !== 0 && weekday !== 6) events.push(...dayOfActivity('cust_weekdays', day));
  }
  const result = await server.gql(TrackEngagementBatchDocument, { events });
  expect(result.trackEngagementBatch.errors).toEqual([]);
  // Daily scoring at 23:00 from day 30 to day 124: 95 runs.
  for (let day = 30; day < 125; day++) {
    const run = await server.gql(RefreshAllDocument, { asOf: at(day, 23) });
    expect(run.refreshAllHealthScores).toMatchObject({ status: 'SUCCEEDED', customersScored: 2 });
  }
}, 180_000);
afterAll(() => server.stop());

it('drops an account that goes silent by at least one tier and alerts the team within 7 days', async () => {
  const lastActivity = Date.parse(at(59, 17));
  const changes = await server.gql(TierChangesDocument, { customerId: 'cust_silent', first: 100 });
  const firstDrop = changes.tierChanges.edges.map((e) => e.node).find((c) => c.direction === 'WORSENED');
  expect(firstDrop).toBeDefined();
  expect(Date.parse(firstDrop!.changedAt) - lastActivity).toBeLessThanOrEqual(7 * DAY);

  const log = await server.gql(OutreachLogDocument, { customerId: 'cust_silent', first: 500 });
  const alerts = log.outreachLog.edges.map((e) => e.node).filter((a) => a.trigger === 'SILENCE' && a.audience === 'TEAM' && a.status === 'LOGGED');
  expect(alerts.length).toBeGreaterThan(0);
  const firstAlert = Math.min(...alerts.map((a) => Date.parse(a.createdAt)));
  expect(firstAlert - lastActivity).toBeLessThanOrEqual(7 * DAY);
  expect(firstAlert - lastActivity).toBeGreaterThanOrEqual(6 * DAY);
});

it('never changes the tier of an account active every weekday and silent at weekends, nor alerts anyone', async () => {
  const changes = await server.gql(TierChangesDocument, { customerId: 'cust_weekdays', first: 100 });
  expect(changes.tierChanges.edges.map((e) => [e.node.direction, e.node.toTier])).toEqual([['NEW', 'healthy']]);
  const log = await server.gql(OutreachLogDocument, { customerId: 'cust_weekdays', first: 10 });
  expect(log.outreachLog.totalCount).toBe(0);
});
