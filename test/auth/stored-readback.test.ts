// An ingest-only key cannot read back a record it did not write by sending a mutation whose
// idempotency key matches it (README, "Security" → "Scopes"): of a record already stored, the answer
// may show its id, customerId, key, and the fields this request sets; selecting more is FORBIDDEN
// before anything runs. Every document is sent twice (its second run is compiled by graphql-jit),
// over HTTP and over WebSocket. Retries and status changes by a pipeline still run.
import { Client } from 'pg';
import { createKey, GraphQLSocket, post, socketErrorCodes } from '../helpers/auth';
import { ADMIN_URL } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const CUSTOMER = 'cust_readback';
/** A customer that churned, beside CUSTOMER, which never did. */
const CHURNED = 'cust_readback_churned';
const SECRET_COMMENT = 'Your product lost our data, we are talking to Competitor X';

let server: TestServer;
let inspector: Client;
let admin: string;
let ingest: string;
let readIngest: string;

/** What the stored records hold, every column: a refusal must leave it as it was. */
async function storedRecords(): Promise<unknown> {
  const tables = ['nps_response', 'support_ticket', 'support_ticket_status_change', 'payment', 'payment_earlier_state', 'engagement_event'];
  const digest: Record<string, unknown> = {};
  for (const table of tables) digest[table] = (await inspector.query(`select * from ${table} order by id`)).rows;
  return digest;
}

async function asAdmin(document: string): Promise<void> {
  const result = await post(server.url, document, undefined, admin);
  expect(result.body.errors).toBeUndefined();
}

beforeAll(async () => {
  server = await startTestServer({ label: 'stored_readback', env: { RESCORE_DEBOUNCE_MS: '0', RATE_LIMIT_REQUESTS: '0' } });
  inspector = new Client({ connectionString: server.database.url });
  await inspector.connect();
  admin = (await createKey(server, ['admin'], undefined, 'admin')).key;
  ingest = (await createKey(server, ['ingest'], admin)).key;
  readIngest = (await createKey(server, ['read', 'ingest'], admin)).key;
  await asAdmin(`mutation { upsertCustomer(input: { id: "${CUSTOMER}", name: "Acme" }) { id } }`);
  await asAdmin(
    `mutation { submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 2, externalId: "resp_9", comment: "${SECRET_COMMENT}", respondent: "cfo@acme.example" }) { id } }`,
  );
  await asAdmin(
    `mutation { recordSupportTicket(input: { customerId: "${CUSTOMER}", externalId: "T-7", subject: "Security incident: leaked credentials", severity: URGENT, status: OPEN, sentiment: -0.9 }) { id } }`,
  );
  await asAdmin(
    `mutation { recordSupportTicket(input: { customerId: "${CUSTOMER}", externalId: "T-8", subject: "Refund", status: SOLVED, resolvedAt: "2026-01-05T00:00:00Z", openedAt: "2026-01-04T00:00:00Z" }) { id } }`,
  );
  await asAdmin(
    `mutation { upsertCustomer(input: { id: "${CHURNED}", name: "Gone", churnedAt: "2026-01-10T00:00:00Z", churnReason: "budget" }) { id } }`,
  );
  await asAdmin(
    `mutation { recordPayment(input: { customerId: "${CUSTOMER}", externalId: "inv_7", amountCents: 990000, currency: "usd", status: FAILED, dueAt: "2026-01-01T00:00:00Z", occurredAt: "2026-01-02T00:00:00Z" }) { id } }`,
  );
  await asAdmin(
    `mutation { trackEngagement(input: { customerId: "${CUSTOMER}", eventType: "export", userId: "ceo@acme.example", metadata: { file: "board-deck.pdf" }, idempotencyKey: "evt-7" }) { id } }`,
  );
});
afterAll(async () => {
  await inspector?.end().catch(() => undefined);
  await server?.stop();
});

/** A mutation on a stored record that selects fields the request does not set, and the field refused first. */
const READBACKS: Array<[string, string, Record<string, unknown> | undefined]> = [
  [
    'submitNpsResponse',
    `mutation { submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 10, externalId: "resp_9" }) { id score comment respondent respondedAt } }`,
    undefined,
  ],
  [
    'recordSupportTicket',
    `mutation { recordSupportTicket(input: { customerId: "${CUSTOMER}", externalId: "T-7" }) { subject severity status sentiment csatRating openedAt } }`,
    undefined,
  ],
  [
    'recordPayment',
    `mutation { recordPayment(input: { customerId: "${CUSTOMER}", externalId: "inv_7", amountCents: 1, currency: "usd", status: PAID }) { id dueAt occurredAt } }`,
    undefined,
  ],
  [
    'trackEngagement',
    `mutation { trackEngagement(input: { customerId: "${CUSTOMER}", eventType: "x", idempotencyKey: "evt-7" }) { id eventType userId metadata occurredAt } }`,
    undefined,
  ],
  [
    'submitNpsResponse',
    'mutation ($input: NpsResponseInput!) { submitNpsResponse(input: $input) { ...Answer } } fragment Answer on NpsResponse { id comment respondent }',
    { input: { customerId: CUSTOMER, score: 2, externalId: 'resp_9', comment: 'a guess' } },
  ],
  [
    'recordSupportTicket',
    `mutation ($key: String!) { recordSupportTicket(input: { customerId: "${CUSTOMER}", externalId: $key, status: PENDING }) { status ... on SupportTicket { subject } } }`,
    { key: 'T-7' },
  ],
];

describe.each(['HTTP', 'WebSocket'] as const)('over %s, an ingest-only key', (transport) => {
  async function run(document: string, variables?: Record<string, unknown>, key = ingest): Promise<{ data: unknown; codes: unknown[] }> {
    if (transport === 'HTTP') {
      const result = await post(server.url, document, variables, key);
      return { data: result.body.data ?? null, codes: result.body.errors?.map((error) => error.extensions?.code) ?? [] };
    }
    const socket = await GraphQLSocket.connect(server.wsUrl, key);
    try {
      expect(await socket.acknowledged()).toBe('ack');
      const result = await socket.run('op', document, variables);
      const data = result.type === 'next' ? ((result.payload as { data?: unknown }).data ?? null) : null;
      return { data, codes: socketErrorCodes(result) };
    } finally {
      socket.close();
    }
  }

  it.each(READBACKS)('cannot read a stored record back through %s, and writes nothing asking', async (_field, document, variables) => {
    const before = await storedRecords();
    for (let attempt = 0; attempt < 2; attempt++) {
      const { data, codes } = await run(document, variables);
      expect({ attempt, data, codes }).toEqual({ attempt, data: null, codes: ['FORBIDDEN'] });
    }
    expect(await storedRecords()).toEqual(before);
  });

  it('is refused before the operation runs: a new event before the refused mutation is not written either', async () => {
    const before = await storedRecords();
    const document = `mutation {
      a: trackEngagement(input: { customerId: "${CUSTOMER}", eventType: "before", idempotencyKey: "evt-before-${transport}" }) { id }
      b: submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 10, externalId: "resp_9" }) { comment }
    }`;
    for (let attempt = 0; attempt < 2; attempt++) expect((await run(document)).codes).toEqual(['FORBIDDEN']);
    expect(await storedRecords()).toEqual(before);
  });

  it('gets the id, customer and key of a record it sends again, twice (a retry)', async () => {
    const retries: Array<[string, unknown]> = [
      [
        `mutation { submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 2, externalId: "resp_9" }) { id customerId externalId __typename } }`,
        { customerId: CUSTOMER, externalId: 'resp_9', __typename: 'NpsResponse' },
      ],
      // An answer sent again sets its score (a different one would correct it): the answer may show it.
      [`mutation { submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 2, externalId: "resp_9" }) { id score } }`, { score: 2 }],
      [
        `mutation { trackEngagement(input: { customerId: "${CUSTOMER}", eventType: "export", idempotencyKey: "evt-7" }) { id customerId idempotencyKey } }`,
        { customerId: CUSTOMER, idempotencyKey: 'evt-7' },
      ],
    ];
    for (const [document, expected] of retries) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const { data, codes } = await run(document);
        expect(codes).toEqual([]);
        expect(Object.values(data as Record<string, unknown>)[0]).toMatchObject(expected as Record<string, unknown>);
      }
    }
  });

  it('moves a ticket and a payment along, reading back the fields it sets', async () => {
    const ticket = `mutation ($at: DateTime!) { recordSupportTicket(input: { customerId: "${CUSTOMER}", externalId: "T-progress-${transport}", status: SOLVED, resolvedAt: $at, openedAt: $at }) { id status resolvedAt openedAt updatedAt } }`;
    const at = new Date(Date.now() - 3_600_000).toISOString();
    // The first run creates the ticket; the next ones update it, as a helpdesk sends a ticket again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { data, codes } = await run(ticket, { at });
      expect(codes).toEqual([]);
      expect(data).toMatchObject({ recordSupportTicket: { status: 'SOLVED', resolvedAt: at, openedAt: at } });
    }
    // The attempt failed before it was paid: a payment dated before the failure would be an earlier state arrived late.
    const failedAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const payment = (status: string, date: string) =>
      `mutation { recordPayment(input: { customerId: "${CUSTOMER}", externalId: "inv-progress-${transport}", amountCents: 500, currency: "eur", status: ${status}, ${status === 'PAID' ? 'paidAt' : 'occurredAt'}: "${date}" }) { id amountCents currency status paidAt } }`;
    for (const [status, paidAt] of [
      ['FAILED', null],
      ['FAILED', null],
      ['PAID', at],
      ['PAID', at],
    ] as const) {
      const { data, codes } = await run(payment(status, paidAt ?? failedAt));
      expect(codes).toEqual([]);
      expect(data).toMatchObject({ recordPayment: { amountCents: 500, currency: 'EUR', status, paidAt } });
    }
  });

  it('gets every field of a record it writes new (the first run) and refuses a repeat that would read it back', async () => {
    const document = `mutation { trackEngagement(input: { customerId: "${CUSTOMER}", eventType: "login", idempotencyKey: "evt-new-${transport}" }) { id occurredAt receivedAt } }`;
    const first = await run(document);
    expect(first.codes).toEqual([]);
    for (let attempt = 0; attempt < 2; attempt++) expect((await run(document)).codes).toEqual(['FORBIDDEN']);
  });

  it("cannot learn a ticket's status or an account's churn label from whether a rule reading them takes its write", async () => {
    const customers = async () => (await inspector.query('select * from customer order by id')).rows;
    const before = { records: await storedRecords(), customers: await customers() };
    const resolution = (key: string) =>
      `mutation { recordSupportTicket(input: { customerId: "${CUSTOMER}", externalId: "${key}", resolvedAt: "2026-01-06T00:00:00Z" }) { id } }`;
    const reason = (id: string) => `mutation { upsertCustomer(input: { id: "${id}", churnReason: "probe" }) { id } }`;
    // An open ticket, a solved one, none; an account that never churned, one that did: refused alike, naming what to send.
    const probes: Array<[string, Record<string, unknown> | undefined]> = [
      [resolution('T-7'), undefined],
      [resolution('T-8'), undefined],
      [resolution('T-none'), undefined],
      [reason(CUSTOMER), undefined],
      [reason(CHURNED), undefined],
      ['mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', { input: { id: CHURNED, churnReason: 'probe' } }],
      [
        'mutation ($input: SupportTicketInput!) { recordSupportTicket(input: $input) { id } }',
        { input: { customerId: CUSTOMER, externalId: 'T-8', resolvedAt: '2026-01-06T00:00:00Z' } },
      ],
    ];
    for (const [document, variables] of probes) {
      for (let attempt = 0; attempt < 2; attempt++) {
        expect({ document, attempt, ...(await run(document, variables)) }).toEqual({ document, attempt, data: null, codes: ['FORBIDDEN'] });
      }
    }
    expect({ records: await storedRecords(), customers: await customers() }).toEqual(before);

    // Sent with what the rule would otherwise read, or clearing, the same writes run.
    const allowed = [
      `mutation { recordSupportTicket(input: { customerId: "${CUSTOMER}", externalId: "T-8", status: SOLVED, openedAt: "2026-01-04T00:00:00Z", resolvedAt: "2026-01-05T00:00:00Z" }) { id } }`,
      // A churn date of a stored account goes with its sign-up date (README "Scopes"), here none.
      `mutation { upsertCustomer(input: { id: "${CHURNED}", signedUpAt: null, churnedAt: "2026-01-10T00:00:00Z", churnReason: "budget" }) { id } }`,
      `mutation { upsertCustomer(input: { id: "${CUSTOMER}", churnReason: null }) { id } }`,
      `mutation { upsertCustomer(input: { id: "${CUSTOMER}", churnReason: "  " }) { id } }`,
      `mutation { recordSupportTicket(input: { customerId: "${CUSTOMER}", externalId: "T-7", resolvedAt: null }) { id } }`,
    ];
    for (const document of allowed) expect({ document, codes: (await run(document)).codes }).toEqual({ document, codes: [] });
    // A key that reads may be told: the stored value decides.
    expect((await run(resolution('T-7'), undefined, readIngest)).codes).toEqual(['BAD_USER_INPUT']);
    expect((await run(resolution('T-8'), undefined, readIngest)).codes).toEqual([]);
    expect((await run(reason(CUSTOMER), undefined, readIngest)).codes).toEqual(['BAD_USER_INPUT']);
    expect((await run(reason(CHURNED), undefined, readIngest)).codes).toEqual([]);
  });

  it('with read as well, gets the stored record whole', async () => {
    // The answer as stored (a score sent otherwise would correct it).
    const retry = `mutation { submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 2, externalId: "resp_9" }) { id score comment respondent respondedAt } }`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const { data, codes } = await run(retry, undefined, readIngest);
      expect(codes).toEqual([]);
      expect(data).toMatchObject({ submitNpsResponse: { score: 2, comment: SECRET_COMMENT, respondent: 'cfo@acme.example' } });
    }
  });
});

describe('a database outage while the check reads whether a record is stored', () => {
  const database = async (allow: boolean) => {
    const client = new Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      await client.query(`alter database "${server.database.name}" allow_connections ${allow}`);
      if (!allow)
        await client.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [
          server.database.name,
        ]);
    } finally {
      await client.end();
    }
  };
  afterAll(() => database(true));

  it('is answered SERVICE_UNAVAILABLE over WebSocket, and the socket stays open for the rest', async () => {
    const ws = await GraphQLSocket.connect(server.wsUrl, ingest);
    expect(await ws.acknowledged()).toBe('ack');
    await inspector.end();
    await database(false);
    const refused = await ws.run('1', READBACKS[0][1]);
    expect(socketErrorCodes(refused)).toEqual(['SERVICE_UNAVAILABLE']);
    await database(true);
    const identity = `mutation { submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 2, externalId: "resp_9" }) { id customerId externalId } }`;
    const retried = await ws.run('2', identity);
    expect(socketErrorCodes(retried)).toEqual([]);
    ws.close();
  });
});
