// NPS answers take an optional key (externalId, unique per customer): a retried submission stores
// one row, however many retries race, and a corrected one replaces the answer stored.
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { post } from './support';

let server: TestServer;

const SUBMIT = 'mutation ($input: NpsResponseInput!) { submitNpsResponse(input: $input) { id customerId externalId score comment } }';

interface Answer {
  id: string;
  customerId: string;
  externalId: string | null;
  score: number;
  comment: string | null;
}

async function submit(input: Record<string, unknown>): Promise<Answer> {
  const response = await post(server.url, { query: SUBMIT, variables: { input } });
  expect(response.body.errors).toBeUndefined();
  return (response.body.data as { submitNpsResponse: Answer }).submitNpsResponse;
}

const stored = async (customerId: string) =>
  (await sql<{ count: number }>(server.database, 'select count(*)::int as count from nps_response where customer_id = $1', [customerId]))[0]
    .count;

beforeAll(async () => {
  server = await startTestServer({ label: 'nps_external_id', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const id of ['cust_a', 'cust_b', 'cust_race', 'cust_fix']) {
    expect(
      (await post(server.url, { query: `mutation { upsertCustomer(input: { id: "${id}", name: "${id}" }) { id } }` })).body.errors,
    ).toBeUndefined();
  }
});
afterAll(() => server.stop());

it('stores a retried submission once, and a corrected one in its place', async () => {
  const first = await submit({ customerId: 'cust_a', externalId: 'survey-1', score: 9, comment: 'Great' });
  const retried = await submit({ customerId: 'cust_a', externalId: 'survey-1', score: 9, comment: 'Great' });
  const changed = await submit({ customerId: 'cust_a', externalId: ' survey-1 ', score: 3, comment: 'edited' });
  expect(first).toMatchObject({ customerId: 'cust_a', externalId: 'survey-1', score: 9, comment: 'Great' });
  expect(retried).toEqual(first);
  expect(changed).toEqual({ ...first, score: 3, comment: 'edited' });
  expect(await stored('cust_a')).toBe(1);
});

it('keeps keys per customer, and stores every answer sent without a key', async () => {
  await submit({ customerId: 'cust_b', externalId: 'survey-1', score: 7 });
  await submit({ customerId: 'cust_b', score: 7 });
  await submit({ customerId: 'cust_b', score: 7 });
  expect(await stored('cust_b')).toBe(3);
  expect(await stored('cust_a')).toBe(1);
});

it('stores one row when retries of the same answer race, and when corrections of it race', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => submit({ customerId: 'cust_race', externalId: 'survey-race', score: 10 })),
  );
  expect(new Set(answers.map((a) => a.id)).size).toBe(1);
  expect(await stored('cust_race')).toBe(1);
  // Each correction is applied after the one before it: the row holds the one applied last, which answered with it.
  const corrections = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      submit({ customerId: 'cust_race', externalId: 'survey-race', score: i % 11, comment: `take ${i}` }),
    ),
  );
  expect(new Set(corrections.map((a) => a.id))).toEqual(new Set([answers[0].id]));
  const [row] = await sql<{ score: number; comment: string }>(
    server.database,
    `select score, comment from nps_response where customer_id = 'cust_race'`,
  );
  expect(corrections).toContainEqual(expect.objectContaining(row));
  expect(await stored('cust_race')).toBe(1);
});

it('scores the corrected answer: a 0 sent by mistake and corrected to 9 leaves no detractor', async () => {
  const refresh = async () =>
    (
      await post(server.url, {
        query: 'mutation { refreshHealthScore(customerId: "cust_fix") { customer { nps } } }',
      })
    ).body.data as { refreshHealthScore: { customer: { nps: number | null } } };
  await submit({ customerId: 'cust_fix', externalId: 'survey_wrong_1', score: 0 });
  expect((await refresh()).refreshHealthScore.customer.nps).toBe(-100);
  await submit({ customerId: 'cust_fix', externalId: 'survey_wrong_1', score: 9 });
  expect((await refresh()).refreshHealthScore.customer.nps).toBe(100);
});

it('still answers NOT_FOUND for an unknown customer, with or without a key', async () => {
  for (const input of [
    { customerId: 'cust_none', externalId: 'k', score: 5 },
    { customerId: 'cust_none', score: 5 },
  ]) {
    const response = await post(server.url, { query: SUBMIT, variables: { input } });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  }
});
