// A customer created before its data arrives is scored once on next to nothing (healthy on neutral
// values, a quarter of the weight observed). When its history comes in, the move off that score is
// its first real scoring: no "dropped from Healthy" alert, no check-in of a worsened tier, no "(was 80)".
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { DELIVERY_TEST_ENV, ok, Receiver, SIGNING_SECRET, startReceiver, waitFor } from './support';

let server: TestServer;
let receiver: Receiver;

const DAY = 86_400_000;

beforeAll(async () => {
  receiver = await startReceiver(SIGNING_SECRET);
  server = await startTestServer({ label: 'created_before_data', env: DELIVERY_TEST_ENV });
  await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: 'everything', url: receiver.url, signingSecret: SIGNING_SECRET },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

interface Point {
  score: number;
  tier: string;
  coverage: number;
}

async function points(customerId: string): Promise<Point[]> {
  return sql<Point>(
    server.database,
    'select score::int as score, tier, coverage::float8 as coverage from health_score where customer_id = $1 order by as_of, id',
    [customerId],
  );
}

/** Scores the customer now (as the rescoring its creation, then its events, ask for). */
async function scoreNow(customerId: string): Promise<Point> {
  await ok(server, `mutation($id: ID!) { refreshHealthScore(customerId: $id) { tier } }`, { id: customerId });
  const scored = await points(customerId);
  return scored[scored.length - 1];
}

/** Creates the customer, scores it, then sends one login a day from `fromDay` to `toDay` days ago and scores it again. */
async function createdBeforeItsData(customerId: string, fromDay: number, toDay: number): Promise<Point[]> {
  await ok(server, `mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }`, {
    input: {
      id: customerId,
      name: customerId,
      signedUpAt: new Date(Date.now() - 300 * DAY).toISOString(),
      contactEmail: `${customerId}@d.example`,
      csmOwner: 'kate',
      arrCents: 100,
      seats: 10,
    },
  });
  const empty = await scoreNow(customerId);
  const events = Array.from({ length: fromDay - toDay + 1 }, (_, i) => ({
    customerId,
    eventType: 'login',
    userId: 'u1',
    occurredAt: new Date(Date.now() - (toDay + i) * DAY).toISOString(),
  }));
  await ok(server, `mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }`, { events });
  const observed = await scoreNow(customerId);
  return [empty, observed];
}

async function actions(customerId: string) {
  return sql<{ playbook: string; action: string; trigger: string; previousScore: number | null; fromTier: string | null; message: string }>(
    server.database,
    `select playbook, action, trigger, previous_score as "previousScore", from_tier as "fromTier", message
     from outreach_action where customer_id = $1 order by id`,
    [customerId],
  );
}

it('runs no worsened-tier playbook on the move off a score of no data', async () => {
  const [empty, observed] = await createdBeforeItsData('c40', 150, 10);
  // Healthy on neutral values, on less than lifecycle.minCoverage of the weight; then monitor.
  expect(empty.tier).toBe('healthy');
  expect(empty.coverage).toBeLessThan(0.6);
  expect(observed.tier).toBe('monitor');
  const decided = await actions('c40');
  expect(decided.filter((action) => action.trigger === 'TIER_WORSENED' || action.trigger === 'SCORE_DROP')).toEqual([]);
  expect(decided.filter((action) => action.playbook === 'monitor')).toEqual([]);
  const customerMessages = await sql(server.database, `select 1 from delivery where customer_id = 'c40' and audience = 'CUSTOMER'`);
  expect(customerMessages).toEqual([]);
});

it('alerts the team about a critical account as critical, not as dropped from a healthy it never was', async () => {
  const [empty, observed] = await createdBeforeItsData('c41', 150, 40);
  expect(empty.tier).toBe('healthy');
  expect(empty.coverage).toBeLessThan(0.6);
  expect(observed.tier).toBe('critical');
  const decided = await actions('c41');
  const critical = decided.filter((action) => action.playbook === 'critical');
  expect(critical.length).toBeGreaterThan(0);
  for (const action of critical) expect(action).toMatchObject({ trigger: 'CRITICAL', previousScore: null, fromTier: null });
  expect(critical[0].message).not.toMatch(/dropped|was /);
  const alert = await waitFor(
    () =>
      receiver.received.find(
        (message) => message.body.data.actions[0].customer.id === 'c41' && message.body.data.actions[0].playbook === 'critical',
      ),
    'the critical alert',
  );
  expect(alert?.body.data.actions[0]).toMatchObject({ trigger: 'CRITICAL', fromTier: null, previousScore: null, toTier: 'critical' });
});
