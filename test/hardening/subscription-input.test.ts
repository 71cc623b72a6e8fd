// Subscription arguments are input too: a subscription naming more channels than one may hold, or
// an argument no channel can be named by (a NUL, an overlong id), or a tier no model defines, is refused with BAD_USER_INPUT
// over graphql-ws, and the connection goes on serving the client's other subscriptions.
import type { Client } from 'graphql-ws';
import { connect } from '../helpers/subscriptions';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
let client: Client;

/** Subscribes and resolves with the errors the server answers with (or none, once it is running). */
function subscriptionErrors(
  query: string,
  variables: Record<string, unknown>,
): Promise<Array<{ message: string; extensions?: { code?: string } }>> {
  return new Promise((resolve) => {
    const dispose = client.subscribe(
      { query, variables },
      {
        // A subscription that cannot start answers one result with its errors, then completes.
        next: (result) => {
          if (result.errors) resolve(result.errors as Array<{ message: string; extensions?: { code?: string } }>);
        },
        error: (errors) => resolve(errors as Array<{ message: string; extensions?: { code?: string } }>),
        complete: () => undefined,
      },
    );
    setTimeout(() => {
      dispose();
      resolve([]);
    }, 1000);
  });
}

const TIER_CHANGED =
  'subscription ($customerId: ID, $tiers: [String!]) { healthTierChanged(customerId: $customerId, tiers: $tiers) { customerId } }';

beforeAll(async () => {
  server = await startTestServer({ label: 'subscription_input' });
  client = connect(server.wsUrl);
});
afterAll(async () => {
  await client.dispose();
  await server.stop();
});

it.each([
  ['101 tiers', { tiers: Array.from({ length: 101 }, (_, i) => `tier_${i}`) }],
  ['a NUL in the customer id', { customerId: 'cust\u0000' }],
  ['a NUL in a tier', { tiers: ['healthy', 'at\u0000risk'] }],
  ['a customer id of 2,000 characters', { customerId: 'x'.repeat(2000) }],
  ['a tier no model defines (a typo would never match)', { tiers: ['healthy', 'critcal'] }],
  ['an empty list of tiers (none, or every one?)', { tiers: [] }],
  ['an empty customer id', { customerId: '' }],
  ['a customer id longer than any customer has (201 characters)', { customerId: 'x'.repeat(201) }],
])('refuses a subscription with %s', async (_label, variables) => {
  const errors = await subscriptionErrors(TIER_CHANGED, variables);
  expect(errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
});

it.each([
  ['outreachLogged', 'subscription ($customerId: ID) { outreachLogged(customerId: $customerId) { id } }'],
  ['healthScoreUpdated', 'subscription ($customerId: ID) { healthScoreUpdated(customerId: $customerId) { id } }'],
])('refuses %s for a customer id no customer can have', async (_field, query) => {
  for (const customerId of ['', ' ', 'x'.repeat(201)]) {
    const errors = await subscriptionErrors(query, { customerId });
    expect(errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  }
});

it('accepts a subscription within the limits on the same connection', async () => {
  expect(await subscriptionErrors(TIER_CHANGED, { tiers: ['healthy', 'at_risk'] })).toEqual([]);
});
