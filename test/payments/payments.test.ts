import { CustomerPaymentsDocument, RecordPaymentDocument } from '../__generated__/graphql';
import { useIngestionServer } from '../helpers/ingestion';
import type { TestServer } from '../helpers/server';

const context = useIngestionServer('payments');
const { signalled, createCustomer } = context;
let server: TestServer;
beforeAll(() => {
  ({ server } = context);
});
const storedPayments = (customerId: string) => context.storedRows('payment', customerId);
const rescoreRequested = async (customerId: string) => (await context.rescoreRequestedAt(customerId)) !== null;

describe('recordPayment', () => {
  it('stores a payment with an upper-cased currency, marks the customer for rescoring and signals it', async () => {
    await createCustomer('cust_pay_ok');
    signalled.length = 0;
    const before = Date.now();
    const { recordPayment } = await server.gql(RecordPaymentDocument, {
      input: {
        customerId: 'cust_pay_ok',
        amountCents: 129_900,
        currency: ' eur ',
        status: 'PAID',
        dueAt: '2026-03-01T00:00:00Z',
        paidAt: '2026-03-02T08:15:00Z',
      },
    });
    expect(recordPayment).toMatchObject({
      customerId: 'cust_pay_ok',
      externalId: null,
      amountCents: 129_900,
      currency: 'EUR',
      status: 'PAID',
      dueAt: '2026-03-01T00:00:00.000Z',
      paidAt: '2026-03-02T08:15:00.000Z',
    });
    expect(Date.parse(recordPayment.occurredAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(await rescoreRequested('cust_pay_ok')).toBe(true);
    expect(signalled).toHaveLength(1);
  });

  it('takes every ISO 4217 code in use, those the runtime does not know included (CLF, UYW, VED and the funds codes)', async () => {
    await createCustomer('cust_pay_iso');
    for (const currency of ['clf', 'UYW', 'VED', 'BOV', 'CHE', 'CHW', 'COU', 'MXV', 'USN', 'UYI', 'XUA']) {
      const { recordPayment } = await server.gql(RecordPaymentDocument, {
        input: { customerId: 'cust_pay_iso', amountCents: 10_000, currency, status: 'PAID' },
      });
      expect(recordPayment.currency).toBe(currency.toUpperCase());
    }
  });

  it('stores amounts up to the largest safe integer and zero', async () => {
    await createCustomer('cust_pay_big');
    const big = await server.gql(RecordPaymentDocument, {
      input: { customerId: 'cust_pay_big', amountCents: Number.MAX_SAFE_INTEGER, currency: 'USD', status: 'PAID' },
    });
    expect(big.recordPayment.amountCents).toBe(Number.MAX_SAFE_INTEGER);
    const zero = await server.gql(RecordPaymentDocument, {
      input: { customerId: 'cust_pay_big', amountCents: 0, currency: 'USD', status: 'REFUNDED' },
    });
    expect(zero.recordPayment).toMatchObject({ amountCents: 0, status: 'REFUNDED' });
  });

  it('keeps payments without an externalId apart, even when identical', async () => {
    await createCustomer('cust_pay_plain');
    const input = {
      customerId: 'cust_pay_plain',
      amountCents: 500,
      currency: 'GBP',
      status: 'FAILED' as const,
      occurredAt: '2026-03-05T00:00:00Z',
    };
    const a = await server.gql(RecordPaymentDocument, { input });
    const b = await server.gql(RecordPaymentDocument, { input });
    expect(a.recordPayment.id).not.toBe(b.recordPayment.id);
    expect(await storedPayments('cust_pay_plain')).toBe(2);
  });

  it('upserts by (customer, externalId): a retried webhook or a status change updates the stored row', async () => {
    await createCustomer('cust_pay_upsert');
    const failed = await server.gql(RecordPaymentDocument, {
      input: {
        customerId: 'cust_pay_upsert',
        externalId: 'in_1001',
        amountCents: 9_900,
        currency: 'usd',
        status: 'FAILED',
        dueAt: '2026-03-01T00:00:00Z',
        occurredAt: '2026-03-01T06:00:00Z',
      },
    });
    const retried = await server.gql(RecordPaymentDocument, {
      input: {
        customerId: 'cust_pay_upsert',
        externalId: 'in_1001',
        amountCents: 9_900,
        currency: 'usd',
        status: 'FAILED',
        dueAt: '2026-03-01T00:00:00Z',
        occurredAt: '2026-03-01T06:00:00Z',
      },
    });
    expect(retried.recordPayment).toEqual(failed.recordPayment);

    // The later success carries no dueAt/occurredAt: the stored ones are kept.
    const paid = await server.gql(RecordPaymentDocument, {
      input: {
        customerId: 'cust_pay_upsert',
        externalId: ' in_1001 ',
        amountCents: 9_900,
        currency: 'USD',
        status: 'PAID',
        paidAt: '2026-03-04T10:00:00Z',
      },
    });
    expect(paid.recordPayment).toEqual({
      ...failed.recordPayment,
      status: 'PAID',
      paidAt: '2026-03-04T10:00:00.000Z',
    });
    expect(await storedPayments('cust_pay_upsert')).toBe(1);

    // An explicit occurredAt and an explicit null do overwrite.
    const moved = await server.gql(RecordPaymentDocument, {
      input: {
        customerId: 'cust_pay_upsert',
        externalId: 'in_1001',
        amountCents: 9_900,
        currency: 'USD',
        status: 'REFUNDED',
        occurredAt: '2026-03-10T00:00:00Z',
        paidAt: null,
      },
    });
    expect(moved.recordPayment).toMatchObject({
      id: failed.recordPayment.id,
      status: 'REFUNDED',
      occurredAt: '2026-03-10T00:00:00.000Z',
      paidAt: null,
      dueAt: '2026-03-01T00:00:00.000Z',
    });
    expect(await storedPayments('cust_pay_upsert')).toBe(1);
  });

  it('clears paidAt when a paid payment is recorded FAILED later (a reversal): a failed payment is not paid', async () => {
    await createCustomer('cust_pay_reversed');
    const input = { customerId: 'cust_pay_reversed', externalId: 'in_2001', amountCents: 4_900, currency: 'USD' };
    const paid = await server.gql(RecordPaymentDocument, {
      input: { ...input, status: 'PAID', dueAt: '2026-03-01T00:00:00Z', paidAt: '2026-03-01T09:00:00Z' },
    });
    expect(paid.recordPayment.paidAt).toBe('2026-03-01T09:00:00.000Z');
    // Dated: a payment recorded after it, dated before it, would be an earlier state arrived late.
    const reversed = await server.gql(RecordPaymentDocument, { input: { ...input, status: 'FAILED', occurredAt: '2026-03-03T09:00:00Z' } });
    expect(reversed.recordPayment).toMatchObject({ id: paid.recordPayment.id, status: 'FAILED', paidAt: null });
    // Paid again: a date must come with it, the earlier one is gone.
    const repaid = await server.gql(RecordPaymentDocument, { input: { ...input, status: 'PAID', paidAt: '2026-03-05T09:00:00Z' } });
    expect(repaid.recordPayment).toMatchObject({ status: 'PAID', paidAt: '2026-03-05T09:00:00.000Z' });
  });

  it('accepts a dueAt up to ten years ahead, and refuses one a few days past them', async () => {
    await createCustomer('cust_pay_due_ahead');
    const inYears = (years: number, days: number) => {
      const at = new Date();
      at.setUTCFullYear(at.getUTCFullYear() + years);
      return new Date(at.getTime() + days * 86_400_000).toISOString();
    };
    const input = { customerId: 'cust_pay_due_ahead', amountCents: 100, currency: 'USD', status: 'PAID' as const };
    const accepted = await server.gql(RecordPaymentDocument, { input: { ...input, externalId: 'in_ten_years', dueAt: inYears(10, -1) } });
    expect(accepted.recordPayment.customerId).toBe('cust_pay_due_ahead');
    const refused = await server.request(RecordPaymentDocument, { input: { ...input, externalId: 'in_past_ten', dueAt: inYears(10, 5) } });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'dueAt' });
    expect(await storedPayments('cust_pay_due_ahead')).toBe(1);
  });

  it('gives a payment recorded PAID without paidAt a paid date: the one it has, else when PAID is recorded', async () => {
    await createCustomer('cust_pay_dated');
    const record = async (input: Record<string, unknown>) =>
      (
        await server.gql(RecordPaymentDocument, {
          input: { customerId: 'cust_pay_dated', amountCents: 4_900, currency: 'USD', ...input } as never,
        })
      ).recordPayment;
    // A failed invoice paid later, sent PAID without a date: paid when that is recorded.
    await record({ externalId: 'in_1', status: 'FAILED', dueAt: '2026-03-01T00:00:00Z', occurredAt: '2026-03-01T00:00:00Z' });
    const before = Date.now();
    const paid = await record({ externalId: 'in_1', status: 'PAID' });
    expect(paid.status).toBe('PAID');
    expect(Date.parse(paid.paidAt!)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(paid.paidAt!)).toBeLessThanOrEqual(Date.now());
    // Sent again, PAID without a date (left out or null) keeps the date it has.
    expect(await record({ externalId: 'in_1', status: 'PAID' })).toEqual(paid);
    expect(await record({ externalId: 'in_1', status: 'PAID', paidAt: null })).toEqual(paid);

    // With the attempt's occurredAt, paid then; a new payment made without a date, at its attempt.
    await record({ externalId: 'in_2', status: 'FAILED', occurredAt: '2026-03-01T00:00:00Z' });
    const retried = await record({ externalId: 'in_2', status: 'PAID', occurredAt: '2026-03-04T00:00:00Z' });
    expect(retried).toMatchObject({ status: 'PAID', paidAt: '2026-03-04T00:00:00.000Z', occurredAt: '2026-03-04T00:00:00.000Z' });
    const made = await record({ externalId: 'in_3', status: 'PAID', paidAt: null, occurredAt: '2026-03-05T00:00:00Z' });
    expect(made).toMatchObject({ paidAt: '2026-03-05T00:00:00.000Z' });
    const undated = await record({ status: 'PAID' });
    expect(undated.paidAt).toBe(undated.occurredAt);
    // A refund keeps the date it was paid; null clears it there, as it may for a payment not made.
    expect(await record({ externalId: 'in_3', status: 'REFUNDED' })).toMatchObject({ paidAt: '2026-03-05T00:00:00.000Z' });
    expect(await record({ externalId: 'in_3', status: 'REFUNDED', paidAt: null })).toMatchObject({ paidAt: null });
  });

  it('scopes externalId to the customer', async () => {
    await createCustomer('cust_pay_other');
    const other = await server.gql(RecordPaymentDocument, {
      input: { customerId: 'cust_pay_other', externalId: 'in_1001', amountCents: 1, currency: 'USD', status: 'PAID' },
    });
    expect(other.recordPayment.customerId).toBe('cust_pay_other');
    expect(await storedPayments('cust_pay_other')).toBe(1);
    expect(await storedPayments('cust_pay_upsert')).toBe(1);
  });

  it('rejects bad input with BAD_USER_INPUT and an unknown customer with NOT_FOUND, writing nothing', async () => {
    await createCustomer('cust_pay_bad');
    signalled.length = 0;
    const valid = { customerId: 'cust_pay_bad', amountCents: 100, currency: 'USD', status: 'PAID' };
    const bad: Array<[string, Record<string, unknown>]> = [
      ['negative amount', { ...valid, amountCents: -1 }],
      ['fractional amount', { ...valid, amountCents: 10.5 }],
      ['amount beyond a safe integer', { ...valid, amountCents: 2 ** 53 }],
      ['four-letter currency', { ...valid, currency: 'EURO' }],
      ['currency with a digit', { ...valid, currency: 'E1R' }],
      ['a currency that does not exist', { ...valid, currency: 'XYZ' }],
      ['unknown status', { ...valid, status: 'LATE' }],
      ['empty customerId', { ...valid, customerId: '' }],
      ['blank externalId', { ...valid, externalId: '  ' }],
      ['unparseable dueAt', { ...valid, dueAt: 'not-a-date' }],
      ['unparseable occurredAt', { ...valid, occurredAt: '2026-13-45T99:00:00Z' }],
      ['a failed payment paid', { ...valid, status: 'FAILED', paidAt: '2026-03-02T00:00:00Z' }],
      ['occurredAt cleared', { ...valid, occurredAt: null }],
    ];
    for (const [label, input] of bad) {
      const response = await server.request(RecordPaymentDocument, { input: input as never });
      expect({ label, code: response.errors?.[0].extensions?.code }).toEqual({ label, code: 'BAD_USER_INPUT' });
    }
    const unknown = await server.request(RecordPaymentDocument, { input: { ...valid, customerId: 'cust_pay_nobody' } as never });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    expect(await storedPayments('cust_pay_bad')).toBe(0);
    expect(await storedPayments('cust_pay_nobody')).toBe(0);
    expect(await rescoreRequested('cust_pay_bad')).toBe(false);
    expect(signalled).toEqual([]);
  });
});

describe('Customer.payments', () => {
  it("pages a customer's payments newest first", async () => {
    await createCustomer('cust_pay_list');
    for (let day = 1; day <= 5; day++) {
      await server.gql(RecordPaymentDocument, {
        input: {
          customerId: 'cust_pay_list',
          externalId: `in_${day}`,
          amountCents: day * 100,
          currency: 'EUR',
          status: day === 3 ? 'FAILED' : 'PAID',
          occurredAt: `2026-0${day}-01T00:00:00Z`,
        },
      });
    }
    const first = await server.gql(CustomerPaymentsDocument, { id: 'cust_pay_list', first: 2 });
    expect(first.customer.payments.totalCount).toBe(5);
    expect(first.customer.payments.edges.map((edge) => edge.node.externalId)).toEqual(['in_5', 'in_4']);
    const second = await server.gql(CustomerPaymentsDocument, {
      id: 'cust_pay_list',
      first: 2,
      after: first.customer.payments.pageInfo.endCursor,
    });
    expect(second.customer.payments.edges.map((edge) => edge.node.externalId)).toEqual(['in_3', 'in_2']);
    const third = await server.gql(CustomerPaymentsDocument, {
      id: 'cust_pay_list',
      first: 2,
      after: second.customer.payments.pageInfo.endCursor,
    });
    expect(third.customer.payments.edges.map((edge) => edge.node.externalId)).toEqual(['in_1']);
    expect(third.customer.payments.pageInfo.hasNextPage).toBe(false);
  });

  it('rejects a page size above 500', async () => {
    const response = await server.request(CustomerPaymentsDocument, { id: 'cust_pay_list', first: 501 });
    expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
