// Integrators retry and parallelise: the same idempotency keys can arrive in several
// trackEngagementBatch calls at once, each listing them in its own order. Each key is stored once,
// and no call fails because another was storing the same keys (a deadlock reported as
// INTERNAL_SERVER_ERROR).
import { Client } from 'pg';
import { TrackEngagementBatchDocument, TrackEngagementDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
let other: TestServer;

beforeAll(async () => {
  const env = { RESCORE_DEBOUNCE_MS: '0', DATABASE_POOL_MAX: '10' };
  server = await startTestServer({ label: 'concurrent_batches', env });
  // Two instances side by side, as a deployment behind a load balancer spreads one client's calls.
  other = await startTestServer({ database: server.database, env });
  for (const id of ['cust_x', 'cust_y']) await server.gql(UpsertCustomerDocument, { input: { id, name: id } });
});
afterAll(async () => {
  await other.stop();
  await server.stop();
});

it('stores each key once when batches holding the same keys in different orders arrive together', async () => {
  const KEYS = 2000;
  const BATCHES = 8;
  for (const round of [1, 2, 3]) {
    const events = Array.from({ length: KEYS }, (_, k) => ({
      customerId: k % 2 ? 'cust_x' : 'cust_y',
      eventType: 'login',
      occurredAt: '2026-11-30T09:00:00Z',
      idempotencyKey: `r${round}-k${k}`,
    }));
    // Each batch the same events, rotated: batch i starts i eighths of the way in.
    const batches = Array.from({ length: BATCHES }, (_, i) => {
      const at = Math.floor((i * KEYS) / BATCHES);
      return [...events.slice(at), ...events.slice(0, at)];
    });
    const results = await Promise.all(
      batches.map((batch, i) => (i % 2 ? other : server).request(TrackEngagementBatchDocument, { events: batch })),
    );
    expect(results.flatMap((result) => result.errors ?? [])).toEqual([]);
    const answers = results.map((result) => result.data!.trackEngagementBatch!);
    expect(answers.reduce((sum, answer) => sum + answer.accepted, 0)).toBe(KEYS);
    expect(answers.reduce((sum, answer) => sum + answer.duplicates, 0)).toBe(KEYS * (BATCHES - 1));
  }
});

/** Sessions of the test database waiting for a lock. */
async function lockWaiters(): Promise<number> {
  const [row] = await sql<{ n: number }>(
    server.database,
    `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return row.n;
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The other ways one event reaches the database: trackEngagement, and a line of POST /ingest/events. */
const SINGLE_WRITES = {
  trackEngagement: async (customerId: string, idempotencyKey: string) => {
    const result = await other.request(TrackEngagementDocument, { input: { customerId, eventType: 'dl', idempotencyKey } });
    return result.errors ?? [];
  },
  import: async (customerId: string, idempotencyKey: string) => {
    const response = await fetch(other.url.replace(/\/graphql$/, '/ingest/events'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ customerId, eventType: 'dl', idempotencyKey })}\n`,
    });
    const summary = (await response.json()) as { accepted?: number; duplicates?: number };
    return response.status === 200 && summary.accepted! + summary.duplicates! === 1 ? [] : [{ status: response.status, summary }];
  },
};

it.each(Object.keys(SINGLE_WRITES) as Array<keyof typeof SINGLE_WRITES>)(
  'stores a key sent at once by a batch and by %s for a customer not yet queued for rescoring, neither failing on a deadlock',
  async (path) => {
    const customerId = `cust_fresh_${path}`;
    // Sorts before customerId: the batch stores its event first.
    const heldCustomer = `cust_a_held_${path}`;
    for (const id of [customerId, heldCustomer]) await server.gql(UpsertCustomerDocument, { input: { id, name: id } });
    await sql(server.database, 'delete from rescore_request where customer_id in ($1, $2)', [customerId, heldCustomer]);
    // Another writer's event, not yet committed: the batch holding the same key waits for it, having
    // taken what it takes before its events, while the single event is written.
    const holder = new Client({ connectionString: server.database.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(
        `insert into engagement_event (customer_id, event_type, occurred_at, idempotency_key) values ($1, 'dl', now(), 'k-held')`,
        [heldCustomer],
      );
      const batch = server.request(TrackEngagementBatchDocument, {
        events: [
          { customerId: heldCustomer, eventType: 'dl', idempotencyKey: 'k-held' },
          { customerId, eventType: 'dl', idempotencyKey: 'k-shared' },
        ],
      });
      await until(async () => (await lockWaiters()) === 1, 'the batch waits for the held key');
      let singleDone = false;
      const single = SINGLE_WRITES[path](customerId, 'k-shared').finally(() => (singleDone = true));
      // Written at once, or (were the lock orders opposite) waiting for the batch.
      await until(async () => singleDone || (await lockWaiters()) === 2, `${path} is written or waits`);
      await holder.query('rollback');
      expect(await single).toEqual([]);
      const answer = await batch;
      expect(answer.errors ?? []).toEqual([]);
      expect(answer.data!.trackEngagementBatch).toMatchObject({ accepted: 1, duplicates: 1, errors: [] });
      const stored = await sql<{ n: number }>(
        server.database,
        `select count(*)::int as n from engagement_event where customer_id = $1 and idempotency_key = 'k-shared'`,
        [customerId],
      );
      expect(stored[0].n).toBe(1);
    } finally {
      await holder.end();
    }
  },
);
