// A churn date given ahead of now (accepted up to a day ahead) has no stage to set when it is written:
// the account is still a customer. Once the date has come, the next scoring round stages it CHURNED,
// so its stage, the stage filter and the lists that compare the date with now agree within a round,
// not at the next full run an hour later.
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;

beforeAll(async () => {
  // Continuous rescoring with a quick sweep; no periodic full run, which would hide what the rounds do.
  server = await startTestServer({
    label: 'churn_date_ahead',
    env: { RESCORE_DEBOUNCE_MS: '100', RESCORE_SWEEP_MS: '300', SCORING_INTERVAL_MS: '0' },
  });
}, 60_000);
afterAll(() => server.stop());

interface Listed {
  customer: { lifecycleStage: string | null };
  customers: { edges: Array<{ node: { id: string } }> };
}
const read = (id: string) =>
  server.gql<Listed, { id: string }>(
    `query ($id: ID!) { customer(id: $id) { lifecycleStage } customers(lifecycleStage: CHURNED) { edges { node { id } } } }`,
    { id },
  );

it('stages an account CHURNED within a scoring round of its churn date, given ahead', async () => {
  const id = 'cust_leaving_soon';
  const now = Date.now();
  const events = Array.from({ length: 40 }, (_, day) => ({
    customerId: id,
    eventType: 'feature_used',
    feature: `f${day % 3}`,
    userId: 'u1',
    occurredAt: new Date(now - (day + 1) * DAY).toISOString(),
  }));
  await server.gql('mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
    input: { id, name: id, signedUpAt: new Date(now - 100 * DAY).toISOString() },
  });
  await server.gql('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
  const churnAt = new Date(Date.now() + 3_000);
  await server.gql('mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
    input: { id, name: id, churnedAt: churnAt.toISOString() },
  });
  // Scored after the change (the round it queued), still a customer: the date is ahead.
  await waitFor(async () => (await read(id)).customer.lifecycleStage !== null, 5_000);
  expect((await read(id)).customer.lifecycleStage).not.toBe('CHURNED');

  await waitFor(async () => (await read(id)).customer.lifecycleStage === 'CHURNED', 10_000);
  expect(Date.now()).toBeGreaterThanOrEqual(churnAt.getTime());
  expect((await read(id)).customers.edges.map((edge) => edge.node.id)).toContain(id);
}, 30_000);

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
