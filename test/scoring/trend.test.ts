// The trend compares a score with the one about a week before it (7 to 14 days earlier): a point a
// month old says nothing of this week, so an account scored again after a gap in its history reads
// STABLE, not DECLINING against whatever it scored long ago.
import { RefreshHealthScoreDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number, hour = 12) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();

/** A customer signed up 150 days ago, active daily (three users) from 119 days ago to `lastActiveDaysAgo`. */
async function dailyUntil(id: string, lastActiveDaysAgo: number): Promise<void> {
  await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: daysAgo(150) } });
  const events = Array.from({ length: 120 - lastActiveDaysAgo }, (_, k) => lastActiveDaysAgo + k).flatMap((d) =>
    ['u1', 'u2', 'u3'].map((userId) => ({
      customerId: id,
      eventType: 'feature_used',
      userId,
      feature: `f${d % 4}`,
      occurredAt: daysAgo(d, 10),
    })),
  );
  const tracked = await server.gql(TrackEngagementBatchDocument, { events });
  expect(tracked.trackEngagementBatch.accepted).toBe(events.length);
}

const scoreAsOf = async (customerId: string, asOf?: string) =>
  (await server.gql(RefreshHealthScoreDocument, { customerId, asOf })).refreshHealthScore;

beforeAll(async () => {
  server = await startTestServer({ label: 'trend', env: { RESCORE_DEBOUNCE_MS: '0' } });
});
afterAll(() => server.stop());

it('compares with the score 7 to 14 days before: DECLINING on a fall within the week', async () => {
  await dailyUntil('cust_trend_week', 20);
  const before = await scoreAsOf('cust_trend_week', daysAgo(24));
  const after = await scoreAsOf('cust_trend_week', daysAgo(14));
  expect(before.tier).toBe('healthy');
  expect(after.score).toBeLessThan(before.score - 5);
  expect(after).toMatchObject({ previousScore: before.score, trend: 'DECLINING' });
});

it('reads STABLE when the latest earlier score is weeks older than that, however far the score fell', async () => {
  await dailyUntil('cust_trend_gap', 30);
  const old = await scoreAsOf('cust_trend_gap', daysAgo(40));
  const today = await scoreAsOf('cust_trend_gap');
  expect(old.tier).toBe('healthy');
  expect(today.score).toBeLessThan(old.score - 50);
  expect(today).toMatchObject({ previousScore: old.score, trend: 'STABLE' });
});
