// A sign-up given ahead of now (accepted up to a day ahead) has no score until its date: a customer is
// scored only from its start, and the round its arrival (or the move of its sign-up) queued leaves it
// out. Once the date has come, the next scoring round scores it, so it has a score, a tier and a place
// in the summaries within a sweep of its sign-up, not at the next full run an hour later.
import { queueDatesComeDue } from '../../src/scoring/rescore-queue';
import { sql } from '../helpers/database';
import { sentDuring } from '../helpers/statements';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;

beforeAll(async () => {
  // Continuous rescoring with a quick sweep; no periodic full run, which would hide what the rounds do.
  server = await startTestServer({
    label: 'signup_ahead',
    env: { RESCORE_DEBOUNCE_MS: '100', RESCORE_SWEEP_MS: '300', SCORING_INTERVAL_MS: '0' },
  });
}, 60_000);
afterAll(() => server.stop());

interface Scored {
  customer: { healthScore: number | null; tier: string | null; scoredAt: string | null };
}
const read = async (id: string) =>
  (await server.gql<Scored, { id: string }>(`query ($id: ID!) { customer(id: $id) { healthScore tier scoredAt } }`, { id })).customer;
const upsert = (input: Record<string, unknown>) =>
  server.gql('mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', { input });

it('scores a customer signed up a few seconds ahead within a sweep of its sign-up', async () => {
  const id = 'cust_arriving';
  const signedUpAt = new Date(Date.now() + 5_000);
  await upsert({ id, name: id, signedUpAt: signedUpAt.toISOString() });
  // The round its arrival queued has left it out: its sign-up is ahead.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await read(id)).toEqual({ healthScore: null, tier: null, scoredAt: null });

  await waitFor(async () => (await read(id)).scoredAt !== null, 10_000);
  expect(Date.now()).toBeGreaterThanOrEqual(signedUpAt.getTime());
  const scored = await read(id);
  expect(new Date(scored.scoredAt as string).getTime()).toBeGreaterThanOrEqual(signedUpAt.getTime());
  expect(scored.tier).not.toBeNull();
}, 30_000);

it('scores again within a sweep an account whose sign-up was moved a few seconds ahead', async () => {
  const id = 'cust_moved_ahead';
  await upsert({ id, name: id, signedUpAt: new Date(Date.now() - 30 * DAY).toISOString() });
  await waitFor(async () => (await read(id)).scoredAt !== null, 5_000);

  const signedUpAt = new Date(Date.now() + 4_000);
  await upsert({ id, signedUpAt: signedUpAt.toISOString() });
  // Its scores were from before the new sign-up: forgotten, and none until the date has come.
  expect(await read(id)).toEqual({ healthScore: null, tier: null, scoredAt: null });

  await waitFor(async () => (await read(id)).scoredAt !== null, 10_000);
  expect(Date.now()).toBeGreaterThanOrEqual(signedUpAt.getTime());
  expect((await read(id)).tier).not.toBeNull();
}, 30_000);

it('finds the customers whose sign-up or churn date has come through their partial indexes', async () => {
  await sql(
    server.database,
    `insert into customer (id, name, signed_up_at, churned_at, scored_at)
     select 'cust_many_' || i, 'many', now() - interval '400 days', case when i % 2 = 0 then now() - interval '2 hours' end,
            now() - interval '1 hour'
     from generate_series(1, 20000) i`,
  );
  await sql(server.database, 'analyze customer');
  const sent = await sentDuring(server.app.orm, () => queueDatesComeDue(server.app.orm.em.fork()));
  const due = sent.filter((statement) => /signed_up_at <=/.test(statement.sql));
  expect(due).toHaveLength(1);
  const plan = (await sql<{ 'QUERY PLAN': string }>(server.database, `explain ${due[0].sql}`, [...due[0].bindings]))
    .map((row) => row['QUERY PLAN'])
    .join('\n');
  expect(plan).toContain('customer_signup_due_idx');
  expect(plan).toContain('customer_churn_due_idx');
  expect(plan).not.toMatch(/Seq Scan on customer/);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
