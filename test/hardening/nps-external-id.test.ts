// NPS answers take an optional idempotency key (externalId, unique per customer): a retried
// submission stores one row and returns the answer stored first, however many retries race.
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
  for (const id of ['cust_a', 'cust_b', 'cust_race']) {
    expect(
      (await post(server.url, { query: `mutation { upsertCustomer(input: { id: "${id}", name: "${id}" }) { id } }` })).body.errors,
    ).toBeUndefined();
  }
});
afterAll(() => server.stop());

it('stores a retried submission once and returns the answer stored first', async () => {
  const first = await submit({ customerId: 'cust_a', externalId: 'survey-1', score: 9, comment: 'Great' });
  const retried = await submit({ customerId: 'cust_a', externalId: 'survey-1', score: 9, comment: 'Great' });
  const changed = await submit({ customerId: 'cust_a', externalId: ' survey-1 ', score: 3, comment: 'edited' });
  expect(first).toMatchObject({ customerId: 'cust_a', externalId: 'survey-1', score: 9, comment: 'Great' });
  expect(retried).toEqual(first);
  expect(changed).toEqual(first);
  expect(await stored('cust_a')).toBe(1);
});

it('keeps keys per customer, and stores every answer sent without a key', async () => {
  await submit({ customerId: 'cust_b', externalId: 'survey-1', score: 7 });
  await submit({ customerId: 'cust_b', score: 7 });
  await submit({ customerId: 'cust_b', score: 7 });
  expect(await stored('cust_b')).toBe(3);
  expect(await stored('cust_a')).toBe(1);
});

it('stores one row when retries of the same answer race', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => submit({ customerId: 'cust_race', externalId: 'survey-race', score: 10 })),
  );
  expect(new Set(answers.map((a) => a.id)).size).toBe(1);
  expect(await stored('cust_race')).toBe(1);
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
