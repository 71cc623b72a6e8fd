// A customer scored for the first time weeks into a decline (its signals loaded in one go) is flagged
// as a customer scored all along would be: the red flags a history raises near the decline's onset
// are found by running the model weekly over the last weeks in memory, and nothing of that is written.
import { ScoreHistoryDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';
import { warmUpInstants, WARM_UP_WEEKS } from '../../src/scoring/warm-up-flags';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
let server: TestServer;
const now = Date.now();
const dayStart = (days: number) => Math.floor((now - days * DAY) / DAY) * DAY;

/** Four users daily on five features for 150 days; from `leftDaysAgo` days ago, one of them only. */
function championLeaves(customerId: string, leftDaysAgo: number) {
  const events = [];
  for (let d = 150; d >= 1; d--) {
    const users = d <= leftDaysAgo ? ['u1'] : ['u1', 'u2', 'u3', 'u4'];
    for (const [i, userId] of users.entries())
      for (let k = 0; k < 3; k++)
        events.push({
          customerId,
          eventType: 'feature_used',
          feature: `f${(i + k + d) % 5}`,
          userId,
          occurredAt: new Date(dayStart(d) + (9 + i + k) * 3_600_000).toISOString(),
        });
  }
  return events;
}

interface Scored {
  score: number;
  tier: string;
  penalties: Array<{ name: string; applied: boolean }>;
}
async function scoreOf(customerId: string, asOf: Date): Promise<Scored> {
  const { data, errors } = await server.request<{ refreshHealthScore: Scored }, unknown>(
    `mutation ($customerId: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $customerId, asOf: $asOf) { score tier penalties { name applied } } }`,
    { customerId, asOf: asOf.toISOString() },
  );
  expect(errors).toBeUndefined();
  return data!.refreshHealthScore;
}
const applied = (score: Scored) => score.penalties.filter((p) => p.applied).map((p) => p.name);

beforeAll(async () => {
  server = await startTestServer({ label: 'warm_up_flags', env: { RESCORE_DEBOUNCE_MS: '600000' } });
  for (const id of ['cust_scored_weekly', 'cust_loaded_now']) {
    await server.gql(UpsertCustomerDocument, {
      input: { id, name: id, signedUpAt: new Date(dayStart(200)).toISOString(), arrCents: 6_000_000, seats: 6 },
    });
    const { trackEngagementBatch } = await server.gql(TrackEngagementBatchDocument, { events: championLeaves(id, 35) });
    expect(trackEngagementBatch.errors).toEqual([]);
  }
});
afterAll(() => server.stop());

it('flags a champion who left five weeks ago at the first scoring as a weekly scoring does, and writes one point', async () => {
  const asOf = new Date();
  for (let week = WARM_UP_WEEKS; week >= 1; week--) await scoreOf('cust_scored_weekly', new Date(asOf.getTime() - week * WEEK));
  const weekly = await scoreOf('cust_scored_weekly', asOf);
  const first = await scoreOf('cust_loaded_now', asOf);
  expect(applied(weekly)).toContain('team_shrinking');
  expect(['at_risk', 'critical']).toContain(weekly.tier);
  expect({ score: first.score, tier: first.tier, flags: applied(first) }).toEqual({
    score: weekly.score,
    tier: weekly.tier,
    flags: applied(weekly),
  });
  const history = await server.gql(ScoreHistoryDocument, { customerId: 'cust_loaded_now', first: 10 });
  expect(history.healthScoreHistory.totalCount).toBe(1);
});

it('runs the weekly scoring only over the weeks since the previous point and the customer started', () => {
  const asOf = new Date('2026-06-30T12:00:00Z');
  expect(warmUpInstants(asOf, null, new Date('2020-01-01T00:00:00Z'))).toHaveLength(WARM_UP_WEEKS);
  const started = new Date(asOf.getTime() - 15 * DAY);
  expect(warmUpInstants(asOf, null, started)).toEqual([new Date(asOf.getTime() - 2 * WEEK), new Date(asOf.getTime() - WEEK)]);
  const previous = new Date(asOf.getTime() - 3 * WEEK);
  expect(warmUpInstants(asOf, previous, started)).toEqual([new Date(asOf.getTime() - 2 * WEEK), new Date(asOf.getTime() - WEEK)]);
  expect(warmUpInstants(asOf, new Date(asOf.getTime() - 10 * DAY), new Date(0))).toEqual([new Date(asOf.getTime() - WEEK)]);
});
