import {
  CustomerEngagementPageDocument,
  EngagementEventsDocument,
  TrackEngagementBatchDocument,
  TrackEngagementDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { SingleEventWriter } from '../../src/engagement/engagement.service';
import { Db, query } from '../../src/infra/sql';
import { startTestServer, TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

let server: TestServer;

async function eventCount(customerId: string): Promise<number> {
  const page = await server.gql(EngagementEventsDocument, { customerId, first: 1 });
  return page.engagementEvents.totalCount;
}

beforeAll(async () => {
  // Continuous rescoring off: these tests score nothing, and a round the calls here queue (its debounce
  // or its max wait falling due under load) would send its statements inside a statement count.
  server = await startTestServer({ label: 'engagement', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const id of ['cust_a', 'cust_b', 'cust_c']) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id.toUpperCase() } });
  }
});
afterAll(() => server.stop());

describe('trackEngagement', () => {
  it('stores an event with its metadata and defaults occurredAt to now', async () => {
    const before = Date.now();
    const { trackEngagement } = await server.gql(TrackEngagementDocument, {
      input: { customerId: 'cust_a', eventType: 'feature_used', feature: 'reports', userId: 'u1', metadata: { plan: 'pro', n: 2 } },
    });
    expect(trackEngagement).toMatchObject({
      customerId: 'cust_a',
      eventType: 'feature_used',
      feature: 'reports',
      userId: 'u1',
      metadata: { plan: 'pro', n: 2 },
    });
    expect(new Date(trackEngagement.occurredAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('stores one event for a repeated idempotencyKey and returns the stored one', async () => {
    const input = { customerId: 'cust_b', eventType: 'login', idempotencyKey: 'evt-1', occurredAt: '2026-11-01T10:00:00.000Z' };
    const first = await server.gql(TrackEngagementDocument, { input });
    const second = await server.gql(TrackEngagementDocument, { input: { ...input, occurredAt: '2026-11-02T10:00:00.000Z' } });
    expect(second.trackEngagement.id).toBe(first.trackEngagement.id);
    expect(second.trackEngagement.occurredAt).toBe('2026-11-01T10:00:00.000Z');
    expect(await eventCount('cust_b')).toBe(1);
  });

  it.each([
    ['an unknown customer', { customerId: 'cust_zzz', eventType: 'login' }, 'NOT_FOUND'],
    ['an empty customer id', { customerId: '', eventType: 'login' }, 'BAD_USER_INPUT'],
    ['an empty event type', { customerId: 'cust_c', eventType: ' ' }, 'BAD_USER_INPUT'],
    ['metadata that is not an object', { customerId: 'cust_c', eventType: 'login', metadata: [1, 2] }, 'BAD_USER_INPUT'],
    ['metadata that is a string', { customerId: 'cust_c', eventType: 'login', metadata: 'hello' }, 'BAD_USER_INPUT'],
    ['a date that does not parse', { customerId: 'cust_c', eventType: 'login', occurredAt: 'yesterday' }, 'BAD_USER_INPUT'],
    // Read as "no key", a retry would be stored twice.
    ['a blank idempotency key', { customerId: 'cust_c', eventType: 'login', idempotencyKey: '  ' }, 'BAD_USER_INPUT'],
  ])('rejects %s and writes nothing', async (_label, input, code) => {
    const result = await server.request(TrackEngagementDocument, { input });
    expect(result.errors?.[0].extensions?.code).toBe(code);
    expect(await eventCount('cust_c')).toBe(0);
  });
});

describe('concurrent trackEngagement calls', () => {
  const calls = Array.from({ length: 60 }, (_, i) => {
    if (i === 7) return { customerId: 'cust_nobody', eventType: 'login' };
    // Two calls with one idempotency key at the same moment: one event, the same answer for both.
    if (i === 10 || i === 11)
      return { customerId: 'cust_many', eventType: 'login', idempotencyKey: 'same-key', occurredAt: '2026-11-20T10:00:00.000Z' };
    return {
      customerId: 'cust_many',
      eventType: 'feature_used',
      feature: `f${i}`,
      occurredAt: new Date(Date.UTC(2026, 10, 20, 11, i)).toISOString(),
    };
  });

  it('each get their own event, the shared duplicate or their own error', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_many', name: 'Many' } });
    const results = await Promise.all(calls.map((input) => server.request(TrackEngagementDocument, { input })));
    results.forEach((result, i) => {
      if (i === 7) {
        expect(result.errors?.[0].extensions?.code).toBe('NOT_FOUND');
        return;
      }
      expect(result.errors).toBeUndefined();
      const event = result.data!.trackEngagement!;
      expect(event.customerId).toBe('cust_many');
      if (i !== 10 && i !== 11) expect(event).toMatchObject({ feature: `f${i}`, occurredAt: calls[i].occurredAt });
    });
    expect(results[10].data!.trackEngagement!.id).toBe(results[11].data!.trackEngagement!.id);
    expect(new Set(results.filter((r) => r.data?.trackEngagement).map((r) => r.data!.trackEngagement!.id)).size).toBe(58);
    expect(await eventCount('cust_many')).toBe(58);
  });

  it('share statements when they arrive while a write is in flight', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_group', name: 'Group' } });
    const db = () => server.app.orm.em.fork() as Db;
    const writer = new SingleEventWriter(db, null);
    let settled: PromiseSettledResult<unknown>[] = [];
    const statements = (
      await statementsDuring(server.app.orm, async () => {
        settled = await Promise.allSettled(
          calls.map((input) =>
            writer.write({
              ...input,
              customerId: input.customerId.replace('cust_many', 'cust_group'),
              occurredAt: input.occurredAt ? new Date(input.occurredAt) : undefined,
            }),
          ),
        );
      })
    ).length;
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(59);
    expect(settled[7]).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
    expect(await eventCount('cust_group')).toBe(58);
    // The first two calls each start a write; the 58 queued behind them share one statement; one
    // more lookup finds the key a neighbour stored in that same statement.
    expect(statements).toBe(4);
  });
});

describe('engagement_event references customer (set-based, by statement triggers)', () => {
  it('refuses a statement that stores an event of an unknown customer, whole', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_ref', name: 'Ref' } });
    const db = server.app.orm.em.fork() as Db;
    await expect(
      query(
        db,
        `insert into engagement_event (customer_id, event_type, occurred_at) values ('cust_ref', 'login', now()), ('cust_ghost', 'login', now())`,
      ),
    ).rejects.toMatchObject({ code: '23503' });
    expect(await eventCount('cust_ref')).toBe(0);
  });

  it("deletes a customer's events with the customer", async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_gone', name: 'Gone' } });
    await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_gone', eventType: 'login' } });
    const db = server.app.orm.em.fork() as Db;
    await query(db, `delete from customer where id = 'cust_gone'`);
    const [{ left }] = await query<{ left: number }>(
      db,
      `select count(*)::int as left from engagement_event where customer_id = 'cust_gone'`,
    );
    expect(left).toBe(0);
  });
});

describe('trackEngagementBatch', () => {
  it('stores valid items, reports invalid ones by index and counts duplicates', async () => {
    const { trackEngagementBatch } = await server.gql(TrackEngagementBatchDocument, {
      events: [
        { customerId: 'cust_c', eventType: 'login', occurredAt: '2026-11-10T08:00:00.000Z', idempotencyKey: 'k1' },
        { customerId: 'cust_unknown', eventType: 'login' },
        { customerId: 'cust_c', eventType: 'page_view', metadata: 42 },
        { customerId: 'cust_c', eventType: 'login', idempotencyKey: 'k1' },
        { customerId: 'cust_c', eventType: 'feature_used', feature: 'export', occurredAt: '2026-11-10T09:00:00.000Z' },
        { customerId: '', eventType: 'login' },
      ],
    });
    expect(trackEngagementBatch.accepted).toBe(2);
    expect(trackEngagementBatch.duplicates).toBe(1);
    expect(trackEngagementBatch.errors.map((e) => [e.index, e.code])).toEqual([
      [1, 'NOT_FOUND'],
      [2, 'BAD_USER_INPUT'],
      [5, 'BAD_USER_INPUT'],
    ]);
    expect(await eventCount('cust_c')).toBe(2);

    const again = await server.gql(TrackEngagementBatchDocument, {
      events: [{ customerId: 'cust_c', eventType: 'login', idempotencyKey: 'k1' }],
    });
    expect(again.trackEngagementBatch).toMatchObject({ accepted: 0, duplicates: 1, errors: [] });
  });

  it('refuses a batch over 10,000 events as a whole', async () => {
    const events = Array.from({ length: 10_001 }, () => ({ customerId: 'cust_a', eventType: 'api_call' }));
    const before = await eventCount('cust_a');
    const result = await server.request(TrackEngagementBatchDocument, { events });
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await eventCount('cust_a')).toBe(before);
  });

  it('stores 10,000 events in one call', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_bulk', name: 'Bulk' } });
    const start = Date.parse('2026-10-01T00:00:00Z');
    const events = Array.from({ length: 10_000 }, (_, i) => ({
      customerId: 'cust_bulk',
      eventType: i % 10 === 0 ? 'login' : 'api_call',
      occurredAt: new Date(start + i * 60_000).toISOString(),
      idempotencyKey: `bulk-${i}`,
    }));
    const { trackEngagementBatch } = await server.gql(TrackEngagementBatchDocument, { events });
    expect(trackEngagementBatch).toMatchObject({ accepted: 10_000, duplicates: 0, errors: [] });
    expect(await eventCount('cust_bulk')).toBe(10_000);
  });
});

describe('engagementEvents', () => {
  it('filters by type and time range and pages newest first without gaps', async () => {
    const logins = await server.gql(EngagementEventsDocument, { customerId: 'cust_bulk', eventType: 'login', first: 500 });
    expect(logins.engagementEvents.totalCount).toBe(1000);

    const window = { customerId: 'cust_bulk', from: '2026-10-01T00:00:00.000Z', to: '2026-10-01T01:00:00.000Z' };
    const ids: string[] = [];
    let after: string | null | undefined;
    do {
      const page = await server.gql(EngagementEventsDocument, { ...window, first: 25, after });
      expect(page.engagementEvents.totalCount).toBe(60);
      ids.push(...page.engagementEvents.edges.map((e) => e.node.occurredAt));
      after = page.engagementEvents.pageInfo.hasNextPage ? page.engagementEvents.pageInfo.endCursor : null;
    } while (after);
    expect(ids).toHaveLength(60);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(new Set(ids).size).toBe(60);
  });

  it('rejects from after to', async () => {
    const result = await server.request(EngagementEventsDocument, { from: '2026-10-02T00:00:00Z', to: '2026-10-01T00:00:00Z' });
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('holds Customer.engagementEvents(eventType:) to the checks of the top-level filter', async () => {
    const nested = `query ($eventType: String) { customer(id: "cust_c") { engagementEvents(eventType: $eventType) { totalCount } } }`;
    for (const eventType of ['login\u0000', 'login\ud800', 'x'.repeat(10_001)]) {
      const result = await server.request(nested, { eventType });
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'eventType' });
    }
  });

  it('reads an eventType filter as the event types were stored: trimmed', async () => {
    const count = async (eventType: string) => {
      const result = await server.request<
        { engagementEvents: { totalCount: number }; customer: { engagementEvents: { totalCount: number } } },
        { eventType: string }
      >(
        `query ($eventType: String) {
          engagementEvents(customerId: "cust_c", eventType: $eventType) { totalCount }
          customer(id: "cust_c") { engagementEvents(eventType: $eventType) { totalCount } }
        }`,
        { eventType },
      );
      return [result.data?.engagementEvents.totalCount, result.data?.customer.engagementEvents.totalCount];
    };
    expect(await count('login')).toEqual([1, 1]);
    expect(await count(' login\u00a0')).toEqual([1, 1]);
  });

  it("serves each customer's events as a nested connection", async () => {
    const page = await server.gql(CustomerEngagementPageDocument, { first: 10, eventsFirst: 2 });
    const byId = new Map(page.customers.edges.map((e) => [e.node.id, e.node.engagementEvents]));
    expect(byId.get('cust_bulk')?.totalCount).toBe(10_000);
    expect(byId.get('cust_bulk')?.edges).toHaveLength(2);
    expect(byId.get('cust_c')?.totalCount).toBe(2);
    expect(byId.get('cust_c')?.edges.map((e) => e.node.eventType)).toEqual(['feature_used', 'login']);
  });
});
