// What "flagged" means in the backtest, through the API: what the worklist would list at the
// instant, so an account silent for longer than the churn window (lifecycle CHURNED by silence) is
// flagged at none of those snapshots even though its tier is the worst one (README, "Does it
// predict churn?"). An outside team recomputing recall or false alarms from the scores needs this.
import { startTestServer, TestServer } from '../helpers/server';
import { RefreshHealthScoreDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';

const DAY = 86_400_000;
let server: TestServer;
const today = Math.floor(Date.now() / DAY) * DAY;
const daysAgo = (days: number, hour = 0) => new Date(today - days * DAY + hour * 3_600_000).toISOString();

/** Daily use by three users on four features, from `fromDaysAgo` to `toDaysAgo` days ago. */
function dailyUse(id: string, fromDaysAgo: number, toDaysAgo: number) {
  const events = [];
  for (let d = fromDaysAgo; d >= toDaysAgo; d--) {
    for (let u = 0; u < 3; u++) {
      events.push({
        customerId: id,
        eventType: 'feature_used',
        feature: `f${(d + u) % 4}`,
        userId: `${id}_u${u}`,
        occurredAt: daysAgo(d, 9 + u),
      });
    }
  }
  return events;
}

beforeAll(async () => {
  server = await startTestServer({ label: 'backtest_flagged', env: { RESCORE_DEBOUNCE_MS: '0' } });
  // Both fall silent 120 days ago; one is labelled churned 30 days ago, the other never.
  await server.gql(UpsertCustomerDocument, {
    input: { id: 'cust_gone_quiet', name: 'Gone quiet', signedUpAt: daysAgo(220), churnedAt: daysAgo(30), churnReason: 'left' },
  });
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_quiet', name: 'Quiet', signedUpAt: daysAgo(220) } });
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_steady', name: 'Steady', signedUpAt: daysAgo(220) } });
  const events = [...dailyUse('cust_gone_quiet', 200, 120), ...dailyUse('cust_quiet', 200, 120), ...dailyUse('cust_steady', 200, 1)];
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
}, 60_000);
afterAll(() => server.stop());

it('flags no snapshot of an account silent for longer than the churn window, whatever its tier', async () => {
  const result = await server.request<
    {
      backtest: {
        churners: number;
        recall: Array<{ leadDays: number; churners: number; flagged: number }>;
        precision: { flaggedSnapshots: number };
        falseAlarms: { nonChurners: number; flagged: number };
        tierChurnRates: Array<{ tierKey: string; snapshots: number }>;
      };
    },
    unknown
  >(
    `query ($input: BacktestInput!) { backtest(input: $input) { churners recall { leadDays churners flagged }
       precision { flaggedSnapshots } falseAlarms { nonChurners flagged } tierChurnRates { tierKey snapshots } } }`,
    { input: { from: daysAgo(55), to: daysAgo(6), stepDays: 7, horizonDays: 7 } },
  );
  expect(result.errors).toBeUndefined();
  const report = result.data!.backtest;
  expect(report.churners).toBe(1);
  // Silent more than 60 days at every snapshot: missed, not flagged (none is 30 days before the churn).
  expect(report.recall.map((r) => [r.leadDays, r.churners, r.flagged])).toEqual([
    [7, 1, 0],
    [14, 1, 0],
    [30, 0, 0],
  ]);
  expect(report.falseAlarms).toEqual({ nonChurners: 2, flagged: 0 });
  expect(report.precision.flaggedSnapshots).toBe(0);
  // Yet the silent accounts' snapshots are in the worst tiers: the exclusion is the lifecycle's.
  const worst = report.tierChurnRates.filter((t) => t.tierKey === 'at_risk' || t.tierKey === 'critical');
  expect(worst.reduce((n, t) => n + t.snapshots, 0)).toBeGreaterThan(0);
  const scored = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_quiet', asOf: daysAgo(41) });
  expect(['at_risk', 'critical']).toContain(scored.refreshHealthScore.tier);
});
