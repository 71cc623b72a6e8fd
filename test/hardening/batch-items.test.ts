// trackEngagementBatch holds each event to the same checks as trackEngagement, item by item: a bad
// item is reported by its index and code, and every valid item of the batch is stored.
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { post } from './support';

let server: TestServer;

const BATCH =
  'mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted duplicates errors { index code message } } }';
const DAY = 86_400_000;

interface BatchResult {
  accepted: number;
  duplicates: number;
  errors: Array<{ index: number; code: string; message: string }>;
}

async function sendBatch(events: unknown[]): Promise<BatchResult> {
  const response = await post(server.url, { query: BATCH, variables: { events } });
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  return (response.body.data as { trackEngagementBatch: BatchResult }).trackEngagementBatch;
}

async function storedEvents(customerId: string): Promise<number> {
  const [row] = await sql<{ count: number }>(
    server.database,
    'select count(*)::int as count from engagement_event where customer_id = $1',
    [customerId],
  );
  return row.count;
}

const valid = (customerId: string, i: number) => ({
  customerId,
  eventType: 'feature_used',
  feature: `f${i % 7}`,
  userId: `u${i % 13}`,
  metadata: { i },
  occurredAt: new Date(Date.now() - (i % 30) * DAY).toISOString(),
  idempotencyKey: `k${i}`,
});

beforeAll(async () => {
  server = await startTestServer({ label: 'batch_items', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const id of ['cust_nul', 'cust_mixed']) {
    const created = await post(server.url, { query: `mutation { upsertCustomer(input: { id: "${id}", name: "${id}" }) { id } }` });
    expect(created.body.errors).toBeUndefined();
  }
});
afterAll(() => server.stop());

it('stores 9,999 valid events and reports the one with a NUL byte by index', async () => {
  const events = Array.from({ length: 10_000 }, (_, i) => valid('cust_nul', i));
  events[4321] = { ...events[4321], eventType: 'feature\u0000used' };
  const result = await sendBatch(events);
  expect(result.accepted).toBe(9_999);
  expect(result.errors).toEqual([
    { index: 4321, code: 'BAD_USER_INPUT', message: expect.stringMatching(/eventType must not contain NUL/) },
  ]);
  expect(await storedEvents('cust_nul')).toBe(9_999);
});

it('reports each kind of bad item by index and stores every other one', async () => {
  const events: unknown[] = Array.from({ length: 10_000 }, (_, i) => valid('cust_mixed', i));
  const bad: Record<number, unknown> = {
    0: { ...valid('cust_mixed', 0), feature: 'x'.repeat(501) },
    17: { ...valid('cust_mixed', 17), metadata: { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: { k: 1 } } } } } } } } } } } },
    256: { ...valid('cust_mixed', 256), metadata: { blob: 'x'.repeat(10_000) } },
    1000: { ...valid('cust_mixed', 1000), occurredAt: '0001-01-01T00:00:00Z' },
    2001: { ...valid('cust_mixed', 2001), occurredAt: new Date(Date.now() + 3 * DAY).toISOString() },
    3000: { ...valid('cust_mixed', 3000), userId: 'u\ud800' },
    4000: { ...valid('cust_mixed', 4000), metadata: { 'k\u0000': 1 } },
    5000: { ...valid('cust_mixed', 5000), idempotencyKey: 'k\u0000' },
    6000: { ...valid('cust_mixed', 6000), customerId: 'cust_missing' },
    7000: { ...valid('cust_mixed', 7000), eventType: '   ' },
    9999: { ...valid('cust_mixed', 9999), metadata: [1, 2] },
  };
  for (const [index, event] of Object.entries(bad)) events[Number(index)] = event;
  const result = await sendBatch(events);
  const expectedIndexes = Object.keys(bad).map(Number);
  expect(result.errors.map((e) => e.index)).toEqual(expectedIndexes);
  for (const error of result.errors) expect(error.code).toBe(error.index === 6000 ? 'NOT_FOUND' : 'BAD_USER_INPUT');
  expect(result.accepted).toBe(10_000 - expectedIndexes.length);
  expect(await storedEvents('cust_mixed')).toBe(10_000 - expectedIndexes.length);
  expect(await storedEvents('cust_missing')).toBe(0);
});

it('counts a repeated batch as duplicates and reports the same bad items again', async () => {
  const events = Array.from({ length: 50 }, (_, i) => valid('cust_nul', i));
  events[3] = { ...events[3], feature: 'f\u0000' };
  const result = await sendBatch(events);
  expect(result).toEqual({ accepted: 0, duplicates: 49, errors: [{ index: 3, code: 'BAD_USER_INPUT', message: expect.any(String) }] });
});
