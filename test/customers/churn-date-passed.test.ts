// A churn date given ahead is staged CHURNED by the scoring round after it comes; until that round the
// stored stage is the one before. Every reader takes the date itself: from the moment it passes, the
// account's stage, the stage filter, ARR_AT_RISK_DESC and healthSummary read it CHURNED, as the
// worklist and healthSummary's churnedCustomers already did. No round runs here (no sweep, no periodic run).
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
const NOW = Date.now();
const daysAgo = (days: number) => new Date(NOW - days * DAY).toISOString();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    label: 'churn_date_passed',
    env: { RESCORE_DEBOUNCE_MS: '0', RESCORE_SWEEP_MS: '0', SCORING_INTERVAL_MS: '0' },
  });
}, 60_000);
afterAll(() => server.stop());

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);
const upsert = (input: Record<string, unknown>) =>
  ok('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', { input });

async function customerUsedBetween(id: string, arrCents: number, fromDaysAgo: number, toDaysAgo: number): Promise<void> {
  await upsert({ id, name: id, arrCents, signedUpAt: daysAgo(fromDaysAgo + 5) });
  const events = [];
  for (let day = fromDaysAgo; day >= toDaysAgo; day -= 2)
    events.push({ customerId: id, eventType: 'login', userId: 'u1', occurredAt: daysAgo(day + 0.3) });
  await ok('mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
  await ok('mutation($id: ID!) { refreshHealthScore(customerId: $id) { score } }', { id });
}

interface Read {
  customer: { lifecycleStage: string | null };
  churned: { edges: Array<{ node: { id: string } }> };
  healthSummary: { churnedCustomers: number; lifecycleStages: Array<{ stage: string; count: number }> };
}
const read = (id: string) =>
  ok<Read>(
    `query($id: ID!) {
       customer(id: $id) { lifecycleStage }
       churned: customers(lifecycleStage: CHURNED) { edges { node { id } } }
       healthSummary { churnedCustomers lifecycleStages { stage count } }
     }`,
    { id },
  );

async function arrAtRiskOrder(pageSize: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { customers: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } } = await ok(
      `query($first: Int, $after: String) {
         customers(orderBy: ARR_AT_RISK_DESC, first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
       }`,
      { first: pageSize, after },
    );
    ids.push(...page.customers.edges.map((edge) => edge.node.id));
    if (!page.customers.pageInfo.hasNextPage) return ids;
    after = page.customers.pageInfo.endCursor;
  }
}

it('reads an account CHURNED everywhere once its churn date, given ahead, has passed', async () => {
  await customerUsedBetween('c_leaving', 900_000_000, 200, 20);
  await customerUsedBetween('c_kept', 1_000_000, 200, 0);
  await customerUsedBetween('c_cancelled', 500_000_000, 200, 100);
  await customerUsedBetween('c_z_cancelled', 500_000_000, 200, 100);
  for (const id of ['c_cancelled', 'c_z_cancelled']) await upsert({ id, churnedAt: daysAgo(95) });
  const churnAt = Date.now() + 2_000;
  await upsert({ id: 'c_leaving', churnedAt: new Date(churnAt).toISOString() });
  await ok('mutation { refreshHealthScore(customerId: "c_leaving") { score } }');

  const before = await read('c_leaving');
  const stageBefore = before.customer.lifecycleStage;
  expect(stageBefore).not.toBeNull();
  expect(stageBefore).not.toBe('CHURNED');
  expect((await arrAtRiskOrder(50))[0]).toBe('c_leaving');

  await new Promise((resolve) => setTimeout(resolve, churnAt - Date.now() + 100));
  const after = await read('c_leaving');
  expect(after.customer.lifecycleStage).toBe('CHURNED');
  expect(after.churned.edges.map((edge) => edge.node.id).sort()).toEqual(['c_cancelled', 'c_leaving', 'c_z_cancelled']);
  const listedInOldStage = await ok<{ customers: { edges: Array<{ node: { id: string } }> } }>(
    `{ customers(lifecycleStage: ${stageBefore}) { edges { node { id } } } }`,
  );
  expect(listedInOldStage.customers.edges.map((edge) => edge.node.id)).not.toContain('c_leaving');
  const churnedCount = after.healthSummary.lifecycleStages.find((entry) => entry.stage === 'CHURNED')!.count;
  expect(churnedCount).toBe(3);
  expect(after.healthSummary.churnedCustomers).toBe(3);
  // Churned below every account still to keep, by id (descending) among themselves; read whole and a row a page.
  const expected = ['c_kept', 'c_z_cancelled', 'c_leaving', 'c_cancelled'];
  expect(await arrAtRiskOrder(50)).toEqual(expected);
  expect(await arrAtRiskOrder(1)).toEqual(expected);
}, 30_000);
