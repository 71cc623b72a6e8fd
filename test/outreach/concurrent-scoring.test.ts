// Two live scorings of one customer at the same moment (two instances, two requests) take turns on the
// customer's row; the one whose instant came a moment earlier may commit second. Its point then lies
// before the customer's latest one: history (backfill), running no playbook: one alert, one customer email.
import {
  OutreachLogDocument,
  RecordPaymentDocument,
  RecordSupportTicketDocument,
  RefreshHealthScoreDocument,
  TrackEngagementBatchDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'concurrent_scoring', env: { RESCORE_DEBOUNCE_MS: '0' } });
});
afterAll(() => server.stop());

it('runs a playbook once when a scoring whose instant came later committed first', async () => {
  const customerId = 'cust_twice';
  const now = Date.now();
  await server.gql(UpsertCustomerDocument, {
    input: { id: customerId, name: 'Twice', signedUpAt: new Date(now - 150 * DAY).toISOString() },
  });
  const events = Array.from({ length: 90 }, (_, d) =>
    ['u1', 'u2'].map((userId) => ({
      customerId,
      eventType: 'feature_used',
      userId,
      feature: `f${d % 3}`,
      occurredAt: new Date(now - d * DAY - 3_600_000).toISOString(),
    })),
  ).flat();
  await server.gql(TrackEngagementBatchDocument, { events });
  expect(
    (await server.gql(RefreshHealthScoreDocument, { customerId, asOf: new Date(now - 2 * DAY).toISOString() })).refreshHealthScore.tier,
  ).toBe('healthy');
  for (const k of [1, 2, 3]) {
    await server.gql(RecordPaymentDocument, {
      input: {
        customerId,
        externalId: `inv_${k}`,
        amountCents: 10_000,
        currency: 'USD',
        status: 'FAILED',
        occurredAt: new Date(now - k * 3_600_000).toISOString(),
      },
    });
    await server.gql(RecordSupportTicketDocument, {
      // Open for more than a day: the urgent-ticket flag counts a ticket once it has been open a whole day.
      input: { customerId, externalId: `T-${k}`, severity: 'URGENT', openedAt: new Date(now - (24 + k) * 3_600_000).toISOString() },
    });
  }
  // The later instant commits first; the earlier one, a minute before (a live scoring, not a backfill), second.
  const later = (await server.gql(RefreshHealthScoreDocument, { customerId, asOf: new Date(now).toISOString() })).refreshHealthScore;
  const earlier = (await server.gql(RefreshHealthScoreDocument, { customerId, asOf: new Date(now - 60_000).toISOString() }))
    .refreshHealthScore;
  expect([later.tier, earlier.tier]).toEqual(['critical', 'critical']);
  const log = await server.gql(OutreachLogDocument, { customerId, first: 100 });
  const critical = log.outreachLog.edges.map((edge) => edge.node).filter((action) => action.playbook === 'critical');
  const decided = critical.filter((action) => action.status !== 'SUPPRESSED_COOLDOWN');
  expect(decided.length).toBeGreaterThan(0);
  expect(new Set(decided.map((action) => action.action)).size).toBe(decided.length);
  // The earlier point is history: not even a suppression is logged for it.
  expect(critical.filter((action) => action.status === 'SUPPRESSED_COOLDOWN')).toEqual([]);
});
