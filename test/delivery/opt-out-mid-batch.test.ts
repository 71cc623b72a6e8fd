// A customer who opts out (or churns) while a batch job is sending its deliveries: the job reads the
// opt-out and the churn again before each customer-facing send, so nothing for that customer starts
// after either has committed, and its deliveries end CANCELLED as a single delivery's job leaves
// them. Team alerts about that customer still go out.
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { SmtpCatcher, startSmtpCatcher } from '../helpers/smtp';
import { DELIVERY_TEST_ENV, ok, Receiver, seedDecliningAccounts, SIGNING_SECRET, startReceiver, waitFor } from './support';

const CREATE = `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`;

let server: TestServer;
let receiver: Receiver;
let smtp: SmtpCatcher;

interface Row {
  id: string;
  customerId: string;
  audience: string;
  status: string;
  lastError: string | null;
  kind: string;
}

function deliveries(): Promise<Row[]> {
  return sql<Row>(
    server.database,
    `select d.id::text, d.customer_id as "customerId", d.audience, d.status, d.last_error as "lastError", dst.kind
     from delivery d join destination dst on dst.id = d.destination_id order by d.id`,
  );
}

async function allClosed(kind: string): Promise<Row[]> {
  return waitFor(async () => {
    const rows = (await deliveries()).filter((row) => row.kind === kind);
    return rows.length > 0 && rows.every((row) => row.status !== 'PENDING' && row.status !== 'RETRYING') && rows;
  }, `every ${kind} delivery closed`) as Promise<Row[]>;
}

/** Opts the customers out, one mutation each; resolves once every opt-out has committed, with that time. */
async function optOut(customerIds: string[]): Promise<number> {
  for (const id of customerIds)
    await ok(server, 'mutation($id: ID!) { setCommunicationOptOut(customerId: $id, optedOut: true) { id } }', { id });
  return Date.now();
}

/** Marks the customers churned a second ago, one mutation each; resolves once every churn has committed, with that time. */
async function churn(customerIds: string[]): Promise<number> {
  const churnedAt = new Date(Date.now() - 1000).toISOString();
  for (const id of customerIds) {
    await ok(server, 'mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
      input: { id, churnedAt, churnReason: 'moved to a competitor' },
    });
  }
  return Date.now();
}

beforeAll(async () => {
  receiver = await startReceiver(SIGNING_SECRET);
  smtp = await startSmtpCatcher();
  // One job at a time, two sends at once: the batch's sends are spread over its lanes.
  server = await startTestServer({
    label: 'opt_out_mid_batch',
    env: { ...DELIVERY_TEST_ENV, SMTP_URL: smtp.url, DELIVERY_CONCURRENCY: '1', DELIVERY_BATCH_CONCURRENCY: '2' },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
  await smtp?.close();
});

it('starts no webhook for a customer once its opt-out has committed, mid-batch: its deliveries are CANCELLED, team alerts still go', async () => {
  const destination = await ok(server, CREATE, {
    input: { kind: 'WEBHOOK', name: 'crm', url: receiver.url, signingSecret: SIGNING_SECRET },
  });
  const ids = ['cust_m1', 'cust_m2', 'cust_m3', 'cust_m4', 'cust_m5'];
  await seedDecliningAccounts(server, ids);
  receiver.hold = true;
  // One scoring batch: one job sends all its deliveries to the webhook, two at a time.
  await ok(server, `mutation { refreshAllHealthScores { status } }`);
  await waitFor(() => receiver.waiting() === 2, 'two sends in flight, held by the receiver');
  const inFlight = new Set(receiver.arrivals.map((arrival) => arrival.body.data.actions[0].customer.id as string));
  const optedOut = ids.filter((id) => !inFlight.has(id));
  expect(optedOut.length).toBeGreaterThanOrEqual(3);
  const committed = await optOut(optedOut);
  // At once: within a second of the job's last look at what it sends to.
  receiver.release();
  const rows = await allClosed('WEBHOOK');

  const toOptedOut = (customerId: string) => optedOut.includes(customerId);
  const late = receiver.arrivals.filter(
    (arrival) => arrival.body.data.actions[0].audience === 'CUSTOMER' && toOptedOut(arrival.body.data.actions[0].customer.id),
  );
  expect(late.map((arrival) => ({ id: arrival.id, afterCommitMs: arrival.at - committed }))).toEqual([]);
  const withheld = rows.filter((row) => row.audience === 'CUSTOMER' && toOptedOut(row.customerId));
  expect(withheld.length).toBeGreaterThanOrEqual(optedOut.length);
  for (const row of withheld) expect(row).toMatchObject({ status: 'CANCELLED', lastError: expect.stringMatching(/opted out/) });
  // The team hears about those accounts all the same, and the others' customers get theirs.
  const rest = rows.filter((row) => !(row.audience === 'CUSTOMER' && toOptedOut(row.customerId)));
  expect(rest.filter((row) => row.audience === 'TEAM' && toOptedOut(row.customerId)).length).toBeGreaterThan(0);
  expect(rest.every((row) => row.status === 'DELIVERED')).toBe(true);
  expect(receiver.received.map((message) => message.id).sort()).toEqual(rest.map((row) => row.id).sort());
  await ok(server, `mutation($id: ID!) { deleteDestination(id: $id) { id } }`, { id: destination.createDestination.id });
});

it('starts no webhook for a customer once its churn has committed, mid-batch: its deliveries are CANCELLED, team alerts still go', async () => {
  const destination = await ok(server, CREATE, {
    input: { kind: 'WEBHOOK', name: 'crm', url: receiver.url, signingSecret: SIGNING_SECRET },
  });
  const ids = ['cust_c1', 'cust_c2', 'cust_c3', 'cust_c4', 'cust_c5'];
  await seedDecliningAccounts(server, ids);
  receiver.hold = true;
  const arrivedBefore = receiver.arrivals.length;
  await ok(server, `mutation { refreshAllHealthScores { status } }`);
  await waitFor(() => receiver.waiting() === 2, 'two sends in flight, held by the receiver');
  const customerOf = (arrival: { body: any }) => arrival.body.data.actions[0].customer.id as string;
  const inFlight = new Set(receiver.arrivals.slice(arrivedBefore).map(customerOf));
  const churned = ids.filter((id) => !inFlight.has(id));
  expect(churned.length).toBeGreaterThanOrEqual(3);
  const committed = await churn(churned);
  receiver.release();
  const rows = (await allClosed('WEBHOOK')).filter((row) => ids.includes(row.customerId));

  const late = receiver.arrivals.filter(
    (arrival) => arrival.body.data.actions[0].audience === 'CUSTOMER' && churned.includes(customerOf(arrival)),
  );
  expect(late.map((arrival) => ({ id: arrival.id, afterCommitMs: arrival.at - committed }))).toEqual([]);
  const withheld = rows.filter((row) => row.audience === 'CUSTOMER' && churned.includes(row.customerId));
  expect(withheld.length).toBeGreaterThanOrEqual(churned.length);
  for (const row of withheld) {
    expect(row).toMatchObject({ status: 'CANCELLED', lastError: 'the customer has churned since this one was decided' });
  }
  const rest = rows.filter((row) => !withheld.includes(row));
  expect(rest.filter((row) => row.audience === 'TEAM' && churned.includes(row.customerId)).length).toBeGreaterThan(0);
  expect(rest.every((row) => row.status === 'DELIVERED')).toBe(true);
  const received = new Set(receiver.received.map((message) => message.id));
  expect(rest.filter((row) => !received.has(row.id))).toEqual([]);
  await ok(server, `mutation($id: ID!) { deleteDestination(id: $id) { id } }`, { id: destination.createDestination.id });
});

it('starts no email to a customer once its opt-out has committed, mid-batch: its deliveries are CANCELLED', async () => {
  await ok(server, CREATE, {
    input: { kind: 'EMAIL', name: 'mail', emailFrom: 'care@vendor.example', filter: { audience: 'CUSTOMER' } },
  });
  const ids = ['cust_n1', 'cust_n2', 'cust_n3', 'cust_n4'];
  // Each account's contactEmail is `<id>@customer.example`.
  await seedDecliningAccounts(server, ids);
  smtp.hold = true;
  await ok(server, `mutation { refreshAllHealthScores { status } }`);
  await waitFor(() => smtp.waiting() === 2, 'two emails in flight, held by the SMTP server');
  const inFlight = new Set(smtp.mails.flatMap((mail) => mail.to));
  const optedOut = ids.filter((id) => !inFlight.has(`${id}@customer.example`));
  expect(optedOut.length).toBeGreaterThanOrEqual(2);
  const committed = await optOut(optedOut);
  smtp.release();
  const rows = await allClosed('EMAIL');

  const optedOutAddresses = new Set(optedOut.map((id) => `${id}@customer.example`));
  const late = smtp.mails.filter((mail) => mail.to.some((to) => optedOutAddresses.has(to)));
  expect(late.map((mail) => ({ to: mail.to, afterCommitMs: mail.at - committed }))).toEqual([]);
  const withheld = rows.filter((row) => optedOut.includes(row.customerId));
  expect(withheld.length).toBeGreaterThanOrEqual(optedOut.length);
  for (const row of withheld) expect(row).toMatchObject({ status: 'CANCELLED', lastError: expect.stringMatching(/opted out/) });
  expect(rows.filter((row) => !optedOut.includes(row.customerId)).every((row) => row.status === 'DELIVERED')).toBe(true);
});
