// Helpdesk webhooks arrive out of order: a ticket change dated before the ticket's current state is
// an earlier state that arrived late. The ticket keeps its current state; its status history (and
// severity and rating) read the late state on the days it held, so scoring as of then does too.
import { RecordSupportTicketDocument } from '../__generated__/graphql';
import type { SupportTicketInput } from '../__generated__/graphql';
import { query } from '../../src/infra/sql';
import { gatherMetrics } from '../../src/scoring/gather-metrics.sql';
import type { MetricKind, MetricRequest, MetricValues } from '../../src/scoring/model';
import { recordSupportTicket } from '../../src/support/support-ticket.service';
import { SupportTicketStatus } from '../../src/support/support-ticket.types';
import { useIngestionServer } from '../helpers/ingestion';
import type { TestServer } from '../helpers/server';

const context = useIngestionServer('late_tickets');
const { createCustomer } = context;
let server: TestServer;
beforeAll(() => {
  ({ server } = context);
});

const REQUESTS: MetricRequest[] = (
  [
    ['urgent_tickets_open_throughout', 1],
    ['urgent_open_tickets', 30],
    ['open_tickets', 30],
  ] as Array<[MetricKind, number]>
).map(([metric, windowDays]) => ({ metric, windowDays, key: metric }));

async function metricsAsOf(customerId: string, asOf: string): Promise<MetricValues> {
  return (await gatherMetrics(context.db, [customerId], new Date(asOf), REQUESTS)).get(customerId)!.metrics;
}

/** The ticket's status history in the order scoring reads it, as `STATUS at <changed_at>`. */
async function statusChanges(customerId: string, externalId: string): Promise<string[]> {
  const rows = await query<{ status: string; changedAt: Date }>(
    context.db,
    `select s.status, s.changed_at as "changedAt" from support_ticket_status_change s join support_ticket t on t.id = s.ticket_id
     where t.customer_id = ? and t.external_id = ? order by s.changed_at, s.id`,
    [customerId, externalId],
  );
  return rows.map((row) => `${row.status} at ${new Date(row.changedAt).toISOString()}`);
}

/** The ticket's earlier severities and ratings in the order scoring reads them. */
async function earlierStates(customerId: string, externalId: string): Promise<string[]> {
  const rows = await query<{ severity: string; csatRating: number | null; endedAt: Date }>(
    context.db,
    `select e.severity, e.csat_rating as "csatRating", e.ended_at as "endedAt" from support_ticket_earlier_state e
     join support_ticket t on t.id = e.ticket_id where t.customer_id = ? and t.external_id = ? order by e.ended_at, e.id`,
    [customerId, externalId],
  );
  return rows.map((row) => `${row.severity}/${row.csatRating} until ${new Date(row.endedAt).toISOString()}`);
}

/** Whether the default model's urgent-ticket red flag costs the customer points as of `asOf`. */
async function urgentFlagAsOf(customerId: string, asOf: string): Promise<boolean> {
  const response = await server.request<
    { refreshHealthScore: { penalties: Array<{ name: string; applied: boolean }> } },
    { asOf: string; customerId: string }
  >(
    'mutation($asOf: DateTime, $customerId: ID!) { refreshHealthScore(asOf: $asOf, customerId: $customerId) { penalties { name applied } } }',
    {
      asOf,
      customerId,
    },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.refreshHealthScore.penalties.some((penalty) => penalty.name === 'urgent_ticket_penalty' && penalty.applied);
}

function sender(customerId: string, externalId: string) {
  return async (input: Partial<SupportTicketInput>) =>
    (await server.gql(RecordSupportTicketDocument, { input: { customerId, externalId, ...input } })).recordSupportTicket;
}

describe('a ticket change that arrives after a later one', () => {
  it('leaves a solved ticket solved when its earlier move to PENDING arrives late, and reads it open on the days between', async () => {
    await createCustomer('cust_ooo_ticket');
    const send = sender('cust_ooo_ticket', 'A');
    await send({ severity: 'URGENT', status: 'OPEN', openedAt: '2026-11-01T00:00:00Z' });
    const solved = await send({ status: 'SOLVED', resolvedAt: '2026-11-10T00:00:00Z' });
    const late = await send({ status: 'PENDING', statusChangedAt: '2026-11-05T00:00:00Z' });
    // The answer is the ticket as it stands: solved on the 10th.
    expect(late).toEqual(solved);
    expect(late).toMatchObject({ status: 'SOLVED', resolvedAt: '2026-11-10T00:00:00.000Z' });
    expect(await statusChanges('cust_ooo_ticket', 'A')).toEqual([
      'OPEN at 2026-11-01T00:00:00.000Z',
      'PENDING at 2026-11-05T00:00:00.000Z',
      'SOLVED at 2026-11-10T00:00:00.000Z',
    ]);

    const now = new Date().toISOString();
    expect(await metricsAsOf('cust_ooo_ticket', now)).toEqual({
      urgent_tickets_open_throughout: 0,
      urgent_open_tickets: 0,
      open_tickets: 0,
    });
    expect(await metricsAsOf('cust_ooo_ticket', '2026-11-07T00:00:00Z')).toEqual({
      urgent_tickets_open_throughout: 1,
      urgent_open_tickets: 1,
      open_tickets: 1,
    });
    expect(await metricsAsOf('cust_ooo_ticket', '2026-11-12T00:00:00Z')).toEqual({
      urgent_tickets_open_throughout: 0,
      urgent_open_tickets: 0,
      open_tickets: 0,
    });
    expect(await urgentFlagAsOf('cust_ooo_ticket', '2026-11-12T00:00:00Z')).toBe(false);
    expect(await urgentFlagAsOf('cust_ooo_ticket', now)).toBe(false);
    expect(await urgentFlagAsOf('cust_ooo_ticket', '2026-11-07T00:00:00Z')).toBe(true);
  });

  it('applies a reopening dated after the last status change though a rating was recorded later, and a resolution after it', async () => {
    await createCustomer('cust_ooo_reopen');
    const send = sender('cust_ooo_reopen', 'A');
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    await send({ severity: 'URGENT', status: 'OPEN', openedAt: day(10) });
    await send({ status: 'SOLVED', resolvedAt: day(6) });
    // Rated without a date: recorded now, after the reopening below.
    await send({ csatRating: 2 });
    const reopened = await send({ status: 'OPEN', statusChangedAt: day(4) });
    expect(reopened).toMatchObject({ status: 'OPEN', resolvedAt: null });
    expect((await statusChanges('cust_ooo_reopen', 'A')).map((change) => change.split(' ')[0])).toEqual(['OPEN', 'SOLVED', 'OPEN']);
    expect(await send({ status: 'SOLVED', resolvedAt: day(2) })).toMatchObject({ status: 'SOLVED' });
    expect((await statusChanges('cust_ooo_reopen', 'A')).map((change) => change.split(' ')[0])).toEqual([
      'OPEN',
      'SOLVED',
      'OPEN',
      'SOLVED',
    ]);
    expect(await metricsAsOf('cust_ooo_reopen', new Date().toISOString())).toMatchObject({ open_tickets: 0, urgent_open_tickets: 0 });
  });

  it('moves the resolution of a solved ticket sent SOLVED with an earlier resolvedAt (a correction), as before', async () => {
    await createCustomer('cust_ooo_correct');
    const send = sender('cust_ooo_correct', 'A');
    await send({ status: 'OPEN', openedAt: '2026-11-01T00:00:00Z' });
    await send({ status: 'SOLVED', resolvedAt: '2026-11-10T00:00:00Z' });
    expect(await send({ status: 'SOLVED', resolvedAt: '2026-11-08T00:00:00Z' })).toMatchObject({
      status: 'SOLVED',
      resolvedAt: '2026-11-08T00:00:00.000Z',
    });
    expect(await statusChanges('cust_ooo_correct', 'A')).toEqual([
      'OPEN at 2026-11-01T00:00:00.000Z',
      'SOLVED at 2026-11-08T00:00:00.000Z',
    ]);
  });

  it('records the same late change once, however often it is sent', async () => {
    await createCustomer('cust_ooo_ticket_twice');
    const send = sender('cust_ooo_ticket_twice', 'A');
    await send({ severity: 'HIGH', status: 'OPEN', openedAt: '2026-11-01T00:00:00Z' });
    await send({ status: 'SOLVED', resolvedAt: '2026-11-10T00:00:00Z' });
    const late = { status: 'PENDING' as const, severity: 'URGENT' as const, statusChangedAt: '2026-11-05T00:00:00Z' };
    await send(late);
    const history = [await statusChanges('cust_ooo_ticket_twice', 'A'), await earlierStates('cust_ooo_ticket_twice', 'A')];
    await send(late);
    await send(late);
    expect([await statusChanges('cust_ooo_ticket_twice', 'A'), await earlierStates('cust_ooo_ticket_twice', 'A')]).toEqual(history);
    expect(history[0]).toHaveLength(3);
  });

  it('keeps the severity and rating of a late change until the next recorded change, the ticket keeping its own', async () => {
    await createCustomer('cust_ooo_severity');
    const send = sender('cust_ooo_severity', 'A');
    await send({ severity: 'NORMAL', status: 'OPEN', openedAt: '2026-11-01T00:00:00Z' });
    await send({ status: 'PENDING', statusChangedAt: '2026-11-08T00:00:00Z' });
    const solved = await send({ status: 'SOLVED', resolvedAt: '2026-11-10T00:00:00Z', csatRating: 4 });
    // Escalated on the 5th, the webhook arriving after the resolution: urgent from the 5th to the PENDING of the 8th.
    expect(await send({ severity: 'URGENT', csatRating: 1, statusChangedAt: '2026-11-05T00:00:00Z' })).toEqual(solved);
    expect(solved).toMatchObject({ severity: 'NORMAL', csatRating: 4 });
    expect(await earlierStates('cust_ooo_severity', 'A')).toEqual([
      'NORMAL/null until 2026-11-05T00:00:00.000Z',
      'URGENT/1 until 2026-11-08T00:00:00.000Z',
      'NORMAL/null until 2026-11-10T00:00:00.000Z',
    ]);
    expect(await metricsAsOf('cust_ooo_severity', '2026-11-06T00:00:00Z')).toMatchObject({ urgent_open_tickets: 1 });
    expect(await metricsAsOf('cust_ooo_severity', '2026-11-09T00:00:00Z')).toMatchObject({ urgent_open_tickets: 0, open_tickets: 1 });
  });

  it('applies a change dated at or after the current state, or undated, as before', async () => {
    await createCustomer('cust_ticket_in_order');
    const send = sender('cust_ticket_in_order', 'A');
    await send({ severity: 'HIGH', openedAt: '2026-11-01T00:00:00Z' });
    await send({ status: 'SOLVED', resolvedAt: '2026-11-10T00:00:00Z' });
    // At the very instant of the resolution: a change of the ticket, not a late one.
    expect(await send({ status: 'PENDING', statusChangedAt: '2026-11-10T00:00:00Z' })).toMatchObject({
      status: 'PENDING',
      resolvedAt: null,
    });
    expect(await send({ status: 'OPEN', subject: 'Still broken' })).toMatchObject({ status: 'OPEN', subject: 'Still broken' });
    expect((await statusChanges('cust_ticket_in_order', 'A')).map((change) => change.split(' ')[0])).toEqual([
      'OPEN',
      'SOLVED',
      'PENDING',
      'OPEN',
    ]);
  });

  it('refuses a caller without read that selects what the late change does not decide, writing nothing', async () => {
    await createCustomer('cust_ooo_ticket_ingest');
    const send = sender('cust_ooo_ticket_ingest', 'A');
    await send({ status: 'OPEN', openedAt: '2026-11-01T00:00:00Z' });
    await send({ status: 'SOLVED', resolvedAt: '2026-11-10T00:00:00Z' });
    const input = {
      customerId: 'cust_ooo_ticket_ingest',
      externalId: 'A',
      status: SupportTicketStatus.PENDING,
      statusChangedAt: new Date('2026-11-05T00:00:00Z'),
    };
    const pipeline = (selected: string[]) => ({ mayReadStored: false, selected: new Set(selected) });
    await expect(recordSupportTicket(context.db, null, input, new Date(), pipeline(['id', 'status']))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await statusChanges('cust_ooo_ticket_ingest', 'A')).toHaveLength(2);
    const answer = await recordSupportTicket(context.db, null, input, new Date(), pipeline(['id', 'externalId']));
    expect(answer.status).toBe('SOLVED');
    expect(await statusChanges('cust_ooo_ticket_ingest', 'A')).toHaveLength(3);
  });
});
