// A ticket's status history (support_ticket_status_change), recorded by recordSupportTicket, so that
// scoring as of a past instant sees the ticket as it was then: open on the days it was open, even
// once it is solved.
import { RecordSupportTicketDocument } from '../__generated__/graphql';
import type { Db } from '../../src/infra/sql';
import { query, queryOne } from '../../src/infra/sql';
import { useIngestionServer } from '../helpers/ingestion';
import type { TestServer } from '../helpers/server';

const context = useIngestionServer('support_history');
const { createCustomer } = context;
let server: TestServer;
let db: Db;
beforeAll(() => {
  ({ server, db } = context);
});

interface StatusChange {
  status: string;
  changedAt: string;
}

async function statusChanges(customerId: string, externalId: string): Promise<StatusChange[]> {
  const rows = await query<{ status: string; changedAt: Date }>(
    db,
    `select s.status, s.changed_at as "changedAt"
     from support_ticket_status_change s join support_ticket t on t.id = s.ticket_id
     where t.customer_id = ? and t.external_id = ? and s.customer_id = t.customer_id
     order by s.changed_at, s.id`,
    [customerId, externalId],
  );
  return rows.map((row) => ({ status: row.status, changedAt: new Date(row.changedAt).toISOString() }));
}

/** The ticket's status as of `at`: the status of its last change at or before then (null before it opened). */
async function statusAsOf(customerId: string, externalId: string, at: string): Promise<string | null> {
  const row = await queryOne<{ status: string }>(
    db,
    `select s.status from support_ticket_status_change s join support_ticket t on t.id = s.ticket_id
     where s.customer_id = ? and t.external_id = ? and s.changed_at <= ?::timestamptz
     order by s.changed_at desc, s.id desc limit 1`,
    [customerId, externalId, at],
  );
  return row?.status ?? null;
}

/** A just-recorded time: within a minute of the test's clock (the database's now()). */
function expectRecent(iso: string): void {
  expect(Math.abs(Date.parse(iso) - Date.now())).toBeLessThan(60_000);
}

describe('the status history of a ticket', () => {
  it('starts with the status a new ticket arrives with, at its opening', async () => {
    await createCustomer('cust_hist_new');
    await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_hist_new', externalId: 'T-1', openedAt: '2026-03-01T09:00:00Z' },
    });
    await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_hist_new', externalId: 'T-2', status: 'PENDING', openedAt: '2026-03-02T09:00:00Z' },
    });
    expect(await statusChanges('cust_hist_new', 'T-1')).toEqual([{ status: 'OPEN', changedAt: '2026-03-01T09:00:00.000Z' }]);
    expect(await statusChanges('cust_hist_new', 'T-2')).toEqual([{ status: 'PENDING', changedAt: '2026-03-02T09:00:00.000Z' }]);
  });

  it('records SOLVED at resolvedAt, and nothing for an update that keeps the status', async () => {
    await createCustomer('cust_hist_solve');
    const input = { customerId: 'cust_hist_solve', externalId: 'T-1' };
    await server.gql(RecordSupportTicketDocument, { input: { ...input, subject: 'Export broken', openedAt: '2026-04-01T09:00:00Z' } });
    await server.gql(RecordSupportTicketDocument, {
      input: { ...input, subject: 'Export broken again', severity: 'HIGH', statusChangedAt: '2026-04-02T00:00:00Z' },
    });
    await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'OPEN', sentiment: -0.5 } });
    await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'SOLVED', resolvedAt: '2026-04-03T17:00:00Z' } });
    await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'SOLVED', csatRating: 4 } });
    expect(await statusChanges('cust_hist_solve', 'T-1')).toEqual([
      { status: 'OPEN', changedAt: '2026-04-01T09:00:00.000Z' },
      { status: 'SOLVED', changedAt: '2026-04-03T17:00:00.000Z' },
    ]);
    // As of a day it was open, it is open, though it is solved now.
    expect(await statusAsOf('cust_hist_solve', 'T-1', '2026-03-31T00:00:00Z')).toBeNull();
    expect(await statusAsOf('cust_hist_solve', 'T-1', '2026-04-02T00:00:00Z')).toBe('OPEN');
    expect(await statusAsOf('cust_hist_solve', 'T-1', '2026-04-04T00:00:00Z')).toBe('SOLVED');
  });

  it('records a change without a resolution time (PENDING, or SOLVED without resolvedAt) at now', async () => {
    await createCustomer('cust_hist_now');
    const input = { customerId: 'cust_hist_now', externalId: 'T-1' };
    await server.gql(RecordSupportTicketDocument, { input: { ...input, openedAt: '2026-04-01T09:00:00Z' } });
    await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'PENDING' } });
    const solved = await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'SOLVED' } });
    const changes = await statusChanges('cust_hist_now', 'T-1');
    expect(changes.map((change) => change.status)).toEqual(['OPEN', 'PENDING', 'SOLVED']);
    expectRecent(changes[1].changedAt);
    expectRecent(changes[2].changedAt);
    // The ticket reads resolved when its SOLVED status was recorded.
    expect(solved.recordSupportTicket.resolvedAt).toBe(changes[2].changedAt);

    // Sent SOLVED again, it keeps that resolution; reopened, it has none; solved again, a new one.
    const again = await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'SOLVED', csatRating: 5 } });
    expect(again.recordSupportTicket.resolvedAt).toBe(changes[2].changedAt);
    const open = await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'OPEN' } });
    expect(open.recordSupportTicket.resolvedAt).toBeNull();
    const resolvedAgain = await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'SOLVED' } });
    const history = await statusChanges('cust_hist_now', 'T-1');
    expect(history.map((change) => change.status)).toEqual(['OPEN', 'PENDING', 'SOLVED', 'OPEN', 'SOLVED']);
    expect(resolvedAgain.recordSupportTicket.resolvedAt).toBe(history[4].changedAt);
  });

  it('resolves a ticket sent SOLVED without resolvedAt at statusChangedAt, not before its opening', async () => {
    await createCustomer('cust_hist_solved_at');
    const input = { customerId: 'cust_hist_solved_at', externalId: 'T-1' };
    await server.gql(RecordSupportTicketDocument, { input: { ...input, openedAt: '2026-04-01T09:00:00Z' } });
    const solved = await server.gql(RecordSupportTicketDocument, {
      input: { ...input, status: 'SOLVED', statusChangedAt: '2026-04-02T10:00:00Z' },
    });
    expect(solved.recordSupportTicket.resolvedAt).toBe('2026-04-02T10:00:00.000Z');
    expect(await statusChanges('cust_hist_solved_at', 'T-1')).toEqual([
      { status: 'OPEN', changedAt: '2026-04-01T09:00:00.000Z' },
      { status: 'SOLVED', changedAt: '2026-04-02T10:00:00.000Z' },
    ]);
    // A new ticket solved at a time before the opening it is given is resolved at its opening.
    const early = await server.gql(RecordSupportTicketDocument, {
      input: { ...input, externalId: 'T-2', status: 'SOLVED', openedAt: '2026-04-05T09:00:00Z', statusChangedAt: '2026-04-03T00:00:00Z' },
    });
    expect(early.recordSupportTicket.resolvedAt).toBe('2026-04-05T09:00:00.000Z');
    expect((await statusChanges('cust_hist_solved_at', 'T-2')).map((change) => change.changedAt)).toEqual([
      '2026-04-05T09:00:00.000Z',
      '2026-04-05T09:00:00.000Z',
    ]);
  });

  it('records a ticket first received already SOLVED as OPEN at its opening and SOLVED at its resolution', async () => {
    await createCustomer('cust_hist_solved');
    await server.gql(RecordSupportTicketDocument, {
      input: {
        customerId: 'cust_hist_solved',
        externalId: 'T-1',
        status: 'SOLVED',
        openedAt: '2026-05-01T08:00:00Z',
        resolvedAt: '2026-05-04T12:00:00Z',
      },
    });
    expect(await statusChanges('cust_hist_solved', 'T-1')).toEqual([
      { status: 'OPEN', changedAt: '2026-05-01T08:00:00.000Z' },
      { status: 'SOLVED', changedAt: '2026-05-04T12:00:00.000Z' },
    ]);
    expect(await statusAsOf('cust_hist_solved', 'T-1', '2026-05-02T00:00:00Z')).toBe('OPEN');

    // Without a resolution time, it is SOLVED from now.
    await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_hist_solved', externalId: 'T-2', status: 'SOLVED', openedAt: '2026-05-10T08:00:00Z' },
    });
    const changes = await statusChanges('cust_hist_solved', 'T-2');
    expect(changes[0]).toEqual({ status: 'OPEN', changedAt: '2026-05-10T08:00:00.000Z' });
    expect(changes.slice(1).map((change) => change.status)).toEqual(['SOLVED']);
    expectRecent(changes[1].changedAt);
    const [ticket] = await query<{ resolvedAt: Date }>(
      db,
      `select resolved_at as "resolvedAt" from support_ticket where customer_id = 'cust_hist_solved' and external_id = 'T-2'`,
    );
    expect(new Date(ticket.resolvedAt).toISOString()).toBe(changes[1].changedAt);
  });

  it('records a reopening at now, after which the ticket is open again', async () => {
    await createCustomer('cust_hist_reopen');
    const input = { customerId: 'cust_hist_reopen', externalId: 'T-1' };
    await server.gql(RecordSupportTicketDocument, { input: { ...input, openedAt: '2026-06-01T09:00:00Z' } });
    await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'SOLVED', resolvedAt: '2026-06-02T09:00:00Z' } });
    // Reopened without saying resolvedAt: the ticket is no longer resolved.
    const reopened = await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'OPEN' } });
    expect(reopened.recordSupportTicket.resolvedAt).toBeNull();
    const changes = await statusChanges('cust_hist_reopen', 'T-1');
    expect(changes.slice(0, 2)).toEqual([
      { status: 'OPEN', changedAt: '2026-06-01T09:00:00.000Z' },
      { status: 'SOLVED', changedAt: '2026-06-02T09:00:00.000Z' },
    ]);
    expect(changes.slice(2).map((change) => change.status)).toEqual(['OPEN']);
    expectRecent(changes[2].changedAt);
    expect(await statusAsOf('cust_hist_reopen', 'T-1', '2026-06-03T00:00:00Z')).toBe('SOLVED');
    expect(await statusAsOf('cust_hist_reopen', 'T-1', new Date(Date.now() + 60_000).toISOString())).toBe('OPEN');
  });

  it('dates a reopening loaded after the fact at its statusChangedAt, so the ticket is open on the days it was open', async () => {
    await createCustomer('cust_hist_backdated');
    const send = (input: Record<string, unknown>) =>
      server.gql(RecordSupportTicketDocument, {
        input: { customerId: 'cust_hist_backdated', externalId: 'T-1', severity: 'HIGH', ...input },
      });
    await send({ openedAt: '2026-03-01T09:00:00Z' });
    await send({ status: 'SOLVED', resolvedAt: '2026-03-05T09:00:00Z' });
    await send({ status: 'OPEN', statusChangedAt: '2026-03-08T09:00:00Z' });
    await send({ status: 'SOLVED', resolvedAt: '2026-03-12T09:00:00Z' });
    expect(await statusChanges('cust_hist_backdated', 'T-1')).toEqual([
      { status: 'OPEN', changedAt: '2026-03-01T09:00:00.000Z' },
      { status: 'SOLVED', changedAt: '2026-03-05T09:00:00.000Z' },
      { status: 'OPEN', changedAt: '2026-03-08T09:00:00.000Z' },
      { status: 'SOLVED', changedAt: '2026-03-12T09:00:00.000Z' },
    ]);
    expect(await statusAsOf('cust_hist_backdated', 'T-1', '2026-03-06T00:00:00Z')).toBe('SOLVED');
    expect(await statusAsOf('cust_hist_backdated', 'T-1', '2026-03-10T00:00:00Z')).toBe('OPEN');
    // Dated before the latest change recorded: an earlier state that arrived late, recorded at its
    // date; the ticket stays as its latest change left it.
    const late = await send({ status: 'PENDING', statusChangedAt: '2026-03-02T00:00:00Z' });
    expect(late.recordSupportTicket).toMatchObject({ status: 'SOLVED', resolvedAt: '2026-03-12T09:00:00.000Z' });
    expect(await statusAsOf('cust_hist_backdated', 'T-1', '2026-03-03T00:00:00Z')).toBe('PENDING');
    expect((await statusChanges('cust_hist_backdated', 'T-1')).at(-1)).toEqual({
      status: 'SOLVED',
      changedAt: '2026-03-12T09:00:00.000Z',
    });
  });

  it("records a resolution dated before the ticket's latest change at its date: the latest change is still the status it has", async () => {
    await createCustomer('cust_hist_late');
    const input = { customerId: 'cust_hist_late', externalId: 'T-1' };
    await server.gql(RecordSupportTicketDocument, { input: { ...input, openedAt: '2026-07-01T09:00:00Z' } });
    await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'PENDING' } });
    // Solved, as the helpdesk reports, at a time before the PENDING change was recorded.
    const solved = await server.gql(RecordSupportTicketDocument, {
      input: { ...input, status: 'SOLVED', resolvedAt: '2026-07-02T09:00:00Z' },
    });
    expect(solved.recordSupportTicket).toMatchObject({ status: 'PENDING', resolvedAt: null });
    const changes = await statusChanges('cust_hist_late', 'T-1');
    expect(changes.map((change) => change.status)).toEqual(['OPEN', 'SOLVED', 'PENDING']);
    expect(changes[1].changedAt).toBe('2026-07-02T09:00:00.000Z');
  });

  it('moves the history with a correction of the resolution, so the ticket is open on the days it now says it was', async () => {
    await createCustomer('cust_hist_redated');
    const input = { customerId: 'cust_hist_redated', externalId: 'T-1' };
    const open = { ...input, severity: 'URGENT' as const, openedAt: '2026-09-01T00:00:00Z' };
    await server.gql(RecordSupportTicketDocument, { input: { ...open, status: 'SOLVED', resolvedAt: '2026-09-05T00:00:00Z' } });
    expect(await statusAsOf('cust_hist_redated', 'T-1', '2026-09-10T00:00:00Z')).toBe('SOLVED');
    // The helpdesk corrects the resolution: it came on the 20th.
    await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'SOLVED', resolvedAt: '2026-09-20T00:00:00Z' } });
    expect(await statusChanges('cust_hist_redated', 'T-1')).toEqual([
      { status: 'OPEN', changedAt: '2026-09-01T00:00:00.000Z' },
      { status: 'SOLVED', changedAt: '2026-09-20T00:00:00.000Z' },
    ]);
    expect(await statusAsOf('cust_hist_redated', 'T-1', '2026-09-10T00:00:00Z')).toBe('OPEN');
    // And back to the 3rd: no later than the correction says.
    await server.gql(RecordSupportTicketDocument, { input: { ...input, resolvedAt: '2026-09-03T00:00:00Z' } });
    expect((await statusChanges('cust_hist_redated', 'T-1'))[1]).toEqual({ status: 'SOLVED', changedAt: '2026-09-03T00:00:00.000Z' });
  });

  it('moves the opening with a correction of openedAt, and no change stays before it', async () => {
    await createCustomer('cust_hist_reopened_at');
    const input = { customerId: 'cust_hist_reopened_at', externalId: 'T-1' };
    await server.gql(RecordSupportTicketDocument, { input: { ...input, openedAt: '2026-09-10T00:00:00Z' } });
    await server.gql(RecordSupportTicketDocument, { input: { ...input, status: 'PENDING', statusChangedAt: '2026-09-12T00:00:00Z' } });
    // Opened earlier than first reported: open on the 5th already.
    await server.gql(RecordSupportTicketDocument, { input: { ...input, openedAt: '2026-09-01T00:00:00Z' } });
    expect(await statusAsOf('cust_hist_reopened_at', 'T-1', '2026-09-05T00:00:00Z')).toBe('OPEN');
    // Opened later than that: nothing before the 15th, and the PENDING change moves with the opening.
    await server.gql(RecordSupportTicketDocument, { input: { ...input, openedAt: '2026-09-15T00:00:00Z' } });
    expect(await statusChanges('cust_hist_reopened_at', 'T-1')).toEqual([
      { status: 'OPEN', changedAt: '2026-09-15T00:00:00.000Z' },
      { status: 'PENDING', changedAt: '2026-09-15T00:00:00.000Z' },
    ]);
    expect(await statusAsOf('cust_hist_reopened_at', 'T-1', '2026-09-14T00:00:00Z')).toBeNull();
    expect(await statusAsOf('cust_hist_reopened_at', 'T-1', '2026-09-16T00:00:00Z')).toBe('PENDING');
  });

  it('dates a resolution sent with an earlier opening at its resolvedAt, not at the opening first recorded', async () => {
    await createCustomer('cust_hist_both');
    const input = { customerId: 'cust_hist_both', externalId: 'T-1' };
    // First seen without an opening date: opened now.
    await server.gql(RecordSupportTicketDocument, { input });
    // The helpdesk's full record: opened on the 2nd, solved on the 5th.
    await server.gql(RecordSupportTicketDocument, {
      input: { ...input, status: 'SOLVED', openedAt: '2026-09-02T00:00:00Z', resolvedAt: '2026-09-05T00:00:00Z' },
    });
    expect(await statusChanges('cust_hist_both', 'T-1')).toEqual([
      { status: 'OPEN', changedAt: '2026-09-02T00:00:00.000Z' },
      { status: 'SOLVED', changedAt: '2026-09-05T00:00:00.000Z' },
    ]);
  });

  it('writes no history for an unknown customer or refused input', async () => {
    const unknown = await server.request(RecordSupportTicketDocument, { input: { customerId: 'cust_hist_nobody', externalId: 'T-1' } });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    await createCustomer('cust_hist_bad');
    await server.gql(RecordSupportTicketDocument, {
      input: { customerId: 'cust_hist_bad', externalId: 'T-1', openedAt: '2026-08-01T00:00:00Z' },
    });
    const bad = await server.request(RecordSupportTicketDocument, {
      input: { customerId: 'cust_hist_bad', externalId: 'T-1', status: 'SOLVED', csatRating: 9 },
    });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const [{ count }] = await query<{ count: number }>(
      db,
      `select count(*)::int as count from support_ticket_status_change where customer_id in ('cust_hist_nobody', 'cust_hist_bad')`,
    );
    expect(count).toBe(1);
  });

  it('records a change once when several clients send it at the same time', async () => {
    await createCustomer('cust_hist_race');
    // Many writes of one ticket at once, new and existing: each must compare with the ticket as the
    // previous write left it, or two of them record the same opening or the same change.
    const send = (status: 'OPEN' | 'PENDING' | 'SOLVED') =>
      server.gql(RecordSupportTicketDocument, { input: { customerId: 'cust_hist_race', externalId: 'T-1', status } });
    await Promise.all(Array.from({ length: 8 }, () => send('OPEN')));
    await Promise.all(Array.from({ length: 8 }, () => send('PENDING')));
    await Promise.all(Array.from({ length: 8 }, () => send('SOLVED')));
    expect((await statusChanges('cust_hist_race', 'T-1')).map((change) => change.status)).toEqual(['OPEN', 'PENDING', 'SOLVED']);
  });

  it("deletes a ticket's history with its customer", async () => {
    await createCustomer('cust_hist_gone');
    await server.gql(RecordSupportTicketDocument, { input: { customerId: 'cust_hist_gone', externalId: 'T-1', status: 'SOLVED' } });
    await query(db, `delete from customer where id = 'cust_hist_gone'`);
    const [{ count }] = await query<{ count: number }>(
      db,
      `select count(*)::int as count from support_ticket_status_change where customer_id = 'cust_hist_gone'`,
    );
    expect(count).toBe(0);
  });
});
