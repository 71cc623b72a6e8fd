// A receiver that answers 429 or 503 with Retry-After is tried again no sooner than it asked (in
// seconds, or at an HTTP date), and never later than DELIVERY_RETRY_MAX_DELAY_MS: the backoff alone
// would try it again within a few hundred milliseconds here. One that answers 410 Gone is not tried
// again at all, and its destination is paused.
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { DELIVERY_TEST_ENV, ok, Receiver, scoreNow, seedDecliningAccounts, SIGNING_SECRET, startReceiver, waitFor } from './support';
import { pauseGoneDestination } from '../../src/delivery/destination.service';
import type { Db } from '../../src/infra/sql';

// Longer than the most the HTTP-date test asks for (three seconds), so that its wait is never cut short.
const MAX_DELAY_MS = 4000;

let server: TestServer;
let receiver: Receiver;
/** Slack posts are not signed: a receiver that does not verify them. */
let slack: Receiver;

interface Row {
  id: string;
  status: string;
  attempts: number;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
}

function deliveriesOf(customerId: string): Promise<Row[]> {
  return sql<Row>(
    server.database,
    `select id::text, status, attempts, last_attempt_at as "lastAttemptAt", next_attempt_at as "nextAttemptAt"
     from delivery where customer_id = $1 order by id`,
    [customerId],
  );
}

/** The time between a delivery's first and second arrival at the receiver, for each delivery of the customer. */
function gapsBetweenFirstTwoAttempts(rows: Row[]): number[] {
  return rows.map((row) => {
    const [first, second] = receiver.arrivals.filter((arrival) => arrival.id === row.id);
    return second.at - first.at;
  });
}

/**
 * Refuses every request with `status` and the headers `headers` returns (asked once the account is
 * seeded, which takes seconds) while the customer's deliveries make their first attempt, then
 * accepts; resolves with them once delivered, and what was recorded while they waited.
 */
async function refuseOnceThenAccept(receiver: Receiver, customerId: string, status: number, headers: () => Record<string, string>) {
  await seedDecliningAccounts(server, [customerId]);
  receiver.status = status;
  receiver.errorHeaders = headers();
  let retrying: Row[];
  try {
    await scoreNow(server, [customerId]);
    retrying = (await waitFor(async () => {
      const rows = await deliveriesOf(customerId);
      return rows.length > 0 && rows.every((row) => row.status === 'RETRYING') && rows;
    }, 'every delivery refused once')) as Row[];
  } finally {
    receiver.status = 204;
    receiver.errorHeaders = {};
  }
  const delivered = (await waitFor(
    async () => {
      const rows = await deliveriesOf(customerId);
      return rows.every((row) => row.status === 'DELIVERED') && rows;
    },
    'every delivery delivered',
    MAX_DELAY_MS * 3,
  )) as Row[];
  return { retrying, delivered };
}

beforeAll(async () => {
  receiver = await startReceiver(SIGNING_SECRET);
  slack = await startReceiver();
  server = await startTestServer({
    label: 'retry_after',
    // Backoff from 100 ms: a first retry 50–100 ms after the failure, unless the receiver asks for more.
    env: { ...DELIVERY_TEST_ENV, DELIVERY_RETRY_BASE_MS: '100', DELIVERY_RETRY_MAX_DELAY_MS: String(MAX_DELAY_MS) },
  });
}, 60_000);

// Each test's destination takes only its own account's deliveries.
afterEach(async () => {
  const data = await ok(server, '{ destinations(first: 100) { edges { node { id } } } }');
  for (const { node } of data.destinations.edges)
    await ok(server, 'mutation($id: ID!) { deleteDestination(id: $id) { id } }', { id: node.id });
});

afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
  await slack?.stop();
});

it('retries a webhook answered 429 with Retry-After in seconds no sooner than it asked', async () => {
  await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm', url: receiver.url, signingSecret: SIGNING_SECRET, filter: { audience: 'TEAM' } },
  });
  const { retrying, delivered } = await refuseOnceThenAccept(receiver, 'cust_r1', 429, () => ({ 'Retry-After': '1' }));
  for (const row of retrying) {
    const refused = receiver.arrivals.find((arrival) => arrival.id === row.id);
    expect(row.attempts).toBe(1);
    expect((row.nextAttemptAt as Date).getTime() - (refused?.at as number)).toBeGreaterThanOrEqual(1000);
  }
  const gaps = gapsBetweenFirstTwoAttempts(delivered);
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1000);
  expect(delivered.every((row) => row.attempts === 2)).toBe(true);
});

it('retries a Slack post answered 503 with Retry-After as an HTTP date no sooner than that date', async () => {
  await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'SLACK', name: 'cs-alerts', url: slack.url, filter: { audience: 'TEAM' } },
  });
  // An HTTP date counts whole seconds: at least two from when the account is seeded, at most three (a
  // date taken before seeding, or too close, could be past by the first attempt, asking for no wait).
  let notBefore = 0;
  const { delivered } = await refuseOnceThenAccept(slack, 'cust_r2', 503, () => {
    notBefore = Math.ceil((Date.now() + 2000) / 1000) * 1000;
    return { 'Retry-After': new Date(notBefore).toUTCString() };
  });
  // Slack posts carry no webhook-id: each delivery was refused once, then accepted no sooner than the date.
  expect(slack.arrivals).toHaveLength(2 * delivered.length);
  const accepted = await sql<{ deliveredAt: Date }>(
    server.database,
    `select delivered_at as "deliveredAt" from delivery where customer_id = 'cust_r2'`,
  );
  for (const row of accepted) expect(row.deliveredAt.getTime()).toBeGreaterThanOrEqual(notBefore);
});

it('waits no longer than DELIVERY_RETRY_MAX_DELAY_MS, whatever Retry-After asks', async () => {
  await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm-2', url: receiver.url, signingSecret: SIGNING_SECRET, filter: { audience: 'TEAM' } },
  });
  const { retrying, delivered } = await refuseOnceThenAccept(receiver, 'cust_r3', 503, () => ({ 'Retry-After': '3600' }));
  for (const row of retrying) {
    const waitMs = (row.nextAttemptAt as Date).getTime() - (row.lastAttemptAt as Date).getTime();
    expect(waitMs).toBe(MAX_DELAY_MS);
  }
  for (const gap of gapsBetweenFirstTwoAttempts(delivered)) {
    expect(gap).toBeGreaterThanOrEqual(MAX_DELAY_MS - 50);
    expect(gap).toBeLessThan(MAX_DELAY_MS + 2000);
  }
});

it('gives a webhook answered 410 Gone up at once, without retrying it, and pauses its destination', async () => {
  const created = await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm-gone', url: receiver.url, signingSecret: SIGNING_SECRET, filter: { audience: 'TEAM' } },
  });
  const destinationId = created.createDestination.id;
  await seedDecliningAccounts(server, ['cust_r4', 'cust_r5']);
  receiver.status = 410;
  receiver.errorBody = 'this endpoint was removed';
  try {
    await scoreNow(server, ['cust_r4']);
    const dead = (await waitFor(async () => {
      const rows = await deliveriesOf('cust_r4');
      return rows.length > 0 && rows.every((row) => row.status === 'DEAD') && rows;
    }, 'every delivery dead')) as Row[];
    // Retries would come 50–300 ms apart: none comes.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const row of dead) {
      expect(row.attempts).toBe(1);
      expect(row.nextAttemptAt).toBeNull();
      expect(receiver.arrivals.filter((arrival) => arrival.id === row.id)).toHaveLength(1);
    }
    const errors = await sql<{ lastError: string }>(
      server.database,
      `select last_error as "lastError" from delivery where customer_id = 'cust_r4'`,
    );
    for (const { lastError } of errors) {
      expect(lastError).toBe(
        'HTTP 410: this endpoint was removed (the receiver says this endpoint is gone: not retried); the destination was paused',
      );
    }
  } finally {
    receiver.status = 204;
    receiver.errorBody = 'not now';
  }
  const destination = await ok(server, `{ destinations(first: 100) { edges { node { id paused } } } }`);
  expect(destination.destinations.edges.find((edge: any) => edge.node.id === destinationId).node.paused).toBe(true);
  const audit = await ok(server, `{ auditLog(first: 5, actor: "delivery-worker") { edges { node { action target details } } } }`);
  expect(audit.auditLog.edges.map((edge: any) => edge.node)).toEqual([
    {
      action: 'destination.update',
      target: destinationId,
      // As an admin's `paused: true` is recorded, and why.
      details: {
        changed: ['paused'],
        name: 'crm-gone',
        kind: 'WEBHOOK',
        url: 'http://127.0.0.1:' + new URL(receiver.url).port + '/…ooks',
        emailTo: null,
        paused: true,
        filter: { audience: 'TEAM', playbooks: null, tiers: null, csmOwner: null },
        reason: 'the receiver answered 410 Gone',
      },
    },
  ]);
  // Paused, it is sent nothing more, until an admin resumes it: what it misses is recorded, not sent.
  const arrived = receiver.arrivals.length;
  await scoreNow(server, ['cust_r5']);
  const missed = await deliveriesOf('cust_r5');
  expect(missed.length).toBeGreaterThan(0);
  expect(missed.every((row) => row.status === 'CANCELLED' && row.attempts === 0)).toBe(true);
  expect(receiver.arrivals).toHaveLength(arrived);
});

it('leaves a destination given another URL while a send to the old one was answered 410 running, and says so', async () => {
  const created = await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm-moved', url: receiver.url, signingSecret: SIGNING_SECRET, filter: { audience: 'TEAM' } },
  });
  const destinationId = created.createDestination.id;
  await seedDecliningAccounts(server, ['cust_r6']);
  receiver.status = 410;
  receiver.errorBody = 'this endpoint was removed';
  receiver.hold = true;
  try {
    await scoreNow(server, ['cust_r6']);
    // The sends have reached the old address; an admin moves the destination before it answers.
    const sent = (await deliveriesOf('cust_r6')).length;
    expect(sent).toBeGreaterThan(0);
    await waitFor(() => receiver.waiting() === sent, 'every send held at the old address');
    await ok(server, `mutation($id: ID!, $input: DestinationInput!) { updateDestination(id: $id, input: $input) { id } }`, {
      id: destinationId,
      input: { url: `${receiver.url}/moved` },
    });
    receiver.release();
    await waitFor(async () => (await deliveriesOf('cust_r6')).every((row) => row.status === 'DEAD'), 'every delivery dead');
    const errors = await waitFor(async () => {
      const rows = await sql<{ lastError: string }>(
        server.database,
        `select last_error as "lastError" from delivery where customer_id = 'cust_r6'`,
      );
      return rows.every(({ lastError }) => lastError.includes(';')) && rows;
    }, "the destination's fate noted");
    for (const { lastError } of errors || []) {
      expect(lastError).toBe(
        'HTTP 410: this endpoint was removed (the receiver says this endpoint is gone: not retried); ' +
          'the destination was not paused: its URL had been changed since',
      );
    }
  } finally {
    receiver.release();
    receiver.status = 204;
    receiver.errorBody = 'not now';
  }
  const listed = await ok(server, `{ destinations(first: 100) { edges { node { id paused } } } }`);
  expect(listed.destinations.edges.find((edge: any) => edge.node.id === destinationId).node.paused).toBe(false);
  const audit = await ok(server, `{ auditLog(first: 5, actor: "delivery-worker") { edges { node { target } } } }`);
  expect(audit.auditLog.edges.map((edge: any) => edge.node.target)).not.toContain(destinationId);
  // Still running: the next action is sent to the new address.
  await seedDecliningAccounts(server, ['cust_r7']);
  await scoreNow(server, ['cust_r7']);
  await waitFor(async () => {
    const rows = await deliveriesOf('cust_r7');
    return rows.length > 0 && rows.every((row) => row.status === 'DELIVERED');
  }, 'the next action delivered');
});

it('pauses and audits a destination once, however many of its jobs were answered 410', async () => {
  const created = await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm-paused', url: receiver.url, signingSecret: SIGNING_SECRET, filter: { audience: 'TEAM' } },
  });
  const destinationId = created.createDestination.id;
  const db = server.app.orm.em.fork() as Db;
  // Paused by the first 410; a second job's 410 from the same address finds it paused.
  expect(await pauseGoneDestination(db, destinationId, receiver.url, [])).toBe('PAUSED');
  expect(await pauseGoneDestination(db, destinationId, receiver.url, [])).toBe('ALREADY_PAUSED');
  const audit = await ok(server, `{ auditLog(first: 50, actor: "delivery-worker") { edges { node { target } } } }`);
  expect(audit.auditLog.edges.filter((edge: any) => edge.node.target === destinationId)).toHaveLength(1);
});

it('leaves the destination running when its audit entry cannot be written: no pause goes unaudited', async () => {
  const created = await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm-unaudited', url: receiver.url, signingSecret: SIGNING_SECRET, filter: { audience: 'TEAM' } },
  });
  const destinationId = created.createDestination.id;
  const db = server.app.orm.em.fork() as Db;
  await sql(
    server.database,
    `create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit log unavailable'; end $$;
     create trigger refuse_audit before insert on audit_log for each row execute function refuse_audit()`,
  );
  try {
    await expect(pauseGoneDestination(db, destinationId, receiver.url, [])).rejects.toThrow('audit log unavailable');
  } finally {
    await sql(server.database, `drop trigger refuse_audit on audit_log; drop function refuse_audit()`);
  }
  const listed = await ok(server, `{ destinations(first: 100) { edges { node { id paused } } } }`);
  expect(listed.destinations.edges.find((edge: any) => edge.node.id === destinationId).node.paused).toBe(false);
  // The next 410 pauses it, audited.
  expect(await pauseGoneDestination(db, destinationId, receiver.url, [])).toBe('PAUSED');
});

it("notes a destination's fate on the attempt answered 410, not on a later attempt of the same delivery", async () => {
  const created = await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'crm-noted', url: receiver.url, signingSecret: SIGNING_SECRET, filter: { audience: 'TEAM' } },
  });
  const destinationId = created.createDestination.id;
  await seedDecliningAccounts(server, ['cust_r8']);
  await scoreNow(server, ['cust_r8']);
  const [delivery] = (await waitFor(async () => {
    const rows = await deliveriesOf('cust_r8');
    return rows.length > 0 && rows.every((row) => row.status === 'DELIVERED') && rows;
  }, 'the action delivered')) as Row[];
  // Its first attempt (to an address since changed) and then a redelivered one were both answered
  // 410, the second recorded before the first's pause ran.
  const first = new Date('2026-03-01T10:00:00.123Z');
  const second = new Date('2026-03-01T10:05:00.456Z');
  const refusal = 'HTTP 410: gone (the receiver says this endpoint is gone: not retried)';
  await sql(server.database, `update delivery set status = 'DEAD', last_error = $2, last_attempt_at = $3 where id = $1`, [
    delivery.id,
    refusal,
    second,
  ]);
  const lastError = async () =>
    (await sql<{ lastError: string }>(server.database, `select last_error as "lastError" from delivery where id = $1`, [delivery.id]))[0]
      .lastError;
  const db = server.app.orm.em.fork() as Db;
  // The first attempt's pause finds the URL changed: the second attempt's error is not its to note.
  expect(
    await pauseGoneDestination(db, destinationId, `${receiver.url}/old`, [
      { deliveryId: delivery.id, attemptedAt: first, lastError: refusal },
    ]),
  ).toBe('URL_CHANGED');
  expect(await lastError()).toBe(refusal);
  // The second's pauses the destination, and says so.
  const secondRefused = [{ deliveryId: delivery.id, attemptedAt: second, lastError: refusal }];
  expect(await pauseGoneDestination(db, destinationId, receiver.url, secondRefused)).toBe('PAUSED');
  expect(await lastError()).toBe(`${refusal}; the destination was paused`);
  // Noted again (its pause run twice), the attempt still carries one note.
  expect(await pauseGoneDestination(db, destinationId, receiver.url, secondRefused)).toBe('ALREADY_PAUSED');
  expect(await lastError()).toBe(`${refusal}; the destination was already paused`);
});
