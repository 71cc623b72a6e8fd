// Root fields are nullable: a field that fails (NOT_FOUND, BAD_USER_INPUT, STATEMENT_TIMEOUT…) answers
// null with its error under its path, and the fields beside it keep their answers — a dashboard asking
// for a summary and a customer at once still gets the summary when the customer is gone. Mutations
// alike: a document of several runs each in turn, and a refused one costs only its own answer.
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'partial_answers' });
  await server.gql('mutation { upsertCustomer(input: { id: "cust_here", name: "Here" }) { id } }');
});
afterAll(() => server.stop());

/** The document's answer as [path, code] of each error and the data beside them. */
async function answer(document: string) {
  const result = await server.request<Record<string, unknown>, Record<string, never>>(document);
  return { data: result.data, errors: result.errors?.map((error) => [error.path?.join('.'), error.extensions?.code]) };
}

describe('a query whose root field fails', () => {
  it('keeps the answers of the fields beside an unknown customer', async () => {
    expect(await answer('{ healthSummary { totalCustomers } customer(id: "cust_gone") { id name } }')).toEqual({
      data: { healthSummary: { totalCustomers: 1 }, customer: null },
      errors: [['customer', 'NOT_FOUND']],
    });
  });

  it.each([
    ['npsResponses(customerId: "cust_gone") { totalCount }', 'NOT_FOUND'],
    ['tierChanges(customerId: "nope") { totalCount }', 'NOT_FOUND'],
    ['healthScoreHistory(customerId: "cust_here", first: 0) { totalCount }', 'BAD_USER_INPUT'],
    ['customers(first: 0) { totalCount }', 'BAD_USER_INPUT'],
  ])('keeps the answers beside a refused list: %s', async (list, code) => {
    const field = list.slice(0, list.indexOf('('));
    for (let run = 0; run < 3; run++) {
      // Sent three times: a document seen twice runs compiled (src/infra/compiled-executor.ts), alone or not.
      expect(await answer(`{ viewer { keyName } ${list} }`)).toEqual({
        data: { viewer: { keyName: null }, [field]: null },
        errors: [[field, code]],
      });
      expect(await answer(`{ ${list} }`)).toEqual({ data: { [field]: null }, errors: [[field, code]] });
    }
  });
});

describe('a document of several mutations', () => {
  it('keeps the answer of a mutation before a refused one, and runs the ones after it', async () => {
    const document = `mutation {
      first: upsertCustomer(input: { id: "cust_first", name: "First" }) { id }
      refused: upsertCustomer(input: { id: "cust_refused", name: "Refused", arrCents: -5 }) { id }
      last: upsertCustomer(input: { id: "cust_last", name: "Last" }) { id }
    }`;
    expect(await answer(document)).toEqual({
      data: { first: { id: 'cust_first' }, refused: null, last: { id: 'cust_last' } },
      errors: [['refused', 'BAD_USER_INPUT']],
    });
    const stored = await sql<{ id: string }>(server.database, "select id from customer where id like 'cust_%' order by id");
    expect(stored.map((row) => row.id)).toEqual(['cust_first', 'cust_here', 'cust_last']);
  });
});
