// Billing webhooks arrive out of order: a change dated before a payment's current state is an earlier
// state that arrived late. The payment keeps its current state, and scoring as of the days the late
// state held reads it.
import { CustomerPaymentsDocument, RecordPaymentDocument } from '../__generated__/graphql';
import type { PaymentInput } from '../__generated__/graphql';
import { query } from '../../src/infra/sql';
import { recordPayment } from '../../src/payments/payment.service';
import { PaymentStatus } from '../../src/payments/payment.types';
import { gatherMetrics } from '../../src/scoring/gather-metrics.sql';
import type { MetricKind, MetricRequest, MetricValues } from '../../src/scoring/model';
import { useIngestionServer } from '../helpers/ingestion';
import type { TestServer } from '../helpers/server';

const context = useIngestionServer('late_payments');
const { createCustomer } = context;
let server: TestServer;
beforeAll(() => {
  ({ server } = context);
});

const REQUESTS: MetricRequest[] = (
  [
    ['failed_invoice_streak', 90],
    ['payment_failure_streak', 90],
    ['late_payments', 90],
    ['unpaid_past_due', 60],
  ] as Array<[MetricKind, number]>
).map(([metric, windowDays]) => ({ metric, windowDays, key: metric }));

/** The payment metrics of a customer as of `asOf`, as scoring gathers them. */
async function metricsAsOf(customerId: string, asOf: string): Promise<MetricValues> {
  const gathered = await gatherMetrics(context.db, [customerId], new Date(asOf), REQUESTS);
  return gathered.get(customerId)!.metrics;
}

/** The payment's earlier states in the order scoring reads them, as `STATUS until <ended_at>`. */
async function earlierStates(customerId: string, externalId: string): Promise<string[]> {
  const rows = await query<{ status: string; endedAt: Date }>(
    context.db,
    `select e.status, e.ended_at as "endedAt" from payment_earlier_state e join payment p on p.id = e.payment_id
     where p.customer_id = ? and p.external_id = ? order by e.ended_at, e.id`,
    [customerId, externalId],
  );
  return rows.map((row) => `${row.status} until ${new Date(row.endedAt).toISOString()}`);
}

function sender(customerId: string, externalId: string) {
  return async (input: Partial<PaymentInput>) =>
    (
      await server.gql(RecordPaymentDocument, {
        input: { customerId, externalId, amountCents: 9_900, currency: 'usd', status: 'PAID', ...input },
      })
    ).recordPayment;
}

describe('a payment change that arrives after a later one', () => {
  it('leaves a paid invoice paid when its earlier failure arrives late, and reads it failed on the days between', async () => {
    await createCustomer('cust_ooo');
    const send = sender('cust_ooo', 'in_9');
    const paid = await send({ status: 'PAID', dueAt: '2026-12-01T00:00:00Z', paidAt: '2026-12-03T00:00:00Z' });
    const late = await send({ status: 'FAILED', occurredAt: '2026-12-01T00:00:00Z' });
    // The answer is the payment as it stands: paid on the 3rd.
    expect(late).toEqual(paid);
    const listed = await server.gql(CustomerPaymentsDocument, { id: 'cust_ooo' });
    expect(listed.customer.payments.edges.map((edge) => edge.node)).toEqual([paid]);
    // Failed from the 1st until it was paid on the 3rd.
    expect(await earlierStates('cust_ooo', 'in_9')).toEqual([
      'PAID until 2026-12-01T00:00:00.000Z',
      'FAILED until 2026-12-03T00:00:00.000Z',
    ]);

    const now = new Date().toISOString();
    expect(await metricsAsOf('cust_ooo', now)).toEqual({
      failed_invoice_streak: 0,
      payment_failure_streak: 0,
      late_payments: 0,
      unpaid_past_due: 0,
    });
    expect(await metricsAsOf('cust_ooo', '2026-12-02T12:00:00Z')).toMatchObject({
      failed_invoice_streak: 1,
      payment_failure_streak: 1,
      late_payments: 1,
    });
    expect(await metricsAsOf('cust_ooo', '2026-11-30T12:00:00Z')).toMatchObject({ failed_invoice_streak: 0, late_payments: 0 });

    // The changes feed lists no failure of a paid invoice.
    const changes = await server.request<{ changes: { edges: Array<{ node: { kind: string } }> } }, Record<string, never>>(
      '{ changes(since: "2026-11-01T00:00:00Z") { edges { node { kind customerId } } } }',
    );
    expect(changes.data!.changes.edges.filter((edge) => edge.node.kind === 'PAYMENT_FAILED')).toEqual([]);
  });

  it('records the same late change once, however often it is sent', async () => {
    await createCustomer('cust_ooo_twice');
    const send = sender('cust_ooo_twice', 'in_1');
    await send({ status: 'PAID', dueAt: '2026-12-01T00:00:00Z', paidAt: '2026-12-03T00:00:00Z' });
    const late = { status: 'FAILED' as const, occurredAt: '2026-12-01T00:00:00Z' };
    await send(late);
    const once = await earlierStates('cust_ooo_twice', 'in_1');
    await send(late);
    await send(late);
    expect(await earlierStates('cust_ooo_twice', 'in_1')).toEqual(once);
  });

  it('places each of several late changes on its own days, the latest-dated one the payment as it stands', async () => {
    // Failed on the 20th; then arrive its payment of the 10th and a failure of the 5th, both earlier.
    await createCustomer('cust_ooo_three');
    const send = sender('cust_ooo_three', 'in_1');
    const dueAt = '2026-11-05T00:00:00Z';
    const failed = await send({ status: 'FAILED', dueAt, occurredAt: '2026-11-20T00:00:00Z' });
    expect(await send({ status: 'PAID', paidAt: '2026-11-10T00:00:00Z' })).toEqual(failed);
    expect(await send({ status: 'FAILED', occurredAt: '2026-11-05T00:00:00Z' })).toEqual(failed);
    expect(await earlierStates('cust_ooo_three', 'in_1')).toEqual([
      'FAILED until 2026-11-05T00:00:00.000Z',
      'FAILED until 2026-11-10T00:00:00.000Z',
      'PAID until 2026-11-20T00:00:00.000Z',
    ]);
    // Failed (the attempt of the 5th) until paid on the 10th, paid until it failed again on the 20th.
    expect(await metricsAsOf('cust_ooo_three', '2026-11-07T00:00:00Z')).toMatchObject({ payment_failure_streak: 1, unpaid_past_due: 1 });
    expect(await metricsAsOf('cust_ooo_three', '2026-11-15T00:00:00Z')).toMatchObject({ payment_failure_streak: 0, unpaid_past_due: 0 });
    expect(await metricsAsOf('cust_ooo_three', '2026-11-21T00:00:00Z')).toMatchObject({ payment_failure_streak: 1, unpaid_past_due: 1 });
  });

  it('applies a change dated at or after the current state, or undated, as before: the latest one is the payment', async () => {
    await createCustomer('cust_in_order');
    const send = sender('cust_in_order', 'in_1');
    await send({ status: 'FAILED', dueAt: '2026-11-01T00:00:00Z', occurredAt: '2026-11-01T00:00:00Z' });
    const paid = await send({ status: 'PAID', paidAt: '2026-11-04T00:00:00Z' });
    expect(paid).toMatchObject({ status: 'PAID', paidAt: '2026-11-04T00:00:00.000Z', occurredAt: '2026-11-01T00:00:00.000Z' });
    // At the very instant of the current state: a change of it, not a late one.
    const refunded = await send({ status: 'REFUNDED', occurredAt: '2026-11-04T00:00:00Z' });
    expect(refunded).toMatchObject({ status: 'REFUNDED', occurredAt: '2026-11-04T00:00:00.000Z' });
    // Undated: now, after everything recorded.
    const failed = await send({ status: 'FAILED' });
    expect(failed).toMatchObject({ status: 'FAILED', paidAt: null });
    expect((await earlierStates('cust_in_order', 'in_1')).map((state) => state.split(' ')[0])).toEqual(['FAILED', 'PAID', 'REFUNDED']);
  });

  it('reads a failed payment sent PAID without paidAt unpaid until it was recorded paid, and paid after', async () => {
    await createCustomer('cust_paid_undated');
    const send = sender('cust_paid_undated', 'in_1');
    const dueAt = '2026-11-01T00:00:00Z';
    await send({ status: 'FAILED', dueAt, occurredAt: '2026-11-01T00:00:00Z' });
    const paid = await send({ status: 'PAID' });
    // The failure ended at the very instant the payment reads paid.
    expect(await earlierStates('cust_paid_undated', 'in_1')).toEqual([`FAILED until ${paid.paidAt}`]);
    const paidAt = Date.parse(paid.paidAt!);
    expect(await metricsAsOf('cust_paid_undated', new Date(paidAt - 1).toISOString())).toMatchObject({
      payment_failure_streak: 1,
      unpaid_past_due: 1,
    });
    // (An instant recorded now is stored to the microsecond, and answered to the millisecond.)
    expect(await metricsAsOf('cust_paid_undated', new Date(paidAt + 1).toISOString())).toMatchObject({
      payment_failure_streak: 0,
      unpaid_past_due: 0,
    });

    // A late payment without a date (its occurredAt before the state it would end) was paid then.
    await createCustomer('cust_paid_late');
    const late = sender('cust_paid_late', 'in_1');
    const failed = await late({ status: 'FAILED', dueAt, occurredAt: '2026-11-20T00:00:00Z' });
    expect(await late({ status: 'PAID', occurredAt: '2026-11-10T00:00:00Z' })).toEqual(failed);
    const rows = await query<{ status: string; paidAt: Date | null }>(
      context.db,
      `select e.status, e.paid_at as "paidAt" from payment_earlier_state e join payment p on p.id = e.payment_id
       where p.customer_id = ? order by e.ended_at, e.id`,
      ['cust_paid_late'],
    );
    expect(rows.map((row) => [row.status, row.paidAt && new Date(row.paidAt).toISOString()])).toEqual([
      ['FAILED', null],
      ['PAID', '2026-11-10T00:00:00.000Z'],
    ]);
    expect(await metricsAsOf('cust_paid_late', '2026-11-15T00:00:00Z')).toMatchObject({ payment_failure_streak: 0, unpaid_past_due: 0 });
  });

  it('refuses a caller without read that selects what the late change does not decide, writing nothing', async () => {
    await createCustomer('cust_ooo_ingest');
    const send = sender('cust_ooo_ingest', 'in_1');
    await send({ status: 'PAID', dueAt: '2026-12-01T00:00:00Z', paidAt: '2026-12-03T00:00:00Z' });
    const input = {
      customerId: 'cust_ooo_ingest',
      externalId: 'in_1',
      amountCents: 9_900,
      currency: 'usd',
      status: PaymentStatus.FAILED,
      occurredAt: new Date('2026-12-01T00:00:00Z'),
    };
    // An ingest-only key: the status it sends is not the one the answer would show.
    const pipeline = (selected: string[]) => ({ mayReadStored: false, selected: new Set(selected) });
    await expect(recordPayment(context.db, null, input, new Date(), pipeline(['id', 'status']))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await earlierStates('cust_ooo_ingest', 'in_1')).toEqual([]);
    // Its identity only: recorded.
    const answer = await recordPayment(context.db, null, input, new Date(), pipeline(['id', 'externalId']));
    expect(answer.status).toBe('PAID');
    expect(await earlierStates('cust_ooo_ingest', 'in_1')).toHaveLength(2);
  });
});
