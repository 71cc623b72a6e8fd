// A score as of a past instant equals what was knowable then: a record changed after that instant
// (a failed payment paid later, a refund, a ticket escalated or rated) is read as it stood at the
// instant. Each case scores a customer whose record later changed, and its twin that holds only what
// was known at the instant, as of that instant: the two must score alike, signal for signal.
import {
  RecordPaymentDocument,
  RecordSupportTicketDocument,
  RefreshHealthScoreDocument,
  TrackEngagementBatchDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number, hour = 12) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();

/** A customer used every day of the last 90, each day a login and two features by two users. */
async function busyCustomer(id: string) {
  await server.gql(UpsertCustomerDocument, { input: { id, name: id, arrCents: 1_000_000, seats: 10, signedUpAt: daysAgo(200) } });
  const events = Array.from({ length: 90 }, (_, d) => [
    { customerId: id, eventType: 'login', userId: 'u1', occurredAt: daysAgo(d, 9) },
    { customerId: id, eventType: 'feature_used', userId: 'u2', feature: `f${d % 4}`, occurredAt: daysAgo(d, 10) },
  ]).flat();
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
}

async function scoreAsOf(customerId: string, asOf: string) {
  const { refreshHealthScore } = await server.gql(RefreshHealthScoreDocument, { customerId, asOf });
  const { score, tier, components, signals } = refreshHealthScore;
  return { score, tier, components, signals };
}

beforeAll(async () => {
  server = await startTestServer({ label: 'as_of_knowable', env: { RESCORE_DEBOUNCE_MS: '0' } });
});
afterAll(() => server.stop());

const failed = (customerId: string, n: number) => ({
  customerId,
  externalId: `inv_${n}`,
  amountCents: 50_000,
  currency: 'USD',
  status: 'FAILED' as const,
  dueAt: daysAgo(40 - 3 * n, 0),
  occurredAt: daysAgo(40 - 3 * n, 6),
});

describe('as of an instant, a record is read as it stood then', () => {
  it.each([
    ['with the date of the successful attempt', true],
    ['without a new occurredAt', false],
  ])('failed payments paid later (%s) read failed and unpaid before they were paid', async (_label, withOccurredAt) => {
    const later = `pay_later_${withOccurredAt}`;
    const twin = `pay_twin_${withOccurredAt}`;
    await busyCustomer(later);
    await busyCustomer(twin);
    for (const n of [0, 1, 2]) {
      await server.gql(RecordPaymentDocument, { input: failed(later, n) });
      await server.gql(RecordPaymentDocument, { input: failed(twin, n) });
    }
    for (const n of [0, 1, 2]) {
      await server.gql(RecordPaymentDocument, {
        input: {
          ...failed(later, n),
          status: 'PAID',
          paidAt: daysAgo(10),
          ...(withOccurredAt ? { occurredAt: daysAgo(10) } : { occurredAt: undefined }),
        },
      });
    }
    const asOf = daysAgo(20);
    const expected = await scoreAsOf(twin, asOf);
    expect(expected.score).toBeLessThan(70);
    expect(await scoreAsOf(later, asOf)).toEqual(expected);
    // Now, they are paid.
    const { signals } = await scoreAsOf(later, new Date().toISOString());
    expect(signals.find((s) => s.name === 'payment_failures')).toMatchObject({ rawValue: 0 });
    expect(signals.find((s) => s.name === 'unpaid_past_due')).toMatchObject({ rawValue: 0 });
  });

  it('a refund recorded later reads paid before it', async () => {
    await busyCustomer('refund_later');
    await busyCustomer('refund_twin');
    const paid = (customerId: string) => ({
      customerId,
      externalId: 'inv_r',
      amountCents: 50_000,
      currency: 'USD',
      status: 'PAID' as const,
      dueAt: daysAgo(30, 0),
      paidAt: daysAgo(30, 6),
      occurredAt: daysAgo(30, 6),
    });
    await server.gql(RecordPaymentDocument, { input: paid('refund_later') });
    await server.gql(RecordPaymentDocument, { input: paid('refund_twin') });
    await server.gql(RecordPaymentDocument, { input: { ...paid('refund_later'), status: 'REFUNDED', occurredAt: daysAgo(5) } });
    const asOf = daysAgo(20);
    expect(await scoreAsOf('refund_later', asOf)).toEqual(await scoreAsOf('refund_twin', asOf));
  });

  it('a ticket escalated to URGENT later reads at its earlier severity before', async () => {
    await busyCustomer('sev_later');
    await busyCustomer('sev_twin');
    for (const customerId of ['sev_later', 'sev_twin']) {
      for (const n of [1, 2, 3]) {
        await server.gql(RecordSupportTicketDocument, {
          input: { customerId, externalId: `T-${n}`, subject: 'slow', severity: 'LOW', status: 'OPEN', openedAt: daysAgo(30) },
        });
      }
    }
    for (const n of [1, 2, 3]) {
      await server.gql(RecordSupportTicketDocument, { input: { customerId: 'sev_later', externalId: `T-${n}`, severity: 'URGENT' } });
    }
    const asOf = daysAgo(20);
    expect(await scoreAsOf('sev_later', asOf)).toEqual(await scoreAsOf('sev_twin', asOf));
    // Now, they are urgent.
    const { signals } = await scoreAsOf('sev_later', new Date().toISOString());
    expect(signals.find((s) => s.name === 'urgent_tickets')).toMatchObject({ rawValue: 3 });
  });

  it('a CSAT rating given later is not counted before it', async () => {
    await busyCustomer('csat_later');
    await busyCustomer('csat_twin');
    for (const customerId of ['csat_later', 'csat_twin']) {
      for (const n of [1, 2, 3, 4, 5]) {
        await server.gql(RecordSupportTicketDocument, {
          input: {
            customerId,
            externalId: `C-${n}`,
            subject: 'broken',
            status: 'SOLVED',
            openedAt: daysAgo(30 - n),
            resolvedAt: daysAgo(29 - n),
          },
        });
      }
    }
    for (const n of [1, 2, 3, 4, 5]) {
      await server.gql(RecordSupportTicketDocument, { input: { customerId: 'csat_later', externalId: `C-${n}`, csatRating: 1 } });
    }
    const asOf = daysAgo(20);
    expect(await scoreAsOf('csat_later', asOf)).toEqual(await scoreAsOf('csat_twin', asOf));
    const { signals } = await scoreAsOf('csat_later', new Date().toISOString());
    expect(signals.find((s) => s.name === 'support_sentiment')).toMatchObject({ rawValue: 1 });
  });

  it('a plan cut later reads as the plan it had before the cut', async () => {
    await busyCustomer('plan_later');
    await busyCustomer('plan_twin');
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'plan_later', name: 'plan_later', arrCents: 300_000, seats: 3, planChangedAt: daysAgo(5) },
    });
    const asOf = daysAgo(20);
    expect(await scoreAsOf('plan_later', asOf)).toEqual(await scoreAsOf('plan_twin', asOf));
    const { signals } = await scoreAsOf('plan_later', new Date().toISOString());
    expect(signals.find((s) => s.name === 'contraction')).toMatchObject({ rawValue: 0.7 });
  });

  it('a customer without signedUpAt whose first signal, a failed payment, was paid later starts at the failure', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'start_paid_later', name: 'start_paid_later' } });
    await server.gql(RecordPaymentDocument, { input: failed('start_paid_later', 0) });
    await server.gql(RecordPaymentDocument, {
      input: { ...failed('start_paid_later', 0), status: 'PAID', paidAt: daysAgo(10), occurredAt: daysAgo(10) },
    });
    const { refreshHealthScore } = await server.gql(RefreshHealthScoreDocument, { customerId: 'start_paid_later', asOf: daysAgo(20) });
    expect(refreshHealthScore.signals.find((s) => s.name === 'unpaid_past_due')).toMatchObject({ rawValue: 1 });
  });

  it('a payment retried and failed again later reads as its first attempt before the retry', async () => {
    await busyCustomer('retry_later');
    await busyCustomer('retry_twin');
    const attempt = (customerId: string, day: number) => ({
      customerId,
      externalId: 'inv_retry',
      amountCents: 50_000,
      currency: 'USD',
      status: 'FAILED' as const,
      dueAt: daysAgo(40, 0),
      occurredAt: daysAgo(day),
    });
    await server.gql(RecordPaymentDocument, { input: attempt('retry_later', 40) });
    await server.gql(RecordPaymentDocument, { input: attempt('retry_twin', 40) });
    await server.gql(RecordPaymentDocument, { input: attempt('retry_later', 10) });
    const asOf = daysAgo(20);
    const expected = await scoreAsOf('retry_twin', asOf);
    expect(expected.signals.find((s) => s.name === 'unpaid_past_due')).toMatchObject({ rawValue: 1 });
    expect(await scoreAsOf('retry_later', asOf)).toEqual(expected);
  });

  it('an invoice given a later due date reads past due and unpaid before the new date was given', async () => {
    await busyCustomer('due_later');
    await busyCustomer('due_twin');
    await server.gql(RecordPaymentDocument, { input: failed('due_later', 0) });
    await server.gql(RecordPaymentDocument, { input: failed('due_twin', 0) });
    await server.gql(RecordPaymentDocument, { input: { ...failed('due_later', 0), occurredAt: undefined, dueAt: daysAgo(-20, 0) } });
    const asOf = daysAgo(20);
    const expected = await scoreAsOf('due_twin', asOf);
    expect(expected.signals.find((s) => s.name === 'unpaid_past_due')).toMatchObject({ rawValue: 1 });
    expect(await scoreAsOf('due_later', asOf)).toEqual(expected);
  });
});
