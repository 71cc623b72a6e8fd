// An instance stopped while a batch job is sending to a slow receiver: the job starts no further send,
// the sends in flight end and are recorded DELIVERED, and the rest stay PENDING, neither claimed nor
// locked, queued for another instance (or the next start) to send at once, not once a lock timeout
// has run out. The stop ends within a send's time, and nothing reaches the receiver twice.
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { DELIVERY_TEST_ENV, ok, Receiver, seedDecliningAccounts, SIGNING_SECRET, startReceiver, waitFor } from './support';

/** How long the receiver takes to answer each message, ms: well inside the send timeout. */
const ANSWER_DELAY_MS = 1500;
// One job at a time, two sends at once: one batch job's sends take several rounds of the receiver's delay.
const ENV = { ...DELIVERY_TEST_ENV, DELIVERY_CONCURRENCY: '1', DELIVERY_BATCH_CONCURRENCY: '2' };

let database: TestDatabase;
let receiver: Receiver;
let servers: TestServer[] = [];

interface Row {
  id: string;
  status: string;
  sendingSince: string | null;
}

const deliveries = (): Promise<Row[]> =>
  sql<Row>(database, `select id::text, status, sending_since as "sendingSince" from delivery order by id`);

beforeAll(async () => {
  database = await createTestDatabase('stop_mid_batch');
  receiver = await startReceiver(SIGNING_SECRET);
}, 60_000);

afterAll(async () => {
  for (const server of servers) await server.app.stop();
  await receiver?.stop();
  await database?.drop();
});

it('stopped mid-batch, records the sends in flight and leaves the rest PENDING and unlocked, for the next instance to send once', async () => {
  const first = await startTestServer({ database, env: ENV });
  servers.push(first);
  await ok(first, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm', url: receiver.url, signingSecret: SIGNING_SECRET },
  });
  await seedDecliningAccounts(first, ['cust_s1', 'cust_s2', 'cust_s3', 'cust_s4', 'cust_s5']);
  receiver.answerDelayMs = ANSWER_DELAY_MS;
  await ok(first, `mutation { refreshAllHealthScores { status } }`);
  await waitFor(() => receiver.arrivals.length === 2, 'two sends in flight');
  const total = (await deliveries()).length;
  expect(total).toBeGreaterThan(4);

  const stopStarted = Date.now();
  await first.app.stop();
  servers = [];
  // Within the sends in flight (not the batch's whole length, not the shutdown's 15 seconds).
  expect(Date.now() - stopStarted).toBeLessThan(ANSWER_DELAY_MS + 2000);

  const afterStop = await deliveries();
  const received = receiver.received.map((message) => message.id).sort();
  expect(receiver.arrivals.map((arrival) => arrival.id).sort()).toEqual(received);
  expect(afterStop.filter((row) => row.status === 'DELIVERED').map((row) => row.id)).toEqual(received);
  const rest = afterStop.filter((row) => row.status !== 'DELIVERED');
  expect(rest.length).toBeGreaterThan(0);
  for (const row of rest) expect(row).toEqual({ id: row.id, status: 'PENDING', sendingSince: null });
  const locked = await sql(database, `select id from graphile_worker.jobs where locked_by is not null`);
  expect(locked).toEqual([]);
  const queued = await sql<{ id: string }>(
    database,
    `select substr(key, length('delivery:') + 1) as id from graphile_worker.jobs where task_identifier = 'deliver_outreach' and run_at <= now()`,
  );
  expect(queued.map((job) => job.id).sort()).toEqual(rest.map((row) => row.id).sort());

  // The next instance sends the rest at once, and nothing a second time.
  receiver.answerDelayMs = 0;
  servers.push(await startTestServer({ database, env: ENV }));
  await waitFor(async () => (await deliveries()).every((row) => row.status === 'DELIVERED'), 'every delivery sent', 10_000);
  const ids = receiver.arrivals.map((arrival) => arrival.id);
  expect(ids.length).toBe(total);
  expect(new Set(ids).size).toBe(total);
}, 90_000);
