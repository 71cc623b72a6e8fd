// customers(orderBy: ARR_AT_RISK_DESC) is where the money still to keep is at risk: an account that
// has churned (cancelled, or silent past the churn window) has lost its ARR, not put it at risk, so it
// comes after every account still to keep, however large its ARR and low its score.
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
const NOW = Date.now();
const daysAgo = (days: number) => new Date(NOW - days * DAY).toISOString();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'arr_at_risk_order', env: { RESCORE_DEBOUNCE_MS: '0' } });
}, 60_000);
afterAll(() => server.stop());

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

async function customerUsedBetween(id: string, arrCents: number, fromDaysAgo: number, toDaysAgo: number): Promise<void> {
  await ok('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
    input: { id, name: id, arrCents, signedUpAt: daysAgo(fromDaysAgo + 5) },
  });
  const events = [];
  for (let day = fromDaysAgo; day >= toDaysAgo; day--)
    events.push({ customerId: id, eventType: 'login', userId: 'u1', occurredAt: daysAgo(day + 0.3) });
  await ok('mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
}

interface Listed {
  customers: { edges: Array<{ node: { id: string; healthScore: number; lifecycleStage: string } }> };
}

it('lists churned accounts after every account still to keep', async () => {
  await customerUsedBetween('c_kept', 1_000_000, 200, 0);
  await customerUsedBetween('c_cancelled', 900_000_000, 200, 100);
  await customerUsedBetween('c_gone_silent', 800_000_000, 200, 90);
  await ok('mutation($at: DateTime!) { upsertCustomer(input: { id: "c_cancelled", name: "c_cancelled", churnedAt: $at }) { id } }', {
    at: daysAgo(95),
  });
  for (const id of ['c_kept', 'c_cancelled', 'c_gone_silent'])
    await ok('mutation($id: ID!) { refreshHealthScore(customerId: $id) { score } }', { id });

  const listed = await ok<Listed>('{ customers(orderBy: ARR_AT_RISK_DESC) { edges { node { id healthScore lifecycleStage } } } }');
  const nodes = listed.customers.edges.map((edge) => edge.node);
  // The case at hand: the churned ones score lower, on far more ARR, and the kept one has something at risk.
  expect(nodes.find((node) => node.id === 'c_kept')!.healthScore).toBeLessThan(100);
  expect(nodes.filter((node) => node.id !== 'c_kept').map((node) => node.lifecycleStage)).toEqual(['CHURNED', 'CHURNED']);
  expect(nodes.map((node) => node.id)).toEqual(['c_kept', 'c_gone_silent', 'c_cancelled']);
});

it('lists churned accounts after an account still to keep that has no ARR at risk (a free plan, whatever its id)', async () => {
  // Nothing at risk, as a churned account: its id, which sorts before theirs, must not put it behind them.
  await customerUsedBetween('c_a_free_plan', 0, 200, 0);
  await ok('mutation($id: ID!) { refreshHealthScore(customerId: $id) { score } }', { id: 'c_a_free_plan' });

  const listed = await ok<Listed>('{ customers(orderBy: ARR_AT_RISK_DESC) { edges { node { id lifecycleStage } } } }');
  expect(listed.customers.edges.map((edge) => edge.node.id)).toEqual(['c_kept', 'c_a_free_plan', 'c_gone_silent', 'c_cancelled']);
});
