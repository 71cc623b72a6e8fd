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

describe('what a ticket always has: a severity, a status, an opening, and a resolution while solved', () => {
  const ticketRow = (externalId: string) =>
    query(db, 'select * from support_ticket where customer_id = ? and external_id = ?', ['cust_tk_kept', externalId]);
  const statusChanges = (externalId: string) =>
    query(
      db,
      `select s.status, s.changed_at from support_ticket_status_change s join support_ticket t on t.id = s.ticket_id
       where t.customer_id = ? and t.external_id = ? order by s.changed_at, s.id`,
      ['cust_tk_kept', externalId],
    );
  const record = (input: Record<string, unknown>) =>
    server.request(RecordSupportTicketDocument, { input: { customerId: 'cust_tk_kept', ...input } as never });

  it('keeps the resolution of a solved ticket sent resolvedAt: null without a status, as one sent SOLVED without it', async () => {
    await createCustomer('cust_tk_kept');
    await record({ externalId: 'Z1' });
    const solved = await record({ externalId: 'Z1', status: 'SOLVED', csatRating: 3 });
    const { resolvedAt } = solved.data!.recordSupportTicket!;
    expect(resolvedAt).not.toBeNull();
    const history = await statusChanges('Z1');

    const nulled = await record({ externalId: 'Z1', resolvedAt: null });
    expect(nulled.errors).toBeUndefined();
    expect(nulled.data!.recordSupportTicket).toMatchObject({ status: 'SOLVED', resolvedAt, csatRating: 3 });
    const solvedAgain = await record({ externalId: 'Z1', status: 'SOLVED', resolvedAt: null });
    expect(solvedAgain.data!.recordSupportTicket).toMatchObject({ status: 'SOLVED', resolvedAt });
    expect(await statusChanges('Z1')).toEqual(history);

    // An open ticket has no resolution to keep; a reopening still clears one.
    const open = await record({ externalId: 'Z2', resolvedAt: null });
    expect(open.data!.recordSupportTicket).toMatchObject({ status: 'OPEN', resolvedAt: null });
    const reopened = await record({ externalId: 'Z1', status: 'PENDING', resolvedAt: null });
    expect(reopened.data!.recordSupportTicket).toMatchObject({ status: 'PENDING', resolvedAt: null });
  });

  it('refuses an explicit null for severity, status or openedAt, which cannot be cleared, naming it and writing nothing', async () => {
    await record({ externalId: 'Z3', severity: 'HIGH', openedAt: '2026-02-01T00:00:00Z' });
    const [before] = await ticketRow('Z3');
    for (const field of ['severity', 'status', 'openedAt']) {
      const response = await record({ externalId: 'Z3', subject: 'changed', [field]: null });
      expect(response.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: field });
      expect(response.errors?.[0].message).toContain('cannot be cleared');
      // Nor does one create a ticket.
      const created = await record({ externalId: `Z3-${field}`, [field]: null });
      expect(created.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: field });
    }
    expect(await ticketRow('Z3')).toEqual([before]);
    expect(await storedTickets('cust_tk_kept')).toBe(3);
  });

  it('refuses resolvedAt without a status for a ticket that is not solved, new or stored, writing nothing', async () => {
    const at = new Date(Date.now() - 3_600_000).toISOString();
    await record({ externalId: 'Z4', status: 'PENDING', openedAt: new Date(Date.now() - 86_400_000).toISOString() });
    const [before] = await ticketRow('Z4');
    const history = await statusChanges('Z4');
    const stored = await record({ externalId: 'Z4', resolvedAt: at });
    expect(stored.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'resolvedAt' });
    expect(stored.errors?.[0].message).toContain('ticket Z4 is PENDING');
    expect(await ticketRow('Z4')).toEqual([before]);
    expect(await statusChanges('Z4')).toEqual(history);
    const created = await record({ externalId: 'Z5', resolvedAt: at });
    expect(created.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'resolvedAt' });
    expect(await ticketRow('Z5')).toEqual([]);

    // With SOLVED it solves the ticket; without a status it then corrects its resolution.
    const solved = await record({ externalId: 'Z4', status: 'SOLVED', resolvedAt: at });
    expect(solved.data!.recordSupportTicket).toMatchObject({ status: 'SOLVED', resolvedAt: at });
    const earlier = new Date(Date.now() - 7_200_000).toISOString();
    const corrected = await record({ externalId: 'Z4', resolvedAt: earlier });
    expect(corrected.data!.recordSupportTicket).toMatchObject({ status: 'SOLVED', resolvedAt: earlier });
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
