// A point's trend is read against the history of the time it was scored: an earlier instant scored
// afterwards relinks the next point (its previousScore) but leaves its trend as scored, and scoring
// that later instant again reads its trend against the earlier point.
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + 12 * 3_600_000).toISOString();

beforeAll(async () => {
  server = await startTestServer({ label: 'trend_after_backfill', env: { RESCORE_DEBOUNCE_MS: '0', RESCORE_SWEEP_MS: '0' } });
});
afterAll(() => server?.stop());

const gql = <T>(query: string) => server.gql<T, Record<string, never>>(query);

interface Point {
  asOf: string;
  score: number;
  previousScore: number | null;
  trend: string;
}

it('leaves a later point’s trend as scored when an earlier instant is backfilled, and reads it anew when that instant is scored again', async () => {
  await gql(`mutation { upsertCustomer(input: { id: "cust_fall", name: "Fall", signedUpAt: "${daysAgo(100)}" }) { id } }`);
  // Used daily until ten days ago, then silent: a week after a healthy point, the score has fallen.
  const events = Array.from({ length: 91 }, (_, i) => 100 - i)
    .map((d) => `{ customerId: "cust_fall", eventType: "login", userId: "u1", occurredAt: "${daysAgo(d)}" }`)
    .join(', ');
  await gql(`mutation { trackEngagementBatch(events: [${events}]) { accepted } }`);
  const score = (days: number) =>
    gql<{ refreshHealthScore: Point }>(
      `mutation { refreshHealthScore(customerId: "cust_fall", asOf: "${daysAgo(days)}") { asOf score previousScore trend } }`,
    );

  const later = (await score(1)).refreshHealthScore;
  expect(later).toMatchObject({ previousScore: null, trend: 'STABLE' });
  const earlier = (await score(8)).refreshHealthScore;
  expect(earlier.score - later.score).toBeGreaterThan(10);

  const history = async () =>
    (
      await gql<{ healthScoreHistory: { edges: Array<{ node: Point }> } }>(
        '{ healthScoreHistory(customerId: "cust_fall", first: 10) { edges { node { asOf score previousScore trend } } } }',
      )
    ).healthScoreHistory.edges.map((edge) => edge.node);
  // Relinked to the earlier point, its trend as it was scored.
  expect((await history())[0]).toEqual({ ...later, previousScore: earlier.score, trend: 'STABLE' });

  const again = (await score(1)).refreshHealthScore;
  expect(again).toEqual({ ...later, previousScore: earlier.score, trend: 'DECLINING' });
  expect((await history())[0]).toEqual(again);
  const { customer } = await gql<{ customer: { trend: string } }>('{ customer(id: "cust_fall") { trend } }');
  expect(customer.trend).toBe('DECLINING');
});
