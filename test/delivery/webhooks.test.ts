// Outreach delivered to a signed webhook, end to end through the real service and a real HTTP
// receiver that verifies every signature with the standardwebhooks library.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { readmeBlockAfter } from '../readme/readme-blocks';
import { DELIVERY_TEST_ENV, ok, Receiver, scoreNow, seedDecliningAccounts, SIGNING_SECRET, startReceiver, waitFor } from './support';

let server: TestServer;
let receiver: Receiver;
let destinationId: string;

const CREATE = `mutation($input: DestinationInput!) { createDestination(input: $input) { id kind name url signingSecret paused filter { audience } } }`;
const ACTION_DELIVERIES = `query($customerId: ID) { outreachLog(customerId: $customerId, first: 50) { edges { node { id audience status
  deliveries { id status attempts lastError deliveredAt destination { id name } } } } } }`;

async function deliveriesOf(customerId: string) {
  const data = await ok(server, ACTION_DELIVERIES, { customerId });
  return data.outreachLog.edges.flatMap((e: any) =>
    e.node.deliveries.map((d: any) => ({ ...d, audience: e.node.audience, actionId: e.node.id })),
  );
}

const README_PAYLOAD = JSON.parse(readmeBlockAfter(readFileSync(path.join(__dirname, '../../README.md'), 'utf8'), 'The payload:', 'json'));

/** Every field of a JSON value as a path, in order, with the kind of its value (a list's first item stands for all). */
function fieldPaths(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [`${at}: empty list`] : fieldPaths(value[0], `${at}[]`);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, field]) => fieldPaths(field, `${at}.${key}`));
  return [`${at}: ${value === null ? 'null' : typeof value}`];
}

async function jobCount(): Promise<number> {
  const [row] = await sql<{ count: number }>(server.database, `select count(*)::int as count from graphile_worker.jobs`);
  return row.count;
}

beforeAll(async () => {
  // An attempt the receiver holds open must not time out (and be retried) while a test looks at it,
  // however slow a loaded machine is: none here is about the attempt's timeout.
  server = await startTestServer({ label: 'webhooks', env: { ...DELIVERY_TEST_ENV, DELIVERY_TIMEOUT_MS: '20000' } });
  receiver = await startReceiver(SIGNING_SECRET);
  const created = await ok(server, CREATE, {
    input: {
      kind: 'WEBHOOK',
      name: 'crm',
      url: `${receiver.url}?token=very-secret-token`,
      signingSecret: SIGNING_SECRET,
      filter: { audience: 'TEAM' },
    },
  });
  destinationId = created.createDestination.id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

describe('webhook destinations', () => {
  it('answers secrets masked, never in full', async () => {
    const data = await ok(server, `{ destinations(first: 10) { totalCount edges { node { id url signingSecret } } } }`);
    const node = data.destinations.edges[0].node;
    expect(node.url).toBe(`http://127.0.0.1:${new URL(receiver.url).port}/…oken`);
    expect(node.signingSecret).toBe(`whsec_…${SIGNING_SECRET.slice(-4)}`);
    expect(JSON.stringify(data)).not.toContain('very-secret-token');
  });

  it('refuses a webhook without a signing secret, writing nothing', async () => {
    const refused = await server.request(CREATE, { input: { kind: 'WEBHOOK', name: 'x', url: receiver.url } });
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0].extensions?.argument).toBe('signingSecret');
    const weak = await server.request(CREATE, {
      input: { kind: 'WEBHOOK', name: 'x', url: receiver.url, signingSecret: 'whsec_c2hvcnQ=' },
    });
    expect(weak.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const [row] = await sql<{ count: number }>(server.database, `select count(*)::int as count from destination`);
    expect(row.count).toBe(1);
  });

  it('refuses a filter naming a tier or playbook no model defines (it would match nothing), writing nothing', async () => {
    const input = { kind: 'WEBHOOK', name: 'typo', url: receiver.url, signingSecret: SIGNING_SECRET };
    for (const [filter, argument] of [
      [{ tiers: ['critical', 'critcal'] }, 'filter.tiers'],
      [{ playbooks: ['silnce'] }, 'filter.playbooks'],
      // An empty list is neither "none" nor "any": null is "any".
      [{ playbooks: [] }, 'filter.playbooks'],
      [{ tiers: [] }, 'filter.tiers'],
    ] as const) {
      const refused = await server.request(CREATE, { input: { ...input, filter } });
      expect([refused.errors?.[0].extensions?.code, refused.errors?.[0].extensions?.argument]).toEqual(['BAD_USER_INPUT', argument]);
    }
    const changed = await server.request(
      `mutation($id: ID!) { updateDestination(id: $id, input: { filter: { tiers: ["nope"] } }) { id } }`,
      {
        id: destinationId,
      },
    );
    expect(changed.errors?.[0].extensions?.argument).toBe('filter.tiers');
    const [row] = await sql<{ count: number; tiers: number }>(
      server.database,
      `select count(*)::int as count, count(tiers)::int as tiers from destination`,
    );
    expect(row).toEqual({ count: 1, tiers: 0 });
  });

  it('stores a filter csmOwner that shows nothing as none: no filter on the CSM owner, as a blank label anywhere', async () => {
    const UPDATE = `mutation($id: ID!, $filter: DestinationFilterInput) { updateDestination(id: $id, input: { filter: $filter }) { filter { audience csmOwner } } }`;
    for (const csmOwner of ['  ', '\u200b', ' \u2060 ']) {
      const updated = await ok(server, UPDATE, { id: destinationId, filter: { audience: 'TEAM', csmOwner } });
      expect(updated.updateDestination.filter).toEqual({ audience: 'TEAM', csmOwner: null });
    }
    const [row] = await sql<{ csmOwner: string | null }>(server.database, `select csm_owner as "csmOwner" from destination`);
    expect(row.csmOwner).toBeNull();
  });

  it('delivers each matching decided action once, signed, with the documented payload', async () => {
    await seedDecliningAccounts(server, ['cust_w1']);
    await scoreNow(server, ['cust_w1']);
    const deliveries = await waitFor(async () => {
      const list = await deliveriesOf('cust_w1');
      return list.length > 0 && list.every((d: any) => d.status === 'DELIVERED') && list;
    }, 'deliveries DELIVERED');
    // The filter took team actions only.
    expect(deliveries.every((d: any) => d.audience === 'TEAM')).toBe(true);
    expect(deliveries.every((d: any) => d.attempts === 1 && d.deliveredAt && d.destination.name === 'crm')).toBe(true);
    expect(receiver.badSignatures).toBe(0);
    expect(receiver.received.map((r) => r.id).sort()).toEqual(deliveries.map((d: any) => d.id).sort());
    const message = receiver.received[0];
    // The README's example has the fields sent, in the order sent (test/readme/webhook-payload.test.ts checks its values).
    expect(fieldPaths(message.body)).toEqual(fieldPaths(README_PAYLOAD));
    expect(message.body.type).toBe('outreach.action');
    const [action] = message.body.data.actions;
    expect(action).toEqual(
      expect.objectContaining({
        deliveryId: message.id,
        audience: 'TEAM',
        playbook: expect.any(String),
        fromTier: 'healthy',
        score: expect.any(Number),
      }),
    );
    expect(action.customer).toEqual({
      id: 'cust_w1',
      name: 'Account cust_w1',
      arrCents: 8_000_000,
      csmOwner: 'kate',
      contactEmail: 'cust_w1@customer.example',
    });
    expect(action.mostNegativeSignals.length).toBeGreaterThan(0);
    expect(action.mostNegativeSignals.length).toBeLessThanOrEqual(3);
    // The red flags are the stored score's penalties applied (stored positionally, read back as objects).
    const latest = await ok(server, `{ healthScore(customerId: "cust_w1") { penalties { name points applied } } }`);
    const applied = latest.healthScore.penalties
      .filter((p: any) => p.applied && p.points > 0)
      .map((p: any) => ({ name: p.name, pointsLost: p.points }));
    expect(applied.length).toBeGreaterThan(0);
    expect(action.redFlags).toHaveLength(Math.min(3, applied.length));
    for (const flag of action.redFlags) expect(applied).toContainEqual(flag);
    // A tampered body does not verify with the same secret.
    expect(() =>
      new Webhook(SIGNING_SECRET).verify(JSON.stringify({ ...message.body, type: 'x' }), message.headers as Record<string, string>),
    ).toThrow();
  });

  it('filters the log by delivery status and counts deliveries per status and destination', async () => {
    const delivered = await ok(server, `{ outreachLog(deliveryStatus: DELIVERED, first: 50) { totalCount } }`);
    expect(delivered.outreachLog.totalCount).toBe(receiver.received.length);
    // A blank csmOwner is no filter, in the log as in the customer list (an emptied form field).
    const blank = await ok(
      server,
      `{ all: outreachLog(first: 1) { totalCount } blank: outreachLog(csmOwner: " ", first: 1) { totalCount }
      customers: customers(first: 1) { totalCount } blankCustomers: customers(csmOwner: "", first: 1) { totalCount } }`,
    );
    expect(blank.all.totalCount).toBeGreaterThan(0);
    expect(blank.blank.totalCount).toBe(blank.all.totalCount);
    expect(blank.blankCustomers.totalCount).toBe(blank.customers.totalCount);
    const summary = await ok(
      server,
      `{ deliverySummary { total { status count } byDestination { destination { id name } counts { status count } } } }`,
    );
    expect(summary.deliverySummary.total).toEqual([{ status: 'DELIVERED', count: receiver.received.length }]);
    expect(summary.deliverySummary.byDestination).toEqual([
      { destination: { id: destinationId, name: 'crm' }, counts: [{ status: 'DELIVERED', count: receiver.received.length }] },
    ]);
  });

  it('retries while the receiver is down and delivers everything once it is back, under the same ids', async () => {
    await seedDecliningAccounts(server, ['cust_w2', 'cust_w3']);
    await receiver.stop();
    await scoreNow(server, ['cust_w2', 'cust_w3']);
    await waitFor(async () => {
      const list = [...(await deliveriesOf('cust_w2')), ...(await deliveriesOf('cust_w3'))];
      return list.length > 0 && list.every((d: any) => d.status === 'RETRYING' && d.attempts >= 2 && d.lastError) && list;
    }, 'every delivery retrying');
    await receiver.start();
    const delivered = await waitFor(async () => {
      const list = [...(await deliveriesOf('cust_w2')), ...(await deliveriesOf('cust_w3'))];
      return list.every((d: any) => d.status === 'DELIVERED') && list;
    }, 'every delivery delivered after the receiver came back');
    const ids = new Set(receiver.received.map((r) => r.id));
    for (const delivery of delivered as any[]) expect(ids.has(delivery.id)).toBe(true);
  });

  it('carries the score before the one that fired the playbook, even when the customer was scored again before it was sent', async () => {
    await seedDecliningAccounts(server, ['cust_w9']);
    const seeded = await ok(server, `{ healthScore(customerId: "cust_w9") { score } }`);
    receiver.status = 503;
    try {
      await scoreNow(server, ['cust_w9']);
      await waitFor(async () => {
        const list = await deliveriesOf('cust_w9');
        return list.length > 0 && list.every((d: any) => d.status === 'RETRYING') && list;
      }, 'deliveries retrying');
      // A later scoring (an hourly run, a new signal) before the receiver is back: within the cooldown, nothing new is sent.
      await scoreNow(server, ['cust_w9']);
    } finally {
      receiver.status = 204;
    }
    const delivered = await waitFor(async () => {
      const list = await deliveriesOf('cust_w9');
      return list.every((d: any) => d.status === 'DELIVERED') && list;
    }, 'deliveries delivered');
    const ids = new Set(delivered.map((d: any) => d.id));
    const actions = receiver.received.filter((r) => ids.has(r.id)).map((r) => r.body.data.actions[0]);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) {
      // The payload's score is the action's; the one before it is the seeded point's, not the action's own score again.
      expect(action.previousScore).toBe(seeded.healthScore.score);
      expect(action.score).not.toBe(action.previousScore);
    }
  });

  it("carries the previous score its message shows, even when a backfill writes a point before the action's after it was decided", async () => {
    await seedDecliningAccounts(server, ['cust_w12']);
    const seeded = await ok(server, `{ healthScore(customerId: "cust_w12") { score } }`);
    receiver.status = 503;
    let backfilled: number;
    try {
      await scoreNow(server, ['cust_w12']);
      await waitFor(async () => {
        const list = await deliveriesOf('cust_w12');
        return list.length > 0 && list.every((d: any) => d.status === 'RETRYING') && list;
      }, 'deliveries retrying');
      // The history filled in afterwards: the action's point now follows this one (its previousScore is rewritten).
      const asOf = new Date(Date.now() - 10 * 86_400_000).toISOString();
      const point = await ok(server, `mutation($id: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $id, asOf: $asOf) { score } }`, {
        id: 'cust_w12',
        asOf,
      });
      backfilled = point.refreshHealthScore.score;
    } finally {
      receiver.status = 204;
    }
    expect(backfilled).not.toBe(seeded.healthScore.score);
    const delivered = await waitFor(async () => {
      const list = await deliveriesOf('cust_w12');
      return list.every((d: any) => d.status === 'DELIVERED') && list;
    }, 'deliveries delivered');
    const ids = new Set(delivered.map((d: any) => d.id));
    const actions = receiver.received.filter((r) => ids.has(r.id)).map((r) => r.body.data.actions[0]);
    const alert = actions.find((action) => action.action === 'csm_alert');
    expect(alert.message).toContain(`: score ${alert.score} (was ${seeded.healthScore.score}).`);
    expect(actions.map((action) => action.previousScore)).toEqual(actions.map(() => seeded.healthScore.score));
  });

  it("records a failed attempt whatever the receiver's answer holds: a NUL, a character its first 200 cut in two", async () => {
    await seedDecliningAccounts(server, ['cust_w10']);
    receiver.status = 503;
    // PostgreSQL stores neither a NUL nor half of a surrogate pair: the emoji straddles the 200th character.
    receiver.errorBody = `busy\u0000${'x'.repeat(194)}😀 later`;
    let retrying: any[];
    try {
      await scoreNow(server, ['cust_w10']);
      retrying = await waitFor(async () => {
        const list = await deliveriesOf('cust_w10');
        return list.length > 0 && list.every((d: any) => d.status === 'RETRYING' && d.attempts >= 1) && list;
      }, 'deliveries retrying, their failed attempt recorded');
    } finally {
      receiver.status = 204;
      receiver.errorBody = 'not now';
    }
    for (const delivery of retrying) {
      expect(delivery.lastError).toBe(`HTTP 503: busy\uFFFD${'x'.repeat(194)}\uFFFD`);
    }
    await waitFor(async () => (await deliveriesOf('cust_w10')).every((d: any) => d.status === 'DELIVERED'), 'deliveries delivered');
  });

  it('does not make scoring wait for a receiver that has not answered', async () => {
    await seedDecliningAccounts(server, ['cust_w4', 'cust_w4b']);
    receiver.hold = true;
    const before = receiver.received.length;
    await scoreNow(server, ['cust_w4']);
    // The worker is sending to the receiver, which holds every request open...
    await waitFor(async () => receiver.waiting() > 0, 'a delivery request held open by the receiver');
    // ...and scoring another account meanwhile is not held up by it.
    const started = Date.now();
    await scoreNow(server, ['cust_w4b']);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(receiver.waiting()).toBeGreaterThan(0);
    expect(receiver.received.length).toBe(before);
    const pending = await deliveriesOf('cust_w4');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((d: any) => d.status === 'PENDING')).toBe(true);
    receiver.release();
    for (const id of ['cust_w4', 'cust_w4b'])
      await waitFor(async () => (await deliveriesOf(id)).every((d: any) => d.status === 'DELIVERED'), `held deliveries of ${id} delivered`);
  });

  it('sends nothing for a scoring batch that rolled back', async () => {
    await seedDecliningAccounts(server, ['cust_w5']);
    // Fails the scoring transaction at commit, after its deliveries and jobs were written.
    await sql(
      server.database,
      `create function fail_at_commit() returns trigger language plpgsql as $$ begin raise exception 'rolled back on purpose'; end $$`,
    );
    await sql(
      server.database,
      `create constraint trigger fail_at_commit after insert on delivery deferrable initially deferred for each row execute function fail_at_commit()`,
    );
    const before = receiver.received.length;
    const jobsBefore = await jobCount();
    const failed = await server.request(`mutation { refreshHealthScore(customerId: "cust_w5") { tier } }`);
    expect(failed.errors?.length).toBeGreaterThan(0);
    await sql(server.database, `drop trigger fail_at_commit on delivery`);
    expect(await deliveriesOf('cust_w5')).toEqual([]);
    expect(await jobCount()).toBe(jobsBefore);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received.length).toBe(before);
  });

  it('delivers nothing for a backfill', async () => {
    const [before] = await sql<{ count: number }>(server.database, `select count(*)::int as count from delivery`);
    await ok(server, `mutation($asOf: DateTime) { refreshAllHealthScores(asOf: $asOf) { status } }`, {
      asOf: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    });
    const [after] = await sql<{ count: number }>(server.database, `select count(*)::int as count from delivery`);
    expect(after.count).toBe(before.count);
  });

  it('redelivers a delivery under the same webhook-id', async () => {
    const [first] = await deliveriesOf('cust_w1');
    const again = await ok(server, `mutation($id: ID!) { redeliver(deliveryId: $id) { id status } }`, { id: first.id });
    expect(again.redeliver).toEqual({ id: first.id, status: 'PENDING' });
    await waitFor(() => receiver.received.filter((r) => r.id === first.id).length === 2, 'the redelivery');
    const unknown = await server.request(`mutation { redeliver(deliveryId: "00000000-0000-0000-0000-000000000000") { id } }`);
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('clears deliveredAt when a delivered message is redelivered: it reads as the redelivery goes, not as the first send went', async () => {
    await seedDecliningAccounts(server, ['cust_w9']);
    await scoreNow(server, ['cust_w9']);
    const [sent] = await waitFor(async () => {
      const list = await deliveriesOf('cust_w9');
      return list.length > 0 && list.every((d: any) => d.status === 'DELIVERED') && list;
    }, 'delivered');
    expect(sent.deliveredAt).not.toBeNull();
    receiver.status = 503;
    try {
      const again = await ok(server, `mutation($id: ID!) { redeliver(deliveryId: $id) { status attempts deliveredAt } }`, { id: sent.id });
      expect(again.redeliver).toEqual({ status: 'PENDING', attempts: sent.attempts, deliveredAt: null });
      const failed = await waitFor(
        async () => (await deliveriesOf('cust_w9')).find((d: any) => d.id === sent.id && d.attempts > sent.attempts),
        'the redelivery failed',
      );
      expect(failed).toMatchObject({ status: 'RETRYING', lastError: 'HTTP 503: not now', deliveredAt: null });
    } finally {
      receiver.status = 204;
    }
    const delivered = await waitFor(
      async () => (await deliveriesOf('cust_w9')).find((d: any) => d.id === sent.id && d.status === 'DELIVERED'),
      'the redelivery delivered',
    );
    expect(Date.parse(delivered.deliveredAt)).toBeGreaterThan(Date.parse(sent.deliveredAt));
  });

  it('sends a message once when it is redelivered while an attempt is sending it', async () => {
    await seedDecliningAccounts(server, ['cust_w8']);
    receiver.hold = true;
    await scoreNow(server, ['cust_w8']);
    await waitFor(async () => receiver.waiting() > 0, 'an attempt held open by the receiver');
    const held = receiver.waiting();
    const [delivery] = await deliveriesOf('cust_w8');
    const again = await ok(server, `mutation($id: ID!) { redeliver(deliveryId: $id) { id status } }`, { id: delivery.id });
    expect(again.redeliver.status).toBe('PENDING');
    // The redelivery's job runs at once and finds the message being sent: it sends nothing meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(receiver.waiting()).toBe(held);
    receiver.release();
    await waitFor(async () => (await deliveriesOf('cust_w8')).every((d: any) => d.status === 'DELIVERED'), 'delivered');
    // Past the redelivery job's next run: it found the message delivered and sent nothing.
    await waitFor(async () => {
      const [row] = await sql<{ count: number }>(
        server.database,
        `select count(*)::int as count from graphile_worker.jobs where key = 'delivery:' || $1`,
        [delivery.id],
      );
      return row.count === 0;
    }, 'the redelivery job done');
    expect(receiver.received.filter((r) => r.id === delivery.id)).toHaveLength(1);
    expect((await deliveriesOf('cust_w8')).find((d: any) => d.id === delivery.id)).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });

  it('stops pending deliveries when the destination is paused, and sends nothing to it after', async () => {
    await seedDecliningAccounts(server, ['cust_w6', 'cust_w7']);
    receiver.status = 503;
    await scoreNow(server, ['cust_w6']);
    await waitFor(async () => {
      const list = await deliveriesOf('cust_w6');
      return list.length > 0 && list.every((d: any) => d.status === 'RETRYING');
    }, 'retrying');
    await ok(server, `mutation($id: ID!) { updateDestination(id: $id, input: { paused: true }) { paused } }`, { id: destinationId });
    const paused = await deliveriesOf('cust_w6');
    expect(paused.length).toBeGreaterThan(0);
    expect(paused.every((d: any) => d.status === 'CANCELLED')).toBe(true);
    receiver.status = 204;
    const before = receiver.received.length;
    await scoreNow(server, ['cust_w7']);
    // What the paused destination misses is recorded for a redeliver, not sent.
    const missed = await deliveriesOf('cust_w7');
    expect(missed.length).toBeGreaterThan(0);
    expect(
      missed.every((d: any) => d.status === 'CANCELLED' && d.lastError.startsWith('destination paused when the action was decided')),
    ).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(receiver.received.length).toBe(before);
    expect((await deliveriesOf('cust_w6')).every((d: any) => d.status === 'CANCELLED')).toBe(true);
  });

  it('carries no previous score after a model change that scores otherwise: the model changed, not the account', async () => {
    await ok(server, CREATE, {
      input: { kind: 'WEBHOOK', name: 'crm-2', url: receiver.url, signingSecret: SIGNING_SECRET, filter: { audience: 'TEAM' } },
    });
    // Scored healthy 30 days ago under the model of the time; then a red flag is added (one that never
    // applies, yet a model that scores otherwise), and the next scoring finds the account critical.
    await seedDecliningAccounts(server, ['cust_w11']);
    const neverRaised = { name: 'never_raised', metric: 'open_tickets', windowDays: 30, direction: 'at_least', threshold: 1000, points: 1 };
    await ok(server, 'mutation ($c: JSON!) { updateScoringModel(input: { config: $c }) { version } }', {
      c: { ...DEFAULT_SCORING_MODEL, penalties: [...DEFAULT_SCORING_MODEL.penalties, neverRaised] },
    });
    await scoreNow(server, ['cust_w11']);
    const delivered = await waitFor(async () => {
      // The first destination, paused above, is sent nothing.
      const list = (await deliveriesOf('cust_w11')).filter((d: any) => d.destination.name === 'crm-2');
      return list.length > 0 && list.every((d: any) => d.status === 'DELIVERED') && list;
    }, 'deliveries delivered');
    const ids = new Set(delivered.map((d: any) => d.id));
    const actions = receiver.received.filter((r) => ids.has(r.id)).map((r) => r.body.data.actions[0]);
    const alert = actions.find((action) => action.action === 'csm_alert');
    expect(alert).toMatchObject({ playbook: 'critical', trigger: 'CRITICAL', previousScore: null });
    // The message leaves the old model's score out too.
    expect(alert.message).toBe(`Account cust_w11 is Critical: score ${alert.score}. Call them today.`);
    expect(actions.every((action) => action.previousScore === null)).toBe(true);
  });
});
