// One attempt at a time per message: an attempt's claim on its deliveries names it, so an attempt
// that outlasted its lease (another attempt took the deliveries since) neither overwrites the newer
// attempt's state nor frees its claim, while a message it did send is still recorded DELIVERED. The
// attempts are the worker's own functions on a real database; the worker itself is off.
import { DeliveryOutcome, loadOpenDeliveries, recordOutcomes } from '../../src/delivery/delivery.service';
import { DELIVER_TASK } from '../../src/delivery/enqueue-deliveries.sql';
import type { Db } from '../../src/infra/sql';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { DELIVERY_TEST_ENV, ok, Receiver, scoreNow, seedDecliningAccounts, SIGNING_SECRET, startReceiver } from './support';

/**
 * Short, so a test can outlast it; long enough that the statements a test runs within one lease
 * end inside it on a loaded machine (at 300 ms, a third attempt sometimes found B's lease run out).
 */
const LEASE_MS = 2000;

let server: TestServer;
let receiver: Receiver;
let deliveryIds: string[];

const db = (): Db => server.app.orm.em.fork() as Db;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  receiver = await startReceiver(SIGNING_SECRET);
  // No worker here: the tests are the attempts.
  server = await startTestServer({ label: 'delivery_lease', env: { ...DELIVERY_TEST_ENV, DELIVERY_CONCURRENCY: '0' } });
  await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm', url: receiver.url, signingSecret: SIGNING_SECRET },
  });
  await seedDecliningAccounts(server, ['cust_l1']);
  await scoreNow(server, ['cust_l1']);
  deliveryIds = (await sql<{ id: string }>(server.database, `select id::text from delivery order by id`)).map((row) => row.id);
  expect(deliveryIds.length).toBeGreaterThanOrEqual(3);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

interface Row {
  status: string;
  attempts: number;
  lastError: string | null;
  claimed: boolean;
}

async function row(id: string): Promise<Row> {
  const [found] = await sql<Row>(
    server.database,
    `select status, attempts, last_error as "lastError", sending_since is not null as claimed from delivery where id = $1`,
    [id],
  );
  return found;
}

async function queuedAttempts(id: string): Promise<number> {
  const [found] = await sql<{ count: number }>(
    server.database,
    `select count(*)::int as count from graphile_worker.jobs where key = 'delivery:' || $1`,
    [id],
  );
  return found.count;
}

const retrying = (deliveryId: string, error: string): DeliveryOutcome => ({
  kind: 'RETRYING',
  error,
  attemptedAt: new Date(),
  at: new Date(Date.now() + 60_000),
  job: { task: DELIVER_TASK, payload: { deliveryId } },
});

/** The outcome of the attempt holding `claim`, on one delivery, recorded as the worker records it. */
const recordOutcome = (claim: string, deliveryId: string, outcome: DeliveryOutcome) =>
  recordOutcomes(db(), claim, [{ deliveryId, outcome }]);

/** Attempt A takes the delivery, outlasts its lease, and attempt B takes it in turn. */
async function twoAttempts(id: string) {
  const a = await loadOpenDeliveries(db(), { deliveryId: id }, LEASE_MS);
  expect(a).not.toBeNull();
  await expect(loadOpenDeliveries(db(), { deliveryId: id }, LEASE_MS)).rejects.toThrow(/another attempt is sending/);
  await sleep(LEASE_MS + 50);
  const b = await loadOpenDeliveries(db(), { deliveryId: id }, LEASE_MS);
  expect(b).not.toBeNull();
  return { a: a!, b: b! };
}

it("ignores the failure of an attempt that lost its lease: the newer attempt's claim and state stay", async () => {
  const id = deliveryIds[0];
  const { a, b } = await twoAttempts(id);
  await recordOutcome(a.claim, id, retrying(id, 'A timed out'));
  expect(await row(id)).toEqual({ status: 'PENDING', attempts: 0, lastError: null, claimed: true });
  expect(await queuedAttempts(id)).toBe(0);
  // B still sends it alone: a third attempt finds it taken.
  await expect(loadOpenDeliveries(db(), { deliveryId: id }, LEASE_MS)).rejects.toThrow(/another attempt is sending/);
  await recordOutcome(b.claim, id, { kind: 'DELIVERED', attemptedAt: new Date() });
  expect(await row(id)).toEqual({ status: 'DELIVERED', attempts: 1, lastError: null, claimed: false });
});

it('records the late success of an attempt that lost its lease, and the newer attempt cannot reopen the message', async () => {
  const id = deliveryIds[1];
  const { a, b } = await twoAttempts(id);
  await recordOutcome(a.claim, id, { kind: 'DELIVERED', attemptedAt: new Date() });
  // Sent: closed. B's claim is B's to free.
  expect(await row(id)).toEqual({ status: 'DELIVERED', attempts: 1, lastError: null, claimed: true });
  await recordOutcome(b.claim, id, retrying(id, 'B failed'));
  expect(await row(id)).toEqual({ status: 'DELIVERED', attempts: 1, lastError: null, claimed: false });
  expect(await queuedAttempts(id)).toBe(0);
});

it('keeps a redeliver asked for while an attempt was sending: that attempt’s failure does not overwrite it', async () => {
  const id = deliveryIds[2];
  const a = await loadOpenDeliveries(db(), { deliveryId: id }, LEASE_MS);
  expect(a).not.toBeNull();
  await sleep(5);
  await ok(server, `mutation($id: ID!) { redeliver(deliveryId: $id) { status } }`, { id });
  await recordOutcome(a!.claim, id, retrying(id, 'A failed'));
  // The redeliver's own job, queued at once, is the next attempt, and it may take the delivery now.
  expect(await row(id)).toEqual({ status: 'PENDING', attempts: 0, lastError: null, claimed: false });
  const [job] = await sql<{ due: boolean }>(
    server.database,
    `select run_at <= now() as due from graphile_worker.jobs where key = 'delivery:' || $1`,
    [id],
  );
  expect(job).toEqual({ due: true });
  expect(await loadOpenDeliveries(db(), { deliveryId: id }, LEASE_MS)).not.toBeNull();
});
