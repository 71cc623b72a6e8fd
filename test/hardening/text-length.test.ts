// Text limits count characters (Unicode code points), not UTF-16 units: a name of 200 emoji fits in
// a 200-character id, and 201 do not, through the API as through the check itself.
import { longerThan } from '../../src/infra/input';
import { startTestServer, TestServer } from '../helpers/server';

describe('longerThan', () => {
  it('counts a surrogate pair as one character, and a lone surrogate as one', () => {
    expect(longerThan('😀'.repeat(200), 200)).toBe(false);
    expect(longerThan('😀'.repeat(201), 200)).toBe(true);
    expect(longerThan('a'.repeat(200), 200)).toBe(false);
    expect(longerThan('a'.repeat(201), 200)).toBe(true);
    expect(longerThan('😀'.repeat(100) + 'a'.repeat(100), 200)).toBe(false);
    expect(longerThan('\ud800'.repeat(201), 200)).toBe(true);
    expect(longerThan('😀'.repeat(99) + '\ud800', 100)).toBe(false);
  });
});

describe('through the API', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'text_length' });
  });
  afterAll(() => server.stop());

  it('stores an id of 200 emoji and refuses one of 201, naming the argument', async () => {
    const upsert = 'mutation ($id: ID!) { upsertCustomer(input: { id: $id, name: "Emoji" }) { id } }';
    const fits = await server.request<{ upsertCustomer: { id: string } }, { id: string }>(upsert, { id: '𠀀'.repeat(200) });
    expect(fits.errors).toBeUndefined();
    expect([...fits.data!.upsertCustomer.id]).toHaveLength(200);
    const over = await server.request(upsert, { id: '𠀀'.repeat(201) });
    expect(over.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
  });

  it('stores texts that fit their limits beside an id of 200 four-byte characters, or refuses the one too large to index, not the request', async () => {
    // Characters of the CJK extension B, 4 bytes each, drawn so that PostgreSQL cannot compress them.
    let seed = 7;
    const incompressible = (n: number) =>
      Array.from({ length: n }, () => String.fromCodePoint(0x20000 + ((seed = (seed * 48271) % 2147483647) % 40000))).join('');
    const id = incompressible(200);
    const upsert = 'mutation ($id: ID!, $name: String!) { upsertCustomer(input: { id: $id, name: $name }) { id } }';
    expect((await server.request(upsert, { id, name: 'Wide' })).errors).toBeUndefined();
    const tooWide = await server.request(upsert, { id, name: incompressible(500) });
    expect(tooWide.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'name' });
    // Repeated text compresses: the same lengths fit.
    expect((await server.request(upsert, { id, name: '😀'.repeat(500) })).errors).toBeUndefined();

    const track = 'mutation ($input: EngagementEventInput!) { trackEngagement(input: $input) { id } }';
    const single = await server.request(track, { input: { customerId: id, eventType: incompressible(500) } });
    expect(single.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'eventType' });
    const keyed = await server.request(track, { input: { customerId: id, eventType: 'login', idempotencyKey: incompressible(500) } });
    expect(keyed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'idempotencyKey' });

    const batch = await server.request<
      { trackEngagementBatch: { accepted: number; duplicates: number; errors: Array<{ index: number; code: string }> } },
      unknown
    >(
      'mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted duplicates errors { index code } } }',
      {
        events: [
          { customerId: id, eventType: 'login' },
          { customerId: id, eventType: incompressible(500) },
          { customerId: id, eventType: '😀'.repeat(500) },
        ],
      },
    );
    expect(batch.data?.trackEngagementBatch).toEqual({ accepted: 2, duplicates: 0, errors: [{ index: 1, code: 'BAD_USER_INPUT' }] });

    const lines = [
      { customerId: id, eventType: 'ndjson_login' },
      { customerId: id, eventType: incompressible(500) },
      { customerId: id, eventType: '😀'.repeat(499) },
    ];
    const imported = await fetch(`${server.url.replace(/\/graphql$/, '')}/ingest/events`, {
      method: 'POST',
      body: lines.map((line) => JSON.stringify(line)).join('\n'),
    });
    const summary = (await imported.json()) as { accepted: number; rejected: number; errors: Array<{ line: number; code: string }> };
    expect([imported.status, summary.accepted, summary.rejected, summary.errors.map((e) => [e.line, e.code])]).toEqual([
      200,
      2,
      1,
      [[2, 'BAD_USER_INPUT']],
    ]);
  });

  it("refuses a text past its field's limit naming that limit, however far past it, not the 10,000 of any string", async () => {
    await server.request('mutation { upsertCustomer(input: { id: "cust_limits", name: "Limits" }) { id } }');
    const cases: Array<[string, string, Record<string, unknown>, string, number]> = [
      ['mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', 'input', { id: 'cust_limits' }, 'name', 500],
      ['mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', 'input', { name: 'x' }, 'id', 200],
      ['mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', 'input', { id: 'cust_limits' }, 'churnReason', 1000],
      [
        'mutation ($input: EngagementEventInput!) { trackEngagement(input: $input) { id } }',
        'input',
        { customerId: 'cust_limits' },
        'eventType',
        500,
      ],
      [
        'mutation ($input: EngagementEventInput!) { trackEngagement(input: $input) { id } }',
        'input',
        { eventType: 'login' },
        'customerId',
        200,
      ],
      [
        'mutation ($input: PaymentInput!) { recordPayment(input: $input) { id } }',
        'input',
        { customerId: 'cust_limits', amountCents: 100, currency: 'USD', status: 'PAID' },
        'externalId',
        200,
      ],
      [
        'mutation ($input: SupportTicketInput!) { recordSupportTicket(input: $input) { id } }',
        'input',
        { customerId: 'cust_limits', externalId: 'T-1' },
        'subject',
        1000,
      ],
      [
        'mutation ($input: NpsResponseInput!) { submitNpsResponse(input: $input) { id } }',
        'input',
        { customerId: 'cust_limits', score: 9 },
        'respondent',
        500,
      ],
      ['query ($value: ID) { engagementEvents(customerId: $value) { totalCount } }', '', {}, 'customerId', 200],
      ['query ($value: ID) { outreachLog(customerId: $value) { totalCount } }', '', {}, 'customerId', 200],
      ['query ($value: ID) { npsResponses(customerId: $value) { totalCount } }', '', {}, 'customerId', 200],
      ['query ($value: String) { customers(search: $value) { totalCount } }', '', {}, 'search', 200],
      ['mutation ($input: DestinationInput!) { createDestination(input: $input) { id } }', 'input', { kind: 'WEBHOOK' }, 'name', 200],
      ['mutation ($input: CsmContactInput!) { setCsmContact(input: $input) { owner } }', 'input', { email: 'a@example.com' }, 'owner', 200],
    ];
    for (const [document, variable, rest, field, limit] of cases) {
      for (const length of [limit + 1, 10_000, 10_001, 50_000]) {
        const value = 'x'.repeat(length);
        const variables = variable ? { [variable]: { ...rest, [field]: value } } : { value };
        const answer = await server.request(document, variables);
        expect([field, length, answer.errors?.[0].message, answer.errors?.[0].extensions?.argument]).toEqual([
          field,
          length,
          `${field} is longer than ${limit} characters`,
          field,
        ]);
      }
    }
  });

  it('searches for that id in full, in the list and in the CSV export, and refuses a search of 201', async () => {
    const id = '𠁀'.repeat(200);
    await server.request('mutation ($id: ID!) { upsertCustomer(input: { id: $id, name: "Searched" }) { id } }', { id });
    const search = 'query ($s: String) { customers(first: 5, search: $s) { edges { node { id } } } }';
    const found = await server.request<{ customers: { edges: Array<{ node: { id: string } }> } }, { s: string }>(search, { s: id });
    expect(found.errors).toBeUndefined();
    expect(found.data?.customers.edges.map((edge) => edge.node.id)).toEqual([id]);
    const csv = await fetch(`${server.url.replace(/\/graphql$/, '')}/export/customers.csv?search=${encodeURIComponent(id)}`);
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain(id);
    const over = await server.request(search, { s: id + '𠁀' });
    expect(over.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'search', max: 200 });
  });
});
