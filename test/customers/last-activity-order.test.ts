// "Who has gone quiet?": customers in order of their last activity, the quietest first (never used
// before any use) or the most recently active first, paged with stable cursors, with the filters.
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
const NOW = Date.now();
const daysAgo = (days: number) => new Date(NOW - days * DAY).toISOString();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'last_activity_order', env: { RESCORE_DEBOUNCE_MS: '0' } });
  // Last used 1, 10, 10 (a tie, broken by id), 40 days ago, and never; kate's book is every other one.
  const lastUse: Array<[string, number | null, string]> = [
    ['c_la_recent', 1, 'kate'],
    ['c_la_ten_b', 10, 'omar'],
    ['c_la_ten_a', 10, 'kate'],
    ['c_la_quiet', 40, 'omar'],
    ['c_la_never', null, 'kate'],
  ];
  for (const [id, days, csmOwner] of lastUse) {
    await ok('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
      input: { id, name: id, csmOwner, signedUpAt: daysAgo(50) },
    });
    if (days !== null) {
      await ok('mutation($e: EngagementEventInput!) { trackEngagement(input: $e) { id } }', {
        e: { customerId: id, eventType: 'login', userId: 'u1', occurredAt: daysAgo(days) },
      });
    }
    await ok('mutation($id: ID!) { refreshHealthScore(customerId: $id) { score } }', { id });
  }
}, 60_000);
afterAll(() => server.stop());

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

interface Page {
  customers: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: Array<{ node: { id: string } }> };
}

/** Every id of the list, read two at a time through the cursors. */
async function allPages(orderBy: string, csmOwner?: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Page = await ok<Page>(
      'query($orderBy: CustomerOrder, $after: String, $csmOwner: String) { customers(first: 2, after: $after, orderBy: $orderBy, csmOwner: $csmOwner, search: "c_la_") { pageInfo { hasNextPage endCursor } edges { node { id } } } }',
      { orderBy, after, csmOwner },
    );
    ids.push(...page.customers.edges.map((edge) => edge.node.id));
    if (!page.customers.pageInfo.hasNextPage) return ids;
    after = page.customers.pageInfo.endCursor;
  }
}

it('lists the quietest first: never used, then the longest since the last activity', async () => {
  expect(await allPages('LAST_ACTIVITY_ASC')).toEqual(['c_la_never', 'c_la_quiet', 'c_la_ten_a', 'c_la_ten_b', 'c_la_recent']);
});

it('lists the most recently active first, never used last', async () => {
  expect(await allPages('LAST_ACTIVITY_DESC')).toEqual(['c_la_recent', 'c_la_ten_b', 'c_la_ten_a', 'c_la_quiet', 'c_la_never']);
});

it('combines the order with the filters', async () => {
  expect(await allPages('LAST_ACTIVITY_ASC', 'kate')).toEqual(['c_la_never', 'c_la_ten_a', 'c_la_recent']);
});
