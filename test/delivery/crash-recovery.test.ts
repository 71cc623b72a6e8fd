// Kill the service mid-queue (SIGKILL of a real `src/main.ts` process while it is sending), start
// another on the same database: every delivery arrives, and a message sent twice carries the same
// webhook-id both times.
import { ChildProcess } from 'node:child_process';
import { post } from '../helpers/auth';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { MAIN_COMMAND, ServiceProcess, startServiceProcess } from '../helpers/service-process';
import { DELIVERY_TEST_ENV, ok, Receiver, seedDecliningAccounts, SIGNING_SECRET, startReceiver, waitFor } from './support';

const IDS = ['cust_k1', 'cust_k2', 'cust_k3', 'cust_k4'];
let database: TestDatabase;
let receiver: Receiver;
let child: ChildProcess | undefined;
let second: TestServer | undefined;

beforeAll(async () => {
  database = await createTestDatabase('crash_recovery');
  receiver = await startReceiver(SIGNING_SECRET);
  const seeding = await startTestServer({ database, env: DELIVERY_TEST_ENV });
  await ok(seeding, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm', url: receiver.url, signingSecret: SIGNING_SECRET },
  });
  await seedDecliningAccounts(seeding, IDS);
  await seeding.app.stop();
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await second?.app.stop();
  await receiver.stop();
  await database.drop();
});

function startService(): Promise<ServiceProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...DELIVERY_TEST_ENV,
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SCORING_INTERVAL_MS: '0',
    // Two jobs at once, one send each: two attempts in flight.
    DELIVERY_CONCURRENCY: '2',
    DELIVERY_BATCH_CONCURRENCY: '1',
  };
  return startServiceProcess(MAIN_COMMAND, env, 90_000);
}

it('loses nothing when the instance delivering is killed, and a duplicate carries the same webhook-id', async () => {
  const service = await startService();
  child = service.child;
  receiver.hold = true;
  for (const id of IDS) {
    const scored = await post(service.url, `mutation($id: ID!) { refreshHealthScore(customerId: $id) { tier } }`, { id });
    expect(scored.body.errors).toBeUndefined();
  }
  const deliveries = await sql<{ id: string }>(database, `select id::text from delivery`);
  expect(deliveries.length).toBeGreaterThan(2);
  // Two attempts are in flight at the receiver (two jobs, one send each), the rest wait in the queue.
  await waitFor(() => receiver.waiting() === 2, 'two attempts in flight');
  child.kill('SIGKILL');
  await service.exited;
  // The killed process's requests reach the receiver's handler anyway (it had their bodies): as
  // far as the receiver knows they arrived, though the sender never heard back.
  receiver.release();

  // Locks older than DELIVERY_LOCK_TIMEOUT_MS belong to a dead instance and are released at start-up.
  // A send timeout of seconds, not milliseconds: on a busy machine a send of the restarted instance
  // that outlasts it is retried, a duplicate this test would count as the crash's.
  await new Promise((resolve) => setTimeout(resolve, 3100));
  second = await startTestServer({
    database,
    env: { ...DELIVERY_TEST_ENV, DELIVERY_LOCK_TIMEOUT_MS: '3000', DELIVERY_TIMEOUT_MS: '1500' },
  });
  await waitFor(async () => {
    const rows = await sql<{ open: number }>(database, `select count(*)::int as open from delivery where status <> 'DELIVERED'`);
    return rows[0].open === 0;
  }, 'every delivery DELIVERED after the restart');
  const ids = deliveries.map((d) => d.id).sort();
  const received = receiver.received.map((r) => r.id);
  expect([...new Set(received)].sort()).toEqual(ids);
  // The two attempts the killed process had in flight were sent again, under their own ids; its
  // jobs' other deliveries, still open, were sent once.
  expect(received.length).toBe(ids.length + 2);
  expect(receiver.badSignatures).toBe(0);
  // `attempts` counts the recorded attempts (README, "Delivering alerts"): the sends the kill cut were never recorded.
  const attempts = await sql<{ id: string; attempts: number }>(database, 'select id::text, attempts from delivery order by id');
  expect(attempts).toEqual(ids.map((id) => ({ id, attempts: 1 })));
}, 180_000);
