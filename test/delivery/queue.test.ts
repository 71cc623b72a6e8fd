// The queue's life cycle through the real worker: a deleted destination's pending deliveries are
// cancelled (and it reads deleted), a paused one's missed deliveries are recorded for a redeliver, a customer-facing one to a customer who opted out or churned since is withheld, a
// delivery that keeps failing ends DEAD once its retry window is spent, a batch job stops sending to a destination paused mid-batch (and a redeliver after it is sent at once),
// hands on what it has no time left for and records each delivery's own send time, two
// instances share the queue, and the lock timeout must exceed the send timeout.
import { readConfig } from '../../src/infra/config';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { DELIVERY_TEST_ENV, ok, Receiver, scoreNow, seedDecliningAccounts, SIGNING_SECRET, startReceiver, waitFor } from './support';

const CREATE = `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`;

let receiver: Receiver;
const servers: TestServer[] = [];

async function serve(env: Record<string, string> = {}, database?: TestServer['database']): Promise<TestServer> {
  const server = await startTestServer({ label: 'delivery_queue', database, env: { ...DELIVERY_TEST_ENV, ...env } });
  servers.unshift(server);
  return server;
}

async function webhook(server: TestServer): Promise<string> {
  const created = await ok(server, CREATE, { input: { kind: 'WEBHOOK', name: 'crm', url: receiver.url, signingSecret: SIGNING_SECRET } });
  return created.createDestination.id;
}

interface Row {
  id: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

function deliveries(server: TestServer): Promise<Row[]> {
  return sql<Row>(server.database, `select id::text, status, attempts, last_error as "lastError" from delivery order by id`);
}

async function settled(server: TestServer, what: string, check: (rows: Row[]) => boolean, timeoutMs?: number): Promise<Row[]> {
  return waitFor(
    async () => {
      const rows = await deliveries(server);
      return rows.length > 0 && check(rows) && rows;
    },
    what,
    timeoutMs,
  ) as Promise<Row[]>;
}

beforeEach(async () => {
  receiver = await startReceiver(SIGNING_SECRET);
});

afterEach(async () => {
  // The instance sharing another's database stops first.
  for (const server of servers.splice(0)) await server.stop();
  await receiver.stop();
});

it('cancels the pending deliveries of a deleted destination and sends nothing to it after', async () => {
  const server = await serve();
  const id = await webhook(server);
  await seedDecliningAccounts(server, ['cust_q1']);
  receiver.status = 503;
  await scoreNow(server, ['cust_q1']);
  await settled(server, 'every delivery retrying', (rows) => rows.every((row) => row.status === 'RETRYING'));
  await ok(server, `mutation($id: ID!) { deleteDestination(id: $id) { id } }`, { id });
  const cancelled = await deliveries(server);
  expect(cancelled.every((row) => row.status === 'CANCELLED' && row.lastError === 'destination deleted')).toBe(true);
  receiver.status = 204;
  // Their retry jobs come due (retries every 100–300 ms here) and send nothing.
  await new Promise((resolve) => setTimeout(resolve, 800));
  expect(receiver.received).toEqual([]);
  expect((await deliveries(server)).map((row) => row.status)).toEqual(cancelled.map(() => 'CANCELLED'));
  // Seen through its deliveries, it reads deleted, not as a destination merely not paused.
  const summary = await ok(server, `{ deliverySummary { byDestination { destination { id paused deletedAt } } } }`);
  expect(summary.deliverySummary.byDestination).toEqual([{ destination: { id, paused: false, deletedAt: expect.any(String) } }]);
  // And a deleted destination cannot be resumed: redeliver says so, rather than "resume it first".
  const again = await server.request('mutation ($id: ID!) { redeliver(deliveryId: $id) { status } }', { id: cancelled[0].id });
  expect(again.errors?.[0]).toMatchObject({
    message: "the delivery's destination was deleted: its deliveries cannot be redelivered",
    extensions: { code: 'BAD_USER_INPUT', argument: 'deliveryId' },
  });
});

it('records what a paused destination missed as CANCELLED, and sends it on redeliver once resumed', async () => {
  const server = await serve();
  const id = await webhook(server);
  await seedDecliningAccounts(server, ['cust_q14']);
  // Paused as a receiver's 410 Gone pauses it; the account's tier worsens meanwhile.
  await ok(server, `mutation($id: ID!) { updateDestination(id: $id, input: { paused: true }) { paused } }`, { id });
  await scoreNow(server, ['cust_q14']);
  const missed = await deliveries(server);
  expect(missed.length).toBeGreaterThan(0);
  for (const row of missed)
    expect(row).toMatchObject({
      status: 'CANCELLED',
      attempts: 0,
      lastError: 'destination paused when the action was decided: not sent (redeliver sends it once resumed)',
    });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(receiver.received).toEqual([]);
  const early = await server.request('mutation ($id: ID!) { redeliver(deliveryId: $id) { status } }', { id: missed[0].id });
  expect(early.errors?.[0]).toMatchObject({
    message: "the delivery's destination is paused: resume it first (updateDestination with paused: false)",
    extensions: { code: 'BAD_USER_INPUT', argument: 'deliveryId' },
  });
  // Resuming sends nothing by itself; redeliver does.
  await ok(server, `mutation($id: ID!) { updateDestination(id: $id, input: { paused: false }) { paused } }`, { id });
  for (const row of missed) await ok(server, `mutation($id: ID!) { redeliver(deliveryId: $id) { status } }`, { id: row.id });
  await settled(server, 'every missed delivery sent', (rows) => rows.every((row) => row.status === 'DELIVERED'));
  expect(receiver.received.map((message) => message.id).sort()).toEqual(missed.map((row) => row.id).sort());
});

it('withholds a customer-facing delivery once its customer opts out, and will not send it again', async () => {
  const server = await serve();
  await webhook(server);
  await seedDecliningAccounts(server, ['cust_q7']);
  receiver.status = 503;
  await scoreNow(server, ['cust_q7']);
  await settled(server, 'every delivery retrying', (rows) => rows.every((row) => row.status === 'RETRYING'));
  await ok(server, 'mutation { setCommunicationOptOut(customerId: "cust_q7", optedOut: true) { id } }');
  receiver.status = 204;
  await settled(server, 'every delivery closed', (rows) => rows.every((row) => row.status !== 'RETRYING' && row.status !== 'PENDING'));
  const closed = await sql<{ id: string; audience: string; status: string; lastError: string | null }>(
    server.database,
    'select id::text, audience, status, last_error as "lastError" from delivery order by id',
  );
  const customerFacing = closed.filter((row) => row.audience === 'CUSTOMER');
  const team = closed.filter((row) => row.audience === 'TEAM');
  expect(customerFacing.length).toBeGreaterThan(0);
  expect(customerFacing.every((row) => row.status === 'CANCELLED' && /opted out/.test(row.lastError ?? ''))).toBe(true);
  // The team's alerts still go out; only they reached the receiver.
  expect(team.length).toBeGreaterThan(0);
  expect(team.every((row) => row.status === 'DELIVERED')).toBe(true);
  expect(receiver.received.map((message) => message.id).sort()).toEqual(team.map((row) => row.id).sort());
  const again = await server.request('mutation ($id: ID!) { redeliver(deliveryId: $id) { status } }', { id: customerFacing[0].id });
  expect(again.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'deliveryId' });
});

it('withholds a customer-facing delivery once its customer has churned, not one whose churn is still ahead, and will not send it again', async () => {
  const server = await serve();
  await webhook(server);
  await seedDecliningAccounts(server, ['cust_q10', 'cust_q11']);
  receiver.status = 500;
  await scoreNow(server, ['cust_q10', 'cust_q11']);
  await settled(server, 'every delivery retrying', (rows) => rows.every((row) => row.status === 'RETRYING'));
  const churn = (id: string, churnedAt: Date) =>
    ok(server, 'mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
      input: { id, churnedAt: churnedAt.toISOString(), churnReason: 'moved to a competitor' },
    });
  // Cancelling at the end of its term, an hour from now: still a customer until then.
  await churn('cust_q11', new Date(Date.now() + 3_600_000));
  await churn('cust_q10', new Date(Date.now() - 1000));
  // Withheld at their next attempt while the receiver still refuses: an attempt that began before the
  // churn was recorded (a send racing it, which may go) cannot then be answered 204.
  await waitFor(async () => {
    const rows = await sql<{ status: string }>(
      server.database,
      "select status from delivery where customer_id = 'cust_q10' and audience = 'CUSTOMER'",
    );
    return rows.length > 0 && rows.every((row) => row.status === 'CANCELLED');
  }, "the churned customer's messages withheld");
  receiver.status = 204;
  await settled(server, 'every delivery closed', (rows) => rows.every((row) => row.status !== 'RETRYING' && row.status !== 'PENDING'));
  const closed = await sql<{ id: string; customerId: string; audience: string; status: string; lastError: string | null }>(
    server.database,
    'select id::text, customer_id as "customerId", audience, status, last_error as "lastError" from delivery order by id',
  );
  const toChurned = closed.filter((row) => row.audience === 'CUSTOMER' && row.customerId === 'cust_q10');
  expect(toChurned.length).toBeGreaterThan(0);
  for (const row of toChurned) {
    expect(row).toMatchObject({ status: 'CANCELLED', lastError: 'the customer has churned since this one was decided' });
  }
  // The team's alerts about it still go out, and so does everything for the account still a customer.
  const sent = closed.filter((row) => !toChurned.includes(row));
  expect(sent.filter((row) => row.audience === 'TEAM' && row.customerId === 'cust_q10').length).toBeGreaterThan(0);
  expect(sent.filter((row) => row.audience === 'CUSTOMER' && row.customerId === 'cust_q11').length).toBeGreaterThan(0);
  expect(sent.every((row) => row.status === 'DELIVERED')).toBe(true);
  expect(receiver.received.map((message) => message.id).sort()).toEqual(sent.map((row) => row.id).sort());
  const again = await server.request('mutation ($id: ID!) { redeliver(deliveryId: $id) { status } }', { id: toChurned[0].id });
  expect(again.errors?.[0]).toMatchObject({
    message: 'the customer has churned: a customer-facing delivery is not sent again',
    extensions: { code: 'BAD_USER_INPUT', argument: 'deliveryId' },
  });
});

it('leaves out of a digest the customer-facing actions of a customer who opted out while it waited, and sends the rest', async () => {
  const server = await serve();
  await ok(server, CREATE, {
    input: {
      kind: 'WEBHOOK',
      name: 'digest',
      url: receiver.url,
      signingSecret: SIGNING_SECRET,
      digestSeconds: 3,
      filter: { audience: 'CUSTOMER' },
    },
  });
  await seedDecliningAccounts(server, ['cust_q8', 'cust_q9']);
  await scoreNow(server, ['cust_q8', 'cust_q9']);
  const waiting = await deliveries(server);
  expect(waiting.length).toBeGreaterThan(1);
  expect(waiting.every((row) => row.status === 'PENDING')).toBe(true);
  await ok(server, 'mutation { setCommunicationOptOut(customerId: "cust_q8", optedOut: true) { id } }');
  await settled(server, 'every delivery closed', (rows) => rows.every((row) => row.status !== 'RETRYING' && row.status !== 'PENDING'));
  const closed = await sql<{ customerId: string; status: string; lastError: string | null }>(
    server.database,
    'select customer_id as "customerId", status, last_error as "lastError" from delivery order by id',
  );
  const optedOut = closed.filter((row) => row.customerId === 'cust_q8');
  expect(optedOut.length).toBeGreaterThan(0);
  expect(optedOut.every((row) => row.status === 'CANCELLED' && /opted out/.test(row.lastError ?? ''))).toBe(true);
  expect(closed.filter((row) => row.customerId === 'cust_q9').every((row) => row.status === 'DELIVERED')).toBe(true);
  expect(receiver.received).toHaveLength(1);
  const { type, data } = receiver.received[0].body as { type: string; data: { actions: Array<{ customer: { id: string } }> } };
  expect(type).toBe('outreach.digest');
  expect(new Set(data.actions.map((action) => action.customer.id))).toEqual(new Set(['cust_q9']));
});

it('sends a digest whose first run collected it and died before recording it when the job runs again, then the actions that joined since', async () => {
  const server = await serve();
  const created = await ok(server, CREATE, {
    input: { kind: 'WEBHOOK', name: 'digest', url: receiver.url, signingSecret: SIGNING_SECRET, digestSeconds: 3 },
  });
  const destinationId = created.createDestination.id;
  await seedDecliningAccounts(server, ['cust_q10', 'cust_q11']);
  await scoreNow(server, ['cust_q10']);
  const taken = await deliveries(server);
  expect(taken.length).toBeGreaterThan(1);
  // What a first run leaves when its instance dies after taking the deliveries as a digest (and
  // starting to send it, long ago): its job is run again, as graphile-worker runs a crashed job.
  await sql(
    server.database,
    `with digest as (select gen_random_uuid() as id)
     update delivery set digest_id = (select id from digest), sending_since = now() - interval '1 hour' where destination_id = $1`,
    [destinationId],
  );
  // Another account's actions join the job before it runs again.
  await scoreNow(server, ['cust_q11']);
  const rows = await settled(
    server,
    'both digests sent',
    (list) => list.length > taken.length && list.every((row) => row.status === 'DELIVERED'),
    10_000,
  );
  const sent = receiver.received.map((message) => message.body as { data: { actions: Array<{ deliveryId: string }> } });
  expect(sent).toHaveLength(2);
  expect(sent[0].data.actions.map((action) => action.deliveryId).sort()).toEqual(taken.map((row) => row.id).sort());
  expect(sent.flatMap((message) => message.data.actions)).toHaveLength(rows.length);
});

it('makes a delivery DEAD once its retry window is spent, through the real worker', async () => {
  // A window of some attempts even on a loaded machine, whose first attempt may come late.
  const server = await serve({ DELIVERY_RETRY_WINDOW_MS: '3000' });
  await webhook(server);
  await seedDecliningAccounts(server, ['cust_q2']);
  receiver.status = 500;
  await scoreNow(server, ['cust_q2']);
  const dead = await settled(server, 'every delivery dead', (rows) => rows.every((row) => row.status === 'DEAD'));
  // Retried in the window (waits of 50–300 ms), then given up.
  expect(dead.every((row) => row.attempts >= 2 && row.lastError?.startsWith('HTTP 500'))).toBe(true);
  // The last failure, and why it was the last: the window, not the receiver, ended the retries.
  expect(dead.every((row) => row.lastError?.endsWith('; gave up: the retry window (3 s) ends before the next attempt'))).toBe(true);
  // No attempt is left queued.
  await waitFor(async () => {
    const [jobs] = await sql<{ count: number }>(server.database, `select count(*)::int as count from graphile_worker.jobs`);
    return jobs.count === 0;
  }, 'the queue empty');
});

it('stops a batch at a destination paused mid-batch: the one in flight is DELIVERED, the rest are cancelled, not sent', async () => {
  const server = await serve({ DELIVERY_CONCURRENCY: '1', DELIVERY_BATCH_CONCURRENCY: '1' });
  const id = await webhook(server);
  const ids = ['cust_q3', 'cust_q4', 'cust_q5'];
  await seedDecliningAccounts(server, ids);
  receiver.hold = true;
  // One scoring batch: one job sends all its deliveries, one at a time here.
  await ok(server, `mutation { refreshAllHealthScores { status } }`);
  const all = await deliveries(server);
  expect(all.length).toBeGreaterThan(2);
  await waitFor(() => receiver.waiting() === 1, 'the first delivery in flight');
  await ok(server, `mutation($id: ID!) { updateDestination(id: $id, input: { paused: true }) { paused } }`, { id });
  // The job looks at its destination again at most a second after it last did.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  receiver.release();
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(receiver.received.length).toBe(1);
  // The one in flight when the destination was paused reached the receiver: the log says so (a
  // redeliver of a CANCELLED one would send it twice); the others were not sent.
  const [sent] = receiver.received;
  const rows = await deliveries(server);
  expect(rows.find((row) => row.id === sent.id)?.status).toBe('DELIVERED');
  expect(rows.filter((row) => row.id !== sent.id).every((row) => row.status === 'CANCELLED')).toBe(true);
});

it('sends a redeliver at once after a batch stopped at a paused destination: the batch freed what it did not send', async () => {
  const server = await serve({ DELIVERY_CONCURRENCY: '1', DELIVERY_BATCH_CONCURRENCY: '1' });
  const id = await webhook(server);
  await seedDecliningAccounts(server, ['cust_q12', 'cust_q13']);
  receiver.hold = true;
  await ok(server, `mutation { refreshAllHealthScores { status } }`);
  await waitFor(() => receiver.waiting() === 1, 'the first delivery in flight');
  await ok(server, `mutation($id: ID!) { updateDestination(id: $id, input: { paused: true }) { paused } }`, { id });
  await new Promise((resolve) => setTimeout(resolve, 1100));
  receiver.release();
  await waitFor(async () => {
    const [jobs] = await sql<{ count: number }>(server.database, `select count(*)::int as count from graphile_worker.jobs`);
    return jobs.count === 0;
  }, 'the batch job done');
  const claimed = await sql<{ id: string }>(server.database, `select id::text from delivery where sending_since is not null`);
  expect(claimed).toEqual([]);
  await ok(server, `mutation($id: ID!) { updateDestination(id: $id, input: { paused: false }) { paused } }`, { id });
  const unsent = (await deliveries(server)).find((row) => row.id !== receiver.received[0].id) as Row;
  await ok(server, `mutation($id: ID!) { redeliver(deliveryId: $id) { status } }`, { id: unsent.id });
  // Not a lease later (minutes by default): the batch that took it has ended. (Half a minute: a loaded
  // machine's seconds, still well short of a lease.)
  await waitFor(() => receiver.received.some((message) => message.id === unsent.id), 'the redelivery', 30_000);
  await settled(server, 'the redelivery recorded', (rows) => rows.find((row) => row.id === unsent.id)?.status === 'DELIVERED');
});

it('hands on the deliveries a batch job has no time left for, each sent once', async () => {
  // A batch job starts sends for (1000 − 500) / 2 = 250 ms.
  const server = await serve({
    DELIVERY_CONCURRENCY: '1',
    DELIVERY_BATCH_CONCURRENCY: '1',
    DELIVERY_LOCK_TIMEOUT_MS: '1000',
    DELIVERY_TIMEOUT_MS: '500',
  });
  await webhook(server);
  await seedDecliningAccounts(server, ['cust_q6', 'cust_q7']);
  receiver.hold = true;
  await ok(server, `mutation { refreshAllHealthScores { status } }`);
  await waitFor(() => receiver.waiting() === 1, 'the first delivery in flight');
  await new Promise((resolve) => setTimeout(resolve, 300));
  receiver.release();
  const delivered = await settled(server, 'every delivery delivered', (rows) => rows.every((row) => row.status === 'DELIVERED'));
  expect(delivered.length).toBeGreaterThan(2);
  expect(delivered.every((row) => row.attempts === 1)).toBe(true);
  expect(receiver.received.map((r) => r.id).sort()).toEqual(delivered.map((row) => row.id).sort());
});

it('records when each delivery of a batch was accepted, not when the batch recorded its outcomes', async () => {
  const server = await serve({ DELIVERY_CONCURRENCY: '1', DELIVERY_BATCH_CONCURRENCY: '1' });
  await webhook(server);
  await seedDecliningAccounts(server, ['cust_q14']);
  // Each answer comes 200 ms after its request: the batch sends for several times that.
  receiver.answerDelayMs = 200;
  await ok(server, `mutation { refreshAllHealthScores { status } }`);
  await settled(server, 'every delivery delivered', (rows) => rows.every((row) => row.status === 'DELIVERED'));
  const rows = await sql<{ id: string; deliveredAt: Date; lastAttemptAt: Date }>(
    server.database,
    `select id::text, delivered_at as "deliveredAt", last_attempt_at as "lastAttemptAt" from delivery`,
  );
  expect(rows.length).toBeGreaterThan(2);
  for (const row of rows) {
    const arrival = receiver.arrivals.find((message) => message.id === row.id);
    expect(row.deliveredAt.getTime() - (arrival?.at as number)).toBeGreaterThanOrEqual(195);
    expect(row.deliveredAt.getTime() - (arrival?.at as number)).toBeLessThan(350);
    expect(row.lastAttemptAt).toEqual(row.deliveredAt);
  }
});

it('shares the queue between two instances: each delivery arrives once, under its own id', async () => {
  const env = { DELIVERY_CONCURRENCY: '1', DELIVERY_BATCH_CONCURRENCY: '1' };
  const first = await serve(env);
  const second = await serve(env, first.database);
  await webhook(first);
  const ids = ['cust_q8', 'cust_q9', 'cust_q10', 'cust_q11'];
  await seedDecliningAccounts(first, ids);
  receiver.hold = true;
  // One scoring batch per account: four jobs.
  await scoreNow(first, ids);
  // Each instance sends one at a time: two in flight means both are at work.
  await waitFor(() => receiver.waiting() === 2, 'both instances sending');
  receiver.release();
  const delivered = await settled(second, 'every delivery delivered', (rows) => rows.every((row) => row.status === 'DELIVERED'));
  const received = receiver.received.map((r) => r.id);
  expect(received.sort()).toEqual(delivered.map((row) => row.id).sort());
  expect(new Set(received).size).toBe(received.length);
  expect(receiver.badSignatures).toBe(0);
}, 60_000);

it('refuses a lock timeout that does not exceed the send timeout', () => {
  expect(() => readConfig({ DELIVERY_LOCK_TIMEOUT_MS: '10000', DELIVERY_TIMEOUT_MS: '10000' })).toThrow(
    /DELIVERY_LOCK_TIMEOUT_MS \(10000\) must exceed DELIVERY_TIMEOUT_MS \(10000\)/,
  );
  expect(readConfig({ DELIVERY_LOCK_TIMEOUT_MS: '10001', DELIVERY_TIMEOUT_MS: '10000' }).deliveryLockTimeoutMs).toBe(10_001);
});

it('keeps deliveries off private networks unless DELIVERY_ALLOW_PRIVATE_NETWORKS says true, and refuses anything else', () => {
  expect(readConfig({}).deliveryAllowPrivateNetworks).toBe(false);
  expect(readConfig({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' }).deliveryAllowPrivateNetworks).toBe(true);
  expect(readConfig({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'false' }).deliveryAllowPrivateNetworks).toBe(false);
  expect(() => readConfig({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'yes' })).toThrow(/DELIVERY_ALLOW_PRIVATE_NETWORKS must be true or false/);
});
