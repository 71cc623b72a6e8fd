// A scoring as of an instant within the last five minutes counts as live (a client's clock a little
// behind), but one earlier than the customer's latest point is not the customer's present: its
// current state stays the later point's, so it must stay history too — no playbook run on a state
// already past, nothing published that would tell subscribers the customer is back where it was.
import type { Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import type { Db } from '../../src/infra/sql';
import { refreshAllHealthScores } from '../../src/scoring/scoring.service';
import { sql } from '../helpers/database';
import { OnOutreachLoggedDocument, OnScoreUpdatedDocument, OnTierChangedDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { connect, subscribe } from '../helpers/subscriptions';
import { tierChangesOffTheirPoints } from '../helpers/history';
import { startTestServer, TestServer } from '../helpers/server';

const REFRESH = `mutation ($customerId: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $customerId, asOf: $asOf) { tier backfill } }`;
type Refreshed = { refreshHealthScore: { tier: string; backfill: boolean } };
const DAY = 86_400_000;
const MINUTE = 60_000;
let server: TestServer;
let client: WsClient;

beforeAll(async () => {
  // Continuous rescoring off: only the scorings the test asks for write history.
  server = await startTestServer({ label: 'live_before_latest', env: { RESCORE_DEBOUNCE_MS: '0' } });
  client = connect(server.wsUrl);
});
afterAll(async () => {
  await client.dispose();
  await server.stop();
});

/** A busy daily account whose three invoices were recorded failed two minutes ago: critical now, healthy before. */
async function failedMinutesAgo(id: string, now: number): Promise<void> {
  await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: new Date(now - 120 * DAY).toISOString(), seats: 5 } });
  const events = Array.from({ length: 100 }, (_, day) =>
    ['u1', 'u2', 'u3'].map((userId, i) => ({
      customerId: id,
      eventType: 'feature_used',
      feature: `f${(day + i) % 4}`,
      userId,
      occurredAt: new Date(now - (day + 1) * DAY + 3_600_000).toISOString(),
    })),
  ).flat();
  await server.request('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
  const recordedAt = new Date(now - 2 * MINUTE).toISOString();
  for (const daysAgo of [60, 40, 20]) {
    await server.request(
      `mutation ($dueAt: DateTime!, $at: DateTime!) { recordPayment(input: { customerId: "${id}", externalId: "in_${daysAgo}",
         amountCents: 1000, currency: "usd", status: FAILED, dueAt: $dueAt, occurredAt: $at }) { id } }`,
      { dueAt: new Date(now - daysAgo * DAY).toISOString(), at: recordedAt },
    );
  }
}

/** Scores `id` as of the day before `now` (before the failures: healthy), a point of its history. */
async function scoreDayBefore(id: string, now: number): Promise<void> {
  await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, { customerId: id, asOf: new Date(now - DAY).toISOString() });
}

it('treats a scoring of an instant before the latest point as a backfill: no playbook, nothing published, the current state kept', async () => {
  const id = 'cust_scored_before_latest';
  const now = Date.now();
  await failedMinutesAgo(id, now);
  const latest = await server.gql<Refreshed, { customerId: string }>(REFRESH, { customerId: id });
  expect(latest.refreshHealthScore).toMatchObject({ tier: 'critical', backfill: false });
  const outreachBefore = await server.request<{ outreachLog: { totalCount: number } }, unknown>(
    `{ outreachLog(customerId: "${id}") { totalCount } }`,
  );

  const scores = await subscribe(client, OnScoreUpdatedDocument, { customerId: id });
  const changes = await subscribe(client, OnTierChangedDocument, { customerId: id });
  const outreach = await subscribe(client, OnOutreachLoggedDocument, { customerId: id });
  // Four minutes ago: within the five minutes a live scoring allows, but before the latest point.
  const earlier = await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, {
    customerId: id,
    asOf: new Date(now - 4 * MINUTE).toISOString(),
  });
  expect(earlier.refreshHealthScore.tier).toBe('healthy');
  expect(earlier.refreshHealthScore.backfill).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(scores.events).toHaveLength(0);
  expect(changes.events).toHaveLength(0);
  expect(outreach.events).toHaveLength(0);

  const after = await server.request<
    {
      outreachLog: { totalCount: number };
      customer: { tier: string; healthScore: number };
      tierChanges: { edges: Array<{ node: { toTier: string; backfill: boolean } }> };
    },
    unknown
  >(
    `{ outreachLog(customerId: "${id}") { totalCount }
       customer(id: "${id}") { tier healthScore }
       tierChanges(customerId: "${id}", backfill: false) { edges { node { toTier backfill } } } }`,
  );
  expect(after.errors).toBeUndefined();
  // No expansion play decided for a critical account on the strength of its state four minutes ago.
  expect(after.data!.outreachLog.totalCount).toBe(outreachBefore.data!.outreachLog.totalCount);
  expect(after.data!.customer).toMatchObject({ tier: 'critical' });
  expect(after.data!.tierChanges.edges.map((e) => e.node.toTier)).not.toContain('healthy');
  await scores.close();
  await changes.close();
  await outreach.close();
});

it('keeps the tier change that was published when a scoring a moment earlier finds the same tier: moved to its instant, same id', async () => {
  const id = 'cust_change_kept';
  const now = Date.now();
  await failedMinutesAgo(id, now);
  // Healthy the day before, then critical now: the change to critical is published.
  await scoreDayBefore(id, now);
  const changes = await subscribe(client, OnTierChangedDocument, { customerId: id });
  const latest = await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, {
    customerId: id,
    asOf: new Date(now).toISOString(),
  });
  expect(latest.refreshHealthScore).toMatchObject({ tier: 'critical', backfill: false });
  const [published] = await changes.waitFor(1);
  expect(published.healthTierChanged.toTier).toBe('critical');

  // A minute earlier (the payments were recorded two minutes ago): critical too, so the change
  // happened by then; the change clients were told of is the one the history keeps.
  const earlier = await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, {
    customerId: id,
    asOf: new Date(now - MINUTE).toISOString(),
  });
  expect(earlier.refreshHealthScore).toMatchObject({ tier: 'critical', backfill: true });
  const after = await server.request<
    {
      live: { edges: Array<{ node: { id: string; toTier: string; changedAt: string } }> };
      all: { edges: Array<{ node: { id: string; fromTier: string | null; toTier: string; changedAt: string; backfill: boolean } }> };
    },
    unknown
  >(
    `{ live: tierChanges(customerId: "${id}", backfill: false) { edges { node { id toTier changedAt } } }
       all: tierChanges(customerId: "${id}") { edges { node { id fromTier toTier changedAt backfill } } } }`,
  );
  expect(after.errors).toBeUndefined();
  expect(after.data!.live.edges.map((e) => e.node)).toEqual([
    { id: published.healthTierChanged.id, toTier: 'critical', changedAt: new Date(now - MINUTE).toISOString() },
  ]);
  // One change to critical in the whole history, at the earlier point: the chain stays whole.
  expect(after.data!.all.edges.map((e) => e.node).filter((c) => c.toTier === 'critical')).toHaveLength(1);
  await changes.close();
});

it('scores the same instant again without publishing its tier change a second time: the change keeps its id', async () => {
  const id = 'cust_same_instant';
  const now = Date.now();
  await failedMinutesAgo(id, now);
  await scoreDayBefore(id, now);
  const changes = await subscribe(client, OnTierChangedDocument, { customerId: id });
  const at = new Date(now).toISOString();
  await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, { customerId: id, asOf: at });
  const [published] = await changes.waitFor(1);
  const again = await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, { customerId: id, asOf: at });
  expect(again.refreshHealthScore).toMatchObject({ tier: 'critical', backfill: false });
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(changes.events).toHaveLength(1);
  const after = await server.request<
    { tierChanges: { edges: Array<{ node: { id: string; toTier: string; changedAt: string } }> } },
    unknown
  >(`{ tierChanges(customerId: "${id}", backfill: false) { edges { node { id toTier changedAt } } } }`);
  expect(after.errors).toBeUndefined();
  expect(after.data!.tierChanges.edges.map((e) => e.node)).toEqual([
    { id: published.healthTierChanged.id, toTier: 'critical', changedAt: at },
  ]);
  await changes.close();
});

it('scores an instant again after its move was undone by a later record: the later change, from another tier, is not moved there', async () => {
  const id = 'cust_move_undone';
  const now = Date.now();
  await failedMinutesAgo(id, now);
  const at = (ms: number) => ({ customerId: id, asOf: new Date(ms).toISOString() });
  expect((await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, at(now - DAY))).refreshHealthScore.tier).toBe(
    'healthy',
  );
  // A minute ago, after the failures: critical (published).
  const t1 = now - MINUTE;
  expect((await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, at(t1))).refreshHealthScore.tier).toBe('critical');
  // The oldest invoice turns out paid before t1: the account is better than critical from then on.
  await server.request(
    `mutation ($dueAt: DateTime!, $at: DateTime!) { recordPayment(input: { customerId: "${id}", externalId: "in_60",
       amountCents: 1000, currency: "usd", status: PAID, dueAt: $dueAt, occurredAt: $at }) { id } }`,
    { dueAt: new Date(now - 60 * DAY).toISOString(), at: new Date(now - 90_000).toISOString() },
  );
  const t2 = (await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, at(now))).refreshHealthScore.tier;
  expect(t2).not.toBe('critical');
  // t1 again: now in t2's tier, and the change published at t2 came from critical, not from healthy.
  // History only (a later point exists): nothing published, though the point keeps the live mark of
  // the scoring that first decided its instant.
  const updates = await subscribe(client, OnScoreUpdatedDocument, { customerId: id });
  const again = await server.gql<Refreshed, { customerId: string; asOf: string }>(REFRESH, at(t1));
  expect(again.refreshHealthScore).toMatchObject({ tier: t2, backfill: false });
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(updates.events).toEqual([]);
  await updates.close();
  const changes = await server.request<
    { tierChanges: { edges: Array<{ node: { fromTier: string | null; toTier: string; changedAt: string; backfill: boolean } }> } },
    unknown
  >(`{ tierChanges(customerId: "${id}", first: 10) { edges { node { fromTier toTier changedAt backfill } } } }`);
  expect(changes.errors).toBeUndefined();
  // In time order, each change goes from the tier of the point before it.
  const chain = changes.data!.tierChanges.edges.map((edge) => edge.node);
  expect(chain.map((change) => [change.fromTier, change.toTier])).toEqual([
    [null, 'healthy'],
    ['healthy', t2],
  ]);
  expect(chain[1]).toMatchObject({ changedAt: new Date(t1).toISOString(), backfill: true });
});

it('leaves out of a full run as of a moment past the customers a live scoring has scored since: their published change stays as it was', async () => {
  const id = 'cust_live_during_run';
  const now = Date.now();
  await failedMinutesAgo(id, now);
  await scoreDayBefore(id, now);
  const changes = await subscribe(client, OnTierChangedDocument, { customerId: id });
  const live = await server.gql<Refreshed, { customerId: string }>(REFRESH, { customerId: id });
  expect(live.refreshHealthScore).toMatchObject({ tier: 'critical', backfill: false });
  const [published] = await changes.waitFor(1);

  // A full run as of half a minute before that scoring (one that started then and reaches this
  // customer after the live scoring committed): a run of the present, not a backfill.
  const runAsOf = new Date(Date.parse(published.healthTierChanged.changedAt) - 30_000).toISOString();
  const run = await server.request<{ refreshAllHealthScores: { status: string; backfill: boolean } }, unknown>(
    `mutation ($asOf: DateTime) { refreshAllHealthScores(asOf: $asOf) { status backfill } }`,
    { asOf: runAsOf },
  );
  expect(run.errors).toBeUndefined();
  expect(run.data!.refreshAllHealthScores).toEqual({ status: 'SUCCEEDED', backfill: false });
  const after = await server.request<
    {
      healthScoreHistory: { edges: Array<{ node: { asOf: string } }> };
      tierChanges: { edges: Array<{ node: { id: string; fromTier: string | null; toTier: string; changedAt: string } }> };
    },
    unknown
  >(
    `{ healthScoreHistory(customerId: "${id}", first: 10) { edges { node { asOf } } }
       tierChanges(customerId: "${id}", backfill: false) { edges { node { id fromTier toTier changedAt } } } }`,
  );
  expect(after.errors).toBeUndefined();
  expect(after.data!.healthScoreHistory.edges.map((edge) => edge.node.asOf)).not.toContain(runAsOf);
  expect(after.data!.tierChanges.edges.map((edge) => edge.node)).toEqual([
    { id: published.healthTierChanged.id, fromTier: 'healthy', toTier: 'critical', changedAt: published.healthTierChanged.changedAt },
  ]);
  expect(changes.events).toHaveLength(1);
  await changes.close();
});

it('leaves the customer out of a full run that reached it while a live scoring held its row, and waited for it', async () => {
  const id = 'cust_live_held';
  const now = Date.now();
  await failedMinutesAgo(id, now);
  await scoreDayBefore(id, now);
  const runAsOf = new Date(Date.now() - 30_000).toISOString();
  // A live scoring in another session, as a batch writes one: the customer's row held, its point as
  // of now written, not yet committed when the run reaches the customer and waits for the row.
  const live = new Client({ connectionString: server.database.url });
  await live.connect();
  try {
    await live.query('begin');
    await live.query('select 1 from customer where id = $1 for no key update', [id]);
    await live.query(
      `insert into health_score (customer_id, score, tier, trend, previous_score, peak_score, components, signals, penalties, coverage, model_version, as_of, backfill)
       select customer_id, score, tier, trend, previous_score, peak_score, components, signals, penalties, coverage, model_version, now(), false
       from health_score where customer_id = $1 order by as_of desc limit 1`,
      [id],
    );
    await live.query('update customer set scored_at = now() where id = $1', [id]);
    const run = refreshAllHealthScores(server.app.services, server.app.orm.em.fork() as unknown as Db, new Date(runAsOf));
    await waitForLockWaiters(live, 1);
    await live.query('commit');
    expect((await run)?.status).toBe('SUCCEEDED');
  } finally {
    await live.end();
  }
  const points = await sql<{ asOf: Date }>(server.database, `select as_of as "asOf" from health_score where customer_id = $1`, [id]);
  expect(points.map((point) => point.asOf.toISOString())).not.toContain(runAsOf);
});

/** Waits until `count` sessions of the test database wait for a lock (the row `holder` holds, or one queued behind it). */
async function waitForLockWaiters(holder: Client, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await holder.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (rows[0].n >= count) return;
    if (Date.now() > deadline) throw new Error(`${rows[0].n} of ${count} sessions waiting for the held row`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('records with every tier change the model versions of the points it lies between', async () => {
  await server.app.scheduler.idle();
  expect(await tierChangesOffTheirPoints(server.database)).toEqual([]);
});
