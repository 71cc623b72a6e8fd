// The database cut for a few seconds while a batch job is sending (a TCP proxy between the service
// and PostgreSQL, closed and reopened): graphile-worker cannot record the job and stops its runner.
// A new runner starts once the database is back, the dead one's jobs released: every delivery
// arrives, a later redeliver runs, /readyz says the worker was down, and a stop after all this
// drains and ends normally.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { DELIVERY_TEST_ENV, ok, Receiver, seedDecliningAccounts, SIGNING_SECRET, startReceiver, waitFor } from './support';

/** A TCP proxy to PostgreSQL that can be cut (every connection ended, new ones refused) and restored on the same port. */
interface DatabaseProxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function startDatabaseProxy(target: URL): Promise<DatabaseProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const cut = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return { port, cut, restore: () => listen(port), close: () => (server.listening ? cut() : Promise.resolve()) };
}

const lines: Array<Record<string, any>> = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, any>);
    done();
  },
});
const workerLines = () => lines.filter((line) => line.module === 'delivery' || line.module === 'delivery-worker');

const IDS = ['cust_r1', 'cust_r2', 'cust_r3', 'cust_r4', 'cust_r5', 'cust_r6'];
// Sends last a while, two at a time, so that the outage comes while a batch job is sending; a short
// lock timeout keeps the lease of the sends the outage cut short (the test's deliveries are sent
// again once it has run out).
const ENV = { ...DELIVERY_TEST_ENV, DELIVERY_BATCH_CONCURRENCY: '2', DELIVERY_LOCK_TIMEOUT_MS: '7000' };

let database: TestDatabase;
let proxy: DatabaseProxy;
let receiver: Receiver;
let server: TestServer | undefined;

beforeAll(async () => {
  database = await createTestDatabase('worker_restart');
  proxy = await startDatabaseProxy(new URL(database.url));
  const proxied = new URL(database.url);
  proxied.port = String(proxy.port);
  receiver = await startReceiver(SIGNING_SECRET);
  server = await startTestServer({
    database: { ...database, url: proxied.toString() },
    env: ENV,
    logger: pino({ level: 'info' }, logStream),
  });
  await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm', url: receiver.url, signingSecret: SIGNING_SECRET },
  });
  await seedDecliningAccounts(server, IDS);
}, 120_000);

afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await server?.app.stop();
  await proxy?.close();
  await receiver?.stop();
  await database?.drop();
});

const deliveries = () => sql<{ id: string; status: string }>(database, `select id::text, status from delivery order by id`);

const readiness = async () => {
  const response = await fetch(`${new URL((server as TestServer).url).origin}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, boolean> } };
};

it('restarts the worker its runner died under a database outage: the deliveries arrive, and /readyz said it was down', async () => {
  const app = (server as TestServer).app;
  expect(await readiness()).toEqual({ status: 200, body: { status: 'ready', checks: { database: true, deliveries: true } } });
  receiver.answerDelayMs = 1500;
  await ok(server as TestServer, `mutation { refreshAllHealthScores { status } }`);
  await waitFor(() => receiver.arrivals.length > 0, 'a batch job to be sending');
  const total = (await deliveries()).length;
  expect(total).toBeGreaterThan(4);

  await proxy.cut();
  try {
    // The batch's outcomes cannot be recorded, nor the job failed: graphile-worker stops the runner.
    await waitFor(() => !app.deliveryWorker.isRunning(), 'the runner to die', 15_000);
    const during = await readiness();
    expect(during).toMatchObject({ status: 503, body: { status: 'unavailable', checks: { database: false, deliveries: false } } });
    await new Promise((resolve) => setTimeout(resolve, 2000));
  } finally {
    await proxy.restore();
  }

  receiver.answerDelayMs = 0;
  await waitFor(async () => (await deliveries()).every((row) => row.status === 'DELIVERED'), 'every delivery sent', 45_000);
  expect(new Set(receiver.received.map((message) => message.id)).size).toBe(total);
  expect(await readiness()).toEqual({ status: 200, body: { status: 'ready', checks: { database: true, deliveries: true } } });
  const said = workerLines().filter((line) => line.level >= 30);
  expect(said.filter((line) => line.msg.startsWith('delivery worker stopped on its own'))).toHaveLength(1);
  expect(said.map((line) => line.msg)).toEqual(
    expect.arrayContaining(['database connection restored: deliveries resume', 'delivery worker restarted: deliveries resume']),
  );

  // Nothing is left locked, and a redeliver asked for now runs at once.
  expect(
    await sql(database, `select id from graphile_worker.jobs where locked_by is not null and task_identifier like 'deliver%'`),
  ).toEqual([]);
  const [first] = await deliveries();
  const arrived = receiver.arrivals.length;
  await ok(server as TestServer, `mutation($id: ID!) { redeliver(deliveryId: $id) { status } }`, { id: first.id });
  await waitFor(() => receiver.arrivals.length > arrived, 'the redeliver to be sent', 10_000);
}, 120_000);

it('stops normally while its runner is dead: the shutdown drains, closes everything and leaves no job locked', async () => {
  const app = (server as TestServer).app;
  // One message sent slowly, the database cut while it is in flight: its outcome cannot be recorded.
  receiver.answerDelayMs = 1500;
  const [, second] = await deliveries();
  const arrived = receiver.arrivals.length;
  await ok(server as TestServer, `mutation($id: ID!) { redeliver(deliveryId: $id) { status } }`, { id: second.id });
  await waitFor(() => receiver.arrivals.length > arrived, 'the redeliver to be sending');
  await proxy.cut();
  try {
    await waitFor(() => !app.deliveryWorker.isRunning(), 'the runner to die', 15_000);
  } finally {
    await proxy.restore();
  }
  // Before its restart (a back-off after the death): the stop finds no runner running.
  expect(app.deliveryWorker.isRunning()).toBe(false);
  await expect(app.stop()).resolves.toBeUndefined();
  server = undefined;
  await expect(fetch(`${app.url.replace('/graphql', '')}/healthz`)).rejects.toThrow();
  expect(await sql(database, `select id from graphile_worker.jobs where locked_by is not null`)).toEqual([]);
  // The first death said as an error; this one, within a minute of the restart, as a warning (a
  // runner that keeps dying is not an error line each time); the outage's failures are the outage
  // log's (a warning, once). A batch job run again while its sends' lease holds fails and runs later:
  // that is logged as any failed task.
  const errors = workerLines().filter((line) => line.level >= 50 && !line.msg.startsWith('Failed task'));
  expect(errors.map((line) => line.msg)).toEqual([
    'delivery worker stopped on its own: another starts shortly; deliveries on this instance wait until then',
  ]);
  expect(workerLines().filter((line) => line.level === 40 && line.msg.startsWith('delivery worker stopped on its own again'))).toHaveLength(
    1,
  );
}, 60_000);
