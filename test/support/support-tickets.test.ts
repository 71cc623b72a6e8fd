// Tests of the support-ticket module.
import { CustomerSupportTicketsDocument, RecordSupportTicketDocument } from '../__generated__/graphql';
import type { Db } from '../../src/infra/sql';
import { query } from '../../src/infra/sql';
import { useIngestionServer } from '../helpers/ingestion';
import type { TestServer } from '../helpers/server';

const context = useIngestionServer('support');
const { signalled, createCustomer } = context;
let server: TestServer;
let db: Db;
beforeAll(() => {
  ({ server, db } = context);
});
const storedTickets = (customerId: string) => context.storedRows('support_ticket', customerId);
const rescoreRequested = async (customerId: string) => (await context.rescoreRequestedAt(customerId)) !== null;

describe('recordSupportTicket', () => {
  it('creates a ticket with NORMAL severity, OPEN status and openedAt now by default, and marks the customer for rescoring', async () => {
    await createCustomer('cust_tk_new');
    signalled.length = 0;
    const before = Date.now();
    const { recordSupportTicket } = await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_tk_new', externalId: 'ZD-1', subject: '  Export is broken  ' },
    });
    expect(recordSupportTicket).toMatchObject({
      customerId: 'cust_tk_new',
      externalId: 'ZD-1',
      subject: 'Export is broken',
      severity: 'NORMAL',
      status: 'OPEN',
      csatRating: null,
      sentiment: null,
      resolvedAt: null,
    });
    expect(Date.parse(recordSupportTicket.openedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(await rescoreRequested('cust_tk_new')).toBe(true);
    expect(signalled).toHaveLength(1);
  });

  it('upserts by (customer, externalId): sent fields change, omitted ones and openedAt are kept', async () => {
    await createCustomer('cust_tk_up');
    const opened = await server.gql(RecordSupportTicketDocument, {
      input: {
        customerId: 'cust_tk_up',
        externalId: 'ZD-7',
        subject: 'Slow dashboard',
        severity: 'HIGH',
        openedAt: '2026-02-01T09:00:00Z',
        sentiment: -0.5,
      },
    });
    const solved = await server.gql(RecordSupportTicketDocument, {
      input: {
        customerId: 'cust_tk_up',
        externalId: 'ZD-7',
        status: 'SOLVED',
        csatRating: 4,
        sentiment: 0.25,
        resolvedAt: '2026-02-03T17:30:00Z',
      },
    });
    expect(solved.recordSupportTicket).toMatchObject({
      id: opened.recordSupportTicket.id,
      subject: 'Slow dashboard',
      severity: 'HIGH',
      status: 'SOLVED',
      csatRating: 4,
      sentiment: 0.25,
      openedAt: '2026-02-01T09:00:00.000Z',
      resolvedAt: '2026-02-03T17:30:00.000Z',
    });
    expect(await storedTickets('cust_tk_up')).toBe(1);

    // Reopened: an explicit null clears an optional field; a given openedAt replaces the stored one.
    const reopened = await server.gql(RecordSupportTicketDocument, {
      input: {
        customerId: 'cust_tk_up',
        externalId: 'ZD-7',
        status: 'OPEN',
        resolvedAt: null,
        subject: null,
        openedAt: '2026-02-05T00:00:00Z',
      },
    });
    expect(reopened.recordSupportTicket).toMatchObject({
      id: opened.recordSupportTicket.id,
      subject: null,
      severity: 'HIGH',
      status: 'OPEN',
      csatRating: 4,
      resolvedAt: null,
      openedAt: '2026-02-05T00:00:00.000Z',
    });
    expect(await storedTickets('cust_tk_up')).toBe(1);
  });

  it('scopes externalId to the customer', async () => {
    await createCustomer('cust_tk_other');
    await server.gql(RecordSupportTicketDocument, { input: { customerId: 'cust_tk_other', externalId: 'ZD-7' } });
    expect(await storedTickets('cust_tk_other')).toBe(1);
    expect(await storedTickets('cust_tk_up')).toBe(1);
  });

  it('accepts the bounds of csatRating (1, 5) and sentiment (−1, 1)', async () => {
    await createCustomer('cust_tk_bounds');
    const low = await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_tk_bounds', externalId: 'a', csatRating: 1, sentiment: -1 },
    });
    const high = await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_tk_bounds', externalId: 'b', csatRating: 5, sentiment: 1 },
    });
    expect(low.recordSupportTicket).toMatchObject({ csatRating: 1, sentiment: -1 });
    expect(high.recordSupportTicket).toMatchObject({ csatRating: 5, sentiment: 1 });
  });

  it('stores a sentiment too small for its column (a real) as the 0 it rounds to, and a tiny one as the nearest real', async () => {
    await createCustomer('cust_tk_tiny');
    const underflow = await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_tk_tiny', externalId: 'tiny-1', sentiment: 1e-46 },
    });
    expect(underflow.recordSupportTicket.sentiment).toBe(0);
    const subnormal = await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_tk_tiny', externalId: 'tiny-2', sentiment: -1e-40 },
    });
    expect(subnormal.recordSupportTicket.sentiment).toBeCloseTo(-1e-40, 45);
    expect(subnormal.recordSupportTicket.sentiment).toBeLessThan(0);
  });

  it('rejects bad input with BAD_USER_INPUT and an unknown customer with NOT_FOUND, writing nothing', async () => {
    await createCustomer('cust_tk_bad');
    await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_tk_bad', externalId: 'ZD-1', subject: 'Original', csatRating: 3 },
    });
    await query(db, 'delete from rescore_request where customer_id = ?', ['cust_tk_bad']);
    const [before] = await query(db, 'select * from support_ticket where customer_id = ?', ['cust_tk_bad']);
    signalled.length = 0;

    const valid = { customerId: 'cust_tk_bad', externalId: 'ZD-1' };
    const bad: Array<[string, Record<string, unknown>]> = [
      ['csat 0', { ...valid, csatRating: 0, subject: 'changed' }],
      ['csat 6', { ...valid, csatRating: 6 }],
      ['fractional csat', { ...valid, csatRating: 4.5 }],
      ['sentiment above 1', { ...valid, sentiment: 1.5 }],
      ['sentiment below −1', { ...valid, sentiment: -1.01 }],
      ['empty externalId', { ...valid, externalId: '  ' }],
      ['empty customerId', { ...valid, customerId: '' }],
      ['unknown severity', { ...valid, severity: 'CRITICAL' }],
      ['unknown status', { ...valid, status: 'CLOSED' }],
      ['unparseable openedAt', { ...valid, openedAt: 'not-a-date' }],
      ['resolved before opened', { ...valid, openedAt: '2026-02-02T00:00:00Z', resolvedAt: '2026-02-01T00:00:00Z' }],
    ];
    for (const [label, input] of bad) {
      const response = await server.request(RecordSupportTicketDocument, { input: input as never });
      expect({ label, code: response.errors?.[0].extensions?.code }).toEqual({ label, code: 'BAD_USER_INPUT' });
    }
    const unknown = await server.request(RecordSupportTicketDocument, { input: { customerId: 'cust_tk_nobody', externalId: 'ZD-1' } });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    expect(await query(db, 'select * from support_ticket where customer_id = ?', ['cust_tk_bad'])).toEqual([before]);
    expect(await storedTickets('cust_tk_nobody')).toBe(0);
    expect(await rescoreRequested('cust_tk_bad')).toBe(false);
    expect(signalled).toEqual([]);
  });
});

describe('the order of opening and resolution', () => {
  const DAY = 86_400_000;
  const daysAgo = (days: number) => new Date(Math.floor(Date.now() / DAY) * DAY - days * DAY).toISOString();
  const record = (input: Record<string, unknown>) =>
    server.request(RecordSupportTicketDocument, { input: { customerId: 'cust_tk_order', ...input } as never });

  it('opens a ticket received already resolved, without its opening, at its resolution rather than now', async () => {
    await createCustomer('cust_tk_order');
    const solved = await record({ externalId: 'ZD-8', status: 'SOLVED', resolvedAt: daysAgo(25) });
    expect(solved.errors).toBeUndefined();
    expect(solved.data!.recordSupportTicket).toMatchObject({ openedAt: daysAgo(25), resolvedAt: daysAgo(25) });
  });

  it('refuses a resolution before the opening when the two dates arrive in different calls, writing nothing', async () => {
    await record({ externalId: 'ZD-9', openedAt: daysAgo(27) });
    const [before] = await query(db, 'select * from support_ticket where customer_id = ? and external_id = ?', ['cust_tk_order', 'ZD-9']);
    const early = await record({ externalId: 'ZD-9', resolvedAt: daysAgo(31), status: 'SOLVED' });
    expect(early.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'resolvedAt' });
    // ZD-8 was resolved 25 days ago: an opening 12 days ago would come after it.
    const late = await record({ externalId: 'ZD-8', openedAt: daysAgo(12) });
    // The refusal names the date this call sent.
    expect(late.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'openedAt' });
    expect(await query(db, 'select * from support_ticket where customer_id = ? and external_id = ?', ['cust_tk_order', 'ZD-9'])).toEqual([
      before,
    ]);
    const [changes] = await query<{ n: number }>(db, 'select count(*)::int as n from support_ticket_status_change where customer_id = ?', [
      'cust_tk_order',
    ]);
    // ZD-8: OPEN then SOLVED; ZD-9: OPEN. The refused writes added none.
    expect(changes.n).toBe(3);
  });
});

describe('Customer.supportTickets', () => {
  beforeAll(async () => {
    await createCustomer('cust_tk_list');
    const statuses = ['OPEN', 'SOLVED', 'PENDING', 'OPEN', 'SOLVED', 'OPEN'] as const;
    for (const [i, status] of statuses.entries()) {
      await server.gql(RecordSupportTicketDocument, {
        input: { customerId: 'cust_tk_list', externalId: `T-${i}`, status, openedAt: `2026-05-0${i + 1}T00:00:00Z` },
      });
    }
  });

  it("pages a customer's tickets, most recently opened first", async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    do {
      const { customer } = await server.gql(CustomerSupportTicketsDocument, { id: 'cust_tk_list', first: 4, after });
      expect(customer.supportTickets.totalCount).toBe(6);
      seen.push(...customer.supportTickets.edges.map((edge) => edge.node.externalId));
      after = customer.supportTickets.pageInfo.hasNextPage ? customer.supportTickets.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(['T-5', 'T-4', 'T-3', 'T-2', 'T-1', 'T-0']);
  });

  it('filters by status', async () => {
    const open = await server.gql(CustomerSupportTicketsDocument, { id: 'cust_tk_list', status: 'OPEN', first: 2 });
    expect(open.customer.supportTickets.totalCount).toBe(3);
    expect(open.customer.supportTickets.edges.map((edge) => edge.node.externalId)).toEqual(['T-5', 'T-3']);
    const rest = await server.gql(CustomerSupportTicketsDocument, {
      id: 'cust_tk_list',
      status: 'OPEN',
      first: 2,
      after: open.customer.supportTickets.pageInfo.endCursor,
    });
    expect(rest.customer.supportTickets.edges.map((edge) => edge.node.externalId)).toEqual(['T-0']);
    const solved = await server.gql(CustomerSupportTicketsDocument, { id: 'cust_tk_list', status: 'SOLVED' });
    expect(solved.customer.supportTickets.edges.map((edge) => edge.node.externalId)).toEqual(['T-4', 'T-1']);
  });

  it('rejects a page size above 500', async () => {
    const response = await server.request(CustomerSupportTicketsDocument, { id: 'cust_tk_list', first: 501 });
    expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
