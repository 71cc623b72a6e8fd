// An account's habit of paying its invoices late, through the API: an invoice unpaid two weeks past
// due puts a prompt payer at risk, and an account that pays three weeks late only once its invoice
// is later than that, or a month past due whatever its habit. An invoice still unpaid keeps counting
// after a later one is paid.
import { RecordPaymentDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { PaymentStatus } from '../../src/payments/payment.types';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number, hour = 12) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();

/** Invoices as [due days ago, paid days ago or null]: each card charge fails on its due date. */
async function invoices(customerId: string, list: Array<[number, number | null]>) {
  for (const [due, paid] of list) {
    const base = { customerId, amountCents: 50_000, currency: 'usd', dueAt: daysAgo(due, 6) };
    await server.gql(RecordPaymentDocument, {
      input: { ...base, externalId: `${due}_failed`, status: PaymentStatus.FAILED, occurredAt: daysAgo(due, 6) },
    });
    if (paid !== null)
      await server.gql(RecordPaymentDocument, {
        input: { ...base, externalId: `${due}_paid`, status: PaymentStatus.PAID, paidAt: daysAgo(paid, 9), occurredAt: daysAgo(paid, 9) },
      });
  }
}

async function scoreOf(customerId: string): Promise<{ tier: string; flags: string[] }> {
  const response = await server.request<
    { refreshHealthScore: { tier: string; penalties: Array<{ name: string; applied: boolean }> } },
    Record<string, never>
  >(`mutation { refreshHealthScore(customerId: "${customerId}") { tier penalties { name applied } } }`);
  expect(response.errors).toBeUndefined();
  const score = response.data!.refreshHealthScore;
  return { tier: score.tier, flags: score.penalties.filter((p) => p.applied).map((p) => p.name) };
}

beforeAll(async () => {
  server = await startTestServer({ label: 'late-payers', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const customers = ['cust_prompt', 'cust_pays_late', 'cust_pays_late_month', 'cust_paid_latest_only'];
  for (const id of customers) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: daysAgo(200), arrCents: 6_000_000, seats: 6 } });
    // A busy team of three, every day for 90 days.
    const events = Array.from({ length: 90 * 3 }, (_, i) => ({
      customerId: id,
      eventType: 'feature_used',
      feature: `f${i % 4}`,
      userId: `u${i % 3}`,
      occurredAt: daysAgo(1 + Math.floor(i / 3), 9 + (i % 3)),
    }));
    expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  }
  // Paid on time for months; the latest invoice unpaid 18 days past due.
  await invoices('cust_prompt', [
    [108, 108],
    [78, 78],
    [48, 48],
    [18, null],
  ]);
  // Paid three weeks late, and paid; the latest unpaid 18 days past due.
  await invoices('cust_pays_late', [
    [108, 87],
    [78, 57],
    [48, 48],
    [18, null],
  ]);
  // Paid one invoice seven weeks late; the latest unpaid 32 days past due: a month is late for anyone.
  await invoices('cust_pays_late_month', [
    [150, 101],
    [92, 92],
    [62, 62],
    [32, null],
  ]);
  // Paid on time, then three invoices failed; the latest of them paid late, the two before it still
  // unpaid two and three months past due.
  await invoices('cust_paid_latest_only', [
    [185, 185],
    [155, 155],
    [125, 125],
    [95, null],
    [65, null],
  ]);
  const latest = { customerId: 'cust_paid_latest_only', externalId: 'latest', amountCents: 50_000, currency: 'usd', dueAt: daysAgo(35, 6) };
  await server.gql(RecordPaymentDocument, { input: { ...latest, status: PaymentStatus.FAILED, occurredAt: daysAgo(35, 6) } });
  await server.gql(RecordPaymentDocument, { input: { ...latest, status: PaymentStatus.PAID, paidAt: daysAgo(5, 9) } });
});
afterAll(() => server.stop());

it('puts a prompt payer at risk on an invoice unpaid two weeks past due', async () => {
  const score = await scoreOf('cust_prompt');
  expect(score.flags).toContain('unpaid_invoice_penalty');
  expect(['at_risk', 'critical']).toContain(score.tier);
});

it('leaves an account that pays three weeks late healthy while its invoice is no later than that', async () => {
  expect(await scoreOf('cust_pays_late')).toEqual({ tier: 'healthy', flags: [] });
});

it('puts an account that once paid seven weeks late at risk once an invoice is a month past due', async () => {
  const score = await scoreOf('cust_pays_late_month');
  expect(score.flags).toContain('unpaid_invoice_penalty');
  expect(['at_risk', 'critical']).toContain(score.tier);
});

it('keeps costing an account its invoices unpaid two and three months past due once it has paid a later one', async () => {
  const score = await scoreOf('cust_paid_latest_only');
  // The failed streak ends at the latest payment; the invoices before it are still unpaid.
  expect(score.flags).toContain('unpaid_invoice_penalty');
  expect(score.flags).not.toContain('payment_failure_penalty');
  expect(['at_risk', 'critical']).toContain(score.tier);
});
