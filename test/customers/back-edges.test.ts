// Navigation back to the customer: every type that carries a customerId answers `customer`, batched
// through the request's DataLoader (one statement for a whole list, whatever its length), and a
// customer lists its tier changes.
import type { Db } from '../../src/infra/sql';
import { insertOutreachActions } from '../../src/outreach/outreach.service';
import { startTestServer, TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number) => new Date(now - days * DAY).toISOString();
const IDS = ['cust_nav_1', 'cust_nav_2', 'cust_nav_3'];

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

/** The SQL statements `work` sends. */
function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  return statementsDuring(server.app.orm, work);
}

beforeAll(async () => {
  server = await startTestServer({ label: 'back_edges', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const [k, id] of IDS.entries()) {
    await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "Nav ${k}", signedUpAt: "${daysAgo(100)}" }) { id } }`);
    await ok(
      `mutation ($at: DateTime) { trackEngagement(input: { customerId: "${id}", eventType: "login", userId: "u1", occurredAt: $at }) { id } }`,
      { at: daysAgo(2) },
    );
    await ok(`mutation { submitNpsResponse(input: { customerId: "${id}", score: ${k + 6} }) { id } }`);
    await ok(
      `mutation { recordPayment(input: { customerId: "${id}", externalId: "in_${k}", amountCents: 100, currency: "usd", status: PAID }) { id } }`,
    );
    await ok(`mutation { recordSupportTicket(input: { customerId: "${id}", externalId: "T-${k}", severity: URGENT }) { id } }`);
  }
  await ok('mutation { refreshAllHealthScores { status } }');
  // New accounts without trouble run no playbook: the log gets its rows the way scoring writes them.
  await insertOutreachActions(
    server.app.orm.em.fork() as Db,
    IDS.map((customerId) => ({
      customerId,
      playbook: 'critical',
      action: 'csm_alert',
      audience: 'TEAM' as const,
      channel: 'SLACK',
      trigger: 'CRITICAL',
      status: 'DECIDED' as const,
    })),
  );
});
afterAll(() => server.stop());

it.each([
  ['healthScores', '{ healthScores(first: 50) { edges { node { customerId customer { id name } } } } }'],
  ['tierChanges', '{ tierChanges(first: 50) { edges { node { customerId customer { id name } } } } }'],
  ['outreachLog', '{ outreachLog(first: 50) { edges { node { customerId customer { id name } } } } }'],
  ['npsResponses', '{ npsResponses(first: 50) { edges { node { customerId customer { id name } } } } }'],
  ['engagementEvents', '{ engagementEvents(first: 50) { edges { node { customerId customer { id name } } } } }'],
])("answers %s with each row's customer, loaded in one statement for the whole page", async (field, query) => {
  let data: Record<string, { edges: Array<{ node: { customerId: string; customer: { id: string; name: string } } }> }> = {};
  const statements = await statementsOf(async () => (data = await ok(query)));
  const nodes = data[field].edges.map((e) => e.node);
  expect(nodes.length).toBeGreaterThanOrEqual(IDS.length);
  for (const node of nodes) expect(node.customer).toEqual({ id: node.customerId, name: `Nav ${IDS.indexOf(node.customerId)}` });
  expect(statements.filter((s) => /from customer c where c\.id in/.test(s))).toHaveLength(1);
});

it("answers a customer's payments and tickets with their customer, and lists its tier changes newest first", async () => {
  const data = await ok<{
    customer: {
      payments: { edges: Array<{ node: { customer: { id: string } } }> };
      supportTickets: { edges: Array<{ node: { customer: { id: string } } }> };
      tierChanges: { totalCount: number; edges: Array<{ node: { toTier: string; customer: { id: string } } }> };
    };
  }>(
    `{ customer(id: "cust_nav_2") {
        payments(first: 5) { edges { node { customer { id } } } }
        supportTickets(first: 5) { edges { node { customer { id } } } }
        tierChanges(first: 5) { totalCount edges { node { toTier customer { id } } } } } }`,
  );
  expect(data.customer.payments.edges.map((e) => e.node.customer.id)).toEqual(['cust_nav_2']);
  expect(data.customer.supportTickets.edges.map((e) => e.node.customer.id)).toEqual(['cust_nav_2']);
  expect(data.customer.tierChanges.totalCount).toBe(1);
  expect(data.customer.tierChanges.edges[0].node.customer.id).toBe('cust_nav_2');
  const backfilled = await ok<{ customer: { tierChanges: { totalCount: number } } }>(
    '{ customer(id: "cust_nav_2") { tierChanges(backfill: true) { totalCount } } }',
  );
  expect(backfilled.customer.tierChanges.totalCount).toBe(0);
});

it.each([
  ['healthScore', '{ row: healthScore(customerId: "cust_nav_1") { customer { id name } } }'],
  ['currentScore', '{ row: customer(id: "cust_nav_1") { currentScore { customer { id name } } } }'],
  ['latestNpsResponse', '{ row: customer(id: "cust_nav_1") { latestNpsResponse { customer { id name } } } }'],
  ['lastOutreachAction', '{ row: customer(id: "cust_nav_1") { lastOutreachAction { customer { id name } } } }'],
])('answers the customer of %s when its customerId is not selected too', async (_field, query) => {
  const data = await ok<{ row: Record<string, unknown> }>(query);
  expect(JSON.stringify(data.row)).toContain('{"customer":{"id":"cust_nav_1","name":"Nav 0"}}');
});

it("answers the customer of a page's joined edges when their customerId is not selected", async () => {
  const data = await ok<{ customers: { edges: Array<{ node: Record<string, { customer: { id: string } } | null> & { id: string } }> } }>(
    '{ customers(first: 10) { edges { node { id currentScore { customer { id } } latestNpsResponse { customer { id } } lastOutreachAction { customer { id } } } } } }',
  );
  for (const { node } of data.customers.edges) {
    for (const edge of ['currentScore', 'latestNpsResponse', 'lastOutreachAction']) expect(node[edge]?.customer.id).toBe(node.id);
  }
});
