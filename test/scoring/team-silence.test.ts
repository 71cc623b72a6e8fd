// The silent-account promise for an account whose integration keeps calling, end to end through the
// public API with past timestamps and asOf: a team that came every day and stops drops a tier within
// 7 days while its integration's calls (events that name no user) go on, and accounts whose use is
// their integration's (no named user, or an admin who looks in twice a month) do not.
import { RefreshAllDocument, TierChangesDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
// Day 0 is 130 days ago at 00:00 UTC; the last day of events, day 124.
const day0 = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - 130 * DAY;
const at = (day: number, hour: number) => new Date(day0 + day * DAY + hour * 3_600_000).toISOString();
const FEATURES = ['reports', 'dashboards', 'alerts', 'exports'];
const TEAM = Array.from({ length: 8 }, (_, i) => `u${i}`);
/** The team's last day of use in cust_team_left; its last event, at 16:00 then. */
const TEAM_LAST_DAY = 89;

/** A day of calls under a service key (no userId), before and after the team's hours. */
const callsOn = (customerId: string, day: number) =>
  [3, 21].map((hour) => ({ customerId, eventType: 'api_call', feature: 'api', occurredAt: at(day, hour) }));

/** A day on which each of `users` uses a feature. */
const teamOn = (customerId: string, day: number, users: string[]) =>
  users.map((userId, i) => ({
    customerId,
    eventType: 'feature_used',
    feature: FEATURES[(day + i) % FEATURES.length],
    userId,
    occurredAt: at(day, 9 + i),
  }));

beforeAll(async () => {
  server = await startTestServer({ label: 'team_silence', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const customers = ['cust_team_left', 'cust_integration_only', 'cust_admin_twice_a_month'];
  for (const id of customers)
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: at(0, 0), arrCents: 6_000_000, seats: 10 } });
  const events = [];
  for (let day = 0; day < 125; day++) {
    for (const id of customers) events.push(...callsOn(id, day));
    if (day <= TEAM_LAST_DAY) events.push(...teamOn('cust_team_left', day, TEAM));
    if (day % 15 === 0) events.push(...teamOn('cust_admin_twice_a_month', day, ['admin']));
  }
  for (let i = 0; i < events.length; i += 1000) {
    const result = await server.gql(TrackEngagementBatchDocument, { events: events.slice(i, i + 1000) });
    expect(result.trackEngagementBatch.errors).toEqual([]);
  }
  // Daily scoring at 23:00 from day 70 to day 110: a month before the team stops, three weeks after.
  for (let day = 70; day <= 110; day++) {
    const run = await server.gql(RefreshAllDocument, { asOf: at(day, 23) });
    expect(run.refreshAllHealthScores).toMatchObject({ status: 'SUCCEEDED', customersScored: 3 });
  }
}, 180_000);
afterAll(() => server.stop());

async function tierChanges(customerId: string): Promise<Array<{ direction: string; changedAt: string }>> {
  const changes = await server.gql(TierChangesDocument, { customerId, first: 100 });
  return changes.tierChanges.edges.map((e) => e.node);
}

it('drops an account whose team stopped by at least one tier within 7 days, while its integration calls on', async () => {
  const firstDrop = (await tierChanges('cust_team_left')).find((c) => c.direction === 'WORSENED');
  expect(firstDrop).toBeDefined();
  expect(Date.parse(firstDrop!.changedAt) - Date.parse(at(TEAM_LAST_DAY, 16))).toBeLessThanOrEqual(7 * DAY);
});

it.each(['cust_integration_only', 'cust_admin_twice_a_month'])(
  'never drops %s, whose integration calling every day is its use',
  async (customerId) => {
    expect((await tierChanges(customerId)).map((c) => c.direction)).toEqual(['NEW']);
  },
);
