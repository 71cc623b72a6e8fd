// A query document runs through graphql-js the first time and compiled (graphql-jit) from the
// second time on: the answers, errors included, must be the same every time.
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'compiled_executor' });
  for (const k of [1, 2, 3]) {
    const result = await server.request(`mutation { upsertCustomer(input: { id: "cust_jit_${k}", name: "Jit ${k}", arrCents: ${k * 1000} }) { id } }`);
    expect(result.errors).toBeUndefined();
  }
  const answered = await server.request('mutation { submitNpsResponse(input: { customerId: "cust_jit_2", score: 4 }) { id } }');
  expect(answered.errors).toBeUndefined();
});
afterAll(() => server.stop());

const CASES: Array<[string, string, Record<string, unknown>]> = [
  [
    'a page with nested edges and a lazy total count',
    `query Page($first: Int) { customers(first: $first, search: "jit") { totalCount pageInfo { hasNextPage endCursor }
       edges { cursor node { id name arrCents tier createdAt currentScore { score components { name } } latestNpsResponse { score respondedAt } lastOutreachAction { playbook } } } } }`,
    { first: 2 },
  ],
  ['NOT_FOUND from a resolver', 'query One($id: ID!) { customer(id: $id) { id } }', { id: 'cust_nobody' }],
  ['BAD_USER_INPUT from a resolver', 'query Big($first: Int) { customers(first: $first) { edges { cursor } } }', { first: 501 }],
  ['a variable of the wrong type', 'query Typed($first: Int) { customers(first: $first) { edges { cursor } } }', { first: 'many' }],
  ['a non-null variable left out', 'query Required($id: ID!) { customer(id: $id) { id } }', {}],
  ['fragments, aliases and @include', `query Shaped($with: Boolean!) { a: customers(first: 1) { ...Page } b: customers(first: 1, orderBy: ARR_DESC) { ...Page @include(if: $with) } }
     fragment Page on CustomerConnection { edges { node { id n: name } } }`, { with: true }],
];

describe('queries run again (compiled)', () => {
  it.each(CASES)('answer %s exactly as the first time', async (_label, query, variables) => {
    const post = async () => {
      const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      return { status: response.status, body: await response.json() };
    };
    const first = await post();
    expect(first.status).toBeLessThan(500);
    for (let run = 0; run < 3; run++) expect(await post()).toEqual(first);
  });
});
