// The users active each day in the daily rollup (engagement_day.user_ids), kept by the statement
// that stores the events, whether they come one per call or in batches.
import { TrackEngagementBatchDocument, TrackEngagementDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { Db, query } from '../../src/infra/sql';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
let db: Db;

beforeAll(async () => {
  server = await startTestServer({ label: 'daily_users' });
  db = server.app.orm.em.fork() as Db;
  for (const id of ['cust_users_single', 'cust_users_batch', 'cust_users_mixed', 'cust_users_none']) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id } });
  }
});
afterAll(() => server.stop());

/** The rollup's active users by UTC day. */
async function usersByDay(customerId: string): Promise<Record<string, string[]>> {
  const rows = await query<{ day: string; userIds: string[] }>(
    db,
    `select day::text as day, user_ids as "userIds" from engagement_day where customer_id = ? order by day`,
    [customerId],
  );
  return Object.fromEntries(rows.map((row) => [row.day, row.userIds]));
}

describe('engagement_day.user_ids', () => {
  it('collects the users of events sent one by one, each once, per UTC day', async () => {
    const events = [
      { userId: 'u_2', occurredAt: '2026-11-01T08:00:00Z' },
      { userId: 'u_1', occurredAt: '2026-11-01T09:00:00Z' },
      { userId: 'u_2', occurredAt: '2026-11-01T23:59:59Z' },
      { userId: null, occurredAt: '2026-11-01T12:00:00Z' },
      { userId: 'u_1', occurredAt: '2026-11-02T00:00:00Z' },
    ];
    for (const event of events) {
      await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_users_single', eventType: 'login', ...event } });
    }
    expect(await usersByDay('cust_users_single')).toEqual({ '2026-11-01': ['u_1', 'u_2'], '2026-11-02': ['u_1'] });
  });

  it('collects the distinct users of a batch and merges them across batches', async () => {
    const first = await server.gql(TrackEngagementBatchDocument, {
      events: [
        { customerId: 'cust_users_batch', eventType: 'login', userId: 'u_b', occurredAt: '2026-11-03T08:00:00Z' },
        {
          customerId: 'cust_users_batch',
          eventType: 'feature_used',
          feature: 'reports',
          userId: 'u_b',
          occurredAt: '2026-11-03T09:00:00Z',
        },
        { customerId: 'cust_users_batch', eventType: 'login', userId: 'u_a', occurredAt: '2026-11-03T10:00:00Z' },
        { customerId: 'cust_users_batch', eventType: 'api_call', occurredAt: '2026-11-03T11:00:00Z' },
        { customerId: 'cust_users_batch', eventType: 'login', userId: 'u_c', occurredAt: '2026-11-04T10:00:00Z' },
      ],
    });
    expect(first.trackEngagementBatch).toMatchObject({ accepted: 5, errors: [] });
    expect(await usersByDay('cust_users_batch')).toEqual({ '2026-11-03': ['u_a', 'u_b'], '2026-11-04': ['u_c'] });

    await server.gql(TrackEngagementBatchDocument, {
      events: [
        { customerId: 'cust_users_batch', eventType: 'login', userId: 'u_a', occurredAt: '2026-11-03T12:00:00Z' },
        { customerId: 'cust_users_batch', eventType: 'login', userId: 'u_0', occurredAt: '2026-11-03T13:00:00Z' },
        { customerId: 'cust_users_batch', eventType: 'login', userId: 'u_c', occurredAt: '2026-11-04T13:00:00Z' },
      ],
    });
    expect(await usersByDay('cust_users_batch')).toEqual({ '2026-11-03': ['u_0', 'u_a', 'u_b'], '2026-11-04': ['u_c'] });
  });

  it('merges single events into the users a batch stored, and the reverse', async () => {
    await server.gql(TrackEngagementBatchDocument, {
      events: [{ customerId: 'cust_users_mixed', eventType: 'login', userId: 'u_m', occurredAt: '2026-11-05T08:00:00Z' }],
    });
    await server.gql(TrackEngagementDocument, {
      input: { customerId: 'cust_users_mixed', eventType: 'login', userId: 'u_k', occurredAt: '2026-11-05T09:00:00Z' },
    });
    await server.gql(TrackEngagementBatchDocument, {
      events: [{ customerId: 'cust_users_mixed', eventType: 'login', userId: 'u_z', occurredAt: '2026-11-05T10:00:00Z' }],
    });
    expect(await usersByDay('cust_users_mixed')).toEqual({ '2026-11-05': ['u_k', 'u_m', 'u_z'] });
  });

  it('leaves the list empty for a day whose events name no user, and ignores duplicates', async () => {
    await server.gql(TrackEngagementBatchDocument, {
      events: [
        { customerId: 'cust_users_none', eventType: 'api_call', occurredAt: '2026-11-06T08:00:00Z' },
        { customerId: 'cust_users_none', eventType: 'api_call', userId: '  ', occurredAt: '2026-11-06T09:00:00Z' },
      ],
    });
    await server.gql(TrackEngagementDocument, {
      input: { customerId: 'cust_users_none', eventType: 'api_call', occurredAt: '2026-11-06T10:00:00Z' },
    });
    expect(await usersByDay('cust_users_none')).toEqual({ '2026-11-06': [] });

    // An idempotency duplicate stores nothing, so it adds no user.
    const original = {
      customerId: 'cust_users_none',
      eventType: 'login',
      userId: 'u_1',
      idempotencyKey: 'k-1',
      occurredAt: '2026-11-07T08:00:00Z',
    };
    await server.gql(TrackEngagementDocument, { input: original });
    await server.gql(TrackEngagementBatchDocument, { events: [{ ...original, userId: 'u_2' }] });
    await server.gql(TrackEngagementDocument, { input: { ...original, userId: 'u_3' } });
    expect(await usersByDay('cust_users_none')).toEqual({ '2026-11-06': [], '2026-11-07': ['u_1'] });
  });
});
