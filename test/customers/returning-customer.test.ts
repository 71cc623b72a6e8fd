// A churned account that comes back is a returning customer, not a new one: once its original start
// is past the onboarding days, its lifecycle stage follows its tier (ACTIVE, AT_RISK…), even while its
// usage baselines are still refilling after the silence. Never active before, it stays ONBOARDING.
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
const NOW = Date.now();
const daysAgo = (days: number) => new Date(NOW - days * DAY).toISOString();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'returning_customer', env: { RESCORE_DEBOUNCE_MS: '0' } });
}, 60_000);
afterAll(() => server.stop());

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

/** Three users, every day from `fromDaysAgo` to `toDaysAgo`. */
async function useDaily(customerId: string, fromDaysAgo: number, toDaysAgo: number): Promise<void> {
  const events = [];
  for (let day = fromDaysAgo; day >= toDaysAgo; day--) {
    for (const userId of ['u1', 'u2', 'u3'])
      events.push({ customerId, eventType: 'feature_used', feature: `f${day % 5}`, userId, occurredAt: daysAgo(day + 0.3) });
  }
  for (let i = 0; i < events.length; i += 500) {
    await ok('mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', {
      events: events.slice(i, i + 500),
    });
  }
}

interface Scored {
  refreshHealthScore: { tier: string; customer: { lifecycleStage: string } };
}
const scoreNow = (id: string) =>
  ok<Scored>('mutation($id: ID!) { refreshHealthScore(customerId: $id) { tier customer { lifecycleStage } } }', { id });

async function signUp(id: string, signedUpDaysAgo: number): Promise<void> {
  await ok('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
    input: { id, name: id, arrCents: 6_000_000, signedUpAt: daysAgo(signedUpDaysAgo) },
  });
}

it('stages a win-back (its cancellation lifted, back in use) by its tier, not as ONBOARDING', async () => {
  await signUp('c_winback', 400);
  await useDaily('c_winback', 390, 150);
  await ok('mutation($at: DateTime!) { upsertCustomer(input: { id: "c_winback", name: "c_winback", churnedAt: $at }) { id } }', {
    at: daysAgo(140),
  });
  expect((await scoreNow('c_winback')).refreshHealthScore.customer.lifecycleStage).toBe('CHURNED');

  await ok('mutation { upsertCustomer(input: { id: "c_winback", name: "c_winback", churnedAt: null }) { id } }');
  await useDaily('c_winback', 4, 0);
  const scored = await scoreNow('c_winback');
  expect(scored.refreshHealthScore.tier).toBe('healthy');
  expect(scored.refreshHealthScore.customer.lifecycleStage).toBe('ACTIVE');
  // Half its weight rests on neutral values while its baselines refill: no upsell on that yet.
  const outreach = await ok<{ outreachLog: { edges: Array<{ node: { playbook: string } }> } }>(
    '{ outreachLog(customerId: "c_winback") { edges { node { playbook } } } }',
  );
  expect(outreach.outreachLog.edges.map((e) => e.node.playbook)).not.toContain('expansion');
  const listed = await ok<{ customers: { edges: Array<{ node: { id: string } }> } }>(
    '{ customers(lifecycleStage: ONBOARDING) { edges { node { id } } } }',
  );
  expect(listed.customers.edges.map((e) => e.node.id)).not.toContain('c_winback');
});

it('stages an account back after a silence longer than the churn window by its tier', async () => {
  await signUp('c_back', 400);
  await useDaily('c_back', 390, 100);
  await useDaily('c_back', 3, 0);
  expect((await scoreNow('c_back')).refreshHealthScore.customer.lifecycleStage).toBe('ACTIVE');
});

it('keeps a long-signed-up account whose first use is this week in ONBOARDING (no history to return to)', async () => {
  await signUp('c_first_use', 400);
  await useDaily('c_first_use', 3, 0);
  expect((await scoreNow('c_first_use')).refreshHealthScore.customer.lifecycleStage).toBe('ONBOARDING');
});

it('stages a long-signed-up account first used two days ago, with a promoter answer, ACTIVE: no advocate, no expansion play', async () => {
  // Its seats, payments, tickets and answer observed: coverage above lifecycle.minCoverage, a score
  // in the best tier on neutral usage values, and an NPS of 100.
  await ok('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
    input: { id: 'c_new_to_it', name: 'c_new_to_it', arrCents: 6_000_000, seats: 5, signedUpAt: daysAgo(400) },
  });
  await useDaily('c_new_to_it', 2, 1);
  await ok('mutation($input: NpsResponseInput!) { submitNpsResponse(input: $input) { id } }', {
    input: { customerId: 'c_new_to_it', score: 9, respondent: 'u1', respondedAt: daysAgo(1) },
  });
  const scored = await ok<{
    refreshHealthScore: { score: number; tier: string; coverage: number; customer: { lifecycleStage: string; nps: number } };
  }>('mutation { refreshHealthScore(customerId: "c_new_to_it") { score tier coverage customer { lifecycleStage nps } } }');
  expect(scored.refreshHealthScore).toMatchObject({ tier: 'healthy', customer: { nps: 100 } });
  expect(scored.refreshHealthScore.score).toBeGreaterThanOrEqual(80);
  expect(scored.refreshHealthScore.coverage).toBeGreaterThanOrEqual(0.6);
  expect(scored.refreshHealthScore.customer.lifecycleStage).toBe('ACTIVE');
  const outreach = await ok<{ outreachLog: { edges: Array<{ node: { playbook: string } }> } }>(
    '{ outreachLog(customerId: "c_new_to_it") { edges { node { playbook } } } }',
  );
  expect(outreach.outreachLog.edges.map((e) => e.node.playbook)).not.toContain('expansion');
});
