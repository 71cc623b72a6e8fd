// Integrators retry and parallelise: the same idempotency keys can arrive in several
// trackEngagementBatch calls at once, each listing them in its own order. Each key is stored once,
// and no call fails because another was storing the same keys (a deadlock reported as
// INTERNAL_SERVER_ERROR).
import { TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
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
