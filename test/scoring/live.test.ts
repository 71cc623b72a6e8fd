// Live subscriptions across instances through Redis: tier changes reach subscribers of another
// instance, filters pick channels, clients catch up with tierChanges(since), and a Redis outage
// loses no history and does not stop the API.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import type { Client } from 'graphql-ws';
import {
  OnOutreachLoggedDocument,
  OnScoreUpdatedDocument,
  OnTierChangedDocument,
  RefreshHealthScoreDocument,
  TierChangesDocument,
  TrackEngagementDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { RedisBackedPubSub } from '../../src/infra/pubsub';
import { connect, subscribe } from '../helpers/subscriptions';
import { startTestServer, TestServer } from '../helpers/server';

let writer: TestServer;
let reader: TestServer;
let client: Client;

/** A customer's first scoring is a tier change (NEW); with no data yet it scores healthy (missing data alone never puts an account at risk). */
async function newCustomerScored(id: string): Promise<void> {
  await writer.gql(UpsertCustomerDocument, { input: { id, name: id } });
  await writer.gql(RefreshHealthScoreDocument, { customerId: id });
}

const DAY = 86_400_000;

/**
 * An established account (four months of daily use) whose last three invoices failed and went
 * unpaid, with an urgent ticket open: it scores critical, so its first scoring runs a playbook.
 */
async function troubledCustomerScored(id: string): Promise<void> {
  await establishedCustomer(id);
  await invoicesFailed(id);
  await writer.request(
    `mutation { recordSupportTicket(input: { customerId: "${id}", externalId: "T-1", severity: URGENT, status: OPEN }) { id } }`,
  );
  await writer.gql(RefreshHealthScoreDocument, { customerId: id });
}

/** Four months of daily use by three people, billed nothing yet: scored, it is healthy. */
async function establishedCustomer(id: string): Promise<void> {
  const now = Date.now();
  await writer.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: new Date(now - 120 * DAY).toISOString(), seats: 5 } });
  const events = Array.from({ length: 100 }, (_, day) => ({
    customerId: id,
    eventType: 'login',
    userId: `u${day % 3}`,
    occurredAt: new Date(now - (day + 1) * DAY + 3_600_000).toISOString(),
  }));
  await writer.request('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
}

/** Its last three invoices failed and went unpaid. */
async function invoicesFailed(id: string): Promise<void> {
  const now = Date.now();
  for (const daysAgo of [85, 55, 25]) {
    const dueAt = new Date(now - daysAgo * DAY).toISOString();
    await writer.request(
      `mutation ($dueAt: DateTime!) { recordPayment(input: { customerId: "${id}", externalId: "in_${daysAgo}", amountCents: 1000, currency: "usd", status: FAILED, dueAt: $dueAt, occurredAt: $dueAt }) { id } }`,
      { dueAt },
    );
  }
}

beforeAll(async () => {
  writer = await startTestServer({ label: 'live', redis: true, env: { RESCORE_DEBOUNCE_MS: '0' } });
  reader = await startTestServer({ database: writer.database, redis: true, env: { RESCORE_DEBOUNCE_MS: '0' } });
  client = connect(reader.wsUrl);
});
afterAll(async () => {
  await client.dispose();
  await reader.stop();
  await writer.stop();
});

it('delivers a tier change made on one instance to a subscriber of another, filtered by customer', async () => {
  const mine = await subscribe(client, OnTierChangedDocument, { customerId: 'cust_live_1' });
  const others = await subscribe(client, OnTierChangedDocument, { customerId: 'cust_live_other' });
  await newCustomerScored('cust_live_2');
  await newCustomerScored('cust_live_1');
  const [event] = await mine.waitFor(1);
  expect(event.healthTierChanged).toMatchObject({ customerId: 'cust_live_1', direction: 'NEW', fromTier: null, toTier: 'healthy' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(mine.events).toHaveLength(1);
  expect(others.events).toHaveLength(0);
  await mine.close();
  await others.close();
});

it('publishes no tier change for a customer first scored after it cancelled: its first tier is history only', async () => {
  // As an import of past churners goes: the customer with its churnedAt first, then its scoring.
  const gone = await subscribe(client, OnTierChangedDocument, { customerId: 'cust_live_gone' });
  const after = await subscribe(client, OnTierChangedDocument, { customerId: 'cust_live_after_gone' });
  const now = Date.now();
  const input = { id: 'cust_live_gone', name: 'Gone', signedUpAt: new Date(now - 400 * DAY).toISOString() };
  await writer.gql(UpsertCustomerDocument, { input: { ...input, churnedAt: new Date(now - 30 * DAY).toISOString() } });
  await writer.gql(RefreshHealthScoreDocument, { customerId: 'cust_live_gone' });
  // A change published after it arrives after anything the first scoring published.
  await newCustomerScored('cust_live_after_gone');
  await after.waitFor(1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(gone.events).toHaveLength(0);
  const changes = (backfill: boolean) =>
    reader.request(
      `{ tierChanges(customerId: "cust_live_gone", backfill: ${backfill}) { totalCount edges { node { fromTier toTier } } } }`,
    );
  expect((await changes(false)).data).toEqual({ tierChanges: { totalCount: 0, edges: [] } });
  // Its history stays whole: the first point's tier is recorded, as a backfill.
  expect((await changes(true)).data).toEqual({ tierChanges: { totalCount: 1, edges: [{ node: { fromTier: null, toTier: 'healthy' } }] } });
  // Scored again after its churn is undone, it goes on from that tier: a change only if its tier moves.
  await writer.gql(UpsertCustomerDocument, { input: { ...input, churnedAt: null } });
  await writer.gql(RefreshHealthScoreDocument, { customerId: 'cust_live_gone' });
  expect((await changes(false)).data).toEqual({ tierChanges: { totalCount: 0, edges: [] } });
  await gone.close();
  await after.close();
});

it('filters by new tier and by direction through channels', async () => {
  const healthy = await subscribe(client, OnTierChangedDocument, { tiers: ['healthy'] });
  const critical = await subscribe(client, OnTierChangedDocument, { tiers: ['critical'] });
  const improved = await subscribe(client, OnTierChangedDocument, { direction: 'IMPROVED' });
  const created = await subscribe(client, OnTierChangedDocument, { direction: 'NEW' });
  await newCustomerScored('cust_live_3');
  await healthy.waitFor(1);
  await created.waitFor(1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(critical.events).toHaveLength(0);
  expect(improved.events).toHaveLength(0);
  for (const s of [critical, healthy, improved, created]) await s.close();
});

it("filters a customer's changes by new tier, and merges the channels of several tiers, each once", async () => {
  const notHealthy = await subscribe(client, OnTierChangedDocument, { customerId: 'cust_live_7', tiers: ['critical', 'at_risk'] });
  const healthy = await subscribe(client, OnTierChangedDocument, { customerId: 'cust_live_7', tiers: ['healthy'] });
  const either = await subscribe(client, OnTierChangedDocument, { tiers: ['critical', 'healthy', 'healthy'] });
  await newCustomerScored('cust_live_8');
  await newCustomerScored('cust_live_7');
  const [event] = await healthy.waitFor(1);
  expect(event.healthTierChanged).toMatchObject({ customerId: 'cust_live_7', toTier: 'healthy' });
  const merged = await either.waitFor(2);
  expect(merged.map((e) => e.healthTierChanged.customerId).sort()).toEqual(['cust_live_7', 'cust_live_8']);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(notHealthy.events).toHaveLength(0);
  expect(healthy.events).toHaveLength(1);
  expect(either.events).toHaveLength(2);
  for (const s of [notHealthy, healthy, either]) await s.close();
});

it('sends a subscriber to some tiers the changes into them, not those out of them', async () => {
  const id = 'cust_live_leaves';
  await establishedCustomer(id);
  await writer.gql(RefreshHealthScoreDocument, { customerId: id });
  const leftHealthy = await subscribe(client, OnTierChangedDocument, { tiers: ['healthy'] });
  const itsHealthy = await subscribe(client, OnTierChangedDocument, { customerId: id, tiers: ['healthy'] });
  const itsCritical = await subscribe(client, OnTierChangedDocument, { customerId: id, tiers: ['critical'] });
  await invoicesFailed(id);
  await writer.gql(RefreshHealthScoreDocument, { customerId: id });
  const [event] = await itsCritical.waitFor(1);
  expect(event.healthTierChanged).toMatchObject({ customerId: id, fromTier: 'healthy', toTier: 'critical', direction: 'WORSENED' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(itsHealthy.events).toHaveLength(0);
  expect(leftHealthy.events.filter((e) => e.healthTierChanged.customerId === id)).toHaveLength(0);
  for (const s of [leftHealthy, itsHealthy, itsCritical]) await s.close();
});

it('gives a customer id holding a colon its own channel: "a:NEW" hears nothing of customer a\'s NEW changes', async () => {
  const lookalike = await subscribe(client, OnTierChangedDocument, { customerId: 'cust_live_9:NEW' });
  const real = await subscribe(client, OnTierChangedDocument, { customerId: 'cust_live_9', direction: 'NEW' });
  await newCustomerScored('cust_live_9');
  const [event] = await real.waitFor(1);
  expect(event.healthTierChanged).toMatchObject({ customerId: 'cust_live_9', direction: 'NEW' });
  await newCustomerScored('cust_live_9:NEW');
  const [own] = await lookalike.waitFor(1);
  expect(own.healthTierChanged.customerId).toBe('cust_live_9:NEW');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(lookalike.events).toHaveLength(1);
  expect(real.events).toHaveLength(1);
  for (const s of [lookalike, real]) await s.close();
});

it('delivers the events of a customer whose id reads as an instant with that id, as written', async () => {
  const id = '2026-01-01T00:00:00Z';
  const document: TypedDocumentNode<{ healthTierChanged: { customerId: string; customer: { id: string } } }, { id: string }> = parse(
    'subscription ($id: ID) { healthTierChanged(customerId: $id) { customerId customer { id } } }',
  );
  const changes = await subscribe(client, document, { id });
  await newCustomerScored(id);
  const [event] = await changes.waitFor(1);
  expect(event.healthTierChanged).toEqual({ customerId: id, customer: { id } });
  await changes.close();
});

it("resolves each event's fields afresh: a renamed customer's next event carries its new name", async () => {
  const document: TypedDocumentNode<{ healthScoreUpdated: { customer: { name: string } } }, { id: string }> = parse(
    'subscription ($id: ID) { healthScoreUpdated(customerId: $id) { score customer { name } } }',
  );
  const named = await subscribe(client, document, { id: 'cust_live_10' });
  await newCustomerScored('cust_live_10');
  await named.waitFor(1);
  await writer.gql(UpsertCustomerDocument, { input: { id: 'cust_live_10', name: 'Renamed Co' } });
  await writer.gql(RefreshHealthScoreDocument, { customerId: 'cust_live_10' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(named.events.at(-1)?.healthScoreUpdated.customer.name).toBe('Renamed Co');
  await named.close();
});

it('publishes score updates and outreach for the customer scored', async () => {
  const scores = await subscribe(client, OnScoreUpdatedDocument, { customerId: 'cust_live_4' });
  const outreach = await subscribe(client, OnOutreachLoggedDocument, { customerId: 'cust_live_4' });
  await troubledCustomerScored('cust_live_4');
  const [score] = await scores.waitFor(1);
  expect(score.healthScoreUpdated).toMatchObject({ customerId: 'cust_live_4', tier: 'critical' });
  const actions = await outreach.waitFor(1);
  expect(actions[0].outreachLogged.customerId).toBe('cust_live_4');
  await scores.close();
  await outreach.close();
});

it('lets a client that reconnects catch up with tierChanges(since)', async () => {
  const since = new Date().toISOString();
  await newCustomerScored('cust_live_5');
  await newCustomerScored('cust_live_6');
  const missed = await reader.gql(TierChangesDocument, { since });
  expect(missed.tierChanges.edges.map((e) => e.node.customerId)).toEqual(['cust_live_5', 'cust_live_6']);
});

it('keeps answering and writing history while Redis is away, and resumes live events when it is back', async () => {
  const subscription = await subscribe(client, OnTierChangedDocument, {});
  const since = new Date().toISOString();
  const publisher = (writer.app.pubsub as RedisBackedPubSub).publisher;
  publisher.disconnect();
  await newCustomerScored('cust_outage_1');
  const tracked = await writer.gql(TrackEngagementDocument, { input: { customerId: 'cust_outage_1', eventType: 'login' } });
  expect(tracked.trackEngagement.customerId).toBe('cust_outage_1');

  await publisher.connect();
  await newCustomerScored('cust_outage_2');
  const events = await subscription.waitFor(1);
  expect(events.map((e) => e.healthTierChanged.customerId)).toEqual(['cust_outage_2']);
  const history = await reader.gql(TierChangesDocument, { since });
  expect(history.tierChanges.edges.map((e) => e.node.customerId)).toEqual(['cust_outage_1', 'cust_outage_2']);
  await subscription.close();
});

it("publishes nothing when scoring a past instant (a backfill), and publishes the same customer's scoring now", async () => {
  const changes = await subscribe(client, OnTierChangedDocument, { customerId: 'cust_live_past' });
  const scores = await subscribe(client, OnScoreUpdatedDocument, { customerId: 'cust_live_past' });
  await writer.gql(UpsertCustomerDocument, {
    input: { id: 'cust_live_past', name: 'Past Co', signedUpAt: new Date(Date.now() - 30 * DAY).toISOString() },
  });
  const past = await writer.gql(RefreshHealthScoreDocument, {
    customerId: 'cust_live_past',
    asOf: new Date(Date.now() - 2 * DAY).toISOString(),
  });
  expect(past.refreshHealthScore.tier).toBe('healthy');
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(changes.events).toHaveLength(0);
  expect(scores.events).toHaveLength(0);
  await writer.gql(RefreshHealthScoreDocument, { customerId: 'cust_live_past' });
  await scores.waitFor(1);
  await changes.close();
  await scores.close();
});
