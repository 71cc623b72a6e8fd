// The silence alert in the account's own rhythm, end to end: scored now, after the same six and a
// half quiet days, an account used every day gets the team alert and one used once a week does not
// (its quiet week is its habit, and a weekly alert about it would be noise); three quiet weeks are
// three of its usual gaps, and alert it too. One that comes for two days in a row once a month is a
// month into its silence at its usual gap between visits, not four gaps of a week or so: no alert.
import { OutreachLogDocument, RefreshAllDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
const NOW = Date.now();
const daysAgo = (days: number) => new Date(NOW - days * DAY).toISOString();
let server: TestServer;

/** Three users on each of `days` (days ago). */
function used(customerId: string, days: number[]) {
  return days.flatMap((day) =>
    ['u1', 'u2', 'u3'].map((userId, i) => ({
      customerId,
      eventType: 'feature_used',
      feature: `f${i}`,
      userId,
      occurredAt: daysAgo(day + i * 0.01),
    })),
  );
}

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

beforeAll(async () => {
  server = await startTestServer({ label: 'silence_rhythm', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const accounts: Record<string, number[]> = {
    cust_daily: range(6.5, 120),
    cust_weekly: range(6.5, 120, 7),
    cust_weekly_gone: range(21.5, 120, 7),
    // The last visit 30 and 31 days ago, the others 27 to 31 days apart.
    cust_monthly_pairs: [30, 58, 85, 116].flatMap((day) => [day, day + 1]),
  };
  for (const [id, days] of Object.entries(accounts)) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: daysAgo(130), arrCents: 2_400_000 } });
    const result = await server.gql(TrackEngagementBatchDocument, { events: used(id, days) });
    expect(result.trackEngagementBatch.errors).toEqual([]);
  }
  const run = await server.gql(RefreshAllDocument, {});
  expect(run.refreshAllHealthScores).toMatchObject({ status: 'SUCCEEDED', customersScored: 4 });
}, 60_000);
afterAll(() => server.stop());

async function silenceAlerts(customerId: string): Promise<string[]> {
  const log = await server.gql(OutreachLogDocument, { customerId, first: 50 });
  return log.outreachLog.edges
    .map((e) => e.node)
    .filter((a) => a.playbook === 'silence')
    .map((a) => `${a.action}/${a.status}`);
}

it('alerts the team about a daily account quiet for six days', async () => {
  expect(await silenceAlerts('cust_daily')).toEqual(['csm_alert/DECIDED']);
});

it('does not alert about a weekly account after its usual quiet days', async () => {
  expect(await silenceAlerts('cust_weekly')).toEqual([]);
});

it('does not alert about an account that comes for two days in a row once a month, a month after its last visit', async () => {
  expect(await silenceAlerts('cust_monthly_pairs')).toEqual([]);
});

it('alerts about a weekly account quiet for three weeks', async () => {
  expect(await silenceAlerts('cust_weekly_gone')).toEqual(['csm_alert/DECIDED']);
});
